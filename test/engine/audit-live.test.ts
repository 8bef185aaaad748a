/**
 * `upkeep audit` on a private engine: drift between a fixed compose file and the running container
 * (the incident's own fix, never applied), `--apply-live` (inspect confirms the new policy, and the
 * container then survives a daemon crash), and `--fix` writing the file byte-preserving and atomically.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { upkeep } from '../helpers/cli.js';
import { compose } from './incident-host.js';
import { PrivateEngine, TEST_IMAGE } from './private-engine.js';

describe('audit against live containers', { timeout: 180_000 }, () => {
  let engine: PrivateEngine | null = null;
  let dir: string;
  let file: string;
  let env: Record<string, string>;

  before(async (t) => {
    engine = await PrivateEngine.startOrSkip(t as never);
    if (!engine) return;
    env = { DOCKER_HOST: engine.dockerHost };
    dir = mkdtempSync(join(tmpdir(), 'upk-audit-'));
    file = join(dir, 'docker-compose.yml');
    const before = `services:
  # the cache
  redis:
    image: ${TEST_IMAGE}
    command: ["sleep", "1000000"]
    network_mode: none
    stop_grace_period: 1s
`;
    writeFileSync(file, before);
    await compose(engine, dir, file, 'vpipe', 'up', '-d');
    // The incident report's fix: the file gets `restart: always`, but nobody recreates the container.
    writeFileSync(file, before.replace('    network_mode: none\n', '    network_mode: none\n    restart: always  # added after the incident\n'));
  });
  after(async () => {
    await engine?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('drift is found: the file says always, the running container has no policy', async (t) => {
    if (!engine) return t.skip('no engine');
    const r = await upkeep(['audit', '--json', file], env);
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    const fileFindings = report.files.find((f: { path: string }) => f.path === file).findings;
    assert.ok(
      fileFindings.some((f: { ruleId: string }) => f.ruleId === 'compose-drift'),
      JSON.stringify(fileFindings),
    );
    assert.deepEqual(
      report.live.findings.filter((f: { ruleId: string }) => f.ruleId === 'live-restart-policy').map((f: { subject: string }) => f.subject),
      ['vpipe_redis_1'],
    );
    const text = await upkeep(['audit', file], env);
    assert.match(text.stdout, /live containers\n\s+vpipe_redis_1\s+error\s+live-restart-policy/);
    assert.match(text.stdout, /fixable with --apply-live/);
  });

  test('discovered from the compose labels alone, without naming the file', async (t) => {
    if (!engine) return t.skip('no engine');
    const r = await upkeep(['audit', '--json'], env);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(
      report.files.map((f: { path: string }) => f.path),
      [file],
    );
  });

  test('--apply-live updates the policy without a recreate, and the container survives a daemon crash', async (t) => {
    if (!engine) return t.skip('no engine');
    const id = (await engine.inspect('vpipe_redis_1')).Id;
    const r = await upkeep(['audit', '--apply-live', '--json', file], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).live.applied, [{ container: 'vpipe_redis_1', from: 'no', to: 'always' }]);
    const after = JSON.parse(await engine.docker('inspect', 'vpipe_redis_1'))[0];
    assert.equal(after.Id, id, 'not recreated');
    assert.deepEqual(after.HostConfig.RestartPolicy, { Name: 'always', MaximumRetryCount: 0 });
    await engine.crash();
    await engine.start();
    await engine.settle();
    assert.equal(await engine.isRunning('vpipe_redis_1'), true);
  });

  test('--fix-dry-run prints a diff and writes nothing; --fix writes only the restart line, keeping mode', async (t) => {
    if (!engine) return t.skip('no engine');
    const other = join(dir, 'compose.yaml');
    const original = 'services:\r\n  silo:   # the database\r\n    image: x\r\n    restart: unless-stopped # was the default\r\n    ports: ["8080:8080"]\r\n';
    writeFileSync(other, original);
    chmodSync(other, 0o640);
    const dry = await upkeep(['audit', '--no-live', '--fix-dry-run', other], env);
    assert.equal(dry.code, 1);
    assert.match(dry.stdout, /^- {4}restart: unless-stopped # was the default\r?$/m);
    assert.match(dry.stdout, /^\+ {4}restart: always # was the default\r?$/m);
    assert.equal(readFileSync(other, 'utf8'), original);
    const fix = await upkeep(['audit', '--no-live', '--fix', other], env);
    assert.equal(fix.code, 0, fix.stdout + fix.stderr);
    assert.equal(readFileSync(other, 'utf8'), original.replace('restart: unless-stopped', 'restart: always'));
    assert.equal(statSync(other).mode & 0o777, 0o640);
  });

  test('an unparseable file is a finding with line:col, and the others are still audited', async (t) => {
    if (!engine) return t.skip('no engine');
    const bad = join(dir, 'compose.broken.yml');
    writeFileSync(bad, 'services:\n  web:\n    image: [unclosed\n');
    const r = await upkeep(['audit', '--no-live', '--json', bad, file], env);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout);
    const badFindings = report.files.find((f: { path: string }) => f.path === bad).findings;
    assert.equal(badFindings[0].ruleId, 'invalid-yaml');
    assert.ok(badFindings[0].line >= 3);
    assert.ok(report.files.some((f: { path: string }) => f.path === file));
  });
});
