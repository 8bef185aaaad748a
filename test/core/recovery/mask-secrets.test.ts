import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSnapshot } from '../../../src/core/recovery/desired-state.js';
import { maskEnv, maskEnvEntry, maskSecrets } from '../../../src/core/recovery/mask-secrets.js';
import { planRecovery } from '../../../src/core/recovery/plan.js';
import { diffDesired } from '../../../src/core/recovery/diff.js';
import { pairOf } from './fixtures.js';

const SECRETS = ['hunter2', 's3cr3t-token', 'postgres://u:pw@db/x'];

function snapshotWithSecrets() {
  return buildSnapshot(
    [
      pairOf({ name: 'db', env: ['POSTGRES_PASSWORD=hunter2', 'PATH=/bin'] }),
      pairOf({ name: 'api', env: ['TOKEN=s3cr3t-token', 'DATABASE_URL=postgres://u:pw@db/x', 'EMPTY='] }),
    ],
    { host: { id: 'E', name: 'h' }, takenAt: '2025-11-20T00:00:00.000Z' },
  ).snapshot;
}

describe('maskSecrets', () => {
  it('masks every env value and keeps the keys', () => {
    assert.equal(maskEnvEntry('A=b=c'), 'A=***');
    assert.equal(maskEnvEntry('EMPTY='), 'EMPTY=***');
    assert.equal(maskEnvEntry('PASSTHROUGH'), 'PASSTHROUGH');
    assert.deepEqual(maskEnv(['X=1', 'Y=2']), ['X=***', 'Y=***']);
  });

  it('leaves no env value in a masked snapshot, and does not change the original', () => {
    const snapshot = snapshotWithSecrets();
    const before = JSON.stringify(snapshot);
    const masked = JSON.stringify(maskSecrets(snapshot));
    for (const s of SECRETS) assert.ok(!masked.includes(s), `${s} leaked`);
    assert.ok(masked.includes('POSTGRES_PASSWORD=***'));
    assert.ok(masked.includes('DATABASE_URL=***'));
    assert.equal(JSON.stringify(snapshot), before, 'input unchanged');
    assert.ok(before.includes('hunter2'), 'the stored snapshot keeps the value');
  });

  it('the plan and diff JSON carry no env value at all', () => {
    const snapshot = snapshotWithSecrets();
    const plan = JSON.stringify(planRecovery(snapshot.containers, []));
    const diff = JSON.stringify(diffDesired(snapshot.containers, []));
    for (const s of SECRETS) {
      assert.ok(!plan.includes(s), `${s} in plan`);
      assert.ok(!diff.includes(s), `${s} in diff`);
    }
  });
});
