/**
 * Benchmark: recovery at the floor, for every way a host goes down (issue 14, goal 1).
 *
 * The incident layout (test/engine/incident-host.ts) on a private engine: compose project srsilo
 * (silo, healthy before lapisOpen starts; both unless-stopped; silo bind-mounts a directory), compose
 * project v-pipe-scout (redis, healthy before streamlit and worker start; no restart policy) and a
 * k3d-like node (unless-stopped). Five HTTP services on loopback plus the worker (a `sleep`).
 *
 * Cases: the engine goes down and comes back, and t0 is the moment it answers /_ping again; the
 * time measured is t0 -> every desired service answering (HTTP 200 on its port; the worker running):
 *  - restart: dockerd SIGTERM (stops every container), started again;
 *  - crash:   dockerd SIGKILL, started again (the new daemon kills the orphaned containers);
 *  - boot:    the agent is stopped, dockerd stopped gracefully (every container exited), dockerd
 *             started again, and the agent started right after it answers: a reboot as systemd
 *             orders it (After=docker.service), without rebooting the machine. The containers
 *             Docker starts at its own start (always, unless-stopped) are started by it, as at boot.
 *  - each of those "+late": silo's bind-mount source is removed while the engine is down and made
 *    again LATE_MS after t0 (a disk mounted late, a network share).
 * For each case, per repetition, two runs:
 *  - floor:  no agent; this process starts every desired container through the raw Engine API the
 *            moment its preconditions hold (its dependencies healthy, its mount source there),
 *            polling every 50 ms;
 *  - upkeep: the agent (bin/upkeep agent, its own process, default config) running across the
 *            outage (restart, crash) or started after the engine (boot).
 *
 * Run: node --import tsx bench/headline.ts   (as root; starts its own private dockerd)
 * Env: REPS (default 3), LATE_MS (default 5000), CASES (comma-separated, default all six),
 *      UPKEEP_BIN (default this checkout's bin/upkeep: point it at another checkout to compare),
 *      UPKEEP_AGENT_NODE_OPTIONS (NODE_OPTIONS for the agent; default the systemd unit's, "" for Node's defaults).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../src/adapters/docker/engine-client.js';
import { parseDockerHost } from '../src/core/docker-host.js';
import { buildIncidentHost, type IncidentHost } from '../test/engine/incident-host.js';
import { PrivateEngine, sleep } from '../test/engine/private-engine.js';
import { freePort } from '../test/helpers/ports.js';
import { AGENT_NODE_OPTIONS as UNIT_NODE_OPTIONS } from '../src/core/install/unit-file.js';

const REPS = Number(process.env.REPS ?? 3);
const LATE_MS = Number(process.env.LATE_MS ?? 5000);
const CASES = (process.env.CASES ?? 'restart,crash,boot,restart+late,crash+late,boot+late').split(',');
const BIN = process.env.UPKEEP_BIN ?? new URL('../bin/upkeep', import.meta.url).pathname;
const LIMIT_MS = 90_000;

/** Who depends on whom being healthy (the compose files' depends_on). */
const DEPENDS: Record<string, string> = {
  srsilo_lapisOpen_1: 'srsilo_silo_1',
  'v-pipe-scout_streamlit_1': 'v-pipe-scout_redis_1',
  'v-pipe-scout_worker_1': 'v-pipe-scout_redis_1',
};
const MOUNTS_SILO = 'srsilo_silo_1';

const engine = await PrivateEngine.startOrSkip({ skip() {} } as never);
if (!engine) throw new Error('no private engine (run as root)');
const root = mkdtempSync(join(tmpdir(), 'upk-bench-headline-'));
let client = new EngineClient(parseDockerHost(engine.dockerHost));
let agent: ChildProcess | null = null;
let agentLog = '';
let agentRuns = 0;
const loadAtStart = loadavg();

async function answers(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(300) });
    await res.text();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function notAnswering(host: IncidentHost): Promise<string[]> {
  const checks = await Promise.all(
    Object.entries(host.desired).map(async ([name, port]) => {
      if (port !== null) return (await answers(port)) ? null : name;
      const c = await client.inspectContainer(name).catch(() => null);
      return c?.State?.Running === true ? null : name;
    }),
  );
  return checks.filter((n): n is string => n !== null);
}

async function allAnswer(host: IncidentHost): Promise<boolean> {
  return (await notAnswering(host)).length === 0;
}

/** Resolves with t (ms since t0) when every desired service answers; polls every 50 ms. */
async function timeToAllAnswering(host: IncidentHost, t0: number): Promise<number> {
  for (;;) {
    if (await allAnswer(host)) return Date.now() - t0;
    if (Date.now() - t0 > LIMIT_MS) return Number.NaN;
    await sleep(50);
  }
}

/** The floor: start each desired container the moment its preconditions hold, through the raw API. */
async function rawStarter(host: IncidentHost, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    const state = new Map<string, { running: boolean; healthy: boolean }>();
    for (const name of Object.keys(host.desired)) {
      const c = await client.inspectContainer(name).catch(() => null);
      const s = c?.State as { Running?: boolean; Health?: { Status?: string } } | undefined;
      state.set(name, { running: s?.Running === true, healthy: s?.Running === true && (s.Health === undefined || s.Health.Status === 'healthy') });
    }
    await Promise.all(
      Object.keys(host.desired).map(async (name) => {
        if (state.get(name)?.running) return;
        const dep = DEPENDS[name];
        if (dep !== undefined && !state.get(dep)?.healthy) return;
        if (name === MOUNTS_SILO && !existsSync(host.siloDataDir)) return;
        await client.startContainer(name).catch(() => undefined);
      }),
    );
    await sleep(50);
  }
}

async function startAgent(config: string, port: number): Promise<void> {
  const log = join(root, `agent-${++agentRuns}.log`);
  agentLog = log;
  const out = createWriteStream(log);
  agent = spawn(BIN, ['agent', '--config', config, '--state-dir', join(root, 'state'), '--listen', `127.0.0.1:${port}`], {
    env: { ...process.env, DOCKER_HOST: engine!.dockerHost, NODE_OPTIONS: process.env.UPKEEP_AGENT_NODE_OPTIONS ?? UNIT_NODE_OPTIONS },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  agent.stdout!.pipe(out);
  agent.stderr!.pipe(out);
}

async function stopAgent(): Promise<void> {
  const a = agent;
  if (a === null) return;
  agent = null;
  if (a.exitCode !== null) return;
  const exited = new Promise<void>((r) => a.once('exit', () => r()));
  a.kill('SIGTERM');
  await exited;
}

/** Waits until the agent's log holds a line matching `re` (checked every 100 ms). */
async function agentLogged(re: RegExp, withinMs = 60_000): Promise<void> {
  const end = Date.now() + withinMs;
  while (Date.now() < end) {
    if (existsSync(agentLog) && re.test(readFileSync(agentLog, 'utf8'))) return;
    await sleep(100);
  }
  throw new Error(`agent did not log ${re} within ${withinMs} ms (log: ${agentLog})`);
}

async function settled(host: IncidentHost): Promise<void> {
  const end = Date.now() + LIMIT_MS;
  while (!(await allAnswer(host))) {
    if (Date.now() > end) {
      const ps = await engine!.docker('ps', '-a', '--format', '{{.Names}} {{.Status}}').catch((e: Error) => e.message);
      throw new Error(`the layout did not come back between runs: ${(await notAnswering(host)).join(', ')} not answering\n${ps}`);
    }
    await sleep(200);
  }
}

async function engineBack(): Promise<number> {
  await engine!.start();
  const t0 = Date.now();
  await client.close();
  client = new EngineClient(parseDockerHost(engine!.dockerHost));
  return t0;
}

type Kind = 'restart' | 'crash' | 'boot';

/** One run of one case; returns ms from t0 to every service answering. */
async function runOnce(host: IncidentHost, kind: Kind, late: boolean, mode: 'floor' | 'upkeep', config: string, port: number): Promise<number> {
  await settled(host);
  if (mode === 'upkeep' && kind !== 'boot' && agent === null) {
    await startAgent(config, port);
    await agentLogged(/"event":"recovery"|first snapshot taken/);
  }
  if (mode === 'floor' || kind === 'boot') await stopAgent();
  if (kind === 'crash') await engine!.crash();
  else await engine!.stop();
  if (late) rmSync(host.siloDataDir, { recursive: true, force: true });
  const t0 = await engineBack();
  const mkdirTimer = late ? setTimeout(() => mkdirSync(host.siloDataDir, { recursive: true }), Math.max(0, LATE_MS - (Date.now() - t0))) : null;
  const stopFloor = new AbortController();
  if (mode === 'floor') void rawStarter(host, stopFloor.signal);
  if (mode === 'upkeep' && kind === 'boot') await startAgent(config, port);
  const ms = await timeToAllAnswering(host, t0);
  stopFloor.abort();
  if (mkdirTimer) await sleep(Math.max(0, LATE_MS - (Date.now() - t0)) + 50);
  if (!existsSync(host.siloDataDir)) mkdirSync(host.siloDataDir, { recursive: true });
  if (Number.isNaN(ms)) {
    // Reported as a timeout; the layout is brought back for the next run (and made desired again).
    const down = await notAnswering(host);
    process.stderr.write(`  ${kind}${late ? '+late' : ''} ${mode}: not answering after ${LIMIT_MS / 1000} s: ${down.join(', ')} (agent log ${agentLog})\n`);
    if (mode === 'upkeep') {
      for (const name of down) {
        await new Promise<void>((r) =>
          execFile(BIN, ['want', name, '--state-dir', join(root, 'state')], { env: { ...process.env, DOCKER_HOST: engine!.dockerHost } }, () => r()),
        );
      }
    }
    const restore = new AbortController();
    void rawStarter(host, restore.signal);
    await settled(host);
    restore.abort();
  }
  if (mode === 'floor') {
    // Everything back (the floor starter stopped when all answered), for the next run.
    await settled(host);
  }
  return ms;
}

const median = (xs: number[]): number => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const sec = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : 'timeout');

try {
  const host = await buildIncidentHost(engine, root);
  // The job and the scratch container of the incident are not part of this layout.
  await engine.docker('rm', '-f', host.job, host.stoppedOnPurpose);
  await settled(host);
  const config = join(root, 'upkeep.yml');
  writeFileSync(config, 'recovery:\n  grace: 10s\n', { mode: 0o600 });
  const port = await freePort();

  const rows: string[] = [];
  for (const c of CASES) {
    const [kind, lateTag] = c.split('+') as [Kind, string | undefined];
    const late = lateTag === 'late';
    const floor: number[] = [];
    const upkeep: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      floor.push(await runOnce(host, kind, late, 'floor', config, port));
      upkeep.push(await runOnce(host, kind, late, 'upkeep', config, port));
      process.stderr.write(`${c} rep ${rep + 1}: floor ${sec(floor.at(-1)!)} s, upkeep ${sec(upkeep.at(-1)!)} s\n`);
    }
    const f = median(floor);
    const u = median(upkeep);
    const row = `| ${c}${late ? ` (${LATE_MS / 1000} s)` : ''} | ${sec(f)} | ${sec(u)} | ${Number.isFinite(u - f) ? `${u - f >= 0 ? '+' : ''}${sec(u - f)}` : 'n/a'} | ${floor.map(sec).join(', ')} | ${upkeep.map(sec).join(', ')} |`;
    rows.push(row);
    process.stderr.write(`${row}\n`);
  }
  const loadAtEnd = loadavg();
  process.stdout.write(
    [
      `headline (recovery at the floor), ${new Date().toISOString()}, ${REPS} reps, node ${process.version}, agent ${BIN} with NODE_OPTIONS "${process.env.UPKEEP_AGENT_NODE_OPTIONS ?? UNIT_NODE_OPTIONS}"`,
      `load average at start ${loadAtStart.map((l) => l.toFixed(1)).join(' ')}, at end ${loadAtEnd.map((l) => l.toFixed(1)).join(' ')}`,
      '| case | floor (median, s) | upkeep (median, s) | upkeep - floor | floor runs | upkeep runs |',
      '|---|---|---|---|---|---|',
      ...rows,
    ].join('\n') + '\n',
  );
} finally {
  await stopAgent();
  await client.close();
  await engine.dispose();
  if (process.env.KEEP !== '1') rmSync(root, { recursive: true, force: true });
  else process.stderr.write(`kept ${root}\n`);
}
