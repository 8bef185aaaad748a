/** `upkeep preflight` through the real executable, on saved plans (no apt run, no download). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { upkeep } from '../helpers/cli.js';

const PLAN = new URL('../fixtures/apt/incident-plan.txt', import.meta.url).pathname;
const NO_ENGINE = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
// The saved plans are another host's (the incident's Ubuntu versions): this machine's apt knows
// none of them, so the disk-space check would only say "unknown" after about 2 s of apt-cache.
// Runs that are not about it pass --no-space-check; the incident plan's --json run keeps it.

test('the incident plan: exit 3, docker restarts, reboot needed, containers not assessed without an engine', async () => {
  const r = await upkeep(['preflight', '--plan', PLAN, '--no-download', '--no-space-check'], NO_ENGINE);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout, /^46 packages to change/);
  assert.match(r.stdout, /^high\s+containerd\.io\s+1\.7\.27-1 -> 2\.1\.5-1\s+MAJOR; restarts containerd\.service/m);
  assert.match(r.stdout, /^high\s+docker-ce\s+.*MAJOR; restarts docker\.service; every container stops/m);
  assert.match(r.stdout, /^Reboot needed: linux-image-6\.8\.0-88-generic/m);
  assert.match(r.stdout, /^Containers: containers not assessed: no Docker socket/m);
  const j = await upkeep(['preflight', '--plan', PLAN, '--no-download', '--json'], NO_ENGINE);
  const report = JSON.parse(j.stdout);
  assert.equal(report.docker.restarts, true);
  assert.equal(report.reboot.needed, true);
  assert.equal(report.containers, null);
  // D2: cite documents that are in the repository (FACTS.md is not).
  assert.match(
    report.packages.find((p: { name: string }) => p.name === 'docker-ce').source,
    /^knowledge base: docs\/preflight\.md \(packaging facts\), docs\/restart-semantics\.md: /,
  );
  assert.doesNotMatch(j.stdout + r.stdout, /FACTS\.md/);
});

test('D5: the text fits a 100-column terminal (COLUMNS, or the TTY width); --json keeps the full text', async () => {
  const r = await upkeep(['preflight', '--plan', PLAN, '--no-download', '--no-space-check'], { ...NO_ENGINE, COLUMNS: '100' });
  assert.equal(r.code, 3, r.stderr);
  const longest = Math.max(...r.stdout.split('\n').map((l) => l.length));
  assert.ok(longest <= 100, `a line of ${longest} characters`);
  assert.match(r.stdout, /^ {6}MAJOR; restarts docker\.service; every container stops;/m);
  const j = JSON.parse((await upkeep(['preflight', '--plan', PLAN, '--no-download', '--no-space-check', '--json'], { ...NO_ENGINE, COLUMNS: '100' })).stdout);
  assert.ok(j.packages.find((p: { name: string }) => p.name === 'docker-ce').effects.join('; ').length > 100);
});

test('a missing plan file and an unreadable plan: exit 2 with what to do', async () => {
  const missing = await upkeep(['preflight', '--plan', '/nonexistent/plan.txt'], NO_ENGINE);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /hint: save one with: LC_ALL=C apt-get -s dist-upgrade > plan.txt/);
  const bad = await upkeep(['preflight', '--mode', 'full-upgrade'], NO_ENGINE);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--mode "full-upgrade": use dist-upgrade or upgrade/);
});

test('B1: a cut plan line is reported in the text and the verdict is "could not predict" (exit 4), never 0', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'upk-cut-'));
  try {
    const cut = join(dir, 'cut.txt');
    writeFileSync(
      cut,
      'Inst libfoo [1.0] (1.1 Debian:12/stable [amd64])\nInst docker-ce [5:24.0.0-1~debian.12~bookworm] (5:25.0.0-1~debian.12~bookworm Docker:12/stable [amd6\n',
    );
    const r = await upkeep(['preflight', '--no-download', '--no-space-check', '--plan', cut], NO_ENGINE);
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.match(r.stdout, /^Not understood \(what these would do is not in the prediction\):$/m);
    assert.match(r.stdout, /^ {2}plan line 2: unreadable Inst line: .*\("Inst docker-ce \[5:24/m);
    assert.match(r.stdout, /^Could not predict \(exit 4\)/m);
    const j = await upkeep(['preflight', '--no-download', '--no-space-check', '--plan', cut, '--json'], NO_ENGINE);
    assert.equal(j.code, 4);
    const report = JSON.parse(j.stdout);
    assert.equal(report.verdict, 'unknown');
    assert.equal(report.exitCode, 4);
    assert.match(report.unknownReasons[0], /^plan line 2: unreadable Inst line/);
    assert.equal(report.problems[0].line, 2);
    // An empty plan and a plan of only unreadable lines: 4 as well (an empty file is not "nothing to do").
    writeFileSync(join(dir, 'empty.txt'), '');
    writeFileSync(join(dir, 'only-cut.txt'), 'Inst docker-ce [5:24.0.0-1] (5:25.0.0-1 Docker:12/stable [amd6\n');
    for (const f of ['empty.txt', 'only-cut.txt'])
      assert.equal((await upkeep(['preflight', '--no-download', '--no-space-check', '--plan', join(dir, f)], NO_ENGINE)).code, 4, f);
    writeFileSync(join(dir, 'nothing.txt'), 'Reading package lists...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n');
    assert.equal((await upkeep(['preflight', '--no-download', '--no-space-check', '--plan', join(dir, 'nothing.txt')], NO_ENGINE)).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('B1: a plan that is a FIFO, a directory or too large is refused at once (exit 2), never waited on', async () => {
  const { mkdtempSync, rmSync, openSync, ftruncateSync, closeSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'upk-fifo-'));
  try {
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    const fifo = await upkeep(['preflight', '--no-download', '--plan', join(dir, 'fifo')], NO_ENGINE);
    assert.equal(fifo.code, 2);
    assert.match(fifo.stderr, /not a regular file \(a FIFO\)/);
    assert.match((await upkeep(['preflight', '--no-download', '--plan', dir], NO_ENGINE)).stderr, /not a regular file \(a directory\)/);
    const fd = openSync(join(dir, 'huge.txt'), 'w');
    ftruncateSync(fd, 17 * 1024 * 1024);
    closeSync(fd);
    const huge = await upkeep(['preflight', '--no-download', '--plan', join(dir, 'huge.txt')], NO_ENGINE);
    assert.equal(huge.code, 2);
    assert.match(huge.stderr, /more than the 16777216 a plan can be/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the apt hook never blocks apt: garbage on stdin is one line and exit 0', async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(new URL('../../bin/upkeep', import.meta.url).pathname, ['preflight', '--hook'], {
    input: 'not the apt protocol\n',
    env: { ...process.env, ...NO_ENGINE },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0);
  assert.match(r.stderr, /upkeep preflight/);
  const v3 = spawnSync(new URL('../../bin/upkeep', import.meta.url).pathname, ['preflight', '--hook'], {
    input: 'VERSION 3\nAPT::Architecture=amd64\n\ndocker-ce 5:28.3.2-1 amd64 same > 5:29.0.2-1 amd64 same /var/cache/apt/archives/docker-ce.deb\n',
    env: { ...process.env, ...NO_ENGINE },
    encoding: 'utf8',
  });
  assert.equal(v3.status, 0, v3.stderr);
  assert.match(v3.stderr, /docker-ce\s+5:28\.3\.2-1 -> 5:29\.0\.2-1\s+MAJOR; restarts docker\.service/);
});

test('the apt hook blocks apt only when the config says preflight.block and something will not come back', async () => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'upk-hook-block-'));
  const input = 'VERSION 3\nAPT::Architecture=amd64\n\nlinux-image-9.9.9-1-amd64 - - none < 9.9.9-1 amd64 same /var/cache/apt/archives/linux-image.deb\n';
  const hook = (config: string) =>
    spawnSync(new URL('../../bin/upkeep', import.meta.url).pathname, ['preflight', '--hook', '--config', config, '--state-dir', join(dir, 'state')], {
      input,
      env: { ...process.env, ...NO_ENGINE },
      encoding: 'utf8',
    });
  try {
    writeFileSync(join(dir, 'block.yml'), 'preflight: { block: true }\n');
    writeFileSync(join(dir, 'noblock.yml'), 'preflight: { block: false }\n');
    writeFileSync(join(dir, 'broken.yml'), 'preflight: { block: maybe }\n');
    const blocked = hook(join(dir, 'block.yml'));
    assert.match(blocked.stderr, /Reboot needed/);
    assert.equal(blocked.status, 1, blocked.stderr);
    assert.match(blocked.stderr, /stopping apt \(preflight\.block is on\)/);
    assert.equal(hook(join(dir, 'noblock.yml')).status, 0);
    const broken = hook(join(dir, 'broken.yml'));
    assert.equal(broken.status, 0, 'a broken config never stops apt');
    assert.match(broken.stderr, /config not read .*; not blocking/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('desired containers already down before the upgrade, from a real store and a private engine: listed, counted, exit 3', { timeout: 180_000 }, async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { PrivateEngine, sleep } = await import('../engine/private-engine.js');
  const engine = await PrivateEngine.startOrSkip(t);
  if (!engine) return;
  const dir = mkdtempSync(join(tmpdir(), 'upk-preflight-'));
  try {
    const env = { DOCKER_HOST: engine.dockerHost };
    const stateArgs = ['--state-dir', join(dir, 'state')];
    const plan = new URL('../fixtures/apt/library-only-plan.txt', import.meta.url).pathname;
    await engine.run('kept', { flags: ['--restart', 'always'] });
    await engine.run('stopped-by-hand', { flags: ['--restart', 'no'] });
    await engine.run('crashed', { flags: ['--restart', 'no'], cmd: ['sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.1; done; exit 3'] });
    await engine.run('removed', { flags: ['--restart', 'unless-stopped'] });

    // No store yet: nothing is said about a desired state, and nothing stops. (The plan's libfoo1 is
    // in no repository here: its sizes cannot be read, so the space check is left out.)
    const before = await upkeep(['preflight', '--plan', plan, '--no-download', '--no-space-check', '--json', ...stateArgs], env);
    assert.equal(before.code, 0, before.stderr);
    const b = JSON.parse(before.stdout);
    assert.equal(b.alreadyDown, null);
    assert.equal(b.summary.alreadyDown, 0);
    assert.equal(b.desiredNote, null);
    assert.equal(b.space, null, '--no-space-check: not checked');

    const snap = await upkeep(['snapshot', '--json', ...stateArgs], env);
    assert.equal(snap.code, 0, snap.stderr);
    await engine.docker('stop', 'stopped-by-hand');
    await engine.docker('exec', 'crashed', 'touch', '/tmp/go');
    for (let i = 0; i < 50 && (await engine.isRunning('crashed')); i++) await sleep(100);
    await engine.docker('rm', '-f', 'removed');

    const r = await upkeep(['preflight', '--plan', plan, '--no-download', '--no-space-check', ...stateArgs], env);
    assert.equal(r.code, 3, `desired containers stay down: exit 3\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^Containers: 0 of 1 running stop during the maintenance; all come back\.$/m);
    assert.match(r.stdout, /^Already down before the upgrade: 3 desired containers \(snapshot of \S+\) are not running now:$/m);
    assert.match(r.stdout, /^ {2}crashed \(no\): exited \(3\) at \S+; stays down: nothing in this upgrade starts it/m);
    assert.match(
      r.stdout,
      /^ {2}removed \(removed\): removed since the snapshot; stays down: Docker cannot start a removed container \(upkeep recover re-creates it\)$/m,
    );
    assert.match(r.stdout, /^ {2}stopped-by-hand \(no\): manually stopped \(docker stop\), exited \(137\) at \S+; stays down/m);
    assert.doesNotMatch(r.stdout, /^ {2}kept/m);
    assert.match(r.stdout, /^Do first: upkeep recover for the desired containers already down/m);

    const j = await upkeep(['preflight', '--plan', plan, '--no-download', '--no-space-check', '--json', ...stateArgs], env);
    assert.equal(j.code, 3);
    const report = JSON.parse(j.stdout);
    assert.equal(report.exitCode, 3);
    assert.deepEqual(report.summary, { packages: 1, containersStop: 0, notBack: 0, unknown: 0, alreadyDown: 3 });
    assert.deepEqual(
      report.alreadyDown.map((c: { name: string; state: string; exitCode: number | null; policy: string | null; runningAtEnd: string }) => [
        c.name,
        c.state,
        c.exitCode,
        c.policy,
        c.runningAtEnd,
      ]),
      [
        ['crashed', 'exited', 3, 'no', 'no'],
        ['removed', 'missing', null, null, 'no'],
        ['stopped-by-hand', 'exited', 137, 'no', 'no'],
      ],
    );
    assert.match(report.desiredStateTakenAt, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(
      report.containers.map((c: { name: string }) => c.name),
      ['kept'],
    );

    // A store that exists and cannot be read: one note, no desired-state verdict, exit as without it.
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(dir, 'broken'));
    writeFileSync(join(dir, 'broken', 'upkeep.db'), 'not a database\n');
    const broken = await upkeep(['preflight', '--plan', plan, '--no-download', '--no-space-check', '--json', '--state-dir', join(dir, 'broken')], env);
    assert.equal(broken.code, 0, broken.stderr);
    const bj = JSON.parse(broken.stdout);
    assert.match(bj.desiredNote, /^desired state not read: /);
    assert.equal(bj.alreadyDown, null);
  } finally {
    await engine.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
