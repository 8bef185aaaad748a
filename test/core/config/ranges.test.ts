/** Trust A3: every duration has a stated range; nothing used as a timer can reach 2^31 ms. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { ConfigIssue } from '../../../src/core/config/issues.js';
import { parseConfigObject } from '../../../src/core/config/schema.js';

function issues(yaml: string): ConfigIssue[] {
  const r = parseConfigObject(parse(yaml));
  assert.equal(r.ok, false, `expected issues for ${yaml}`);
  return r.ok ? [] : r.issues;
}

const TIMER_LIMIT = 2 ** 31 - 1;

test('durations past 2^31 ms are rejected, naming the range (resync 720h, heartbeat 9999999h)', () => {
  assert.deepEqual(issues('resync: 720h'), [{ path: ['resync'], message: 'expected a duration from 1s to 24h, found "720h"' }]);
  assert.deepEqual(issues('heartbeat: { url: "https://hc.example/p", interval: 9999999h }'), [
    { path: ['heartbeat', 'interval'], message: 'expected a duration from 10s to 24h, found "9999999h"' },
  ]);
  assert.deepEqual(issues('resync: 3000000'), [{ path: ['resync'], message: 'expected a duration from 1s to 24h, found 3000000' }]);
});

test('every timer duration is checked at both ends', () => {
  const cases: [string, (string | number)[], string][] = [
    ['resync: 500ms', ['resync'], 'from 1s to 24h'],
    ['heal: { crash_loop: { within: 25h } }', ['heal', 'crash_loop', 'within'], 'from 1s to 24h'],
    ['heal: { backoff: { initial: 2h, max: 24h } }', ['heal', 'backoff', 'initial'], 'from 100ms to 1h'],
    ['heal: { backoff: { max: 25d } }', ['heal', 'backoff', 'max'], 'from 100ms to 24h'],
    ['recovery: { grace: 2h }', ['recovery', 'grace'], 'from 0s to 1h'],
    ['recovery: { ready_timeout: 30d }', ['recovery', 'ready_timeout'], 'from 1s to 24h'],
    ['recovery: { running_for: 2h }', ['recovery', 'running_for'], 'from 0s to 1h'],
    ['services: { web: { checks: [ { docker: true, interval: 100ms } ] } }', ['services', 'web', 'checks', 0, 'interval'], 'from 1s to 24h'],
    ['services: { web: { checks: [ { docker: true, timeout: 2h } ] } }', ['services', 'web', 'checks', 0, 'timeout'], 'from 100ms to 1h'],
    ['alerts: { for: 8d }', ['alerts', 'for'], 'from 0s to 7d'],
    ['heartbeat: { url: "https://h.example", interval: 1s }', ['heartbeat', 'interval'], 'from 10s to 24h'],
  ];
  for (const [yaml, path, range] of cases) {
    const list = issues(yaml);
    assert.equal(list.length, 1, `${yaml}: ${JSON.stringify(list)}`);
    assert.deepEqual(list[0]?.path, path, yaml);
    assert.match(list[0]?.message ?? '', new RegExp(`^expected a duration ${range}, found `), yaml);
  }
});

test('alerts.repeat: 0 means no reminders; otherwise 1m..24d (1ms was accepted before)', () => {
  assert.deepEqual(issues('alerts: { repeat: 1ms }'), [
    { path: ['alerts', 'repeat'], message: 'expected 0 (no reminders) or a duration from 1m to 24d, found "1ms"' },
  ]);
  assert.deepEqual(issues('alerts: { repeat: 30d }'), [
    { path: ['alerts', 'repeat'], message: 'expected 0 (no reminders) or a duration from 1m to 24d, found "30d"' },
  ]);
  for (const [v, ms] of [
    ['0', 0],
    ['1m', 60_000],
    ['24d', 24 * 86_400_000],
  ] as const) {
    const r = parseConfigObject(parse(`alerts: { repeat: ${v} }`));
    assert.ok(r.ok, v);
    assert.equal(r.config.alerts.repeatMs, ms);
  }
});

test('the upper ends of every range are accepted and stay below 2^31-1 ms', () => {
  const r = parseConfigObject(
    parse(`resync: 24h
heal: { crash_loop: { within: 24h }, backoff: { initial: 1h, max: 24h } }
recovery: { grace: 1h, ready_timeout: 24h, running_for: 1h }
services: { web: { checks: [ { docker: true, interval: 24h, timeout: 1h } ] } }
alerts: { for: 7d, repeat: 24d }
heartbeat: { url: "https://h.example", interval: 24h }`),
  );
  assert.ok(r.ok, JSON.stringify(r));
  const c = r.config;
  const timers = [
    c.resyncMs,
    c.heal.crashLoopWindowMs,
    c.heal.backoffInitialMs,
    c.heal.backoffMaxMs,
    c.recovery.graceMs,
    c.recovery.readyTimeoutMs,
    c.recovery.runningForMs,
    c.services[0]!.checks[0]!.intervalMs,
    c.services[0]!.checks[0]!.timeoutMs,
    c.alerts.forMs,
    c.alerts.repeatMs,
    c.heartbeat!.intervalMs,
  ];
  for (const ms of timers) assert.ok(ms < TIMER_LIMIT, String(ms));
});

test('heal.backoff.initial > heal.backoff.max is an error at the key written in the file', () => {
  assert.deepEqual(issues('heal: { backoff: { initial: 10s, max: 5s } }'), [
    { path: ['heal', 'backoff', 'initial'], message: 'expected at most heal.backoff.max (5s), found "10s"' },
  ]);
  assert.deepEqual(issues('heal: { backoff: { max: 500ms } }'), [
    { path: ['heal', 'backoff', 'max'], message: 'expected at least heal.backoff.initial (1s), found "500ms"' },
  ]);
  assert.ok(parseConfigObject(parse('heal: { backoff: { initial: 5s, max: 5s } }')).ok);
});

test('every range used as a timer ends below 2^31-1 ms; timeline.retention is the only longer one', async () => {
  const { DURATION_RANGES, TIMER_LIMIT_MS } = await import('../../../src/core/config/ranges.js');
  for (const [key, r] of Object.entries(DURATION_RANGES)) {
    assert.ok(r.minMs <= r.maxMs, key);
    if (r.timer) assert.ok(r.maxMs < TIMER_LIMIT_MS, `${key}: ${r.max} is not below 2^31-1 ms`);
  }
  assert.deepEqual(
    Object.entries(DURATION_RANGES)
      .filter(([, r]) => !r.timer)
      .map(([k]) => k),
    ['timeline.retention'],
  );
});

test('docs/config.md and docs/limits.md state every range', async () => {
  const { readFileSync } = await import('node:fs');
  const { DURATION_RANGES } = await import('../../../src/core/config/ranges.js');
  const limits = readFileSync(new URL('../../../docs/limits.md', import.meta.url), 'utf8');
  const config = readFileSync(new URL('../../../docs/config.md', import.meta.url), 'utf8');
  for (const [key, r] of Object.entries(DURATION_RANGES)) {
    const docKey = key.startsWith('checks[].') ? `services.NAME.${key}` : key;
    assert.ok(limits.includes(`| \`${docKey}\` | \`${r.min}\` | \`${r.max}\` |`), `limits.md: ${docKey} ${r.min}..${r.max}`);
    const short = key.replace('checks[].', '');
    const row = config.split('\n').find((l) => l.startsWith(`| \`${short}\` |`));
    assert.ok(row?.includes(`\`${r.min}\`..\`${r.max}\``), `config.md: ${short} ${r.min}..${r.max}: ${row}`);
  }
});
