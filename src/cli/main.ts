/**
 * The CLI entry: builds the command tree, runs one command, and maps every error to an exit code
 * (0 fine, 1 findings/risk, 2 could not run). This is the only place that decides exit codes for
 * errors; bin/upkeep sets process.exitCode from the result.
 */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { EXIT, UpkeepError } from '../core/errors.js';
import { registerAudit } from './commands/audit.js';
import { registerCheck } from './commands/check.js';
import { registerPreflight } from './commands/preflight.js';
import { registerRecover } from './commands/recover.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerStatus } from './commands/status.js';
import { painter, processIo, type Io } from './io.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('upkeep')
    .description(
      "Keeps a Docker host's services running through package upgrades, reboots and crashes.\nPredict what would not come back, prevent it, heal it, and tell.",
    )
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .addHelpText(
      'after',
      `
The engine is DOCKER_HOST (unix:// or tcp://) or /var/run/docker.sock.
Every command takes --help and --json. Exit codes: 0 fine, 1 findings or risk, 2 could not run.`,
    );
  registerCheck(program, io, setExit);
  registerStatus(program, io, setExit);
  registerAudit(program, io, setExit, version);
  registerPreflight(program, io, setExit);
  registerSnapshot(program, io, setExit);
  registerRecover(program, io, setExit);
  for (const sub of program.commands) sub.exitOverride().configureOutput(program.configureOutput());
  return program;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    return reportError(io, err);
  }
}

function reportError(io: Io, err: unknown): number {
  if (err instanceof CommanderError) {
    // Help and version were printed by commander itself.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
    return EXIT.couldNotRun;
  }
  const paint = painter(io, 'stderr');
  if (err instanceof UpkeepError) {
    io.stderr.write(`${paint('red', 'upkeep: error:')} ${err.message}\n`);
    if (err.hint) io.stderr.write(`hint: ${err.hint}\n`);
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  io.stderr.write(`${paint('red', 'upkeep: internal error:')} ${e.message}\n${e.stack ?? ''}\nThis is a bug in upkeep; please report it with the lines above.\n`);
  return EXIT.couldNotRun;
}
