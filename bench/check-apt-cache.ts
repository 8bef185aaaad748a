/**
 * Benchmark: `upkeep check` with apt's simulation cached vs computed (docs/benchmarks.md, "check
 * with the apt cache"). The whole process (node start included), timed around child processes with
 * performance.now: RUNS cold runs (both cache files removed before each: apt-get -s dist-upgrade
 * runs and every installed maintainer script is read and parsed) and RUNS warm runs (both caches
 * valid: apt does not run, no script is read), medians; and `check --no-preflight` as the
 * floor (check without its whole preflight part: apt and the assessment of the pending packages). The engine is a stub Engine API with no containers on a unix socket
 * (test/helpers/stub-engine.ts), so the engine part is small and the apt part is what differs.
 * Also the apt part alone on a hit, in this process (the key and the read, no node start).
 * Target: warm under 1 s. As root or not; reads this machine's apt.
 * Run: npm run build && node --import tsx bench/check-apt-cache.ts [runs]
 */
import { timedRun } from './proc.js';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { evidenceCacheFile } from '../src/adapters/apt/evidence-cache.js';
import { aptSimulationCacheFile, simulateUpgradeCached } from '../src/adapters/apt/simulation-cache.js';
import { stubEngine } from '../test/helpers/stub-engine.js';

const BIN = new URL('../bin/upkeep', import.meta.url).pathname;
const RUNS = Number(process.argv[2] ?? 10);
const TARGET_S = 1;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');

const dir = mkdtempSync(join(tmpdir(), 'upkeep-bench-check-'));
const socket = join(dir, 'docker.sock');
const stateDir = join(dir, 'state');
const server = await stubEngine(socket, join(dir, 'docker'));
const env = { ...process.env, DOCKER_HOST: `unix://${socket}`, UPKEEP_STATE_DIR: stateDir, NO_COLOR: '1' };

/** One `upkeep check --json ...`: its wall time in s and whether apt's simulation was cached. */
async function run(extra: string[]): Promise<{ s: number; cached: boolean | null; note: string | null }> {
  const out = await timedRun(BIN, ['check', '--json', ...extra], env);
  const s = out.s;
  if (out.code === 2 || out.code === null) throw new Error(`upkeep check exited ${out.code}: ${out.stderr}`);
  const json = JSON.parse(out.stdout) as { preflight?: { aptSimulation: { cached: boolean; note: string | null } | null } | null };
  return { s, cached: json.preflight?.aptSimulation?.cached ?? null, note: json.preflight?.aptSimulation?.note ?? null };
}

try {
  const load = spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.trim();
  console.log(`upkeep check, ${RUNS} runs each, stub engine (0 containers); load average before: ${load}`);
  const floor: number[] = [];
  for (let i = 0; i < RUNS; i++) floor.push((await run(['--no-preflight'])).s);
  const cold: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    // check never creates the state directory (snapshot does): keep it, remove only the cache file.
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    rmSync(aptSimulationCacheFile(stateDir, 'dist-upgrade'), { force: true });
    rmSync(evidenceCacheFile(stateDir), { force: true });
    const r = await run([]);
    if (r.cached !== false) throw new Error(`cold run ${i}: cached=${r.cached}`);
    cold.push(r.s);
  }
  // Another apt or dpkg on the machine (apt update, a test installing a .deb) changes the key: such
  // a run is fresh, rightly; it is reported and run again rather than counted as warm.
  const warm: number[] = [];
  let fresh = 0;
  while (warm.length < RUNS) {
    const r = await run([]);
    if (r.cached === true) warm.push(r.s);
    else if (++fresh > RUNS) throw new Error(`apt's inputs keep changing: ${r.note}`);
    else console.log(`a warm run was fresh (${r.note}): run again`);
  }
  // The apt part alone, in this process: the key (apt-config dump, stats, hashes) and the read.
  const hit: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = await simulateUpgradeCached('dist-upgrade', { stateDir, upkeepVersion: 'bench' });
    if (i > 0 && r.simulation.cached) hit.push((performance.now() - t0) / 1000);
  }
  console.log(`--no-preflight (floor): median ${median(floor).toFixed(2)} s  [${fmt(floor)}]`);
  console.log(`cold (apt runs):        median ${median(cold).toFixed(2)} s  [${fmt(cold)}]`);
  console.log(`warm (cached):          median ${median(warm).toFixed(2)} s  [${fmt(warm)}]`);
  if (hit.length > 0) console.log(`apt part on a hit (in-process: key + read): median ${(median(hit) * 1000).toFixed(0)} ms`);
  console.log(`warm - floor: ${(median(warm) - median(floor)).toFixed(2)} s; target warm < ${TARGET_S} s: ${median(warm) < TARGET_S ? 'met' : 'NOT met'}`);
} finally {
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
