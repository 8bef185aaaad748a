/**
 * Benchmark: `upkeep preflight --plan test/fixtures/apt/plan-2000.txt --no-download --json`, the
 * 2,000-package plan analysed as the command does without download (parse, installed-script
 * lookups in /var/lib/dpkg/info, knowledge base, report). Measures the wall time of the whole
 * process (node start included): median of 5 runs, with hyperfine when installed, else a loop of
 * child processes timed with performance.now. No engine is reachable (DOCKER_HOST points nowhere),
 * so containers are not assessed. Target: under 1.5 s wall.
 * Run: npm run build && node --import tsx bench/preflight-2000.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const BIN = new URL('../bin/upkeep', import.meta.url).pathname;
const PLAN = new URL('../test/fixtures/apt/plan-2000.txt', import.meta.url).pathname;
const RUNS = 5;
const TARGET_S = 1.5;
const args = ['preflight', '--plan', PLAN, '--no-download', '--json'];
const env = { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock', NO_COLOR: '1' };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function checkOutput(): void {
  const r = spawnSync(BIN, args, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0 && r.status !== 1 && r.status !== 3) throw new Error(`upkeep preflight exited ${r.status}: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as { summary: { packages: number } };
  console.log(`packages in the report: ${report.summary.packages} (exit ${r.status})`);
}

function withHyperfine(): number[] | null {
  if (spawnSync('sh', ['-c', 'command -v hyperfine']).status !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'upkeep-bench-'));
  try {
    const out = join(dir, 'h.json');
    const cmd = [BIN, ...args].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('hyperfine', ['-N', '-i', '--warmup', '1', '--runs', String(RUNS), '--export-json', out, cmd], { env, stdio: 'inherit' });
    if (r.status !== 0) return null;
    return (JSON.parse(readFileSync(out, 'utf8')) as { results: Array<{ times: number[] }> }).results[0]!.times;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function withLoop(): number[] {
  spawnSync(BIN, args, { env, stdio: 'ignore' }); // warm-up (page cache of node_modules and dpkg info)
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    spawnSync(BIN, args, { env, stdio: 'ignore' });
    times.push((performance.now() - t0) / 1000);
  }
  return times;
}

checkOutput();
const hyper = withHyperfine();
const times = hyper ?? withLoop();
const m = median(times);
console.log(`method: ${hyper ? 'hyperfine' : 'child-process loop (performance.now)'}, ${RUNS} runs after 1 warm-up`);
console.log(`runs (s): ${times.map((t) => t.toFixed(2)).join(', ')}`);
console.log(`median: ${m.toFixed(2)} s; target < ${TARGET_S} s: ${m < TARGET_S ? 'met' : 'NOT met'}`);
