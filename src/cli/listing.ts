/**
 * `upkeep --help`, `upkeep -h` and `upkeep` alone: the top-level help from the listing
 * (program-root.ts), without main.ts and its commands. The entry loads this for a command line that
 * names no command (and does not ask for the version); in the Debian package's bundle it is
 * upkeep-listing.cjs, a file of its own, so the help does not load the 1.9 MiB of every command.
 * Same exit codes as main.ts: 0 for the help, 2 for no command or an unknown option.
 */
import { CommanderError } from 'commander';
import { programVersion } from '../adapters/program/build-info.js';
import { EXIT } from '../core/errors.js';
import { processIo, type Io } from './io.js';
import { addListing, finishProgram, reportError, rootProgram } from './program-root.js';

export async function runListing(argv: string[], io: Io = processIo()): Promise<number> {
  try {
    const program = rootProgram(io, programVersion());
    addListing(program);
    await finishProgram(program).parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    return reportError(io, err instanceof CommanderError || err instanceof Error ? err : new Error(String(err)));
  }
}
