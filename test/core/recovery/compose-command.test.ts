/**
 * Compose command lines from labels (issue "Trust", C4). The real runs are in
 * test/engine/recreate-compose.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineRecoveryEffects } from '../../../src/adapters/docker/recovery-effects.js';
import type { DockerEngine } from '../../../src/adapters/docker/engine-client.js';
import { composeUpCommand } from '../../../src/core/recovery/plan.js';
import { desiredOf } from './fixtures.js';

describe('EngineRecoveryEffects.composeUp', () => {
  it('throws the refusal and runs nothing for a refused project label', async () => {
    const calls: string[] = [];
    const engine = new Proxy({}, { get: (_t, p) => (calls.push(String(p)), () => Promise.reject(new Error(`engine.${String(p)} called`))) }) as unknown as DockerEngine;
    const d = desiredOf({ name: 'evil', compose: { project: '--remove-orphans', service: 'web', workingDir: '/srv/x', files: ['/srv/x/compose.yml'] } });
    const cmd = composeUpCommand(d);
    assert.ok(cmd !== null && cmd.refused !== null);
    await assert.rejects(new EngineRecoveryEffects(engine).composeUp(cmd), /^Error: refused: label value "--remove-orphans" \(com\.docker\.compose\.project\) is not a compose project name/);
    assert.deepEqual(calls, [], 'neither the engine nor compose was asked');
  });
});
