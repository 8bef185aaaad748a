import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffDesired } from '../../../src/core/recovery/diff.js';
import { planRecovery } from '../../../src/core/recovery/plan.js';
import { diffJson, dryRunResult, recoverJson } from '../../../src/core/recovery/recovery-json.js';
import { actualOf, desiredOf } from './fixtures.js';

const snapshot = { id: 7, host: { id: 'E', name: 'h' }, takenAt: '2025-11-20T15:22:00.000Z', note: 'before apt upgrade' };
const engine = { id: 'E', name: 'h' };

describe('recovery JSON documents', () => {
  const web = desiredOf({ name: 'web', env: ['PASSWORD=hunter2'] });
  const api = desiredOf({ name: 'api', env: ['TOKEN=s3cret'] });
  const actual = [actualOf(web, 'exited')];

  it('diff --json: the snapshot, the engine and the diff, in the documented keys', () => {
    const doc = diffJson(snapshot, engine, diffDesired([web, api], actual));
    assert.deepEqual(Object.keys(doc), ['snapshot', 'engine', 'summary', 'notRunning', 'running', 'ignored', 'notes']);
    assert.deepEqual(doc.snapshot, snapshot);
    assert.deepEqual(
      doc.notRunning.map((e) => [e.container, e.wouldDo]),
      [
        ['api', 'recreate-engine'],
        ['web', 'start'],
      ],
    );
  });

  it('recover --json --dry-run: the plan, no outcomes, what is not running; no env value anywhere', () => {
    const plan = planRecovery([web, api], actual);
    const doc = recoverJson(snapshot, engine, dryRunResult(plan, diffDesired([web, api], actual).notRunning), true);
    assert.deepEqual(Object.keys(doc), [
      'snapshot',
      'engine',
      'dryRun',
      'plan',
      'outcomes',
      'remaining',
      'nothingToDo',
      'declined',
      'engineWaitSeconds',
      'graceSeconds',
      'seconds',
    ]);
    assert.equal(doc.dryRun, true);
    assert.deepEqual(doc.outcomes, []);
    assert.equal(doc.plan.actions.length, 2);
    assert.equal(doc.remaining.length, 2);
    assert.equal(doc.nothingToDo, false);
    const text = JSON.stringify(doc);
    assert.ok(!text.includes('hunter2') && !text.includes('s3cret'));
  });
});
