/**
 * Benchmark: how long `upkeep agent` takes to stop on SIGTERM while its host-facts actor runs
 * apt's simulation (`apt-get -s dist-upgrade`, seconds on this machine), against the simulation's
 * own time (what a stop used to wait for). The agent runs bin/upkeep (dist/) against a stub Engine
 * API on a unix socket (test/helpers/stub-engine.ts: never the machine's engine), with a fresh state
 * directory each round so that apt really runs; SIGTERM is sent the moment an apt-get child of the
 * agent appears (read from /proc), and the time to the agent's exit is measured around the process.
 * Run: npm run build && node --import tsx bench/agent-stop.ts [rounds]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { stubEngine } from '../test/helpers/stub-engine.js';
import { timedRun } from './proc.js';

const BIN = new URL('../bin/upkeep', import.meta.url).pathname;
const ROUNDS = Number(process.argv[2] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The pid of an apt-get process whose parent is `parent` (null: none yet). */
function aptChild(parent: number): number | null {
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === parent && readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'apt-get') return Number(p);
    } catch {
      /* gone meanwhile */
    }
  }
  return null;
}

const dir = mkdtempSync(join(tmpdir(), 'upkeep-bench-stop-'));
const socket = join(dir, 'docker.sock');
const server = await stubEngine(socket, join(dir, 'docker'));
const stops: number[] = [];
const sims: number[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    const state = join(dir, `state-${round}`);
    mkdirSync(state, { mode: 0o700 });
    const agent = spawn(BIN, ['agent', '--state-dir', state, '--listen', '127.0.0.1:0', '--log-format', 'json'], {
      env: { ...process.env, DOCKER_HOST: `unix://${socket}` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    agent.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<void>((resolve) => agent.once('exit', () => resolve()));
    const began = performance.now();
    let apt: number | null = null;
    while (apt === null && performance.now() - began < 30_000 && agent.exitCode === null) {
      apt = aptChild(agent.pid!);
      if (apt === null) await delay(5);
    }
    if (apt === null) throw new Error(`no apt-get under the agent within 30 s (exit ${agent.exitCode}): ${err.slice(-500)}`);
    const t0 = performance.now();
    agent.kill('SIGTERM');
    await exited;
    stops.push((performance.now() - t0) / 1000);
    // What the stop used to wait for: the simulation itself, run to its end.
    sims.push((await timedRun('apt-get', ['-s', '-o', 'Debug::NoLocking=1', 'dist-upgrade'], { ...process.env, LC_ALL: 'C' })).s);
    console.log(`round ${round + 1}: stop ${stops.at(-1)!.toFixed(2)} s; apt-get -s dist-upgrade alone ${sims.at(-1)!.toFixed(2)} s`);
  }
  console.log(`median: stop ${median(stops).toFixed(2)} s during apt's simulation; the simulation alone ${median(sims).toFixed(2)} s`);
} finally {
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
