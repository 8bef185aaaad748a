import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffDesired } from '../../../src/core/recovery/diff.js';
import { ForeignSnapshotError } from '../../../src/core/recovery/plan.js';
import { actualOf, desiredOf } from './fixtures.js';

describe('diffDesired', () => {
  it('lists what should run and does not, with the state, the reason and what recover would do', () => {
    const silo = desiredOf({ name: 'covid-silo', compose: { project: 'covid', service: 'silo' } });
    const k3d = desiredOf({ name: 'k3d-node', restart: 'unless-stopped' });
    const web = desiredOf({ name: 'web' });
    const paused = desiredOf({ name: 'frozen' });
    const job = desiredOf({ name: 'import', labels: { 'upkeep.role': 'job' } });
    const diff = diffDesired([silo, k3d, web, paused, job], [actualOf(silo, 'exited'), actualOf(web, 'running'), actualOf(paused, 'paused')], {
      forgotten: [{ name: 'old', at: '2025-11-20T00:00:00.000Z' }],
    });
    assert.deepEqual(diff.summary, { desired: 5, running: 1, notRunning: 3, ignored: 2 });
    assert.deepEqual(diff.running, ['web']);
    assert.deepEqual(diff.notRunning, [
      {
        container: 'covid-silo',
        compose: 'covid/silo',
        state: 'exited',
        exitCode: 137,
        finishedAt: '2025-11-20T15:00:00.000000000Z',
        id: silo.id,
        wouldDo: 'start',
        reason: 'exited (137) at 2025-11-20T15:00:00.000000000Z',
      },
      {
        container: 'frozen',
        compose: null,
        state: 'paused',
        exitCode: 0,
        finishedAt: '2025-11-20T15:00:00.000000000Z',
        id: paused.id,
        wouldDo: 'leave',
        reason: 'paused: resume it with `docker unpause frozen`',
      },
      {
        container: 'k3d-node',
        compose: null,
        state: 'missing',
        exitCode: null,
        finishedAt: null,
        id: null,
        wouldDo: 'recreate-engine',
        reason: 'removed: re-create it from the saved configuration',
      },
    ]);
    assert.deepEqual(
      diff.ignored.map((i) => [i.container, i.reason]),
      [
        ['import', 'job'],
        ['old', 'forgotten'],
      ],
    );
  });

  it('is empty when everything runs, and refuses another host like the planner', () => {
    const a = desiredOf({ name: 'a' });
    assert.deepEqual(diffDesired([a], [actualOf(a, 'running')]).notRunning, []);
    assert.throws(() => diffDesired([a], [], { snapshotHost: { id: '1', name: 'x' }, engineHost: { id: '2', name: 'y' } }), ForeignSnapshotError);
  });
});
