/**
 * Benchmark: how fast `upkeep agent` notices a dead container, against the floor and two pollers,
 * and what the agent costs while idle. One run, one private engine, 100 containers:
 *
 * 1. Detection: the agent runs as its own process (bin/upkeep agent, a config with one webhook to
 *    a receiver in this process). Every container is killed once (SIGKILL to the `sleep` inside it,
 *    sent from the host: t0 is taken just before the kill), 1 s apart. Measured per kill:
 *      - floor:   this process's own Engine API event stream delivers the `die` event;
 *      - upkeep:  the webhook receives the agent's "is down" alert;
 *      - poll 5s / poll 60s: pollers listing the containers every 5 s (docker-autoheal's default)
 *        and every 60 s (Uptime Kuma's default), from random phases: the end of the first list
 *        that started after the kill (what they would see if the agent did not heal it first).
 *    And heal latency: t0 -> the agent's `start` event for that container.
 *    Before the agent starts, the heal floor: every container killed once more the same way, and this
 *    process starts it by the raw API the moment its `die` event arrives (t0 -> `start` event).
 * 2. Idle: the same agent with the 100 containers running, IDLE_MINUTES (default 10) without any
 *    event; RSS from /proc/PID/status (VmRSS at the end, VmHWM the peak), CPU from /proc/PID/stat.
 *
 * Run: node --import tsx bench/agent-latency.ts   (as root; starts its own private dockerd)
 * Env: KILLS (default 100), IDLE_MINUTES (default 10), RAW_FLOOR=0 (skip the raw floor and the 60 s
 * poller's last pass: a quick look), AGENT_LOG=FILE (keep the agent's JSON log), TIMES=FILE (each kill's
 * times as JSON lines, epoch ms: kill, this process's `die` event, the webhook alert, the `start`
 * event; to line up with AGENT_LOG's timestamps), UPKEEP_BIN (the agent of another build, e.g. a
 * checkout of the commit before, for a before/after pair in one session), UPKEEP_AGENT_NODE_OPTIONS (NODE_OPTIONS for
 * the agent; default the systemd unit's value, the agent as installed: "" for Node's defaults).
 */
import { procStat, sleepPid } from './proc.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../src/adapters/docker/engine-client.js';
import type { AlertMessage } from '../src/adapters/notify/notifier.js';
import { parseDockerHost } from '../src/core/docker-host.js';
import { PrivateEngine, sleep } from '../test/engine/private-engine.js';
import { AGENT_NODE_OPTIONS as UNIT_NODE_OPTIONS } from '../src/core/install/unit-file.js';

const KILLS = Number(process.env.KILLS ?? 100);
const IDLE_MINUTES = Number(process.env.IDLE_MINUTES ?? 10);
// UPKEEP_BIN: another build's bin/upkeep (a before/after comparison in one session, same load).
const BIN = process.env.UPKEEP_BIN ?? new URL('../bin/upkeep', import.meta.url).pathname;
const KILLABLE = ['sh', '-c', 'sleep 1000000 & wait $!'];

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}
const fmt = (ms: number) => (Number.isFinite(ms) ? `${Math.round(ms)} ms` : 'n/a');
function line(label: string, xs: number[]): string {
  return `| ${label} | ${fmt(pct(xs, 50))} | ${fmt(pct(xs, 90))} | ${fmt(pct(xs, 99))} | ${fmt(Math.max(...xs))} | ${xs.length} |`;
}

const engine = await PrivateEngine.startOrSkip({ skip() {} } as never);
if (!engine) throw new Error('no private engine (run as root)');
const root = mkdtempSync(join(tmpdir(), 'upk-bench-agent-'));
const client = new EngineClient(parseDockerHost(engine.dockerHost));
const stopAll = new AbortController();
let agentPid = 0;
try {
  const names = Array.from({ length: KILLS }, (_, i) => `lat-${String(i).padStart(3, '0')}`);
  process.stderr.write(`creating ${names.length} containers...\n`);
  for (const n of names) await engine.run(n, { cmd: KILLABLE });

  // The webhook receiver.
  const alerted = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const at = Date.now();
      const m = JSON.parse(body) as AlertMessage;
      if (m.kind === 'firing' && !alerted.has(m.subject)) alerted.set(m.subject, at);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const config = join(root, 'upkeep.yml');
  writeFileSync(config, `recovery: { grace: 0s }\nalerts:\n  channels:\n    - { type: webhook, url: "${url}", group: false }\n`, { mode: 0o600 });

  // The floor and the heal times, from this process's own event stream. Before the agent runs
  // (phase "raw"), this process itself starts a container the moment its `die` event arrives: the
  // heal floor, a raw API start after the event, measured on the same engine in the same run.
  const dieSeen = new Map<string, number>();
  const startSeen = new Map<string, number>();
  const raw = { on: true, die: new Map<string, number>(), start: new Map<string, number>() };
  void (async () => {
    for await (const ev of client.events({ signal: stopAll.signal, filters: { type: ['container'], event: ['die', 'start'] } })) {
      const name = ev.Actor.Attributes.name ?? '';
      if (raw.on) {
        const map = ev.Action === 'die' ? raw.die : raw.start;
        if (!map.has(name)) map.set(name, Date.now());
        if (ev.Action === 'die') void client.startContainer(ev.Actor.ID).catch(() => undefined);
        continue;
      }
      const map = ev.Action === 'die' ? dieSeen : startSeen;
      if (!map.has(name)) map.set(name, Date.now());
    }
  })();
  const killOne = async (n: string): Promise<number> => {
    const pid = (await client.inspectContainer(n)).State.Pid as number;
    const victim = sleepPid(pid);
    const at = Date.now();
    process.kill(victim, 'SIGKILL');
    return at;
  };
  process.stderr.write(`raw floor: killing ${names.length} containers, 1 s apart, each started by this process on its die event...\n`);
  const rawKilled = new Map<string, number>();
  await sleep(500);
  // RAW_FLOOR=0 skips this phase (quick looks at the agent alone).
  for (const n of process.env.RAW_FLOOR === '0' ? [] : names) {
    rawKilled.set(n, await killOne(n));
    await sleep(1_000);
  }
  await sleep(2_000);
  raw.on = false;
  const rawFrom = (m: Map<string, number>) => names.flatMap((n) => (m.has(n) ? [m.get(n)! - rawKilled.get(n)!] : []));
  // The start after the die event: from the event's arrival, and from the kill.
  const rawAfterDie = names.flatMap((n) => (raw.start.has(n) && raw.die.has(n) ? [raw.start.get(n)! - raw.die.get(n)!] : []));

  const agent = spawn(BIN, ['agent', '--config', config, '--state-dir', join(root, 'state'), '--listen', '127.0.0.1:0'], {
    env: { ...process.env, DOCKER_HOST: engine.dockerHost, NODE_OPTIONS: process.env.UPKEEP_AGENT_NODE_OPTIONS ?? UNIT_NODE_OPTIONS },
    // AGENT_LOG=FILE keeps the agent's JSON log (its stdout), to see where the time goes.
    stdio: ['ignore', process.env.AGENT_LOG ? openSync(process.env.AGENT_LOG, 'w') : 'ignore', 'inherit'],
  });
  agentPid = agent.pid ?? 0;
  await sleep(5_000); // first snapshot, startup recovery pass

  // The pollers: each lists the containers every P seconds from a random phase, for real (so their
  // cost is real). Since the agent heals containers faster than a poller looks, a poller's detection
  // time is computed as "what it would have seen if nothing healed it": the end of its first list
  // that started after the kill.
  const killedAt = new Map<string, number>();
  const ticks = { 5: [] as Array<{ start: number; end: number }>, 60: [] as Array<{ start: number; end: number }> };
  for (const seconds of [5, 60] as const) {
    void (async () => {
      await sleep(Math.random() * seconds * 1000);
      while (!stopAll.signal.aborted) {
        const start = Date.now();
        await client.listContainers({ all: true }).catch(() => []);
        ticks[seconds].push({ start, end: Date.now() });
        await sleep(seconds * 1000 - (Date.now() - start));
      }
    })();
  }
  const pollerSeen = (seconds: 5 | 60): Map<string, number> =>
    new Map(
      [...killedAt].flatMap(([name, at]) => {
        const tick = ticks[seconds].find((t) => t.start >= at);
        return tick ? [[name, tick.end] as const] : [];
      }),
    );

  process.stderr.write(`killing ${names.length} containers, 1 s apart...\n`);
  for (const n of names) {
    killedAt.set(n, await killOne(n));
    await sleep(1_000);
  }
  process.stderr.write('waiting for the 60 s poller to pass once more...\n');
  await sleep(process.env.RAW_FLOOR === '0' ? 3_000 : 65_000);

  const from = (m: Map<string, number>) => names.flatMap((n) => (m.has(n) && Number.isFinite(m.get(n)!) ? [m.get(n)! - killedAt.get(n)!] : []));
  const missed = (m: Map<string, number>) => names.filter((n) => !m.has(n) || !Number.isFinite(m.get(n)!)).length;
  const rows = [
    line('floor: Engine API `die` event', from(dieSeen)),
    line('upkeep agent: webhook alert received', from(alerted)),
    line('upkeep agent: container started again (heal)', from(startSeen)),
    line(
      'upkeep agent: alert, from the `die` event (per kill)',
      names.flatMap((n) => (alerted.has(n) && dieSeen.has(n) ? [alerted.get(n)! - dieSeen.get(n)!] : [])),
    ),
    line('raw floor, no agent: `die` event', rawFrom(raw.die)),
    line('raw floor, no agent: started by a raw API start on the `die` event', rawFrom(raw.start)),
    line('raw floor: that start, from the `die` event', rawAfterDie),
    line(
      'upkeep agent: heal, from the `die` event',
      names.flatMap((n) => (startSeen.has(n) && dieSeen.has(n) ? [startSeen.get(n)! - dieSeen.get(n)!] : [])),
    ),
    line('poller every 5 s (docker-autoheal default)', from(pollerSeen(5))),
    line('poller every 60 s (Uptime Kuma default)', from(pollerSeen(60))),
  ];
  if (process.env.TIMES)
    writeFileSync(
      process.env.TIMES,
      names.map((n) => JSON.stringify({ name: n, kill: killedAt.get(n), die: dieSeen.get(n), alert: alerted.get(n), start: startSeen.get(n) })).join('\n') +
        '\n',
    );
  const idleStart = procStat(agentPid);
  const idleT0 = Date.now();
  process.stderr.write(`idle for ${IDLE_MINUTES} min...\n`);
  await sleep(IDLE_MINUTES * 60_000);
  const idleEnd = procStat(agentPid);
  const cpuPct = ((idleEnd.cpuSeconds - idleStart.cpuSeconds) / ((Date.now() - idleT0) / 1000)) * 100;

  const out = [
    `agent-latency, ${new Date().toISOString()}, ${KILLS} kills, node ${process.version}, agent ${BIN}`,
    '| measured from the kill | median | p90 | p99 | max | n |',
    '|---|---|---|---|---|---|',
    ...rows,
    `webhook alerts missing: ${missed(alerted)}; agent started with NODE_OPTIONS="${process.env.UPKEEP_AGENT_NODE_OPTIONS ?? UNIT_NODE_OPTIONS}"`,
    `idle ${IDLE_MINUTES} min with ${KILLS} containers: RSS ${idleEnd.rssMiB.toFixed(1)} MiB (peak ${idleEnd.hwmMiB.toFixed(1)} MiB), CPU ${cpuPct.toFixed(2)} % of one core`,
  ].join('\n');
  process.stdout.write(`${out}\n`);
  agent.kill('SIGTERM');
  server.close();
} finally {
  stopAll.abort();
  if (agentPid) {
    try {
      process.kill(agentPid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  await client.close();
  await engine.dispose();
  rmSync(root, { recursive: true, force: true });
}
