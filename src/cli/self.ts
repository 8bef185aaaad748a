/**
 * How to run this program again as a child process: set by src/cli/entry.ts (the real program's
 * entry), null when main() runs inside another program (the tests). The agent uses it to load its
 * config in a short-lived child (src/cli/commands/agent.ts).
 */
import type { LoadedConfig } from '../adapters/config/load-config.js';
let command: readonly string[] | null = null;

/** `[executable, ...arguments before the command]`, e.g. [node, /usr/lib/upkeep/dist/cli/entry.js]. */
export function setSelfCommand(cmd: readonly string[]): void {
  command = cmd;
}

export function selfCommand(): readonly string[] | null {
  return command;
}

/** What `upkeep agent-config` prints (src/cli/commands/agent-config.ts). */
export type AgentConfigResult = { ok: true; loaded: LoadedConfig } | { ok: false; error: { message: string; hint: string | null; exitCode: number } };

/** Runs `upkeep agent-config` as a child; null when it did not answer with a result. */
export function loadInChild(self: readonly string[], path: string | undefined, env: NodeJS.ProcessEnv): Promise<AgentConfigResult | null> {
  const [file = process.execPath, ...pre] = self;
  const args = [...pre, 'agent-config', ...(path === undefined ? [] : ['--config', path])];
  return new Promise((resolve) => {
    // Loaded when used: every start of the program loads this file (entry.ts), few run a child.
    const { execFile } = process.getBuiltinModule('node:child_process');
    execFile(file, args, { env, timeout: 60_000, maxBuffer: 8 << 20 }, (err, stdout) => {
      if (err) return resolve(null);
      try {
        const parsed = JSON.parse(stdout) as AgentConfigResult;
        resolve(typeof parsed === 'object' && parsed !== null && typeof parsed.ok === 'boolean' ? parsed : null);
      } catch {
        resolve(null);
      }
    });
  });
}
