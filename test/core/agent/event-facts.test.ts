import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FRESH } from '../../../src/core/agent/decide.js';
import { deathFromEvent, diedFacts, earlyDeathStepUsable } from '../../../src/core/agent/event-facts.js';
import { reconcileStep, START_MEMORY, type AgentMemory, type World } from '../../../src/core/agent/reconcile-step.js';
import { defaultConfig } from '../../../src/core/config/types.js';
import type { EngineEvent } from '../../../src/core/engine-types.js';
import type { ContainerFacts } from '../../../src/core/model.js';
import { actualOf, desiredOf } from '../recovery/fixtures.js';

const T0 = Date.parse('2026-11-28T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const host = { id: 'ENGINE', name: 'h' };
const config = defaultConfig();
config.heal = { ...config.heal, crashLoopRestarts: 3, crashLoopWindowMs: 60_000 };
const timing = { dockerGraceMs: 3_000, engineAlertForMs: 30_000 };
const settled: AgentMemory = { ...START_MEMORY, recoveryDue: null, connectedSince: T0 - 60_000 };

function event(action: string, attrs: Record<string, string>, at = T0): EngineEvent {
  return {
    Type: 'container',
    Action: action,
    Actor: { ID: 'a'.repeat(64), Attributes: { name: 'web', ...attrs } },
    time: Math.floor(at / 1000),
    timeNano: at * 1e6,
  };
}

/** The step over the last read with `web` dead as its event says. */
function stepAfterDeath(restart: 'no' | 'always', memory: AgentMemory = settled, over: Partial<World> = {}) {
  const web = desiredOf({ name: 'web', restart });
  const running: ContainerFacts = { ...actualOf(web, 'running', { restart }), startedAt: iso(T0 - 30_000) };
  const death = deathFromEvent(event('die', { exitCode: '137' }, T0 - 5))!;
  const world: World = {
    engine: { up: true, connectedSince: T0 - 60_000, lostAt: null, host, containers: [diedFacts(running, death)] },
    desired: { snapshotId: 1, host, containers: [web], operatorStopped: [] },
    maintenance: false,
    unhealthy: [],
    stopEventsSeen: new Set(),
    recoveryRequested: null,
    activeAlertKeys: [],
    ...over,
  };
  return reconcileStep(world, memory, config, timing, T0);
}

describe('a death judged from its `die` event', () => {
  it('the event gives the exit code and the time; any other event, or one without a code, none', () => {
    assert.deepEqual(deathFromEvent(event('die', { exitCode: '137' }, T0 + 0.5)), { exitCode: 137, at: T0 });
    assert.equal(deathFromEvent(event('die', {})), null);
    assert.equal(deathFromEvent(event('die', { exitCode: 'x' })), null);
    assert.equal(deathFromEvent(event('kill', { exitCode: '137', signal: '9' })), null);
    const facts = diedFacts(actualOf(desiredOf({ name: 'web' }), 'running'), { exitCode: 3, at: T0 });
    assert.equal(facts.state, 'exited');
    assert.equal(facts.exitCode, 3);
    assert.equal(facts.finishedAt, iso(T0));
  });

  it('usable when all it does is record the death and alert that it is down (the heal waits for the inspect)', () => {
    const step = stepAfterDeath('no');
    assert.deepEqual(
      step.timeline.map((e) => e.kind),
      ['container-died'],
    );
    assert.equal(earlyDeathStepUsable(step, new Set(['web'])), true);
  });

  it('not usable when Docker restarts it itself (no down alert), when it gives up (a crash loop), when a recovery pass is due', () => {
    assert.equal(earlyDeathStepUsable(stepAfterDeath('always'), new Set(['web'])), false);
    const twoDeaths: AgentMemory = { ...settled, containers: new Map([['web', { ...FRESH, deaths: [T0 - 20_000, T0 - 10_000] }]]) };
    const loop = stepAfterDeath('no', twoDeaths);
    assert.ok(loop.timeline.some((e) => e.kind === 'gave-up'));
    assert.equal(earlyDeathStepUsable(loop, new Set(['web'])), false);
    assert.equal(earlyDeathStepUsable(stepAfterDeath('no', { ...settled, recoveryDue: 'startup' }), new Set(['web'])), false);
    assert.equal(earlyDeathStepUsable(stepAfterDeath('no'), new Set()), false);
    assert.equal(earlyDeathStepUsable(stepAfterDeath('no'), new Set(['web', 'db'])), false, 'a died container without its down alert');
  });
});
