/**
 * Every command of the CLI (src/cli/program-run.ts runs them). src/cli/entry.ts loads this file for
 * every command line but `--version`, the top-level help and `upkeep agent` (agent-main.ts).
 */
import type { Command } from 'commander';
import { processIo, type Io } from './io.js';
import { buildProgramFrom, runProgram, type CommandTable } from './program-run.js';

// entry.ts sets it here: in the Debian package's bundle, main.ts and entry.ts are separate files.
export { setSelfCommand } from './self.js';

/**
 * Every command, in help order, with the names it registers and how to load it. Only the module of
 * the command being run is loaded (the agent stays small: it does not carry the audit's or
 * preflight's code); help and unknown commands load them all.
 */
const COMMANDS: CommandTable = [
  { names: ['check'], load: async () => [(await import('./commands/check.js')).registerCheck] },
  { names: ['status'], load: async () => [(await import('./commands/status.js')).registerStatus] },
  { names: ['audit'], load: async () => [(await import('./commands/audit.js')).registerAudit] },
  { names: ['preflight'], load: async () => [(await import('./commands/preflight.js')).registerPreflight] },
  { names: ['rehearse'], load: async () => [(await import('./commands/rehearse.js')).registerRehearse] },
  { names: ['snapshot', 'forget', 'want'], load: async () => [(await import('./commands/snapshot.js')).registerSnapshot] },
  { names: ['diff', 'recover'], load: async () => [(await import('./commands/recover.js')).registerRecover] },
  { names: ['agent'], load: async () => [(await import('./commands/agent.js')).registerAgent] },
  { names: ['agent-config'], load: async () => [(await import('./commands/agent-config.js')).registerAgentConfig] },
  { names: ['timeline'], load: async () => [(await import('./commands/timeline.js')).registerTimeline] },
  { names: ['runbook'], load: async () => [(await import('./commands/runbook.js')).registerRunbook] },
  { names: ['report'], load: async () => [(await import('./commands/report.js')).registerReport] },
  { names: ['upgrade'], load: async () => [(await import('./commands/upgrade.js')).registerUpgrade] },
  { names: ['maintenance'], load: async () => [(await import('./commands/maintenance.js')).registerMaintenance] },
  {
    names: ['install', 'uninstall'],
    load: async () => {
      const m = await import('./commands/install.js');
      return [m.registerInstall, m.registerUninstall];
    },
  },
  { names: ['config'], load: async () => [(await import('./commands/config.js')).registerConfig] },
  { names: ['export'], load: async () => [(await import('./commands/export.js')).registerExport] },
];

/**
 * The program for `argv`: the named command's module only; every command for `help`, an unknown
 * command (commander's suggestions) or `full`; stand-ins when no command is named.
 */
export function buildProgram(io: Io, setExit: (code: number) => void, argv: readonly string[], opts: { full?: boolean } = {}): Promise<Command> {
  return buildProgramFrom(COMMANDS, io, setExit, argv, opts);
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export function main(argv: string[], io: Io = processIo()): Promise<number> {
  return runProgram(COMMANDS, argv, io);
}
