/**
 * Compose command lines from labels (issue "Trust", C4) and the decision whether compose would
 * re-create the container that was there (C9). The real runs are in test/engine/recreate-compose.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineRecoveryEffects } from '../../../src/adapters/docker/recovery-effects.js';
import type { DockerEngine } from '../../../src/adapters/docker/engine-client.js';
import {
  composeVerdict,
  configHashArgs,
  expectedConfigHash,
  parseConfigHash,
  savedContainerOf,
  unsetVariables,
} from '../../../src/core/recovery/compose-command.js';
import { composeUpCommand } from '../../../src/core/recovery/plan.js';
import { desiredOf } from './fixtures.js';

const V1_WARNING = 'WARNING: The LAPIS_PORT variable is not set. Defaulting to a blank string.\n';
const V2_WARNING = 'time="2025-11-20T15:00:00Z" level=warning msg="The \\"LAPIS_PORT\\" variable is not set. Defaulting to a blank string."\n';

describe('compose config --hash', () => {
  it('is asked with --hash=SERVICE, so a hostile service label stays a value', () => {
    assert.deepEqual(configHashArgs({ project: 'p', configFiles: ['/srv/p/compose.yml', 'override.yml'], service: '--remove-orphans' }), [
      '--project-name=p',
      '--file=/srv/p/compose.yml',
      '--file=./override.yml',
      'config',
      '--hash=--remove-orphans',
    ]);
  });

  it('reads the hash of exactly the service asked for', () => {
    const out = 'web 1111\nweb2 2222\nmy service 3333\n';
    assert.equal(parseConfigHash(out, 'web'), '1111');
    assert.equal(parseConfigHash(out, 'web2'), '2222');
    assert.equal(parseConfigHash(out, 'my service'), '3333');
    assert.equal(parseConfigHash(out, 'we'), null);
    assert.equal(parseConfigHash('', 'web'), null);
  });

  it('names the variables compose found unset (v1 and v2 warnings), never values', () => {
    assert.deepEqual(unsetVariables(V1_WARNING + 'WARNING: The A_B variable is not set. Defaulting to a blank string.\n' + V1_WARNING), ['A_B', 'LAPIS_PORT']);
    assert.deepEqual(unsetVariables(V2_WARNING), ['LAPIS_PORT']);
    assert.deepEqual(unsetVariables('error while interpolating services.web.ports.[]: required variable TOKEN is missing a value: set it'), ['TOKEN']);
    assert.deepEqual(unsetVariables('WARNING: Some networks were defined but are not used by any service: x'), []);
  });
});

describe('composeVerdict: compose only when it would create what was there', () => {
  it("uses compose when the hash it computes now is the old container's", () => {
    assert.deepEqual(composeVerdict('lapis', 'abc123', { ok: true, stdout: 'lapis abc123\n', stderr: '' }), { use: 'compose' });
  });

  it('uses the saved configuration when a variable is unset now and the hash differs, naming the variable', () => {
    const v = composeVerdict('lapis', 'abc123abc123abc123', { ok: true, stdout: 'lapis fff000fff000fff000\n', stderr: V1_WARNING });
    assert.equal(v.use, 'saved-config');
    assert.ok(v.use === 'saved-config');
    assert.match(v.why, /compose would create service "lapis" differently from the container that was there \(config hash fff000fff000, was abc123abc123\)/);
    assert.match(v.why, /variables not set in upkeep's environment or the project's \.env: LAPIS_PORT$/);
  });

  it('uses the saved configuration when compose fails, prints no hash, or the old hash is unknown', () => {
    const failed = composeVerdict('x', 'h', { ok: false, error: 'docker-compose config failed: No such service: x', stderr: '' });
    assert.ok(failed.use === 'saved-config');
    assert.match(failed.why, /compose could not say what it would create for service "x" \(docker-compose config failed: No such service: x\)/);
    const none = composeVerdict('x', 'h', { ok: true, stdout: 'y h\n', stderr: '' });
    assert.ok(none.use === 'saved-config');
    assert.match(none.why, /printed no config hash for service "x"/);
    const unknown = composeVerdict('x', null, { ok: true, stdout: 'x h\n', stderr: '' });
    assert.ok(unknown.use === 'saved-config');
    assert.match(unknown.why, /no com\.docker\.compose\.config-hash label/);
  });
});

describe('the saved container beside a compose command', () => {
  it('is the desired container the command was built for, and is not in the command (the plan is printed)', () => {
    const d = desiredOf({
      name: 'p_web_1',
      env: ['TOKEN=s3cret'],
      labels: { 'com.docker.compose.config-hash': 'abc' },
      compose: { project: 'p', service: 'web', workingDir: '/srv/p', files: ['docker-compose.yml'] },
    });
    const cmd = composeUpCommand(d);
    assert.ok(cmd !== null);
    assert.equal(savedContainerOf(cmd), d);
    assert.equal(expectedConfigHash(savedContainerOf(cmd)), 'abc');
    assert.doesNotMatch(JSON.stringify(cmd), /s3cret/);
    assert.equal(savedContainerOf({ ...cmd }), null, 'a copy made elsewhere carries nothing');
  });
});

describe('EngineRecoveryEffects.composeUp', () => {
  it('throws the refusal and runs nothing for a refused project label', async () => {
    const calls: string[] = [];
    const engine = new Proxy(
      {},
      { get: (_t, p) => (calls.push(String(p)), () => Promise.reject(new Error(`engine.${String(p)} called`))) },
    ) as unknown as DockerEngine;
    const d = desiredOf({ name: 'evil', compose: { project: '--remove-orphans', service: 'web', workingDir: '/srv/x', files: ['/srv/x/compose.yml'] } });
    const cmd = composeUpCommand(d);
    assert.ok(cmd !== null && cmd.refused !== null);
    await assert.rejects(
      new EngineRecoveryEffects(engine).composeUp(cmd),
      /^Error: refused: label value "--remove-orphans" \(com\.docker\.compose\.project\) is not a compose project name/,
    );
    assert.deepEqual(calls, [], 'neither the engine nor compose was asked');
  });
});
