import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide, ENGINE_SHUTDOWN_WAIT_MS, FRESH, type ContainerMemory, type DecideOptions } from '../../../src/core/agent/decide.js';
import type { ContainerFacts } from '../../../src/core/model.js';
import { actualOf, desiredOf } from '../recovery/fixtures.js';

const T0 = Date.parse('2026-11-28T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function opts(over: Partial<DecideOptions> = {}): DecideOptions {
  return {
    now: T0,
    connectedSince: T0 - 60_000,
    healModeOf: () => 'desired',
    crashLoopRestarts: 3,
    crashLoopWindowMs: 120_000,
    dockerGraceMs: 3_000,
    backoffInitialMs: 1_000,
    backoffMaxMs: 60_000,
    stopEventsSeen: new Set(),
    ...over,
  };
}

const web = desiredOf({ name: 'web', restart: 'no' });
const api = desiredOf({ name: 'api', restart: 'always' });

function down(over: Partial<ContainerFacts> = {}, d = web): ContainerFacts {
  return { ...actualOf(d, 'exited'), finishedAt: iso(T0 - 1_000), ...over };
}

function one(actual: ContainerFacts | null, memory: ContainerMemory = FRESH, o: Partial<DecideOptions> = {}, d = web) {
  const [r] = decide([d], actual ? [actual] : [], new Map([[d.name, memory]]), opts(o));
  assert.ok(r);
  return r;
}

describe('decide: intent', () => {
  it('heals a container that died while the daemon ran (not flagged manually stopped)', () => {
    const r = one(down({ manuallyStopped: false }));
    assert.equal(r.verdict.kind, 'heal');
    assert.equal(r.event?.kind, 'died');
    assert.deepEqual(r.memory.deaths, [T0 - 1_000]);
    assert.equal(r.memory.downSince, T0);
  });

  it("treats a flagged stop that finished while upkeep watched as the operator's: not healed, recorded once", () => {
    const r = one(down({ manuallyStopped: true }));
    assert.equal(r.verdict.kind, 'operator-stopped');
    assert.equal(r.event?.kind, 'operator-stop');
    assert.equal(r.memory.operatorStoppedAt, T0 - 1_000);
    assert.deepEqual(r.memory.deaths, [], 'an operator stop is not a death');
    const again = one(down({ manuallyStopped: true }), r.memory, { now: T0 + 5_000 });
    assert.equal(again.verdict.kind, 'operator-stopped');
    assert.equal(again.event, null);
  });

  it('keeps desired a container the next daemon killed at its start after a crash (flagged, but finished before the stream connected)', () => {
    const r = one(down({ manuallyStopped: true, finishedAt: iso(T0 - 30_000) }), FRESH, { connectedSince: T0 - 10_000 });
    assert.equal(r.verdict.kind, 'heal');
  });

  it('uses a stop event seen while connected when the flags cannot be read', () => {
    assert.equal(one(down({ manuallyStopped: null })).verdict.kind, 'heal');
    assert.equal(one(down({ manuallyStopped: null }), FRESH, { stopEventsSeen: new Set(['web']) }).verdict.kind, 'operator-stopped');
  });

  it('heals an operator stop anyway with heal: always, and never heals with heal: never', () => {
    assert.equal(one(down({ manuallyStopped: true }), FRESH, { healModeOf: () => 'always' }).verdict.kind, 'heal');
    assert.equal(one(down(), FRESH, { healModeOf: () => 'never' }).verdict.kind, 'not-healed');
  });

  it('makes an operator-stopped container desired again once it runs', () => {
    const stopped = { ...FRESH, operatorStoppedAt: T0 - 5_000, downSince: T0 - 4_000 };
    const r = one(actualOf(web, 'running'), stopped);
    assert.equal(r.verdict.kind, 'running');
    assert.equal(r.event?.kind, 'operator-start');
    assert.equal(r.memory.operatorStoppedAt, null);
  });

  it('heals a removed container (not flagged: nobody can say it was the operator)', () => {
    const r = one(null);
    assert.equal(r.verdict.kind, 'heal');
    assert.match(r.verdict.kind === 'heal' ? r.verdict.reason : '', /removed/);
  });
});

describe("decide: the daemon's own shutdown", () => {
  // A graceful daemon shutdown sends every container its stop signal (a `kill` event) but does not
  // flag a manual stop; `docker stop`/`docker kill` flag it. Starting it now would race the shutdown.
  const shutdown = { stopEventsSeen: new Set(['web', 'api']) };

  it('waits for the engine to go instead of starting a container the shutdown stopped, and counts no death', () => {
    const r = one(down({ manuallyStopped: false }), FRESH, shutdown);
    assert.equal(r.verdict.kind, 'engine-stopping');
    assert.equal(r.verdict.kind === 'engine-stopping' ? r.verdict.retryInMs : 0, ENGINE_SHUTDOWN_WAIT_MS);
    assert.match(r.event?.message ?? '', /stopped by the Docker daemon's own shutdown \(exited 137/);
    assert.deepEqual(r.memory.deaths, []);
  });

  it('waits for a restart: always container too, instead of leaving it to a policy Docker will not act on while stopping', () => {
    assert.equal(one(down({ manuallyStopped: false }, api), FRESH, shutdown, api).verdict.kind, 'engine-stopping');
  });

  it('heals it after all when the engine stays up past the wait', () => {
    const first = one(down({ manuallyStopped: false }), FRESH, shutdown);
    const later = one(down({ manuallyStopped: false }), first.memory, { ...shutdown, now: T0 + ENGINE_SHUTDOWN_WAIT_MS });
    assert.equal(later.verdict.kind, 'heal');
  });

  it('is not a shutdown without the kill event, with the flag set, with unreadable flags, or for a stop before the stream connected', () => {
    assert.equal(one(down({ manuallyStopped: false })).verdict.kind, 'heal', 'died by itself');
    assert.equal(one(down({ manuallyStopped: true }), FRESH, shutdown).verdict.kind, 'operator-stopped');
    assert.equal(one(down({ manuallyStopped: null }), FRESH, shutdown).verdict.kind, 'operator-stopped', 'the event stands in for the flag');
    assert.equal(one(down({ manuallyStopped: false, finishedAt: iso(T0 - 90_000) }), FRESH, shutdown).verdict.kind, 'heal');
  });
});

describe('decide: Docker first, then backoff, then a crash loop', () => {
  it('lets Docker restart an always container during the grace period, then heals it', () => {
    const a = down({ restartPolicy: { name: 'always', maximumRetryCount: 0 } }, api);
    const first = one(a, FRESH, {}, api);
    assert.equal(first.verdict.kind, 'docker-restarting');
    assert.equal(first.verdict.kind === 'docker-restarting' ? first.verdict.retryInMs : 0, 3_000);
    const later = one(a, first.memory, { now: T0 + 3_000 }, api);
    assert.equal(later.verdict.kind, 'heal');
  });

  it('waits while Docker reports the container restarting', () => {
    assert.equal(one({ ...actualOf(api, 'restarting') }, FRESH, {}, api).verdict.kind, 'docker-restarting');
  });

  it('backs off after a failed heal: 1 s, 2 s, ... capped', () => {
    const failed = { ...FRESH, downSince: T0 - 10_000, lastHealAt: T0 - 500, healFailures: 2 };
    const r = one(down(), failed);
    assert.equal(r.verdict.kind, 'backoff');
    assert.equal(r.verdict.kind === 'backoff' ? r.verdict.retryInMs : 0, 1_500);
    assert.equal(one(down(), failed, { now: T0 + 1_500 }).verdict.kind, 'heal');
  });

  it('gives up after N deaths within the window and says how it exits', () => {
    const mem = { ...FRESH, deaths: [T0 - 50_000, T0 - 20_000] };
    const r = one(down({ exitCode: 3, finishedAt: iso(T0 - 100) }), mem);
    assert.equal(r.verdict.kind, 'gave-up');
    assert.equal(r.event?.kind, 'gave-up');
    assert.match(r.event?.message ?? '', /web: exited 3, 3 times in 2 min/);
    assert.equal(r.memory.gaveUpAt, T0);
  });

  it('forgets deaths older than the window', () => {
    const mem = { ...FRESH, deaths: [T0 - 500_000, T0 - 400_000] };
    const r = one(down(), mem);
    assert.equal(r.verdict.kind, 'heal');
    assert.equal(r.memory.deaths.length, 1);
  });

  it('counts restarts Docker did by itself (RestartCount) and flags a crash loop of a running always container', () => {
    const running = (count: number) => ({ ...actualOf(api, 'running'), restartCount: count, startedAt: iso(T0 - 100) });
    let mem = one(running(0), FRESH, {}, api).memory;
    const r = one(running(3), mem, { now: T0 + 1_000 }, api);
    assert.equal(r.verdict.kind, 'running');
    assert.equal(r.memory.deaths.length, 3);
    assert.equal(r.event?.kind, 'gave-up');
    assert.match(r.event?.message ?? '', /Docker keeps restarting it/);
    mem = r.memory;
    // A whole quiet window later, healing resumes.
    const quiet = one({ ...running(3), startedAt: iso(T0 - 200_000) }, mem, { now: T0 + 400_000 }, api);
    assert.equal(quiet.memory.gaveUpAt, null);
    assert.equal(quiet.event?.kind, 'healing-resumed');
  });
});
