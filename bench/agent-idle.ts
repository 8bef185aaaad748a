/**
 * Benchmark: what `upkeep agent` costs while nothing happens, for A/B comparisons of settings.
 * A private engine with N containers (PID 1 a shell waiting for `sleep`), the agent as its own
 * process (zero config plus EXTRA_CONFIG), 20 s to settle, then MINUTES of idle: CPU (utime +
 * stime from /proc/PID/stat) and RSS at the end. With STRACE=1, first `strace -c -f` of the agent
 * for 60 s (how often it wakes up, which syscalls).
 *
 * Run: node --import tsx bench/agent-idle.ts   (as root; starts its own private dockerd)
 * Env: N (default 100), MINUTES (default 3), EXTRA_CONFIG (YAML lines, e.g. "resync: 1h"),
 * AGENT_NODE_OPTIONS (node flags for the agent; default the systemd unit's, AGENT_NODE_OPTIONS in src/core/install/unit-file.ts),
 * STRACE (1: strace first; needs strace).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrivateEngine, sleep } from '../test/engine/private-engine.js';
import { AGENT_NODE_OPTIONS as UNIT_NODE_OPTIONS } from '../src/core/install/unit-file.js';

const N = Number(process.env.N ?? 100);
const MINUTES = Number(process.env.MINUTES ?? 3);
const BIN = new URL('../bin/upkeep', import.meta.url).pathname;
const nodeFlags = (process.env.AGENT_NODE_OPTIONS ?? UNIT_NODE_OPTIONS).split(' ').filter(Boolean);

const engine = await PrivateEngine.startOrSkip({ skip() {} } as never);
if (!engine) throw new Error('no private engine (run as root)');
const root = mkdtempSync(join(tmpdir(), 'upk-bench-idle-'));
let agentPid = 0;
try {
  process.stderr.write(`creating ${N} containers...\n`);
  for (let i = 0; i < N; i++) await engine.run(`idle-${String(i).padStart(3, '0')}`, { cmd: ['sh', '-c', 'sleep 1000000 & wait $!'] });
  const config = join(root, 'upkeep.yml');
  writeFileSync(config, `recovery: { grace: 0s }\n${process.env.EXTRA_CONFIG ?? ''}\n`, { mode: 0o600 });
  // bin/upkeep execs Node 24 in place (same pid), which takes the flags from NODE_OPTIONS as under the unit.
  const agent = spawn(BIN, ['agent', '--config', config, '--state-dir', join(root, 'state'), '--listen', '127.0.0.1:0'], {
    env: { ...process.env, DOCKER_HOST: engine.dockerHost, NODE_OPTIONS: nodeFlags.join(' ') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  agentPid = agent.pid ?? 0;
  await sleep(20_000);
  if (process.env.STRACE === '1') {
    process.stderr.write('strace -c -f for 60 s...\n');
    try {
      execFileSync('timeout', ['60', 'strace', '-c', '-f', '-p', String(agentPid)], { stdio: ['ignore', 'ignore', 'inherit'] });
    } catch {
      /* timeout's exit status */
    }
  }
  const cpu = () => {
    const f = readFileSync(`/proc/${agentPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks of 10 ms
  };
  const c0 = cpu();
  const t0 = Date.now();
  process.stderr.write(`idle for ${MINUTES} min...\n`);
  await sleep(MINUTES * 60_000);
  const pct = ((cpu() - c0) / ((Date.now() - t0) / 1000)) * 100;
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${agentPid}/status`, 'utf8'))?.[1]) / 1024;
  process.stdout.write(
    `agent-idle, ${new Date().toISOString()}, ${N} containers, ${MINUTES} min, node ${process.version}, flags "${nodeFlags.join(' ')}", extra config "${process.env.EXTRA_CONFIG ?? ''}": CPU ${pct.toFixed(2)} % of one core, RSS ${rss.toFixed(1)} MiB\n`,
  );
  agent.kill('SIGTERM');
  await new Promise((r) => agent.once('exit', r));
  agentPid = 0;
} finally {
  if (agentPid) process.kill(agentPid, 'SIGTERM');
  await engine.dispose();
  rmSync(root, { recursive: true, force: true });
}
