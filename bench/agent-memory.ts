/**
 * Benchmark: the idle agent's memory against a bare `node` on the same runtime, several variants
 * side by side in the same minutes (A/B on a loaded machine). One private engine with N containers
 * (PID 1 a shell waiting for `sleep`); each round starts every variant at once (each agent with
 * its own state directory and config), lets them settle, idles, then reads from /proc for each:
 * VmRSS, RssAnon/RssFile, CPU (utime+stime) over the idle part, and smaps_rollup. Rounds rotate
 * the start order. Prints one line per variant and round, then the medians.
 *
 * Run: node --import tsx bench/agent-memory.ts   (as root; starts its own private dockerd)
 * Env: N (default 100), ROUNDS (default 3), SETTLE (s, default 20), IDLE (s, default 60),
 * VARIANTS: lines "name|node flags|entry|ENV=value ..." where entry is a path to an entry.js or
 * .cjs (default dist/cli/entry.js) or "bare" (node waiting on a timer: the floor). Default: bare
 * and dist, both with the systemd unit's Node options (AGENT_NODE_OPTIONS in src/core/install/unit-file.ts).
 * LOGS=DIR keeps each agent's stdout (its JSON log; with --trace-gc among the flags, V8's line per
 * garbage collection, to see whether the heap settles) in DIR/NAME-rROUND.log.
 * SMAPS=1 also prints, per variant, the resident memory by mapping (/proc/PID/smaps: the node
 * binary, [heap], anonymous mappings, libraries), the largest first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrivateEngine, sleep } from '../test/engine/private-engine.js';
import { AGENT_NODE_OPTIONS as UNIT_NODE_OPTIONS } from '../src/core/install/unit-file.js';

const N = Number(process.env.N ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SETTLE = Number(process.env.SETTLE ?? 20);
const IDLE = Number(process.env.IDLE ?? 60);
const DIST = new URL('../dist/cli/entry.js', import.meta.url).pathname;
const NODE = new URL('../node_modules/.bin/node', import.meta.url).pathname;

interface Variant {
  name: string;
  flags: string;
  entry: string;
  env: Record<string, string>;
}
const variants: Variant[] = (process.env.VARIANTS ?? `bare|${UNIT_NODE_OPTIONS}|bare|\ndist|${UNIT_NODE_OPTIONS}|${DIST}|`)
  .split('\n')
  .map((l) => l.trim())
  .filter(Boolean)
  .map((l) => {
    const [name = '?', flags = '', entry = '', env = ''] = l.split('|');
    return {
      name,
      flags,
      entry: entry || DIST,
      env: Object.fromEntries(
        env
          .split(' ')
          .filter(Boolean)
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
      ),
    };
  });

const status = (pid: number, key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
const cpu = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
/** Resident KiB by mapping name (anonymous mappings together), from /proc/PID/smaps. */
const byMapping = (pid: number): Array<[string, number]> => {
  const out = new Map<string, number>();
  let name = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ (\S+) (\S+) \S+ \S+\s*(.*)$/.exec(line);
    if (head) name = head[3] ? `${head[3]} (${head[1]} at 0x${head[2]})` : '(anonymous)';
    else if (line.startsWith('Rss:')) out.set(name, (out.get(name) ?? 0) + Number(/(\d+)/.exec(line)![1]));
  }
  return [...out].sort((a, b) => b[1] - a[1]);
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const engine = await PrivateEngine.startOrSkip({ skip() {} } as never);
if (!engine) throw new Error('no private engine (run as root)');
const root = mkdtempSync(join(tmpdir(), 'upk-bench-mem-'));
const children = new Set<ChildProcess>();
const results = new Map<string, { rss: number[]; anon: number[]; file: number[]; cpu: number[] }>();
try {
  process.stderr.write(`creating ${N} containers...\n`);
  for (let i = 0; i < N; i++) await engine.run(`idle-${String(i).padStart(3, '0')}`, { cmd: ['sh', '-c', 'sleep 1000000 & wait $!'] });
  for (let round = 0; round < ROUNDS; round++) {
    const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
    const running: { v: Variant; proc: ChildProcess; pid: number; c0: number }[] = [];
    for (const v of order) {
      const dir = mkdtempSync(join(root, `${v.name}-`));
      const config = join(dir, 'upkeep.yml');
      writeFileSync(config, 'recovery: { grace: 0s }\n', { mode: 0o600 });
      const args =
        v.entry === 'bare'
          ? ['-e', 'setTimeout(() => {}, 1e9)']
          : [v.entry, 'agent', '--config', config, '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1:0'];
      const log = process.env.LOGS ? openSync(join(process.env.LOGS, `${v.name}-r${round + 1}.log`), 'w') : null;
      // The flags go on the command line (NODE_OPTIONS refuses some, e.g. --lite-mode); same effect.
      const proc = spawn(NODE, [...v.flags.split(' ').filter(Boolean), ...args], {
        env: { ...process.env, NODE_OPTIONS: '', DOCKER_HOST: engine.dockerHost, ...v.env },
        stdio: ['ignore', log ?? 'ignore', 'inherit'],
      });
      children.add(proc);
      if (log !== null) closeSync(log); // the child has its own copy
      running.push({ v, proc, pid: proc.pid ?? 0, c0: 0 });
      await sleep(1000);
    }
    await sleep(SETTLE * 1000);
    const t0 = Date.now();
    for (const r of running) {
      if (r.proc.exitCode !== null) throw new Error(`${r.v.name} exited with ${r.proc.exitCode}`);
      r.c0 = cpu(r.pid);
    }
    await sleep(IDLE * 1000);
    const secs = (Date.now() - t0) / 1000;
    for (const r of running) {
      const m = { rss: status(r.pid, 'VmRSS'), anon: status(r.pid, 'RssAnon'), file: status(r.pid, 'RssFile'), cpu: ((cpu(r.pid) - r.c0) / secs) * 100 };
      const acc = results.get(r.v.name) ?? { rss: [], anon: [], file: [], cpu: [] };
      for (const k of ['rss', 'anon', 'file', 'cpu'] as const) acc[k].push(m[k]);
      results.set(r.v.name, acc);
      process.stdout.write(
        `round ${round + 1} ${r.v.name}: RSS ${m.rss.toFixed(1)} MiB (anon ${m.anon.toFixed(1)}, file ${m.file.toFixed(1)}), CPU ${m.cpu.toFixed(2)} %\n`,
      );
      if (process.env.SMAPS === '1')
        for (const [name, kib] of byMapping(r.pid).slice(0, 8)) process.stdout.write(`    ${(kib / 1024).toFixed(1).padStart(6)} MiB  ${name}\n`);
    }
    for (const r of running) {
      r.proc.kill('SIGTERM');
      await new Promise((res) => (r.proc.exitCode !== null ? res(null) : r.proc.once('exit', res)));
      children.delete(r.proc);
    }
  }
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  process.stdout.write(
    `\nagent-memory, ${new Date().toISOString()}, ${N} containers, ${ROUNDS} rounds, settle ${SETTLE} s, idle ${IDLE} s, node ${process.version}, load ${load}; medians:\n`,
  );
  for (const [name, acc] of results) {
    process.stdout.write(
      `  ${name}: RSS ${median(acc.rss).toFixed(1)} MiB (anon ${median(acc.anon).toFixed(1)}, file ${median(acc.file).toFixed(1)}), CPU ${median(acc.cpu).toFixed(2)} %  [RSS ${acc.rss.map((x) => x.toFixed(1)).join(', ')}]\n`,
    );
  }
} finally {
  for (const c of children) c.kill('SIGKILL');
  await engine.dispose();
  rmSync(root, { recursive: true, force: true });
}
