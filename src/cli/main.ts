/**
 * The CLI entry: builds the command tree, runs one command, and maps every error to an exit code
 * (0 fine, 1 findings/risk, 2 could not run). This is the only place that decides exit codes for
 * errors; src/cli/entry.ts sets process.exitCode from the result.
 */
import { CommanderError, type Command } from 'commander';
import { buildInfo, programVersion, versionLine } from '../adapters/program/build-info.js';
import { EXIT } from '../core/errors.js';
import { printJson, processIo, type Io } from './io.js';
import { addListing, finishProgram, listingOnly, reportError, rootProgram } from './program-root.js';

// entry.ts sets it here: in the Debian package's bundle, main.ts and entry.ts are separate files.
export { setSelfCommand } from './self.js';

type Register = (program: Command, io: Io, setExit: (code: number) => void, version: string) => void;

/**
 * Every command, in help order, with the names it registers and how to load it. Only the module of
 * the command being run is loaded (the agent stays small: it does not carry the audit's or
 * preflight's code); help and unknown commands load them all.
 */
const COMMANDS: ReadonlyArray<{ names: readonly string[]; load: () => Promise<Register[]> }> = [
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
];

/** The registrations needed for `argv`: the named command's, or all of them. */
async function registrationsFor(argv: readonly string[]): Promise<Register[]> {
  const first = argv.find((a) => !a.startsWith('-'));
  const hit = COMMANDS.find((c) => first !== undefined && c.names.includes(first));
  const wanted = hit ? [hit] : COMMANDS;
  return (await Promise.all(wanted.map((c) => c.load()))).flat();
}

/**
 * The program for `argv`: the named command's module only; every command for `help`, an unknown
 * command (commander's suggestions) or `full`; stand-ins when no command is named (listingOnly).
 */
export async function buildProgram(io: Io, setExit: (code: number) => void, argv: readonly string[], opts: { full?: boolean } = {}): Promise<Command> {
  const version = programVersion();
  const program = rootProgram(io, version);
  if (opts.full !== true && listingOnly(argv)) {
    // No command named: the program only shows its help (or an error with it); no command module is loaded.
    addListing(program);
  } else for (const register of await registrationsFor(opts.full === true ? [] : argv)) register(program, io, setExit, version);
  return finishProgram(program);
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let exitCode: number = EXIT.ok;
  try {
    const version = versionRequest(argv);
    if (version) return printVersion(io, version.json);
    const program = await buildProgram(io, (code) => (exitCode = code), argv);
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    // `upkeep help [command]`: commander ends it like a missing command, but help was asked for.
    if (err instanceof CommanderError && err.code === 'commander.help' && argv.find((a) => !a.startsWith('-')) === 'help') return EXIT.ok;
    return reportError(io, err);
  }
}

/**
 * `--version` or `-V` anywhere (before a `--`) asks for the version, as with commander's own version
 * option (no command has an option of that name); handled here so that the line can name the
 * commit and the runtime, and so that --json asks for JSON.
 */
function versionRequest(argv: readonly string[]): { json: boolean } | null {
  const end = argv.indexOf('--');
  const args = end === -1 ? argv : argv.slice(0, end);
  return args.some((a) => a === '--version' || a === '-V') ? { json: args.includes('--json') } : null;
}

/** The version, the commit and the runtime: one line, or JSON (src/adapters/program/build-info.ts). */
function printVersion(io: Io, json: boolean): number {
  const info = buildInfo();
  if (json) printJson(io, info);
  else io.stdout.write(`${versionLine(info)}\n`);
  return EXIT.ok;
}
