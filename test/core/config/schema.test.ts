import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { interpolateTree } from '../../../src/core/config/interpolate.js';
import type { ConfigIssue } from '../../../src/core/config/issues.js';
import { parseConfigObject, suggestKey } from '../../../src/core/config/schema.js';
import { defaultConfig, type UpkeepConfig } from '../../../src/core/config/types.js';
import { FULL_ENV, FULL_EXPECTED, FULL_PATH } from './fixtures.js';

function ok(yaml: string): UpkeepConfig {
  const r = parseConfigObject(parse(yaml));
  if (!r.ok) assert.fail(JSON.stringify(r.issues));
  return r.config;
}

function issues(yaml: string): ConfigIssue[] {
  const r = parseConfigObject(parse(yaml));
  assert.equal(r.ok, false, 'expected issues');
  return r.ok ? [] : r.issues;
}

test('the full example loads to the expected config', () => {
  const { value, issues: problems } = interpolateTree(parse(readFileSync(FULL_PATH, 'utf8')), FULL_ENV);
  assert.deepEqual(problems, []);
  const r = parseConfigObject(value);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.config, FULL_EXPECTED);
});

test('an empty file, an empty mapping and empty sections mean the defaults', () => {
  assert.deepEqual(parseConfigObject(null), { ok: true, config: defaultConfig() });
  assert.deepEqual(parseConfigObject(undefined), { ok: true, config: defaultConfig() });
  assert.deepEqual(ok('{}'), defaultConfig());
  assert.deepEqual(ok('heal:\nrecovery:\nalerts:\n  channels:\nservices:\npreflight:\nheartbeat:\nstate_dir:\n'), defaultConfig());
});

test('partial sections keep the other defaults', () => {
  const c = ok('heal: { crash_loop: { restarts: 3 } }\nrecovery: { grace: 1.5 }\nresync: 1500ms\nlisten: "[::1]:9000"\nlog_format: pretty');
  assert.deepEqual(c.heal, { ...defaultConfig().heal, crashLoopRestarts: 3 });
  assert.equal(c.recovery.graceMs, 1500);
  assert.equal(c.resyncMs, 1500);
  assert.deepEqual(c.listen, { host: '::1', port: 9000 });
  assert.equal(c.logFormat, 'pretty');
});

test('a service without heal takes heal.default; a bare service name is allowed', () => {
  const c = ok('heal: { default: never }\nservices:\n  web:\n  db: { heal: always }');
  assert.deepEqual(c.services, [
    { name: 'web', heal: 'never', onUnhealthy: 'alert', checks: [] },
    { name: 'db', heal: 'always', onUnhealthy: 'alert', checks: [] },
  ]);
});

test('channel names default to the type, then type-2, ...; explicit names win', () => {
  const c = ok(`alerts:
  channels:
    - { type: slack, url: "https://a.example" }
    - { type: slack, url: "https://b.example" }
    - { type: slack, url: "https://c.example", name: slack-2 }
    - { type: email, host: h, from: f@x, to: one@x, port: 465 }`);
  assert.deepEqual(
    c.alerts.channels.map((ch) => ch.name),
    ['slack', 'slack-3', 'slack-2', 'email'],
  );
  const email = c.alerts.channels[3];
  assert.ok(email?.type === 'email');
  assert.deepEqual([email.to, email.secure], [['one@x'], true]);
});

test('duplicate explicit channel names are an issue at the second name', () => {
  const list = issues(
    'alerts:\n  channels:\n    - { type: slack, url: "https://a.example", name: ops }\n    - { type: ntfy, url: "https://b.example", name: ops }',
  );
  assert.deepEqual(list, [{ path: ['alerts', 'channels', 1, 'name'], message: 'expected a unique channel name, found "ops" a second time' }]);
});

test('every issue names its path and says what was expected and found', () => {
  const list = issues(`heal:
  default: sometimes
  crash_loops: 3
resync: soon
listen: 5
recovery: { concurrency: 0 }
services:
  a:
    on_unhealthy: reboot
    checks:
      - http: { status: 200 }
      - {}
      - { tcp: { host: h, port: 1 }, docker: true }
alerts:
  channels:
    - { type: pager }
    - { type: slack, url: "ftp://x" }
    - { type: email, host: h, from: f, to: [] }
preflight: { block: "yes" }
bogus: 1`);
  assert.deepEqual(list, [
    { path: ['listen'], message: 'expected a string, found 5' },
    { path: ['resync'], message: 'expected a positive duration like 500ms, 10s, 2m or 1h (a bare number is seconds), found "soon"' },
    { path: ['heal', 'default'], message: 'expected desired, always or never, found "sometimes"' },
    { path: ['heal', 'crash_loops'], message: 'unknown key "crash_loops" (did you mean "crash_loop"?)', at: 'key' },
    { path: ['recovery', 'concurrency'], message: 'expected a number >= 1, found 0' },
    { path: ['services', 'a', 'on_unhealthy'], message: 'expected alert or restart, found "reboot"' },
    { path: ['services', 'a', 'checks', 0, 'http', 'url'], message: 'missing required key "url" (expected a string)' },
    { path: ['services', 'a', 'checks', 1], message: 'expected exactly one of http, tcp or docker in a check, found none' },
    { path: ['services', 'a', 'checks', 2], message: 'expected exactly one of http, tcp or docker in a check, found tcp and docker' },
    { path: ['alerts', 'channels', 0, 'type'], message: 'expected type to be one of webhook, slack, ntfy, email, alertmanager, found "pager"' },
    { path: ['alerts', 'channels', 1, 'url'], message: 'expected an http:// or https:// URL, found "ftp://x"' },
    { path: ['alerts', 'channels', 2, 'to'], message: 'expected a list with >= 1 entries, found an empty list' },
    { path: ['preflight', 'block'], message: 'expected true or false, found "yes"' },
    {
      path: ['bogus'],
      message:
        'unknown key "bogus"; known keys here: state_dir, listen, log_format, resync, heal, recovery, services, alerts, heartbeat, preflight, http, metrics, timeline, clusters',
      at: 'key',
    },
  ]);
});

test('a channel without type, and services as a list', () => {
  assert.deepEqual(issues('alerts: { channels: [ { url: "https://x.example" } ] }\nservices: [web]'), [
    { path: ['services'], message: 'expected a mapping, found a list' },
    { path: ['alerts', 'channels', 0, 'type'], message: 'missing required key "type" (expected webhook, slack, ntfy, email or alertmanager)' },
  ]);
});

test('secret values are never quoted in messages', () => {
  const list = issues('alerts:\n  channels:\n    - { type: ntfy, url: "https://x.example", token: 123456 }');
  assert.deepEqual(list, [{ path: ['alerts', 'channels', 0, 'token'], message: 'expected a string, found a number (hidden)' }]);
  const r = parseConfigObject({ alerts: { channels: [{ type: 'slack', url: 'nope-secret' }] } }, { sensitivePaths: [['alerts', 'channels', 0, 'url']] });
  assert.ok(!r.ok);
  assert.doesNotMatch(JSON.stringify(r.issues), /nope-secret/);
});

test('suggestKey suggests close keys only', () => {
  assert.equal(suggestKey('intervall', ['interval', 'timeout']), 'interval');
  assert.equal(suggestKey('ready-timeout', ['grace', 'ready_timeout']), 'ready_timeout');
  assert.equal(suggestKey('zzz', ['interval', 'timeout']), null);
});

test('timeline.retention: days, 1d..3650d (longer than a timer may wait: the agent prunes daily), default 90 days', () => {
  assert.equal(defaultConfig().timeline.retentionMs, 90 * 86_400_000);
  assert.equal(ok('timeline: { retention: 3650d }').timeline.retentionMs, 3650 * 86_400_000);
  assert.equal(ok('timeline: { retention: 36h }').timeline.retentionMs, 36 * 3_600_000);
  assert.equal(ok('timeline:').timeline.retentionMs, 90 * 86_400_000);
  assert.deepEqual(issues('timeline: { retention: 12h }'), [{ path: ['timeline', 'retention'], message: 'expected a duration from 1d to 3650d, found "12h"' }]);
  assert.deepEqual(issues('timeline: { retention: 3651d }'), [
    { path: ['timeline', 'retention'], message: 'expected a duration from 1d to 3650d, found "3651d"' },
  ]);
});

test('http.token: optional, at least 16 characters, never quoted', () => {
  assert.equal(defaultConfig().http.token, null);
  assert.equal(ok('http: { token: 0123456789abcdef }').http.token, '0123456789abcdef');
  assert.deepEqual(issues('http: { token: short-secret }'), [
    { path: ['http', 'token'], message: 'expected a string of length >= 16, found a string (hidden)' },
  ]);
});

test('a listener other hosts can reach is a warning at listen; loopback is not', async () => {
  const { configWarnings, isLoopback } = await import('../../../src/core/config/schema.js');
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1']) assert.ok(isLoopback(h), h);
  for (const h of ['0.0.0.0', '::', '192.168.1.10', 'example.org', '']) assert.ok(!isLoopback(h), h);
  assert.deepEqual(configWarnings(defaultConfig()), []);
  const open = configWarnings(ok('listen: 0.0.0.0:9465'));
  assert.equal(open.length, 1);
  assert.deepEqual(open[0]?.path, ['listen']);
  assert.match(open[0]?.message ?? '', /not a loopback address.*set http\.token/);
  const withToken = configWarnings(ok('listen: "[::]:9465"\nhttp: { token: 0123456789abcdef }'));
  assert.match(withToken[0]?.message ?? '', /Authorization: Bearer <http\.token>/);
});

test('a URL secret is not quoted in an error message either', () => {
  const list = issues('alerts:\n  channels:\n    - { type: webhook, url: "ftp://h.example/?token=leak-9f8e" }');
  assert.deepEqual(list, [{ path: ['alerts', 'channels', 0, 'url'], message: 'expected an http:// or https:// URL, found "ftp://h.example/?token=***"' }]);
});

test('an alertmanager channel and the metrics listener for a fleet Prometheus', () => {
  const r = parseConfigObject({
    listen: '127.0.0.1:9465',
    metrics: { listen: '0.0.0.0:9466', web_config: '/etc/upkeep/metrics-web.yml' },
    alerts: {
      channels: [
        { type: 'alertmanager', url: 'http://am:9093', user: 'upkeep', password: 'pw', silence: true, labels: { env: 'prod' } },
        { type: 'alertmanager', url: 'http://am2:9093', token: 'tok', resend: '30s', external_url: 'http://wisepulse:9465/' },
      ],
    },
  });
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.config.metrics, { listen: { host: '0.0.0.0', port: 9466 }, webConfig: '/etc/upkeep/metrics-web.yml' });
  assert.deepEqual(r.config.alerts.channels, [
    {
      type: 'alertmanager',
      name: 'alertmanager',
      url: 'http://am:9093',
      auth: { user: 'upkeep', password: 'pw' },
      resendMs: 60_000,
      silence: true,
      externalUrl: null,
      labels: { env: 'prod' },
    },
    {
      type: 'alertmanager',
      name: 'alertmanager-2',
      url: 'http://am2:9093',
      auth: { bearer: 'tok' },
      resendMs: 30_000,
      silence: false,
      externalUrl: 'http://wisepulse:9465/',
      labels: {},
    },
  ]);
  const bad = parseConfigObject({ alerts: { channels: [{ type: 'alertmanager', url: 'http://am:9093', resend: '2h', labels: { 'bad-name': 'x' } }] } });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.issues.map((i) => i.path.join('.')).sort(), ['alerts.channels.0.labels.bad-name', 'alerts.channels.0.resend']);
});
