/** What the benchmarks read of a process from /proc, and how they time one CLI run. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU seconds used (utime + stime, clock ticks of 10 ms), VmRSS and VmHWM of `pid`. */
export function procStat(pid: number): { cpuSeconds: number; rssMiB: number; hwmMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { cpuSeconds: ticks / 100, rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
}

/** The PID of the `sleep` child of a container's PID 1 (`sh -c 'sleep ... & wait $!'`). */
export function sleepPid(containerPid: number): number {
  const children = readFileSync(`/proc/${containerPid}/task/${containerPid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  const pid = children.find((c) => readFileSync(`/proc/${c}/comm`, 'utf8').trim() === 'sleep');
  if (pid === undefined) throw new Error(`no sleep under ${containerPid}`);
  return pid;
}

/** Runs `bin args` to its end: wall time in s, exit code and output. */
export async function timedRun(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ s: number; code: number | null; stdout: string; stderr: string }> {
  const t0 = performance.now();
  const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const c = spawn(bin, args, { env });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { s: (performance.now() - t0) / 1000, ...out };
}
