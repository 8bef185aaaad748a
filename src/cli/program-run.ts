/**
 * Runs the CLI over a table of commands: builds the command tree, runs one command, and maps every
 * error to an exit code (0 fine, 1 findings/risk, 2 could not run). This is the only place that
 * decides exit codes for errors; src/cli/entry.ts sets process.exitCode from the result.
 *
 * Two tables use it: main.ts (every command) and agent-main.ts (`upkeep agent` alone, so that the
 * long-running agent does not carry the other commands' code: in the Debian package's bundle it is
 * a file of its own, scripts/bundle.mjs).
 */
import { CommanderError, type Command } from 'commander';
import { buildInfo, programVersion, versionLine } from '../adapters/program/build-info.js';
import { EXIT } from '../core/errors.js';
import { printJson, processIo, type Io } from './io.js';
import { addListing, finishProgram, listingOnly, reportError, rootProgram } from './program-root.js';

export type Register = (program: Command, io: Io, setExit: (code: number) => void, version: string) => void;

/** Commands in help order, with the names each registers and how to load its module. */
export type CommandTable = ReadonlyArray<{ names: readonly string[]; load: () => Promise<Register[]> }>;

/** The registrations needed for `argv`: the named command's, or all of the table's. */
async function registrationsFor(table: CommandTable, argv: readonly string[]): Promise<Register[]> {
  const first = argv.find((a) => !a.startsWith('-'));
  const hit = table.find((c) => first !== undefined && c.names.includes(first));
  const wanted = hit ? [hit] : table;
  return (await Promise.all(wanted.map((c) => c.load()))).flat();
}

/**
 * The program for `argv`: the named command's module only; every command for `help`, an unknown
 * command (commander's suggestions) or `full`; stand-ins when no command is named (listingOnly).
 */
export async function buildProgramFrom(
  table: CommandTable,
  io: Io,
  setExit: (code: number) => void,
  argv: readonly string[],
  opts: { full?: boolean } = {},
): Promise<Command> {
  const version = programVersion();
  const program = rootProgram(io, version);
  if (opts.full !== true && listingOnly(argv)) {
    // No command named: the program only shows its help (or an error with it); no command module is loaded.
    addListing(program);
  } else for (const register of await registrationsFor(table, opts.full === true ? [] : argv)) register(program, io, setExit, version);
  return finishProgram(program);
}

/** Runs `argv` (without node and script) over `table`; resolves to the exit code. */
export async function runProgram(table: CommandTable, argv: string[], io: Io = processIo()): Promise<number> {
  let exitCode: number = EXIT.ok;
  try {
    const version = versionRequest(argv);
    if (version) return printVersion(io, version.json);
    const program = await buildProgramFrom(table, io, (code) => (exitCode = code), argv);
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
