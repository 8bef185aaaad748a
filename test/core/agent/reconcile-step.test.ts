import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reconcileStep, START_MEMORY, type AgentMemory, type DesiredView, type World } from '../../../src/core/agent/reconcile-step.js';
import { defaultConfig } from '../../../src/core/config/types.js';
import type { ContainerFacts } from '../../../src/core/model.js';
import type { DesiredContainer } from '../../../src/core/recovery/desired-state.js';
import { actualOf, desiredOf } from '../recovery/fixtures.js';

const T0 = Date.parse('2026-11-28T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const host = { id: 'ENGINE', name: 'h' };
const config = defaultConfig();
config.heal = { ...config.heal, crashLoopRestarts: 3, crashLoopWindowMs: 60_000 };
const timing = { dockerGraceMs: 3_000, engineAlertForMs: 30_000 };
const web = desiredOf({ name: 'web', restart: 'no' });

function desired(containers: DesiredContainer[], stopped: DesiredView['operatorStopped'] = []): DesiredView {
  return { snapshotId: 1, host, containers, operatorStopped: stopped };
}

function world(containers: ContainerFacts[], over: Partial<World> = {}): World {
  return {
    engine: { up: true, connectedSince: T0 - 60_000, lostAt: null, host, containers },
    desired: desired([web]),
    maintenance: false,
    unhealthy: [],
    stopEventsSeen: new Set(),
    recoveryRequested: null,
    activeAlertKeys: [],
    ...over,
  };
}

const settled: AgentMemory = { ...START_MEMORY, recoveryDue: null, connectedSince: T0 - 60_000 };
const running = () => ({ ...actualOf(web, 'running'), startedAt: iso(T0 - 30_000) });
const stopped = (manual: boolean) => ({ ...actualOf(web, 'exited'), manuallyStopped: manual, finishedAt: iso(T0 - 1_000) });

describe('reconcileStep', () => {
  it('engine down: only the engine alert; back on a new stream: engine-up and a recovery pass first', () => {
    const down = reconcileStep({ ...world([]), engine: { up: false, lostAt: T0 - 5_000 } }, settled, config, timing, T0);
    assert.deepEqual(down.actions, []);
    assert.equal(down.alerts.find((a) => a.key === 'engine')?.active, true);
    assert.deepEqual(
      down.timeline.map((e) => e.kind),
      ['engine-down'],
    );
    const back = reconcileStep(
      { ...world([stopped(true)]), engine: { up: true, connectedSince: T0, lostAt: T0 - 5_000, host, containers: [stopped(true)] } },
      down.memory,
      config,
      timing,
      T0 + 1,
    );
    assert.deepEqual(
      back.timeline.map((e) => e.kind),
      ['engine-up'],
    );
    assert.deepEqual(
      back.actions.map((a) => a.type),
      ['recovery-pass'],
    );
    assert.equal(back.requeue, true);
    assert.equal(back.memory.recoveryDue, null);
  });

  it('an operator stop becomes an action for the intent store (not with heal: always)', () => {
    const r = reconcileStep(world([stopped(true)]), settled, config, timing, T0);
    assert.deepEqual(r.actions, [
      {
        type: 'record-operator-stop',
        name: 'web',
        at: iso(T0 - 1_000),
        reason: 'stopped through the Docker API while the daemon kept running and upkeep watched',
      },
    ]);
    assert.deepEqual(
      r.timeline.map((e) => e.kind),
      ['operator-stop'],
    );
    const always = { ...config, heal: { ...config.heal, default: 'always' as const } };
    assert.deepEqual(
      reconcileStep(world([stopped(true)]), settled, always, timing, T0).actions.map((a) => a.type),
      ['heal'],
    );
  });

  it('stopped in the intent store: not desired; running again clears it; `want` makes it healed without a death', () => {
    const stop = { name: 'web', at: iso(T0 - 1_000), reason: 'r' };
    const held = reconcileStep(world([stopped(true)], { desired: desired([], [stop]) }), settled, config, timing, T0);
    assert.deepEqual(held.actions, []);
    assert.deepEqual(
      held.status?.map((s) => [s.name, s.verdict, s.desired, s.since]),
      [['web', 'operator-stopped', false, stop.at]],
    );
    const started = reconcileStep(world([running()], { desired: desired([], [stop]) }), held.memory, config, timing, T0 + 1_000);
    assert.deepEqual(started.actions, [{ type: 'clear-operator-stop', name: 'web' }]);
    const wanted = reconcileStep(world([stopped(true)]), held.memory, config, timing, T0 + 2_000);
    assert.deepEqual(
      wanted.actions.map((a) => a.type),
      ['heal'],
    );
    assert.deepEqual(wanted.memory.containers.get('web')?.deaths, []);
  });

  it('on_unhealthy restarts and deaths share one crash-loop count; at the limit it gives up and fetches logs', () => {
    let mem = settled;
    const ask = (now: number) =>
      world([{ ...running(), startedAt: iso(now - 20_000) }], {
        unhealthy: [{ container: 'web', why: 'the http check failed 2 times in a row: 500', failingSince: now - 1_000 }],
      });
    // One death first (seen down), then healed.
    mem = reconcileStep(world([{ ...stopped(false), finishedAt: iso(T0 - 100) }]), mem, config, timing, T0).memory;
    const first = reconcileStep(ask(T0 + 30_000), mem, config, timing, T0 + 30_000);
    assert.deepEqual(
      first.actions.map((a) => a.type),
      ['restart'],
    );
    const second = reconcileStep(ask(T0 + 40_000), first.memory, config, timing, T0 + 40_000);
    assert.deepEqual(
      second.actions.map((a) => a.type),
      ['fetch-logs'],
    );
    assert.match(
      second.timeline.find((e) => e.kind === 'gave-up')?.message ?? '',
      /3 deaths or restarts for failed checks within 60 s; the http check failed 2 times/,
    );
    assert.equal(second.alerts.find((a) => a.key === 'crashloop:web')?.active, true);
  });

  it('no restart for a failing check during maintenance', () => {
    const r = reconcileStep(
      world([running()], { maintenance: true, unhealthy: [{ container: 'web', why: 'x', failingSince: T0 }] }),
      settled,
      config,
      timing,
      T0,
    );
    assert.deepEqual(r.actions, []);
  });

  it('closes the alerts of a container that left the desired state', () => {
    const r = reconcileStep(world([], { desired: desired([]), activeAlertKeys: ['down:old', 'engine'] }), settled, config, timing, T0);
    assert.deepEqual(
      r.alerts.filter((a) => a.key.startsWith('down:')).map((a) => [a.key, a.active]),
      [['down:old', false]],
    );
  });
});
