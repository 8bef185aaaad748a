/**
 * `upkeep check --json` on this machine's real apt, with the simulation cache: the first run asks
 * apt, the second reads the cache (and says so), touching a package list makes the third ask apt
 * again; `--no-apt-cache` always asks apt. As root with apt-get (like simulate-upgrade.test.ts):
 * the touched list is put back to its times afterwards. The engine is a stub Engine API on a unix
 * socket with no containers (only the apt part is under test; never the machine's engine).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { upkeep } from '../helpers/cli.js';
import { stubEngine } from '../helpers/stub-engine.js';
import { hostLock } from '../helpers/host-lock.js';

// Host-wide state (dpkg, apt, policy-rc.d): never alongside another such file (test/helpers/host-lock.ts).
before(() => hostLock.acquire());
after(() => hostLock.release());

const ROOT = process.getuid?.() === 0;
const HAVE_APT = (() => {
  try {
    execFileSync('apt-get', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const LISTS = '/var/lib/apt/lists';
const aList = (() => {
  try {
    return readdirSync(LISTS).find((n) => n.endsWith('_Packages') || n.includes('_Packages.')) ?? null;
  } catch {
    return null;
  }
})();

let dir = '';
let server: Server | null = null;
let env: Record<string, string> = {};

before(async () => {
  if (!ROOT || !HAVE_APT || aList === null) return;
  dir = mkdtempSync(join(tmpdir(), 'upkeep-check-aptcache-'));
  const socket = join(dir, 'docker.sock');
  server = await stubEngine(socket, join(dir, 'docker'));
  mkdirSync(join(dir, 'state'), { mode: 0o700 }); // the cache goes only into an existing state directory
  env = { DOCKER_HOST: `unix://${socket}`, UPKEEP_STATE_DIR: join(dir, 'state') };
});
after(() => {
  server?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

interface CheckPreflight {
  exitCode: number | null;
  line: string;
  aptSimulation: { cached: boolean; computedAt: string; key: string | null; note: string | null };
  evidenceCache: { cached: number; total: number; note: string | null } | null;
}

async function check(...extra: string[]): Promise<CheckPreflight> {
  const r = await upkeep(['check', '--json', ...extra], env);
  assert.ok(r.code === 0 || r.code === 1, `upkeep check exit ${r.code}\n${r.stderr}`);
  const json = JSON.parse(r.stdout) as { preflight: CheckPreflight };
  assert.notEqual(json.preflight.exitCode, null, json.preflight.line);
  return json.preflight;
}

test(
  'upkeep check --json on real apt: fresh, then cached, then fresh again after a package list is touched',
  { skip: !ROOT ? 'needs root' : !HAVE_APT ? 'needs apt-get' : aList === null ? 'no package lists (apt update never ran)' : false, timeout: 300_000 },
  async () => {
    const first = await check();
    assert.equal(first.aptSimulation.cached, false);
    assert.match(first.aptSimulation.key ?? '', /^[0-9a-f]{64}$/);

    // Another apt or dpkg on this machine (other worktrees' tests) may change the inputs between two
    // runs: then the run is rightly fresh, and says why; the pair is tried again (at most 3 times).
    let before = first;
    let second = await check();
    for (let i = 0; i < 3 && !second.aptSimulation.cached; i++) {
      assert.match(second.aptSimulation.note ?? '', /stale|changed while it ran/);
      before = second;
      second = await check();
    }
    assert.deepEqual(second.aptSimulation, { ...before.aptSimulation, cached: true, note: null });
    // The packages' evidence came from the evidence cache too (all but those whose evidence needs
    // the units' enabled/active state), and gave the same answer.
    assert.ok(second.evidenceCache !== null && second.evidenceCache.cached > 0, JSON.stringify(second.evidenceCache));
    assert.equal(second.evidenceCache.total, before.evidenceCache!.total);
    assert.deepEqual([second.line, second.exitCode], [before.line, before.exitCode]);

    const CACHED_LINE = /^apt simulation: cached from \S+ \(package lists, dpkg status and apt config unchanged; --no-apt-cache to run apt again\)$/m;
    let text = await upkeep(['check'], env);
    for (let i = 0; i < 3 && !CACHED_LINE.test(text.stdout); i++) text = await upkeep(['check'], env);
    assert.match(text.stdout, CACHED_LINE);

    const forced = await check('--no-apt-cache');
    assert.deepEqual([forced.aptSimulation.cached, forced.aptSimulation.note], [false, 'cache not read (--no-apt-cache)']);
    assert.equal(forced.evidenceCache, null, '--no-apt-cache reads no cached evidence either');

    // A list file touched (as apt update does when the mirror has something new): apt runs again.
    const list = join(LISTS, aList!);
    const st = statSync(list);
    try {
      utimesSync(list, st.atime, new Date());
      const third = await check();
      assert.equal(third.aptSimulation.cached, false);
      assert.notEqual(third.aptSimulation.key, second.aptSimulation.key);
      assert.match(third.aptSimulation.note ?? '', /stale/);
    } finally {
      utimesSync(list, st.atime, st.mtime);
    }
  },
);

test(
  'upkeep preflight --no-download --json on real apt: the report from cached evidence is the report read from the scripts',
  { skip: !ROOT ? 'needs root' : !HAVE_APT ? 'needs apt-get' : aList === null ? 'no package lists (apt update never ran)' : false, timeout: 300_000 },
  async () => {
    const preflight = async (...extra: string[]) => {
      const r = await upkeep(['preflight', '--no-download', '--json', ...extra], env);
      assert.ok([0, 1, 3, 4].includes(r.code ?? -1), `upkeep preflight exit ${r.code}\n${r.stderr}`);
      return JSON.parse(r.stdout) as Record<string, unknown> & { evidenceCache: { cached: number } | null };
    };
    // Fresh: apt and every script read now (the cache not read); then from both caches. Another
    // worktree's dpkg run between the two makes the second fresh: tried again (at most 3 times).
    const fresh = await preflight('--no-apt-cache');
    let cached = await preflight();
    for (let i = 0; i < 3 && (cached.evidenceCache?.cached ?? 0) === 0; i++) cached = await preflight();
    assert.ok((cached.evidenceCache?.cached ?? 0) > 0, JSON.stringify(cached.evidenceCache));
    // The disk-space check reads free space, which other writers change between the two runs.
    const strip = ({ aptSimulation: _a, evidenceCache: _e, space: _s, ...rest }: Record<string, unknown>) => rest;
    assert.deepEqual(strip(cached), strip(fresh));
    // The sizes the space check reads from apt-cache and dpkg-query are cached too (the run above
    // wrote them): the same needs, now said to come from the cache; free space is read again.
    type Space = { sizes: string; filesystems: Array<{ paths: string[]; needs: unknown[] }> };
    const fromCache = (await preflight()).space as Space;
    const needs = (s: Space) => s.filesystems.map((f) => ({ paths: f.paths, needs: f.needs }));
    assert.match(fromCache.sizes, /from upkeep's cache/);
    assert.doesNotMatch((fresh.space as Space).sizes, /from upkeep's cache/);
    assert.deepEqual(needs(fromCache), needs(fresh.space as Space));
  },
);
