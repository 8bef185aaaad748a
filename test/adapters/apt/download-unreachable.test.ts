/**
 * C10: `upkeep preflight` with downloads on a machine that cannot reach its package mirror. Real
 * apt-get, the host's package lists, and an apt configuration (APT_CONFIG) whose HTTP proxy is a
 * loopback port nothing listens on: every download fails at once with "Could not connect", and no
 * traffic leaves the machine. Before the fix: one ~2-9 s failed download per package (87 s for 45
 * packages), one progress line each, and no word that the downloads failed.
 * It reads this machine's package state (apt-get -s, then preflight over it): under the host lock,
 * so that no other test's dpkg run is half done meanwhile (a CI run once saw this simulation fail
 * beside the lock-holders, and the test then skipped itself; now only a machine without apt-get
 * skips it, and any other failure fails it with apt's own words).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { upkeep } from '../../helpers/cli.js';
import { hostLock } from '../../helpers/host-lock.js';

// Reads host-wide state (dpkg, apt) that the lock-holders change: never alongside them (test/helpers/host-lock.ts).
before(() => hostLock.acquire());
after(() => hostLock.release());

async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('downloads that cannot reach the mirror: the first failure stops them, said once, the run takes seconds', { timeout: 120_000 }, async (t) => {
  let simulation = '';
  try {
    simulation = execFileSync('apt-get', ['-s', '-o', 'Debug::NoLocking=1', 'dist-upgrade'], {
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as { code?: string; status?: number | null; stderr?: string };
    if (e.code === 'ENOENT') {
      t.skip('no apt-get here');
      return;
    }
    assert.fail(`apt-get -s dist-upgrade on this machine: exit ${e.status}: ${e.stderr ?? String(err)}`);
  }
  const inst = simulation
    .split('\n')
    .filter((l) => l.startsWith('Inst ') && / \[[^\]]+\] \(/.test(l))
    .slice(0, 20);
  if (inst.length < 3) {
    t.skip("fewer than 3 upgradable packages in the host's lists: nothing to download");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'upk-unreachable-'));
  try {
    const port = await closedLoopbackPort();
    writeFileSync(join(dir, 'apt.conf'), `Acquire::http::Proxy "http://127.0.0.1:${port}/";\nAcquire::https::Proxy "http://127.0.0.1:${port}/";\n`);
    writeFileSync(join(dir, 'plan.txt'), `${inst.join('\n')}\n`);
    const started = Date.now();
    const r = await upkeep(['preflight', '--plan', join(dir, 'plan.txt'), '--cache-dir', join(dir, 'cache'), '--state-dir', join(dir, 'state')], {
      APT_CONFIG: join(dir, 'apt.conf'),
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
    });
    const seconds = (Date.now() - started) / 1000;
    assert.ok(r.code === 0 || r.code === 1 || r.code === 3 || r.code === 4, `${r.code}: ${r.stderr}`);
    assert.ok(seconds < 20, `${seconds} s for ${inst.length} packages`);
    assert.equal((r.stderr.match(/reading the maintainer scripts/g) ?? []).length, 1, r.stderr);
    const said = (r.stdout + r.stderr).match(/could not download/g) ?? [];
    assert.equal(said.length, 1, 'said once');
    assert.match(
      r.stdout,
      new RegExp(
        `^Downloads: could not download \\S+ \\S+ \\(.*Could not connect to 127\\.0\\.0\\.1:${port}.*\\); not trying the other ${inst.length - 1}: .*lower confidence`,
        'm',
      ),
    );
    assert.doesNotMatch(r.stdout, /candidate scripts/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
