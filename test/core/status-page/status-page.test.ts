/** The status page's pure parts: the overview's groups and order, the uptime bars, the latency line. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { latencyPolyline } from '../../../src/core/status-page/check-history.js';
import { overviewCounts, overviewGroups } from '../../../src/core/status-page/overview.js';
import { uptimeBars } from '../../../src/core/status-page/uptime.js';
import { buildStatusReport } from '../../../src/core/status-report.js';
import { container, daemon } from '../../helpers/facts.js';

const always = { name: 'always', maximumRetryCount: 0 } as const;
const compose = (project: string, service: string) => ({
  project,
  service,
  containerNumber: 1,
  workingDir: '/opt',
  configFiles: [],
  dependsOn: [],
  oneOff: false,
});

describe('overviewGroups', () => {
  it('groups by compose project, k3d cluster and standalone; the worst group and service first; no environment', () => {
    const report = buildStatusReport(daemon(), [
      container({ id: '1', name: 'shop-web', restartPolicy: always, compose: compose('shop', 'web') }),
      container({ id: '2', name: 'shop-db', state: 'exited', exitCode: 137, restartPolicy: always, compose: compose('shop', 'db') }),
      container({ id: '3', name: 'blog-web', compose: compose('blog', 'web') }),
      container({ id: '4', name: 'cache', restartPolicy: always, health: { status: 'unhealthy', failingStreak: 3 } }),
      container({ id: '5', name: 'k3d-dev-server-0', restartPolicy: always, labels: { app: 'k3d', 'k3d.cluster': 'dev', 'k3d.role': 'server' } }),
      container({ id: '6', name: 'old-job', state: 'exited', exitCode: 0 }),
    ]);
    const groups = overviewGroups(report, [{ name: 'shop-db', verdict: 'heal', detail: 'starting it', desired: true }]);
    assert.deepEqual(
      groups.map((g) => [g.kind, g.name, g.severity, `${g.running}/${g.total}`]),
      [
        ['compose', 'shop', 'down', '1/2'],
        ['standalone', 'standalone', 'unhealthy', '1/2'],
        ['compose', 'blog', 'at-risk', '1/1'],
        ['k3d', 'dev', 'ok', '1/1'],
      ],
    );
    assert.deepEqual(
      groups[0]!.services.map((s) => [s.name, s.severity, s.state, s.verdict]),
      [
        ['shop-db', 'down', 'exited (137)', 'heal'],
        ['shop-web', 'ok', 'running', null],
      ],
    );
    assert.deepEqual(
      groups[1]!.services.map((s) => [s.name, s.severity]),
      [
        ['cache', 'unhealthy'],
        ['old-job', 'stopped'],
      ],
    );
    assert.equal(groups[3]!.services[0]!.role, 'server');
    assert.match(groups[2]!.services[0]!.riskReason ?? '', /no/);
    assert.equal(groups[0]!.services[1]!.riskReason, null);
    assert.deepEqual(overviewCounts(groups), { total: 6, running: 4, down: 1, unhealthy: 1, atRisk: 1 });
    assert.ok(!JSON.stringify(groups).includes('Env'), 'no environment in the data');
  });
});

describe('uptimeBars', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  const at = (hoursAgo: number) => new Date(now - hoursAgo * 3_600_000).toISOString();

  it('down from a death to the heal: the hour buckets and the totals; before the first entry, no data', () => {
    const bars = uptimeBars(
      [
        { at: at(3), kind: 'container-died' },
        { at: at(2.5), kind: 'healed' },
        { at: at(1), kind: 'unhealthy' },
      ],
      { up: true, since: null },
      now,
    );
    const day = bars.find((b) => b.label === '24h')!;
    assert.equal(day.buckets.length, 24);
    assert.deepEqual(
      day.buckets.slice(-4).map((b) => [b.up, b.data]),
      [
        [null, 0],
        [0.5, 1],
        [1, 1],
        [1, 1],
      ],
    );
    assert.deepEqual([day.uptime, day.data], [Math.round((2.5 / 3) * 10_000) / 10_000, 0.125]);
    assert.equal(bars.find((b) => b.label === '90d')!.buckets.length, 90);
  });

  it('no entry: no data, unless the engine says since when it runs; a span without an entry counts neither up nor down', () => {
    const none = uptimeBars([], { up: true, since: null }, now);
    assert.deepEqual(
      none.map((b) => [b.uptime, b.data]),
      [
        [null, 0],
        [null, 0],
        [null, 0],
      ],
    );
    assert.ok(none[2]!.buckets.every((b) => b.up === null));
    const started = uptimeBars([], { up: true, since: now - 12 * 3_600_000 }, now);
    assert.deepEqual([started[0]!.uptime, started[0]!.data], [1, 0.5]);
    assert.deepEqual([started[0]!.buckets[0]!.up, started[0]!.buckets[23]!.up], [null, 1]);
    const stopped = uptimeBars([], { up: false, since: now - 6 * 3_600_000 }, now);
    assert.deepEqual([stopped[0]!.uptime, stopped[0]!.data], [0, 0.25]);
  });

  it('after the last entry: its state until the engine says it changed; a change nobody saw leaves no data', () => {
    const back = uptimeBars([{ at: at(10), kind: 'container-died' }], { up: true, since: now - 2 * 3_600_000 }, now)[0]!;
    assert.deepEqual([back.uptime, back.data], [0.2, Math.round((10 / 24) * 10_000) / 10_000]);
    const missed = uptimeBars([{ at: at(12), kind: 'container-started' }], { up: false, since: null }, now)[0]!;
    assert.deepEqual([missed.uptime, missed.data], [null, 0]);
    const old = uptimeBars([{ at: at(24 * 100), kind: 'container-started' }], { up: true, since: null }, now);
    assert.deepEqual(
      old.map((b) => [b.uptime, b.data]),
      [
        [1, 1],
        [1, 1],
        [1, 1],
      ],
      'the entry before the longest span says how it entered it',
    );
  });
});

describe('latencyPolyline', () => {
  it('time on x, latency on y (0 at the bottom); nothing for one point', () => {
    assert.deepEqual(latencyPolyline([{ at: 0, ok: true, seconds: 0.1 }], 100, 10), { points: '', maxSeconds: 0 });
    const line = latencyPolyline(
      [
        { at: 0, ok: true, seconds: 0.2 },
        { at: 50, ok: false, seconds: 0.1 },
        { at: 100, ok: true, seconds: 0 },
      ],
      100,
      10,
    );
    assert.deepEqual(line, { points: '0.0,0.0 50.0,5.0 100.0,10.0', maxSeconds: 0.2 });
  });
});
