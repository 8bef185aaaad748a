/** `upkeep status` and `upkeep check` through the real executable, against a private engine. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { BIN, upkeep } from '../helpers/cli.js';
import { PrivateEngine } from '../engine/private-engine.js';

const execFileP = promisify(execFile);
describe('status and check on a private engine', { timeout: 300_000 } /* apt-get -s takes a minute and more on a loaded 2-core machine */, () => {
  let engine: PrivateEngine | null = null;
  let env: Record<string, string>;
  // One state directory for every `check` here: the first run fills apt's simulation cache and the
  // evidence cache, the later ones take them (one `apt-get -s` of this machine's lists instead of
  // four; the caches have their own tests in check-apt-cache.test.ts).
  const stateDir = mkdtempSync(join(tmpdir(), 'upk-check-state-'));

  before(async (t) => {
    engine = await PrivateEngine.startOrSkip(t as never);
    if (!engine) return;
    env = { DOCKER_HOST: engine.dockerHost };
    await engine.run('lapis', {
      flags: ['--restart', 'unless-stopped', '--label', 'com.docker.compose.project=covid', '--label', 'com.docker.compose.service=lapisOpen'],
    });
    await engine.run('v-pipe-redis-1', { flags: ['--restart', 'no'] });
    await engine.run('k3d-server', { flags: ['--restart', 'always'] });
    await engine.run('one-off', { flags: ['--restart', 'no'], cmd: ['true'] });
  });
  after(async () => {
    await engine?.dispose();
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('status --json has the documented shape', async (t) => {
    if (!engine) return t.skip('no engine');
    await engine.settle(300);
    const r = await upkeep(['status', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { containers: Array<Record<string, any>> };
    assert.deepEqual(out.containers.map((c) => c.name).sort(), ['k3d-server', 'lapis', 'one-off', 'v-pipe-redis-1']);
    const lapis = out.containers.find((c) => c.name === 'lapis')!;
    for (const key of ['id', 'name', 'image', 'state', 'exitCode', 'restartPolicy', 'manuallyStopped', 'compose', 'health', 'comesBack']) {
      assert.ok(key in lapis, `key ${key}`);
    }
    assert.deepEqual(lapis.restartPolicy, { name: 'unless-stopped', maximumRetryCount: 0 });
    assert.equal(lapis.manuallyStopped, false);
    assert.deepEqual(lapis.compose, { project: 'covid', service: 'lapisOpen', workingDir: null, configFiles: [] });
    assert.equal(lapis.health, null);
    assert.deepEqual(Object.fromEntries(Object.entries(lapis.comesBack as Record<string, { outcome: string }>).map(([k, v]) => [k, v.outcome])), {
      daemonRestart: 'back',
      daemonCrash: 'not-back',
      reboot: 'back',
      afterManualStop: 'not-back',
    });
    const oneOff = out.containers.find((c) => c.name === 'one-off')!;
    assert.equal(oneOff.state, 'exited');
    assert.equal(oneOff.exitCode, 0);
  });

  test('status prints a table with numbered reasons', async (t) => {
    if (!engine) return t.skip('no engine');
    const r = await upkeep(['status'], env);
    assert.equal(r.code, 0, r.stderr);
    const line = r.stdout.split('\n').find((l) => l.startsWith('v-pipe-redis-1'))!;
    assert.match(line, /v-pipe-redis-1\s+-\s+running\s+no\s+NOT BACK \((\d)\)\s+NOT BACK \(\1\)\s+NOT BACK \(\1\)$/);
    const n = /NOT BACK \((\d)\)/.exec(line)![1];
    assert.match(r.stdout, new RegExp(`\\(${n}\\) restart policy "no": Docker never starts it again`));
    assert.match(r.stdout, /^lapis\s+covid\/lapisOpen\s+running\s+unless-stopped\s+back\s+NOT BACK \(\d\)\s+back$/m);
  });

  test('check gives the verdict and exit code 1 on risk', async (t) => {
    if (!engine) return t.skip('no engine');
    const r = await upkeep(['check', '--state-dir', stateDir], env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /1 of 3 running containers would not come back after a reboot; 2 not after a daemon crash or power loss\./);
    assert.match(r.stdout, /^Preflight: (\d+ package\(s\) to upgrade|not assessed)/m);
    assert.match(r.stdout, /^Audit: 2 error\(s\), 0 warning\(s\) in the live containers and 0 compose file\(s\)\.$/m);
    const j = await upkeep(['check', '--json', '--state-dir', stateDir], env);
    assert.equal(j.code, 1);
    const parsed = JSON.parse(j.stdout) as { risk: boolean; verdict: string; status: { containers: unknown[] }; audit: { summary: { errors: number } } };
    assert.equal(parsed.audit.summary.errors, 2);
    assert.equal(parsed.risk, true);
    assert.equal(parsed.status.containers.length, 4);
  });

  test('without root, the manually-stopped flag is unknown and said once, never an error', async (t) => {
    if (!engine || process.getuid?.() !== 0) return t.skip('needs root to run as nobody');
    await engine.docker('stop', 'lapis');
    const { chmodSync } = await import('node:fs');
    chmodSync(engine.dir, 0o711);
    chmodSync(engine.socketPath, 0o666);
    try {
      const r = await execFileP('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', BIN, 'status', '--json'], {
        env: { ...process.env, ...env, HOME: '/tmp' },
      });
      const out = JSON.parse(r.stdout) as {
        containers: Array<{ name: string; manuallyStopped: boolean | null; comesBack: Record<string, { outcome: string; reason: string }> }>;
        notices: string[];
      };
      const lapis = out.containers.find((c) => c.name === 'lapis')!;
      assert.equal(lapis.manuallyStopped, null);
      assert.equal(lapis.comesBack.reboot!.outcome, 'unknown');
      assert.match(lapis.comesBack.reboot!.reason, /run as root/);
      assert.equal(out.notices.length, 1);
      assert.match(out.notices[0]!, /permission denied on .*config\.v2\.json \(run as root to read it\)/);
    } finally {
      chmodSync(engine.socketPath, 0o660);
      chmodSync(engine.dir, 0o700);
      await engine.docker('start', 'lapis');
    }
  });

  test('check exits 0 when everything comes back', async (t) => {
    if (!engine) return t.skip('no engine');
    await engine.removeAllContainers();
    await engine.run('safe', { flags: ['--restart', 'always'] });
    const r = await upkeep(['check', '--state-dir', stateDir], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /All 1 running containers would come back/);
  });

  test("check's preflight line counts desired containers already down (from --state-dir)", async (t) => {
    if (!engine) return t.skip('no engine');
    await engine.run('gone', { flags: ['--restart', 'no'] });
    const snap = await upkeep(['snapshot', '--state-dir', stateDir], env);
    assert.equal(snap.code, 0, snap.stderr);
    await engine.docker('stop', 'gone');
    const r = await upkeep(['check', '--state-dir', stateDir], env);
    const line = r.stdout.split('\n').find((l) => l.startsWith('Preflight:')) ?? '';
    // Where apt itself cannot run (no package lists), the line says so and nothing else can be checked.
    if (!/not assessed/.test(line)) assert.match(line, /1 desired container\(s\) already down \(upkeep diff\)/);
    else process.stderr.write(`\n!!! apt simulation unavailable here: ${line}\n`);
  });
});

describe('the CLI without an engine', () => {
  test('a missing socket: exit 2 and a message, no stack trace', async () => {
    const r = await upkeep(['status'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^upkeep: error: no Docker socket at \/nonexistent\/docker.sock: is docker running\?\nhint: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  test('a malformed DOCKER_HOST: exit 2', async () => {
    const r = await upkeep(['check', '--json'], { DOCKER_HOST: 'tcp//oops' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /DOCKER_HOST "tcp\/\/oops" is malformed/);
  });

  test('--help and --version everywhere; unknown commands exit 2', async () => {
    const v = await upkeep(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^upkeep \d+\.\d+\.\d+ \(commit ([0-9a-f]{7,}|unknown), Node v24\.\d+\.\d+ linux-(x64|arm64), checkout\)\n$/);
    for (const cmd of [[], ['status'], ['check']]) {
      const h = await upkeep([...cmd, '--help']);
      assert.equal(h.code, 0, cmd.join(' '));
      assert.match(h.stdout, /Usage: upkeep/);
      if (cmd.length) assert.match(h.stdout, /--json/);
    }
    const bad = await upkeep(['nonsense']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown command 'nonsense'/);
  });
});
