/**
 * The space check's size sources and their cache (adapters/apt/package-sizes.ts): real apt-cache
 * and dpkg-query on this machine's installed dpkg package, the cache file in a temporary state
 * directory. The first read asks apt and writes the file; the second reads the file (apt is not
 * asked: the answers are the same); another plan or another simulation key misses.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { packageSizesCache, packageSizesCacheFile, readPackageSizes } from '../../../src/adapters/apt/package-sizes.js';
import type { PlannedPackage } from '../../../src/core/preflight/apt-plan.js';
import { readSizeSourcesCache, sizeSourcesEntry } from '../../../src/core/preflight/disk-space.js';
import { hostLock } from '../../helpers/host-lock.js';

/**
 * A plan of one package, dpkg upgraded from its installed version to its candidate (from the
 * package lists: apt-cache knows its Size, dpkg-query the installed size); read under the host lock. Only a machine without dpkg-query or apt-cache, or whose lists
 * hold no candidate for dpkg (never updated), skips: a failing command fails the test with its
 * words (a CI run once skipped both tests here silently, their reads outside the lock beside the
 * lock-holders' dpkg runs).
 */
function dpkgUpgradePlan(t: TestContext): PlannedPackage[] | null {
  const run = (cmd: string, args: string[]): string | null => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { code?: string; status?: number | null; stderr?: string };
      if (e.code === 'ENOENT') return null;
      return assert.fail(`${cmd} ${args.join(' ')} on this machine: exit ${e.status}: ${e.stderr ?? String(err)}`);
    }
  };
  const q = run('dpkg-query', ['-W', '-f=${Version}\t${Architecture}', 'dpkg']);
  const policy = q === null ? null : run('apt-cache', ['policy', 'dpkg']);
  if (q === null || policy === null) {
    t.skip('no dpkg-query or apt-cache here');
    return null;
  }
  const [version, arch] = q.split('\t');
  const candidate = /^\s*Candidate: (\S+)$/m.exec(policy)?.[1];
  if (candidate === undefined || candidate === '(none)') {
    t.skip(`dpkg has no candidate in this machine's package lists (apt-get update never ran?):\n${policy}`);
    return null;
  }
  return [{ name: 'dpkg', arch: arch!, oldVersion: version!, newVersion: candidate, action: 'upgrade' } as PlannedPackage];
}

// Reads apt's and dpkg's state of this machine, which the lock-holders change: never alongside them (test/helpers/host-lock.ts).
before(() => hostLock.acquire());
after(() => hostLock.release());
const dir = mkdtempSync(join(tmpdir(), 'upkeep-sizes-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the size sources are read from apt once, then from the cache while the key and the plan hold', async (t) => {
  const plan = dpkgUpgradePlan(t);
  if (plan === null) return;
  const cache = packageSizesCache({ stateDir: dir, upkeepVersion: 'test', simulationKey: 'k1' });
  const first = await readPackageSizes(plan, null, cache);
  assert.equal(first.cached, false);
  assert.ok(Array.isArray(first.sizes) && first.sizes[0]!.newInstalledBytes! > 0, JSON.stringify(first.sizes));
  assert.ok(existsSync(packageSizesCacheFile(dir)), 'the answers are written to the state directory');

  const second = await readPackageSizes(plan, null, cache);
  assert.equal(second.cached, true);
  assert.deepEqual(second.sizes, first.sizes);

  // Another simulation key (apt's lists or dpkg's status changed): apt is asked again.
  const otherKey = await readPackageSizes(plan, null, packageSizesCache({ stateDir: dir, upkeepVersion: 'test', simulationKey: 'k2' }));
  assert.equal(otherKey.cached, false);
});

test('a cache entry is believed only for its key and exactly its plan, and only when well formed', () => {
  const sources = { specs: ['a=1'], stanzas: [{ package: 'a', version: '1', architecture: 'all', size: 10, installedSizeKiB: 2 }], installed: [] };
  const text = JSON.stringify(sizeSourcesEntry('K', sources));
  assert.deepEqual(readSizeSourcesCache(text, 'K', ['a=1']), { ok: true, sources });
  assert.deepEqual(readSizeSourcesCache(text, 'other', ['a=1']), { ok: false, why: 'stale (dpkg, apt or upkeep changed since)' });
  assert.deepEqual(readSizeSourcesCache(text, 'K', ['a=1', 'b=2']), { ok: false, why: 'another plan' });
  assert.deepEqual(readSizeSourcesCache(text.slice(0, 20), 'K', ['a=1']), { ok: false, why: 'not JSON (cut short?)' });
  const bad = JSON.stringify(sizeSourcesEntry('K', { ...sources, stanzas: [{ ...sources.stanzas[0]!, size: -1 }] }));
  assert.deepEqual(readSizeSourcesCache(bad, 'K', ['a=1']), { ok: false, why: 'malformed entries' });
  const huge = JSON.stringify(sizeSourcesEntry('K', { ...sources, stanzas: [{ ...sources.stanzas[0]!, size: 2 ** 60 }] }));
  assert.deepEqual(readSizeSourcesCache(huge, 'K', ['a=1']), { ok: false, why: 'malformed entries' });
});

test('a planted cache file (writable by others) is ignored: apt is asked', async (t) => {
  const plan = dpkgUpgradePlan(t);
  if (plan === null) return;
  const cache = packageSizesCache({ stateDir: dir, upkeepVersion: 'test', simulationKey: 'k3' });
  await readPackageSizes(plan, null, cache);
  const file = packageSizesCacheFile(dir);
  // Lies about the size, in a file anyone may write.
  const lie = JSON.parse(readFileSync(file, 'utf8')) as { sources: { stanzas: Array<{ installedSizeKiB: number }> } };
  lie.sources.stanzas[0]!.installedSizeKiB = 1;
  rmSync(file);
  writeFileSync(file, JSON.stringify(lie), { mode: 0o666 });
  execFileSync('chmod', ['0666', file]);
  const r = await readPackageSizes(plan, null, cache);
  assert.equal(r.cached, false);
  assert.ok(Array.isArray(r.sizes) && r.sizes[0]!.newInstalledBytes! > 1024, JSON.stringify(r.sizes));
});
