/**
 * buildReport on the incident's timeline (a graceful daemon restart during apt: the "no" services
 * stay down until upkeep or the operator, unless-stopped and always come back) and on hostile or
 * thin input: unknown kinds, garbled details, an open window, a still-down service, a reboot, a
 * crash outside apt, no entries at all.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildReport, SEVERITY_THRESHOLDS, type ReportEntry, type ReportInput } from '../../../src/core/report/report.js';
import { HOST, WINDOW, incidentDesired, incidentInput } from '../../helpers/report-fixture.js';

const D = '2025-11-20T';
const e = (time: string, kind: string, subject: string | null, detail: unknown = {}): ReportEntry => ({ at: `${D}${time}.000Z`, kind, subject, detail });
const period = (entries: ReportEntry[], extra: Partial<ReportInput> = {}): ReportInput => ({
  now: Date.parse(`${D}23:00:00.000Z`),
  host: HOST,
  scope: { kind: 'period', since: `${D}00:00:00.000Z`, until: `${D}23:00:00.000Z` },
  entries,
  desired: incidentDesired(),
  preflight: null,
  ...extra,
});

describe('buildReport: the incident', () => {
  const r = buildReport(incidentInput());
  const outage = (name: string) => r.outages.find((o) => o.container === name);

  it('header: title, date, host, medium severity from the 15 min 39 s of the worker', () => {
    assert.match(r.title, /^Maintenance report: apt window 1 on wisepulse/);
    assert.equal(r.date, '2025-11-20');
    assert.equal(r.host, 'wisepulse');
    assert.equal(r.severity.level, 'medium');
    assert.equal(r.severity.longestSeconds, 939);
    assert.deepEqual(r.impact, { from: `${D}15:25:30.000Z`, until: `${D}15:41:10.000Z`, seconds: 940 });
    assert.equal(r.period.followedUntil, `${D}15:41:10.000Z`, 'followed past the window until the last service was back');
  });

  it('per service: down, back, by whom', () => {
    assert.deepEqual(
      r.outages.map((o) => [o.container, o.by, o.backAt?.slice(11, 19) ?? null, o.inferred]),
      [
        ['grafana', 'docker', '15:25:58', true],
        ['k3d-loculus-server-0', 'docker', '15:25:58', true],
        ['k3d-loculus-serverlb', 'docker', '15:25:58', true],
        ['srsilo-lapisOpen-1', 'docker', '15:25:58', true],
        ['srsilo-silo-1', 'docker', '15:25:58', true],
        ['v-pipe-scout-redis-1', 'upkeep', '15:26:03', false],
        ['v-pipe-scout-streamlit-1', 'upkeep', '15:26:03', false],
        ['v-pipe-scout-worker-1', 'operator', '15:41:10', false],
      ],
    );
    assert.equal(outage('v-pipe-scout-worker-1')?.downAt, `${D}15:25:31.000Z`, 'the died entry gives the real time');
    assert.equal(outage('v-pipe-scout-worker-1')?.exitCode, 137);
    assert.ok(!r.outages.some((o) => o.container === 'grafana' && o.cause === 'exited'), 'the 17:00 grafana death is after the report');
  });

  it('root cause from the packages and the restart semantics', () => {
    assert.match(r.rootCause[0]!, /^The Docker daemon was restarted at 15:25:30 during the apt run: docker-ce .* whose postinst restarts docker\.service\.$/);
    assert.match(r.rootCause[1]!, /^containerd\.io 1\.7\.27-1 -> 2\.1\.5-1: its postinst restarts containerd\.service, which running containers survive/);
    assert.ok(
      r.rootCause.includes(
        'v-pipe-scout-redis-1, v-pipe-scout-streamlit-1: restart policy "no": Docker never starts it again: it stayed down until upkeep brought it back.',
      ),
    );
    assert.ok(
      r.rootCause.some((l) => /srsilo-silo-1: unless-stopped: it was not stopped by hand, so the daemon starts it: Docker started it again\.$/.test(l)),
    );
  });

  it('what upkeep did, what needs a human, the prediction', () => {
    assert.ok(r.upkeepDid.some((l) => /recovery pass: started v-pipe-scout-redis-1, v-pipe-scout-streamlit-1; could not start v-pipe-scout-worker-1/.test(l)));
    assert.equal(r.needsHuman.length, 1);
    assert.match(
      r.needsHuman[0]!,
      /v-pipe-scout-redis-1, v-pipe-scout-streamlit-1, v-pipe-scout-worker-1: Docker will not start them after the next daemon restart/,
    );
    assert.equal(r.prediction?.rows.length, 8);
    assert.ok(r.prediction!.rows.every((p) => p.verdict === 'correct'));
    assert.deepEqual(
      r.packages.notable.map((p) => p.name),
      ['containerd.io', 'docker-ce', 'docker-ce-cli', 'openssh-server', 'linux-image-generic'],
    );
    assert.equal(r.packages.count, 44);
  });

  it('a wrong prediction is called wrong', () => {
    const input = incidentInput();
    input.preflight = { ...input.preflight!, detail: { verdict: 'all-come-back', packages: 44, notBack: [], dockerRestarts: true } };
    const p = buildReport(input).prediction!;
    assert.equal(p.rows.find((x) => x.container === 'v-pipe-scout-redis-1')?.verdict, 'wrong');
    assert.equal(p.rows.find((x) => x.container === 'srsilo-silo-1')?.verdict, 'correct');
  });
});

describe('buildReport: the root cause of a daemon restart during apt by a package it does not know', () => {
  const withPreflight = (dockerRestarts: boolean) => {
    const input = incidentInput();
    const upgrades = [{ name: 'acme-engine', from: '1.0-1', to: '2.0-1' }];
    input.preflight = { ...input.preflight!, detail: { verdict: 'at-risk', packages: 1, upgrades, notBack: [], dockerRestarts } };
    return buildReport(input).rootCause[0] ?? '';
  };

  it('the preflight found the restart: the report says it was predicted, not that nothing is known to restart docker', () => {
    assert.match(withPreflight(true), /^The Docker daemon was restarted at 15:25:30 during the apt run, as the preflight at 15:22:40 predicted/);
  });

  it('the preflight did not find one: no package is known to restart it', () => {
    assert.match(withPreflight(false), /no package of this run is known to restart docker\.service/);
  });
});

describe('buildReport: what still needs a human', () => {
  it('the exact fix command for the policies: per compose project its files, for a standalone container docker update', () => {
    const input = incidentInput();
    // The worker as a standalone container (no compose labels).
    input.desired = {
      ...input.desired!,
      containers: input.desired!.containers.map((c) => (c.name === 'v-pipe-scout-worker-1' ? { ...c, compose: null } : c)),
    };
    const line = buildReport(input).needsHuman.find((l) => l.includes('restart: always')) ?? '';
    assert.match(line, /`upkeep audit --fix --apply-live \/opt\/v-pipe-scout\/docker-compose\.yml`; `docker update --restart always v-pipe-scout-worker-1`\.$/);
  });
});

describe('buildReport: edges', () => {
  it('no entries: a "nothing recorded" report, severity none', () => {
    const r = buildReport(period([]));
    assert.match(r.summary, /^Nothing recorded/);
    assert.equal(r.severity.level, 'none');
    assert.deepEqual(r.timeline, []);
    assert.deepEqual(r.outages, []);
    assert.equal(r.prediction, null);
  });

  it('unknown kinds are skipped and named; garbled details read as unknown; bad times skipped; nothing throws', () => {
    const r = buildReport(
      period(
        [
          e('10:00:00', 'from-the-future', 'x', { anything: 1 }),
          e('10:00:01', 'container-died', 'grafana', 'not an object'),
          e('10:00:02', 'container-died', null, {}),
          e('10:00:03', 'apt-started', 'h', { packages: [null, 7, { name: 42 }, { name: 'docker-ce', from: ['x'] }] }),
          e('10:00:04', 'recovery', 'h', { outcomes: 'garbage' }),
          e('10:00:05', 'container-started', 'grafana', { by: { evil: true }, startedAt: 'not a time' }),
          e('10:00:06', 'engine-version-changed', 'h', null),
          { at: 'yesterday', kind: 'boot', subject: 'h', detail: {} },
          e('10:00:07', 'heal-failed', 'srsilo-silo-1', [1, 2]),
        ],
        { preflight: e('09:00:00', 'preflight', 'h', { notBack: 'everything' }) },
      ),
    );
    assert.ok(r.notes.some((n) => /kinds this version does not know skipped: from-the-future/.test(n)));
    assert.ok(r.notes.some((n) => /1 entry with an unreadable time skipped/.test(n)));
    assert.ok(r.notes.some((n) => /1 container entry without a container name skipped/.test(n)));
    const g = r.outages.find((o) => o.container === 'grafana')!;
    assert.equal(g.by, 'unknown');
    assert.equal(g.exitCode, null);
    assert.deepEqual(r.packages.notable, [{ name: 'docker-ce', from: null, to: null }]);
    assert.ok(r.timeline.some((row) => row.event === 'Docker engine unknown -> unknown'));
    assert.ok(r.timeline.some((row) => row.event === 'grafana back: back (by whom is not recorded)'));
    assert.equal(r.prediction?.verdict, 'unknown');
  });

  it('an open window: open, followed to now, still-down services make it at least high, the window is a human task', () => {
    const now = Date.parse(`${D}15:30:00.000Z`);
    const r = buildReport({
      now,
      host: HOST,
      scope: { kind: 'maintenance', window: { ...WINDOW, endedAt: null } },
      entries: [e('15:23:00', 'apt-started', 'h'), e('15:28:00', 'container-died', 'v-pipe-scout-redis-1', { exitCode: 1 })],
      desired: incidentDesired(),
      preflight: null,
    });
    assert.equal(r.period.open, true);
    assert.equal(r.period.until, `${D}15:30:00.000Z`);
    const o = r.outages[0]!;
    assert.deepEqual([o.container, o.backAt, o.by, o.seconds, o.cause], ['v-pipe-scout-redis-1', null, null, 120, 'exited']);
    assert.equal(r.severity.level, 'high');
    assert.equal(r.severity.stillDown, 1);
    assert.ok(r.needsHuman.some((l) => /^v-pipe-scout-redis-1 is still down \(since 15:28:00\)/.test(l)));
    assert.ok(r.needsHuman.some((l) => /maintenance window is still open/.test(l)));
  });

  it('a daemon crash at night outside apt: unless-stopped stays down (crash cleanup counts as a manual stop)', () => {
    const r = buildReport(
      period([
        e('03:00:00', 'engine-down', 'h'),
        e('03:00:20', 'engine-up', 'h'),
        e('03:00:30', 'recovery', 'h', { outcomes: [{ container: 'srsilo-silo-1', outcome: 'started' }] }),
      ]),
    );
    assert.match(r.title, /^Incident report: wisepulse, 2025-11-20 00:00 to 2025-11-20 23:00 UTC$/);
    const silo = r.outages.find((o) => o.container === 'srsilo-silo-1')!;
    assert.deepEqual([silo.by, silo.inferred], ['upkeep', false]);
    assert.ok(r.rootCause.some((l) => /outside an apt run: a crash/.test(l)));
    assert.ok(r.rootCause.some((l) => /srsilo-silo-1: unless-stopped: after a daemon crash the next daemon kills the orphaned container/.test(l)));
    // Nothing says the "no" services came back: still down, per the restart semantics.
    assert.equal(r.outages.find((o) => o.container === 'v-pipe-scout-redis-1')?.by, null);
    assert.equal(r.outages.find((o) => o.container === 'grafana')?.by, 'docker');
    assert.equal(r.severity.level, 'critical', 'still down for almost 20 h');
  });

  it('a reboot: boot time, reboot cause, Docker starts always/unless-stopped', () => {
    const r = buildReport(
      period([e('15:31:00', 'boot', 'h', { bootId: 'b', bootTime: `${D}15:27:17.000Z` }), e('15:40:00', 'operator-start', 'v-pipe-scout-redis-1')]),
    );
    assert.ok(r.timeline.some((row) => row.kind === 'boot' && /boot took 3 min 43 s/.test(row.event)));
    const redis = r.outages.find((o) => o.container === 'v-pipe-scout-redis-1')!;
    assert.deepEqual([redis.cause, redis.downAt, redis.by], ['reboot', `${D}15:27:17.000Z`, 'operator']);
    assert.ok(r.rootCause.some((l) => /^The host rebooted/.test(l)));
  });

  it('severity thresholds', () => {
    const at = (min: number) => {
      const r = buildReport(
        period([
          e('10:00:00', 'container-died', 'grafana'),
          { at: new Date(Date.parse(`${D}10:00:00.000Z`) + min * 60_000).toISOString(), kind: 'healed', subject: 'grafana', detail: {} },
        ]),
      );
      return r.severity.level;
    };
    assert.equal(SEVERITY_THRESHOLDS.medium, 300);
    assert.deepEqual([at(1), at(5), at(29), at(30), at(240)], ['low', 'medium', 'medium', 'high', 'critical']);
  });

  it('an operator stop is not an outage for the severity', () => {
    const r = buildReport(period([e('10:00:00', 'operator-stop', 'grafana'), e('12:00:00', 'operator-start', 'grafana')]));
    assert.equal(r.outages[0]?.cause, 'operator-stop');
    assert.equal(r.severity.level, 'none');
  });
});
