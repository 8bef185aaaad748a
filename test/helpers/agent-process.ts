/** `upkeep agent` as its own process (bin/upkeep) against an engine, with its log lines collected. */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './cli.js';

export interface AgentProcess {
  proc: ChildProcess;
  /** Log lines (JSON) and stderr chunks, in order. */
  out: string[];
  exited: Promise<number | null>;
}

/** `command`: the program and its leading arguments (default bin/upkeep; e.g. [node, upkeep.cjs] for the bundle). */
export function spawnAgent(opts: {
  configPath: string;
  stateDir: string;
  dockerHost: string;
  command?: readonly string[];
  cwd?: string;
  /** More environment for the agent (e.g. UPKEEP_KUBECTL). */
  env?: Record<string, string>;
}): AgentProcess {
  const [file, ...lead] = opts.command ?? [BIN];
  const proc = spawn(file!, [...lead, 'agent', '--config', opts.configPath, '--state-dir', opts.stateDir, '--listen', '127.0.0.1:0'], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env, DOCKER_HOST: opts.dockerHost, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  proc.stdout!.on('data', (c: Buffer) => out.push(...c.toString('utf8').split('\n').filter(Boolean)));
  proc.stderr!.on('data', (c: Buffer) => out.push(`stderr: ${c.toString('utf8')}`));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, out, exited };
}
