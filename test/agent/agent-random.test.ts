/**
 * Seeded random sequences over the agent's reconcile (the real Controller, pure step, alert
 * manager and outbox) against the fake engine, on a virtual clock: container deaths, operator
 * stops and starts, `upkeep want`, daemon graceful restarts and crashes, reboots, maintenance
 * windows and alert-channel outages (the engine semantics of docs/restart-semantics.md, in test/helpers/fake-docker.ts).
 *
 * Invariants: every desired container ends running once the engine is up and nothing blocks it
 * (given up, stopped by the operator); upkeep never starts what the operator stopped; every alert is
 * delivered exactly once, in order, and none whose event lies inside a maintenance window; the
 * timeline is ordered and has each death and operator stop.
 *
 * 2000 sequences by default (about 45 s); a failure prints its seed; `UPKEEP_SEED=n` runs that one
 * sequence, `UPKEEP_SEEDS=n` runs n.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentMetrics } from '../../src/adapters/metrics/agent-metrics.js';
import { AlertManager } from '../../src/agent/alerts.js';
import { Controller } from '../../src/agent/controller.js';
import { SILENT } from '../../src/agent/log.js';
import { Outbox } from '../../src/agent/outbox.js';
import type { RestartPolicy } from '../../src/core/model.js';
import { FakeChannel, testConfig } from '../helpers/fake-agent.js';
import { FakeDocker } from '../helpers/fake-docker.js';
import { MemoryStore } from '../helpers/memory-store.js';
import { prng, type Random } from '../helpers/prng.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

const POLICIES: RestartPolicy['name'][] = ['no', 'always', 'unless-stopped', 'on-failure'];
const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const iso = (t: number) => new Date(t).toISOString();

async function runSequence(seed: number): Promise<string[]> {
  const r = prng(seed);
  const trace: string[] = [];
  const clock = new VirtualClock();
  const docker = new FakeDocker(clock);
  const names = ['a', 'b', 'c', 'd'].slice(0, 2 + Math.floor(r() * 3));
  for (const n of names) docker.add({ name: n, policy: pick(r, POLICIES) });
  const store = new MemoryStore(() => clock.now());
  const channel = new FakeChannel();
  const config = testConfig((c) => {
    c.recovery = { ...c.recovery, graceMs: 500, runningForMs: 200, readyTimeoutMs: 5_000 };
  });
  // No default (process) metrics: their gc observer and event-loop monitor would outlive the sequence.
  const metrics = new AgentMetrics({ version: 't', channels: ['hook'], collectDefault: false });
  const alerts = new AlertManager({ store: store.asStore(), host: () => 'fake-host', channels: ['hook'], onQueued: () => undefined, log: SILENT, clock });
  let conn: { connectedSince: number | null; lostAt: number | null } = { connectedSince: null, lostAt: null };
  const controller = new Controller({
    config,
    engine: docker,
    store: store.asStore(),
    alerts,
    metrics,
    log: SILENT,
    clock,
    connection: () => conn,
    inMaintenance: () => alerts.inMaintenance(),
    flagsReader: docker.flagsReader(),
    readBoot: async () => ({ id: docker.bootId, bootTime: docker.bootTime }),
    timing: { engineWaitMs: 5_000 },
    random: prng(seed ^ 0x5eed),
  });
  const outbox = new Outbox({ store: store.asStore(), notifiers: new Map([['hook', channel]]), log: SILENT, clock, backoff: { initialMs: 100, maxMs: 2_000 } });
  const signal = new AbortController().signal;

  /** Names the operator stopped and nobody started or wanted since, with when. */
  const operatorStopped = new Map<string, number>();
  const deaths: Array<{ name: string; at: number }> = [];
  const stops: Array<{ name: string; at: number }> = [];
  let startsChecked = 0;
  let retryAt: number | null = null;

  const drive = async <T>(p: Promise<T>): Promise<T> => {
    let done = false;
    let failed: unknown = null;
    const q = p.then(
      (v) => ((done = true), v),
      (e) => ((done = true), (failed = e), undefined as T),
    );
    await clock.runUntil('drive', () => done, 3_600_000);
    if (failed !== null) throw failed;
    return q;
  };
  const checkStarts = () => {
    for (; startsChecked < docker.starts.length; startsChecked++) {
      const s = docker.starts[startsChecked]!;
      if (s.by === 'operator' || s.by === 'docker') operatorStopped.delete(s.name);
      else assert.ok(!operatorStopped.has(s.name), `upkeep started ${s.name}, which the operator stopped at +${operatorStopped.get(s.name)}`);
    }
  };
  const reconcile = async () => {
    if (docker.up && conn.connectedSince === null) {
      conn = { ...conn, connectedSince: clock.now() };
      controller.onConnection('connected');
    } else if (!docker.up && conn.connectedSince !== null) {
      conn = { connectedSince: null, lostAt: clock.now() };
      controller.onConnection('lost');
    }
    try {
      const again = await drive(controller.reconcile(['startup'], signal));
      retryAt = again === null ? null : clock.now() + again;
    } catch {
      retryAt = clock.now() + 250; // the engine went away mid-reconcile: retried
    }
    checkStarts();
    await drive(outbox.deliverDue());
    checkStarts();
  };
  const settle = async (ms: number) => {
    const end = clock.now() + ms;
    for (let i = 0; i < 400; i++) {
      await reconcile();
      const pending = store.outboxPending().nextAttemptAt;
      const targets = [end, retryAt, pending === null ? null : Date.parse(pending)].filter((t): t is number => t !== null && t > clock.now());
      const target = Math.min(...targets);
      const next = clock.nextAt();
      if (next !== null && next <= target) {
        clock.advance();
        continue;
      }
      if (clock.now() >= end) return;
      await clock.pass(target - clock.now());
    }
  };

  await settle(2_000);
  const steps = 6 + Math.floor(r() * 10);
  for (let i = 0; i < steps; i++) {
    const name = pick(r, names);
    const what = pick(r, ['die', 'die', 'die', 'stop', 'start', 'want', 'crash', 'restart', 'reboot', 'maint', 'unmaint', 'chan-down', 'chan-up', 'wait']);
    trace.push(`+${clock.now() - Date.parse('2026-11-28T10:00:00Z')} ${what} ${name}`);
    switch (what) {
      case 'die':
        if (docker.up && docker.isRunning(name)) {
          docker.die(name, pick(r, [0, 1, 137]));
          deaths.push({ name, at: clock.now() });
        }
        break;
      case 'stop':
        if (docker.up && docker.isRunning(name)) {
          docker.operatorStop(name);
          operatorStopped.set(name, clock.now());
          stops.push({ name, at: clock.now() });
        }
        break;
      case 'start':
        docker.operatorStart(name);
        break;
      case 'want':
        store.clearOperatorStop(name);
        operatorStopped.delete(name);
        break;
      case 'crash':
        docker.crashDaemon(500 + Math.floor(r() * 3_000));
        break;
      case 'restart':
        docker.restartDaemon(500 + Math.floor(r() * 3_000));
        break;
      case 'reboot':
        docker.reboot(5_000 + Math.floor(r() * 10_000));
        break;
      case 'maint':
        store.startMaintenance({ source: 'manual', endsAt: iso(clock.now() + 30_000 + Math.floor(r() * 60_000)) });
        break;
      case 'unmaint':
        store.stopMaintenance();
        break;
      case 'chan-down':
        channel.down = true;
        break;
      case 'chan-up':
        channel.down = false;
        break;
    }
    await settle(Math.floor(r() * 20_000));
  }
  // The end: the engine up, no window, the channel back; let everything settle.
  channel.down = false;
  store.stopMaintenance();
  await settle(60_000);
  assert.ok(docker.up, 'the engine is up');

  // Every desired container runs, unless something blocks it.
  const snapshot = store.snapshots[store.snapshots.length - 1];
  assert.ok(snapshot, 'a snapshot');
  const blocked = new Set(controller.status.containers.filter((c) => c.verdict === 'gave-up' || c.verdict === 'operator-stopped').map((c) => c.name));
  for (const c of snapshot.containers) {
    if (store.stops.has(c.name) || blocked.has(c.name)) continue;
    assert.ok(docker.isRunning(c.name), `${c.name} (desired) runs at the end; status: ${JSON.stringify(controller.status.containers)}`);
  }
  for (const name of operatorStopped.keys())
    assert.ok(!docker.isRunning(name) || docker.starts.some((s) => s.name === name && s.by !== 'api'), `${name} stays stopped`);

  // Alerts: each delivered once, in queue order, none from inside a maintenance window.
  const ids = channel.sent.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, `no duplicate delivery: ${ids.join(', ')}`);
  const order = store.rows.filter((row) => row.deliveredAt !== null).map((row) => row.messageId);
  assert.deepEqual(ids, order, 'delivered in the order queued');
  assert.equal(store.outboxPending().count, 0, 'nothing left undelivered');
  for (const row of store.rows)
    if (row.givenUpAt !== null) assert.match(row.lastError ?? '', /^held:/, `only held messages are not delivered: ${row.lastError}`);
  for (const m of channel.sent) {
    const t = m.at;
    const inside = store.windows.some((w) => w.startedAt < t && w.endsAt > t && (w.endedAt === null || w.endedAt > t));
    assert.ok(!inside, `${m.id} (${m.at}) was delivered although its event is inside a maintenance window`);
  }

  // Timeline: ordered, with each death and operator stop.
  const tl = store.timeline();
  if (process.env.UPKEEP_TRACE) console.error(trace.join('\n'), '\n', tl.map((e) => `${e.at} ${e.kind} ${e.subject} ${e.detail.message}`).join('\n'));
  for (let i = 1; i < tl.length; i++) assert.ok(tl[i - 1]!.at <= tl[i]!.at, 'ordered');
  for (const d of deaths)
    assert.ok(
      tl.some((e) => e.kind === 'container-died' && e.subject === d.name && e.at === iso(d.at)),
      `the death of ${d.name} at ${iso(d.at)} is in the timeline`,
    );
  for (const s of stops)
    assert.ok(
      tl.some((e) => e.kind === 'operator-stop' && e.subject === s.name),
      `the operator stop of ${s.name} is in the timeline`,
    );
  return trace;
}

test('random sequences: deaths, operator intent, daemon restarts and crashes, boots, maintenance, channel outages', async () => {
  const one = process.env.UPKEEP_SEED;
  const seeds = one !== undefined ? [Number(one)] : Array.from({ length: Number(process.env.UPKEEP_SEEDS ?? 2000) }, (_, i) => 1000 + i);
  for (const seed of seeds) {
    try {
      await runSequence(seed);
    } catch (err) {
      throw new Error(`seed ${seed} failed (rerun: UPKEEP_SEED=${seed} node --import tsx --test test/agent/agent-random.test.ts): ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
});
