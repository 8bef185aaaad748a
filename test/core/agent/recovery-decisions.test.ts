/**
 * The decisions that keep a recovery at the floor (core/recovery/start-conditions.ts, used by the
 * executor the agent's recovery pass runs): who starts a stopped container (Docker soon, or upkeep
 * now), what a failed start waits for (a mount source, a port) and its fallback schedule; and the
 * executor applying them on a virtual clock: no blind grace, and a blocked start retried the moment
 * its blocker clears.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BLOCKED_RETRIES, decide, FRESH, healRetryDelay, type ContainerMemory, type DecideOptions } from '../../../src/core/agent/decide.js';
import { afterHeal, START_MEMORY } from '../../../src/core/agent/reconcile-step.js';
import type { ContainerFacts } from '../../../src/core/model.js';
import { doublingDelay } from '../../../src/core/recovery/backoff.js';
import { executeRecovery, type RecoverOptions } from '../../../src/core/recovery/executor.js';
import { blockedRetryDelay, startBlocker, whoStarts, type StartBlocker } from '../../../src/core/recovery/start-conditions.js';
import { container } from '../../helpers/facts.js';
import { FakeHost, T0 } from '../recovery/fake-engine.js';
import { desiredOf } from '../recovery/fixtures.js';

/** A stopped container (killed, unless-stopped) unless `over` says otherwise. */
function facts(over: Partial<ContainerFacts>): ContainerFacts {
  return container({
    state: 'exited',
    exitCode: 137,
    restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 },
    stopSignal: 'SIGTERM',
    startedAt: null,
    ...over,
  });
}

describe('whoStarts: Docker in a moment, or upkeep now', () => {
  it('Docker: restarting, always, unless-stopped not stopped by hand (or the flag unknown), on-failure after a failure', () => {
    assert.equal(whoStarts(facts({ state: 'restarting' })).by, 'docker');
    assert.equal(whoStarts(facts({ restartPolicy: { name: 'always', maximumRetryCount: 0 }, manuallyStopped: false })).by, 'docker');
    assert.equal(whoStarts(facts({})).by, 'docker');
    assert.match(whoStarts(facts({ manuallyStopped: null })).reason, /flag unknown/);
    assert.equal(whoStarts(facts({ restartPolicy: { name: 'on-failure', maximumRetryCount: 3 }, exitCode: 1, restartCount: 1 })).by, 'docker');
  });

  it('upkeep at once: policy no, unless-stopped killed after a daemon crash, on-failure exit 0 or out of retries, created, removed states', () => {
    const upkeep = (f: ContainerFacts) => assert.equal(whoStarts(f).by, 'upkeep', JSON.stringify(f));
    upkeep(facts({ restartPolicy: { name: 'no', maximumRetryCount: 0 } }));
    upkeep(facts({ manuallyStopped: true }));
    upkeep(facts({ restartPolicy: { name: 'on-failure', maximumRetryCount: 0 }, exitCode: 0 }));
    upkeep(facts({ restartPolicy: { name: 'on-failure', maximumRetryCount: 2 }, exitCode: 1, restartCount: 2 }));
    upkeep(facts({ state: 'created', exitCode: null }));
    upkeep(facts({ state: 'dead' }));
    assert.match(whoStarts(facts({ manuallyStopped: true })).reason, /manually stopped/);
  });

  it("upkeep at once when Docker's own last start of it failed (State.Error): Docker never retries that", () => {
    const w = whoStarts(
      facts({
        restartPolicy: { name: 'always', maximumRetryCount: 0 },
        exitCode: 128,
        startError: 'error evaluating symlinks from mount source "/srv/data": lstat /srv/data: no such file or directory',
      }),
    );
    assert.equal(w.by, 'upkeep');
    assert.match(w.reason, /never retries/);
  });
});

describe('startBlocker: what a failed start waits for', () => {
  it('a missing bind-mount source, in the forms Docker 20.10 to 28 and runc print', () => {
    const path = (e: string) => startBlocker(e);
    assert.deepEqual(path('invalid mount config for type "bind": bind source path does not exist: /srv/silo-data'), {
      kind: 'mount-source',
      path: '/srv/silo-data',
    });
    assert.deepEqual(path('error evaluating symlinks from mount source "/srv/a b": lstat /srv/a b: no such file or directory'), {
      kind: 'mount-source',
      path: '/srv/a b',
    });
    assert.deepEqual(path("error while creating mount source path '/srv/api': mkdir /srv/api: no such file or directory"), {
      kind: 'mount-source',
      path: '/srv/api',
    });
    assert.deepEqual(path('error mounting "/srv/db" to rootfs at "/data": stat /srv/db: no such file or directory'), { kind: 'mount-source', path: '/srv/db' });
  });

  it('a port taken, by another container (port is already allocated) or by a host process (address already in use)', () => {
    assert.deepEqual(startBlocker('driver failed programming external connectivity on endpoint web: Bind for 0.0.0.0:8080 failed: port is already allocated'), {
      kind: 'port',
      port: 8080,
    });
    assert.deepEqual(startBlocker('Error starting userland proxy: listen tcp4 127.0.0.1:5432: bind: address already in use'), { kind: 'port', port: 5432 });
    assert.deepEqual(startBlocker('Bind for [::]:443 failed: port is already allocated'), { kind: 'port', port: 443 });
  });

  it('anything else is no blocker: it follows the heal schedule', () => {
    assert.equal(startBlocker('OCI runtime create failed: exec: "httpd": executable file not found in $PATH'), null);
    assert.equal(startBlocker('error while creating mount source path: no such file or directory'), null, 'no path named: nothing to watch');
    assert.equal(startBlocker('permission denied'), null);
  });

  it('the fallback schedule while waiting on a blocker: 250 ms doubling, capped at 2 s', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 9].map(blockedRetryDelay), [250, 500, 1000, 2000, 2000, 2000]);
  });
});

/** A fake host whose containers' manually-stopped flags are known, and whose mount source appears at `appearsAt`. */
class Host extends FakeHost {
  manuallyStopped = new Map<string, boolean>();
  blockedUntil = new Map<string, number>();
  watched: StartBlocker[] = [];
  constructor(private readonly appearsAt: number) {
    super();
  }
  override facts(c: Parameters<FakeHost['facts']>[0]): ContainerFacts {
    return { ...super.facts(c), manuallyStopped: this.manuallyStopped.get(c.name) ?? false };
  }
  override start(id: string): Promise<void> {
    const c = [...this.containers.values()].find((x) => x.id === id);
    if (c !== undefined && this.clock.now < (this.blockedUntil.get(c.name) ?? 0)) {
      this.log.push({ at: this.clock.now, op: 'start-failed', name: c.name });
      return Promise.reject(new Error(`error evaluating symlinks from mount source "/srv/${c.name}": lstat /srv/${c.name}: no such file or directory`));
    }
    return super.start(id);
  }
  /** The watch: resolves when the path appears (virtual time), or after ms. */
  blockerCleared(blocker: StartBlocker, ms: number, signal?: AbortSignal): Promise<void> {
    this.watched.push(blocker);
    return this.clock.sleep(Math.max(0, Math.min(ms, this.appearsAt - this.clock.now)), signal).catch(() => undefined);
  }
}

const OPTS: RecoverOptions = { random: () => 0, pollMs: 100, runningForMs: 1000, readyTimeoutMs: 60_000 };

describe('the executor with these decisions (virtual clock)', () => {
  it('dockerGraceMs: what Docker never starts is started at once; what Docker starts is waited for, not started twice', async () => {
    const none = desiredOf({ name: 'redis', restart: 'no' });
    const crashed = desiredOf({ name: 'k3d', restart: 'unless-stopped' });
    const docker = desiredOf({ name: 'api', restart: 'always' });
    const host = new Host(0);
    for (const d of [none, crashed, docker]) {
      host.templates.set(d.name, d);
      host.add(d, 'exited');
    }
    host.manuallyStopped.set('k3d', true); // killed by the next daemon after a crash
    host.dockerStartsAt('api', T0 + 1500);
    const r = await host.clock.drive(executeRecovery([none, crashed, docker], host, { ...OPTS, dockerGraceMs: 10_000 }));
    const starts = host.log.filter((l) => l.op === 'start');
    assert.deepEqual(starts.map((l) => [l.name, l.at - T0]).sort(), [
      ['k3d', 0],
      ['redis', 0],
    ]);
    assert.deepEqual(host.runningNames(), ['api', 'k3d', 'redis']);
    assert.equal(host.byName('api')?.starts, 1, 'started by Docker only');
    assert.match(r.outcomes.find((o) => o.container === 'api')?.note ?? '', /Docker started it/);
    assert.ok(r.seconds < 2, `no 10 s grace: ${r.seconds} s`);
  });

  it('dockerGraceMs: a container Docker should start but does not is started by upkeep when the grace ends', async () => {
    const docker = desiredOf({ name: 'api', restart: 'always' });
    const host = new Host(0);
    host.templates.set('api', docker);
    host.add(docker, 'exited');
    await host.clock.drive(executeRecovery([docker], host, { ...OPTS, dockerGraceMs: 3_000 }));
    assert.deepEqual(
      host.log.filter((l) => l.op === 'start').map((l) => l.at - T0),
      [3_000],
    );
  });

  it('a start blocked on a missing mount source is retried the moment it appears, beyond the backoff attempts', async () => {
    const lapis = desiredOf({ name: 'lapis', restart: 'no', compose: { project: 'p', service: 'lapis', dependsOn: 'silo:service_healthy:false' } });
    const siloC = desiredOf({ name: 'silo', restart: 'no', healthcheck: ['CMD', 'true'], compose: { project: 'p', service: 'silo' } });
    const host = new Host(T0 + 7_300);
    for (const d of [siloC, lapis]) {
      host.templates.set(d.name, d);
      host.add(d, 'exited', d.name === 'silo' ? { healthyAfterMs: 1000 } : {});
    }
    host.blockedUntil.set('silo', T0 + 7_300);
    const r = await host.clock.drive(
      executeRecovery([siloC, lapis], host, {
        ...OPTS,
        blockedWaitMs: 60_000,
        backoff: { initialMs: 500, factor: 2, maxMs: 1000, jitter: 0, maxAttempts: 2 },
      }),
    );
    const siloStart = host.log.find((l) => l.op === 'start' && l.name === 'silo');
    assert.equal(siloStart?.at, T0 + 7_300, 'started when the path appeared, not on a backoff tick');
    assert.deepEqual(host.watched[0], { kind: 'mount-source', path: '/srv/silo' });
    assert.equal(r.outcomes.find((o) => o.container === 'silo')?.outcome, 'started');
    assert.equal(r.outcomes.find((o) => o.container === 'lapis')?.outcome, 'started');
    // Tries at 0, then on the fallback bound (0.25, 0.75, 1.75, 3.75, 5.75 s) and when it appears: no busy loop.
    assert.deepEqual(
      host.log.filter((l) => l.op === 'start-failed').map((l) => l.at - T0),
      [0, 250, 750, 1750, 3750, 5750],
    );
  });

  it('without a watch, the blocked start follows the short fallback schedule (never more than 2 s late)', async () => {
    const d = desiredOf({ name: 'silo', restart: 'no' });
    const host = new Host(T0 + 9_100);
    (host as { blockerCleared?: unknown }).blockerCleared = undefined;
    host.templates.set('silo', d);
    host.add(d, 'exited');
    host.blockedUntil.set('silo', T0 + 9_100);
    await host.clock.drive(executeRecovery([d], host, { ...OPTS, blockedWaitMs: 60_000 }));
    const at = host.log.find((l) => l.op === 'start')?.at ?? Infinity;
    assert.ok(at >= T0 + 9_100 && at <= T0 + 9_100 + 2_000, `started ${at - T0 - 9_100} ms after the path appeared`);
  });

  it('blockedWaitMs 0 (the CLI default): a blocked start follows the backoff and fails after its attempts, as before', async () => {
    const d = desiredOf({ name: 'silo', restart: 'no' });
    const host = new Host(T0 + 60_000);
    host.templates.set('silo', d);
    host.add(d, 'exited');
    host.blockedUntil.set('silo', T0 + 60_000);
    const r = await host.clock.drive(executeRecovery([d], host, { ...OPTS, backoff: { initialMs: 500, factor: 2, maxMs: 1000, jitter: 0, maxAttempts: 3 } }));
    const o = r.outcomes[0];
    assert.equal(o?.outcome, 'failed');
    assert.equal(o?.attempts, 3);
    assert.deepEqual(host.watched, []);
  });
});

describe('the heal path: a blocked heal (afterHeal, decide)', () => {
  const T = Date.parse('2026-11-28T10:00:00Z');
  const web = desiredOf({ name: 'web', restart: 'no' });
  const downWeb: ContainerFacts = {
    ...facts({ id: web.id, name: 'web', restartPolicy: { name: 'no', maximumRetryCount: 0 } }),
    finishedAt: new Date(T - 60_000).toISOString(),
  };
  const decideOpts: DecideOptions = {
    now: T,
    connectedSince: T - 120_000,
    healModeOf: () => 'desired',
    crashLoopRestarts: 5,
    crashLoopWindowMs: 120_000,
    dockerGraceMs: 3_000,
    backoffInitialMs: 1_000,
    backoffMaxMs: 60_000,
    stopEventsSeen: new Set(),
  };
  const mount = 'invalid mount config for type "bind": bind source path does not exist: /srv/web';

  it('afterHeal remembers what a failed heal was blocked on, and forgets it on success or another failure', () => {
    let m = afterHeal(START_MEMORY, 'web', false, T, mount);
    assert.deepEqual(m.containers.get('web')?.blockedBy, { kind: 'mount-source', path: '/srv/web' });
    m = afterHeal(m, 'web', false, T + 1, 'OCI runtime create failed: exec format error');
    assert.equal(m.containers.get('web')?.blockedBy, null);
    m = afterHeal(afterHeal(m, 'web', false, T + 2, mount), 'web', true, T + 3);
    assert.equal(m.containers.get('web')?.blockedBy, null);
    assert.equal(m.containers.get('web')?.healFailures, 0);
  });

  it('a blocked heal is retried on the short fallback (the controller also watches it), then on the heal schedule', () => {
    assert.deepEqual(
      [1, 2, 3, 4, BLOCKED_RETRIES, BLOCKED_RETRIES + 1].map((n) => healRetryDelay(n, { kind: 'mount-source', path: '/x' }, decideOpts)),
      [250, 500, 1000, 2000, 2000, doublingDelay(BLOCKED_RETRIES + 1, { initialMs: 1_000, maxMs: 60_000 })],
    );
    assert.deepEqual(
      [1, 2, 3, 7].map((n) => healRetryDelay(n, null, decideOpts)),
      [1_000, 2_000, 4_000, 60_000],
      'other failures: the heal schedule',
    );
  });

  it('decide: backoff says what it waits for, and the wait is the fallback, not the heal schedule', () => {
    let mem: ContainerMemory = { ...FRESH, downSince: T - 10_000 };
    for (let i = 0; i < 3; i++) mem = afterHeal({ ...START_MEMORY, containers: new Map([['web', mem]]) }, 'web', false, T, mount).containers.get('web')!;
    const [d] = decide([web], [downWeb], new Map([['web', mem]]), { ...decideOpts, now: T + 100 });
    assert.equal(d?.verdict.kind, 'backoff');
    assert.ok(d?.verdict.kind === 'backoff' && d.verdict.retryInMs === 900, JSON.stringify(d?.verdict));
    assert.match(d?.verdict.kind === 'backoff' ? d.verdict.reason : '', /waiting for its bind-mount source \/srv\/web to appear/);
    const [later] = decide([web], [downWeb], new Map([['web', mem]]), { ...decideOpts, now: T + 1_000 });
    assert.equal(later?.verdict.kind, 'heal');
  });
});
