/**
 * Benchmark: how upkeep's costs grow with the number of containers (issue 14, goal 5). One private
 * engine; the sizes in ascending order, re-using the containers (create 10, measure, add 90,
 * measure, add 400, measure). Every container is busybox `sh -c 'sleep 1000000 & wait $!'`
 * (`--network none`, stop timeout 1 s, restart policy `no`), created through the Engine API,
 * CREATE_CONCURRENCY at a time. Per size:
 *
 * 1. CLI (no agent running; DOCKER_HOST the private engine, the benchmark's own state directory,
 *    where `upkeep snapshot` has just recorded every container as desired): wall time of the
 *    whole process (node start included), median of RUNS, for `upkeep status --json`,
 *    `upkeep check --no-preflight --json` (the container-dependent part: status, audit of the
 *    live containers and their compose files) and `upkeep check --json` with apt's simulation
 *    cached (warm: the cache in the state directory is valid, which each run's JSON confirms; a run
 *    whose cache turned out stale because dpkg/apt changed meanwhile is repeated, not counted).
 *    And the floor under every level-based read: one GET /containers/json?all=1 from this process.
 * 2. The agent (bin/upkeep agent, its own process, NODE_OPTIONS of the systemd unit, a config with
 *    one webhook channel to a receiver in this process, `group: false`): once it has reconciled and
 *    SETTLE_SECONDS more, IDLE_SECONDS without any event: VmRSS and VmHWM from /proc/PID/status at
 *    the end, CPU (utime+stime from /proc/PID/stat) over the idle period as % of one core. With the
 *    defaults the window holds the agent's first resync after its start, which (like every 10th)
 *    inspects every container: most of the idle cost (docs/benchmarks.md, "How cost grows").
 * 3. Detection: KILLS containers (spread over the names) killed one after the other by SIGKILL to
 *    their `sleep` from the host (t0 just before the kill): t0 -> the webhook receives the agent's
 *    "is down" alert, and t0 -> this process's own event stream sees the container's `start`
 *    (running again); the `die` event on the same stream is the floor. Medians over the kills.
 * 4. A recovery pass: with the agent running, a graceful daemon restart (SIGTERM to dockerd, which
 *    runs with --shutdown-timeout 300 so that it stops every container before it exits, see
 *    SHUTDOWN_TIMEOUT_S; with policy `no` none comes back by itself); t0 is the moment the engine
 *    answers /_ping again; measured: t0 -> every container running (a list every 100 ms from this
 *    process). Then the floor in the same run: the agent stopped, the same graceful restart, and
 *    this process starts every container through the raw API (POST /containers/ID/start) with the
 *    agent's default concurrency (config recovery.concurrency), timed the same way.
 *
 * Prints one markdown table: rows the measures, columns the sizes, the ratios 500/10 and 100/10,
 * the cost per added container (10 -> 100 and 100 -> 500) and whether the row grows at most
 * linearly: the largest size's value is at most 10 % above the straight line through the two
 * smaller sizes (i.e. the cost per added container does not grow), or "flat" when the three values
 * are within 30 % of each other (a cost that does not depend on the number, up to noise).
 *
 * Run: npx tsc -p tsconfig.build.json && node --import tsx bench/scale.ts   (as root; about 20 min, more when a daemon stop is slow)
 * Env: SIZES (default 10,100,500), IDLE_SECONDS (default 120), SETTLE_SECONDS (default 20),
 * RUNS (default 5), KILLS (default 3), UPKEEP_AGENT_NODE_OPTIONS (default the unit's,
 * AGENT_NODE_OPTIONS in src/core/install/unit-file.ts), AGENT_EXTRA_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": node
 * flags put in NODE_OPTIONS too; the agent's short-lived config child writes a profile as well), KEEP=1 keeps the temporary directory (agent logs).
 */
import { procStat, sleepPid, timedRun } from './proc.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EngineClient, type DockerEngine } from '../src/adapters/docker/engine-client.js';
import { mapBounded } from '../src/adapters/docker/host-state.js';
import { defaultConfig } from '../src/core/config/types.js';
import { parseDockerHost } from '../src/core/docker-host.js';
import { PrivateEngine, sleep, TEST_IMAGE } from '../test/engine/private-engine.js';
import { freePort } from '../test/helpers/ports.js';
import { AGENT_NODE_OPTIONS as UNIT_NODE_OPTIONS } from '../src/core/install/unit-file.js';

const SIZES = (process.env.SIZES ?? '10,100,500').split(',').map(Number);
const IDLE_SECONDS = Number(process.env.IDLE_SECONDS ?? 120);
const SETTLE_SECONDS = Number(process.env.SETTLE_SECONDS ?? 20);
const RUNS = Number(process.env.RUNS ?? 5);
const KILLS = Number(process.env.KILLS ?? 3);
const AGENT_NODE_OPTIONS = [process.env.UPKEEP_AGENT_NODE_OPTIONS ?? UNIT_NODE_OPTIONS, process.env.AGENT_EXTRA_ARGS ?? ''].filter(Boolean).join(' ');
const BIN = new URL('../bin/upkeep', import.meta.url).pathname;
const KILLABLE = ['sh', '-c', 'sleep 1000000 & wait $!'];
const CREATE_CONCURRENCY = 8;
/** The agent's default recovery concurrency: the floor starts as many at once. */
const CONCURRENCY = defaultConfig().recovery.concurrency;
const LIMIT_MS = 10 * 60_000;
/**
 * dockerd's --shutdown-timeout: how long a stopping daemon waits for its containers. Its default,
 * 15 s, is too short for 500 containers on 2 cores (stopping them took longer): the daemon exits
 * with containers still running and the next one kills them at its start, as after a crash, and
 * answers only after that (more than 30 s). Set long enough for a graceful stop of every size.
 */
const SHUTDOWN_TIMEOUT_S = 300;

// ---- helpers ----

const median = (xs: number[]): number => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Two significant digits, without exponents. */
const sig2 = (x: number): string => (Math.abs(x) >= 100 ? String(Math.round(x)) : String(Number(x.toPrecision(2))));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const say = (s: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);

// ---- the engine, the receiver, the state ----

const engine = await PrivateEngine.startOrSkip({ skip() {} } as never, ['--shutdown-timeout', String(SHUTDOWN_TIMEOUT_S)]);
if (!engine) throw new Error('no private engine (run as root)');
const root = mkdtempSync(join(tmpdir(), 'upk-bench-scale-'));
const stateDir = join(root, 'state');
let client = new EngineClient(parseDockerHost(engine.dockerHost));
let agent: ChildProcess | null = null;
const stopEvents = new AbortController();
const cliEnv = { ...process.env, DOCKER_HOST: engine.dockerHost, NO_COLOR: '1', NODE_OPTIONS: '' };

/** Alerts the webhook received: subject, kind, when. */
const alerts: Array<{ subject: string; kind: string; at: number }> = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString('utf8')));
  req.on('end', () => {
    const at = Date.now();
    try {
      const m = JSON.parse(body) as { subject: string; kind: string };
      alerts.push({ subject: m.subject, kind: m.kind, at });
    } catch {
      /* not ours */
    }
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
const config = join(root, 'upkeep.yml');
writeFileSync(config, `alerts:\n  channels:\n    - { type: webhook, url: "${hookUrl}", group: false }\n`, { mode: 0o600 });
const port = await freePort();

/** `start` and `die` events from this process's own stream (re-subscribed after a daemon restart). */
const events: Array<{ name: string; action: string; at: number }> = [];
function watchEvents(c: DockerEngine): void {
  void (async () => {
    try {
      for await (const ev of c.events({ signal: stopEvents.signal, filters: { type: ['container'], event: ['die', 'start'] } })) {
        events.push({ name: ev.Actor.Attributes.name ?? '', action: ev.Action, at: Date.now() });
      }
    } catch {
      /* the daemon went away: watchEvents is called again after it is back */
    }
  })();
}

async function newClient(): Promise<void> {
  await client.close();
  client = new EngineClient(parseDockerHost(engine!.dockerHost));
  watchEvents(client);
}

/** One CLI run: wall seconds and the parsed JSON. */
async function cli(args: string[]): Promise<{ s: number; json: unknown }> {
  const out = await timedRun(BIN, args, cliEnv);
  const s = out.s;
  if (out.code !== 0 && out.code !== 1) throw new Error(`upkeep ${args.join(' ')} exited ${out.code}: ${out.stderr}`);
  return { s, json: args.includes('--json') ? JSON.parse(out.stdout) : null };
}

async function createContainers(names: string[]): Promise<void> {
  await mapBounded(names, CREATE_CONCURRENCY, async (name) => {
    const { id } = await client.createContainer(name, {
      Image: TEST_IMAGE,
      Cmd: KILLABLE,
      StopTimeout: 1,
      HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } },
    });
    await client.startContainer(id);
  });
}

async function runningCount(names: ReadonlySet<string>): Promise<number> {
  const listed = await client.listContainers({ all: true, filters: { status: ['running'] } });
  return listed.filter((c) => c.Names.some((n) => names.has(n.replace(/^\//, '')))).length;
}

/** ms from t0 until every container in `names` runs (a list every 100 ms); NaN after LIMIT_MS. */
async function untilAllRunning(names: ReadonlySet<string>, t0: number): Promise<number> {
  for (;;) {
    const n = await runningCount(names).catch(() => -1);
    if (n === names.size) return Date.now() - t0;
    if (Date.now() - t0 > LIMIT_MS) {
      say(`  only ${n} of ${names.size} running after ${LIMIT_MS / 1000} s`);
      return Number.NaN;
    }
    await sleep(100);
  }
}

/** A process that has exited (gone, or a zombie not reaped yet). */
function exited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/**
 * A graceful daemon restart; returns t0 (the engine answers again) and how long the stop took.
 * dockerd runs with --shutdown-timeout SHUTDOWN_TIMEOUT_S (see the file comment), and the stop is
 * waited for here rather than in the harness, whose stop() kills a daemon still stopping after 60 s.
 */
async function restartEngine(): Promise<{ t0: number; stopMs: number }> {
  const s = Date.now();
  const pid = Number(readFileSync(join(engine!.dir, 'docker.pid'), 'utf8').trim());
  process.kill(pid, 'SIGTERM');
  while (!exited(pid)) {
    if (Date.now() - s > (SHUTDOWN_TIMEOUT_S + 60) * 1000) throw new Error('dockerd did not stop');
    await sleep(100);
  }
  const stopMs = Date.now() - s;
  await engine!.stop(); // has exited: this only clears the harness's handle
  try {
    await engine!.start();
  } catch (err) {
    // The harness waits 30 s for /_ping; a daemon with hundreds of containers to clean up may need longer.
    say(`  ${(err as Error).message.split('\n')[0]}: waiting longer`);
    const end = Date.now() + LIMIT_MS;
    const pinger = new EngineClient(parseDockerHost(engine!.dockerHost));
    try {
      while (
        !(await pinger.ping().then(
          () => true,
          () => false,
        ))
      ) {
        if (Date.now() > end) throw err;
        await sleep(50);
      }
    } finally {
      await pinger.close();
    }
  }
  const t0 = Date.now();
  await newClient();
  return { t0, stopMs };
}

async function startAgent(log: string): Promise<void> {
  const out = createWriteStream(log);
  agent = spawn(BIN, ['agent', '--config', config, '--state-dir', stateDir, '--listen', `127.0.0.1:${port}`], {
    env: { ...process.env, DOCKER_HOST: engine!.dockerHost, NODE_OPTIONS: AGENT_NODE_OPTIONS },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  agent.stdout!.pipe(out);
  agent.stderr!.pipe(out);
}

async function stopAgent(): Promise<void> {
  const a = agent;
  agent = null;
  if (a === null || a.exitCode !== null) return;
  const exited = new Promise<void>((r) => a.once('exit', () => r()));
  a.kill('SIGTERM');
  await exited;
}

/** The agent's /status once it has reconciled and lists at least `n` containers. */
async function agentReady(n: number): Promise<void> {
  const end = Date.now() + 120_000;
  while (Date.now() < end) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/status`, { signal: AbortSignal.timeout(2_000) });
      const s = (await res.json()) as { lastReconcileAt: string | null; containers: unknown[] };
      if (s.lastReconcileAt !== null && s.containers.length >= n) return;
    } catch {
      /* not listening yet */
    }
    await sleep(200);
  }
  throw new Error(`the agent did not report ${n} containers within 120 s`);
}

// ---- the measures ----

type Row = { label: string; unit: string; values: number[]; digits: number; note?: string };
const rows = new Map<string, Row>();
function record(key: string, label: string, unit: string, digits: number, value: number): void {
  const r = rows.get(key) ?? { label, unit, values: [], digits };
  r.values.push(value);
  rows.set(key, r);
}
const details: string[] = [];

try {
  const all: string[] = [];
  let agentRuns = 0;
  watchEvents(client);
  for (const size of SIZES) {
    const add = Array.from({ length: size - all.length }, (_, i) => `scale-${String(all.length + i).padStart(3, '0')}`);
    say(`size ${size}: creating ${add.length} containers (load ${load()})`);
    const c0 = Date.now();
    await createContainers(add);
    all.push(...add);
    const names = new Set(all);
    say(`  created in ${((Date.now() - c0) / 1000).toFixed(1)} s; ${await runningCount(names)} running`);

    // 1. The CLI, against a fresh snapshot of all of them.
    await cli(['snapshot', '--state-dir', stateDir, '--note', `scale ${size}`]);
    const status: number[] = [];
    const checkNoApt: number[] = [];
    const checkWarm: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      status.push((await cli(['status', '--json', '--state-dir', stateDir])).s);
      checkNoApt.push((await cli(['check', '--json', '--no-preflight', '--state-dir', stateDir])).s);
    }
    for (let tries = 0; checkWarm.length < RUNS; tries++) {
      if (tries > RUNS * 4) throw new Error('apt simulation never cached (dpkg/apt changing all the time?)');
      const r = await cli(['check', '--json', '--state-dir', stateDir]);
      const sim = (r.json as { preflight?: { aptSimulation?: { cached?: boolean; note?: string | null } | null } | null }).preflight?.aptSimulation;
      if (sim?.cached === true) checkWarm.push(r.s);
      else say(`  check: apt simulation not cached (${sim?.note ?? 'no note'}): ${r.s.toFixed(2)} s, not counted`);
    }
    // The floor of every level-based read (status, check, each agent reconcile): one list of all containers.
    const list: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await client.listContainers({ all: true });
      list.push(performance.now() - t0);
    }
    record('list', `floor: one Engine API list of every container (median of ${RUNS})`, 'ms', 0, median(list));
    record('status', `\`upkeep status\` (whole process, median of ${RUNS})`, 's', 2, median(status));
    record('check0', `\`upkeep check --no-preflight\` (median of ${RUNS})`, 's', 2, median(checkNoApt));
    record('check', `\`upkeep check\`, apt simulation cached (median of ${RUNS})`, 's', 2, median(checkWarm));
    details.push(
      `size ${size}: status ${status.map((x) => x.toFixed(2)).join(', ')}; check --no-preflight ${checkNoApt.map((x) => x.toFixed(2)).join(', ')}; check warm ${checkWarm.map((x) => x.toFixed(2)).join(', ')} s`,
    );
    say(`  cli: status ${median(status).toFixed(2)} s, check --no-preflight ${median(checkNoApt).toFixed(2)} s, check ${median(checkWarm).toFixed(2)} s`);

    // 2. The idle agent.
    await startAgent(join(root, `agent-${++agentRuns}.log`));
    const pid = agent!.pid!;
    await agentReady(size);
    await sleep(SETTLE_SECONDS * 1000);
    say(`  agent ready; idle ${IDLE_SECONDS} s (load ${load()})`);
    const i0 = procStat(pid);
    const it0 = Date.now();
    await sleep(IDLE_SECONDS * 1000);
    const i1 = procStat(pid);
    const idleCpu = ((i1.cpuSeconds - i0.cpuSeconds) / ((Date.now() - it0) / 1000)) * 100;
    record('rss', 'agent idle VmRSS', 'MiB', 1, i1.rssMiB);
    record('hwm', 'agent VmHWM (peak, start + idle)', 'MiB', 1, i1.hwmMiB);
    record('cpu', `agent idle CPU over ${IDLE_SECONDS} s`, '% of a core', 2, idleCpu);
    say(`  idle: RSS ${i1.rssMiB.toFixed(1)} MiB (peak ${i1.hwmMiB.toFixed(1)}), CPU ${idleCpu.toFixed(2)} % (load ${load()})`);

    // 3. Detection.
    const victims = Array.from({ length: KILLS }, (_, k) => all[Math.floor(((k + 0.5) * all.length) / KILLS)]!);
    const die: number[] = [];
    const alerted: number[] = [];
    const healed: number[] = [];
    for (const v of victims) {
      const cpid = (await client.inspectContainer(v)).State.Pid as number;
      const victim = sleepPid(cpid);
      const t0 = Date.now();
      process.kill(victim, 'SIGKILL');
      const end = t0 + 60_000;
      const seen = (action: string) => events.find((e) => e.name === v && e.action === action && e.at >= t0)?.at;
      const alert = () => alerts.find((a) => a.subject === v && a.kind === 'firing' && a.at >= t0)?.at;
      while (Date.now() < end && (seen('start') === undefined || alert() === undefined)) await sleep(20);
      die.push((seen('die') ?? NaN) - t0);
      alerted.push((alert() ?? NaN) - t0);
      healed.push((seen('start') ?? NaN) - t0);
      await sleep(3_000);
    }
    record('die', 'floor: Engine API `die` event after the kill (median)', 'ms', 0, median(die));
    record('alert', 'webhook alert after the kill (median)', 'ms', 0, median(alerted));
    record('heal', 'container running again after the kill (median)', 'ms', 0, median(healed));
    details.push(`size ${size}: kills of ${victims.join(', ')}: die ${die.join(', ')} ms; alert ${alerted.join(', ')} ms; running ${healed.join(', ')} ms`);
    say(`  detection: die ${median(die)} ms, alert ${median(alerted)} ms, running ${median(healed)} ms`);

    // 4. A recovery pass by the agent, then the floor.
    await sleep(2_000);
    const r0 = procStat(pid);
    const ar = await restartEngine();
    const agentMs = await untilAllRunning(names, ar.t0);
    const r1 = procStat(pid);
    say(`  recovery by the agent: ${(agentMs / 1000).toFixed(2)} s (daemon stop took ${(ar.stopMs / 1000).toFixed(1)} s)`);
    await sleep(5_000); // the pass's final read and summary
    const r2 = procStat(pid);
    record('recovery', 'recovery pass by the agent: engine up -> all running', 's', 2, agentMs / 1000);
    record('recoveryCpu', 'agent CPU during the recovery pass (restart -> all running)', 's', 2, r1.cpuSeconds - r0.cpuSeconds);
    record('recoveryHwm', 'agent VmHWM after the recovery pass', 'MiB', 1, r2.hwmMiB);
    await stopAgent();

    const fr = await restartEngine();
    const stopFloor = new AbortController();
    const starter = mapBounded(all, CONCURRENCY, async (n) => {
      if (!stopFloor.signal.aborted) await client.startContainer(n).catch(() => undefined);
    });
    const floorMs = await untilAllRunning(names, fr.t0);
    stopFloor.abort();
    await starter;
    record('floor', `floor: raw API starts, ${CONCURRENCY} at a time: engine up -> all running`, 's', 2, floorMs / 1000);
    record('ratio', 'recovery pass: agent / floor', 'x', 2, agentMs / floorMs);
    details.push(
      `size ${size}: daemon stop ${(ar.stopMs / 1000).toFixed(1)} s (agent run), ${(fr.stopMs / 1000).toFixed(1)} s (floor run); agent CPU after the pass's end ${(r2.cpuSeconds - r1.cpuSeconds).toFixed(2)} s more; load ${load()}`,
    );
    say(`  floor: ${(floorMs / 1000).toFixed(2)} s (daemon stop took ${(fr.stopMs / 1000).toFixed(1)} s)`);
    if ((await runningCount(names)) !== names.size) throw new Error('not every container runs after the floor');
  }

  // ---- the table ----
  const idx = (n: number) => SIZES.indexOf(n);
  const fmt = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const [s0, s1, s2] = [SIZES[0]!, SIZES[1]!, SIZES[2]!];
  const lines = [
    `scale, ${new Date().toISOString()}, node ${process.version}, sizes ${SIZES.join('/')}, idle ${IDLE_SECONDS} s, ${RUNS} CLI runs, ${KILLS} kills, agent NODE_OPTIONS "${AGENT_NODE_OPTIONS}", load ${load()}`,
    '',
    `| measure | unit | ${SIZES.join(' | ')} | ${s1}/${s0} | ${s2}/${s0} | per added container ${s0}->${s1} | ${s1}->${s2} | at most linear? |`,
    `|---|---|${SIZES.map(() => '---|').join('')}---|---|---|---|---|`,
  ];
  for (const r of rows.values()) {
    const v = (n: number) => r.values[idx(n)] ?? NaN;
    const [a, b, c] = [v(s0), v(s1), v(s2)];
    const m1 = (b - a) / (s1 - s0);
    const m2 = (c - b) / (s2 - s1);
    const line = b + (s2 - s1) * Math.max(m1, 0);
    const flat = Math.max(a, b, c) <= 1.3 * Math.min(a, b, c);
    const linear = !Number.isFinite(c)
      ? 'n/a'
      : c <= line * 1.1
        ? flat
          ? 'yes (flat)'
          : 'yes'
        : flat
          ? 'yes (flat, within 30 %)'
          : `**no** (${fmt(c / line, 2)}x the line)`;
    const per = (m: number) => (Number.isFinite(m) ? `${m >= 0 ? '+' : ''}${sig2(m * (r.unit === 's' ? 1000 : 1))}${r.unit === 's' ? ' ms' : ''}` : 'n/a');
    lines.push(
      `| ${r.label} | ${r.unit} | ${r.values.map((x) => fmt(x, r.digits)).join(' | ')} | ${fmt(b / a, 2)} | ${fmt(c / a, 2)} | ${per(m1)} | ${per(m2)} | ${linear} |`,
    );
  }
  lines.push('', ...details);
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  stopEvents.abort();
  await stopAgent();
  server.close();
  await client.close();
  await engine.dispose();
  if (process.env.KEEP !== '1') rmSync(root, { recursive: true, force: true });
  else process.stderr.write(`kept ${root}\n`);
}
