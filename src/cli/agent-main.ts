/**
 * `upkeep agent` alone: src/cli/entry.ts loads this file instead of main.ts when the command is
 * `agent`, so the process that runs for months does not carry the other commands' code (in the
 * Debian package's bundle it is upkeep-agent.cjs: about 3 MiB less idle memory than with every
 * command in one file, docs/benchmarks.md). The same program as main.ts's for this command: the
 * same root options, help and exit codes (src/cli/program-run.ts).
 */
import { processIo, type Io } from './io.js';
import { runProgram, type CommandTable } from './program-run.js';

export { setSelfCommand } from './self.js';

const AGENT_ONLY: CommandTable = [{ names: ['agent'], load: async () => [(await import('./commands/agent.js')).registerAgent] }];

/** Runs `upkeep agent ...` (`argv` without node and script); resolves to the exit code. */
export function main(argv: string[], io: Io = processIo()): Promise<number> {
  return runProgram(AGENT_ONLY, argv, io);
}
