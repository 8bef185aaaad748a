/**
 * The program's root: the `upkeep` command itself (description, version option, output, the text
 * after the help), the list of commands its help shows, and how errors become exit codes. Shared by
 * main.ts (every command) and listing.ts (`upkeep --help` and `upkeep` alone, which the entry loads
 * without main.ts: in the Debian package's bundle it is a small file of its own).
 */
import { Command, CommanderError, Help } from 'commander';
import { EXIT, UpkeepError } from '../core/errors.js';
import { painter, type Io } from './io.js';

/**
 * The top-level help's list of commands, so that `upkeep --help` (and `upkeep` alone) answer
 * without loading every command's module (a few hundred ms). test/cli/help.test.ts checks this
 * against the commands themselves at several widths: change both together.
 */
export const LISTING: ReadonlyArray<{ name: string; term: string; description: string; hidden?: true }> = [
  { name: 'check', term: 'check [options]', description: 'The main job: what would not survive maintenance on this host, with a verdict' },
  {
    name: 'status',
    term: 'status [options]',
    description: 'List every container and whether it comes back after a daemon restart, a daemon crash and a reboot',
  },
  {
    name: 'audit',
    term: 'audit [options] [files...]',
    description: 'Audit restart policies in live containers, compose files and Ansible templates; --fix corrects files safely',
  },
  {
    name: 'preflight',
    term: 'preflight [options]',
    description: 'Before apt upgrade: which services restart, whether a reboot is needed, which containers stop and which will not come back',
  },
  {
    name: 'rehearse',
    term: 'rehearse [options]',
    description:
      'Run the upgrade for real in a throwaway copy of this host: every service restart, failing script, conffile question and reboot flag, beside preflight',
  },
  { name: 'snapshot', term: 'snapshot [options]', description: 'Record the running containers as the desired state (what recover and the agent bring back)' },
  { name: 'forget', term: 'forget [options] <name...>', description: 'Remove containers from the desired state (they were stopped on purpose)' },
  { name: 'want', term: 'want [options] <name...>', description: 'Make containers desired again: ones the agent saw you stop on purpose, or ones you forgot' },
  { name: 'diff', term: 'diff [options]', description: 'Show the desired containers (newest snapshot) that are not running, and what recover would do' },
  { name: 'recover', term: 'recover [options]', description: 'Bring back every desired container that is not running, in dependency order, with retries' },
  {
    name: 'agent',
    term: 'agent [options]',
    description: 'Run the agent: watch the engine, heal desired containers, recover after reboots and daemon restarts, alert, serve /metrics',
  },
  {
    name: 'agent-config',
    term: 'agent-config [options]',
    description: 'internal: load the agent config and print it as JSON (upkeep agent runs this)',
    hidden: true,
  },
  { name: 'timeline', term: 'timeline [options]', description: 'What happened on this host and what upkeep did, oldest first' },
  {
    name: 'runbook',
    term: 'runbook [options]',
    description: "Write this host's maintenance runbook (SERVER_MAINTENANCE.md): how to bring each service back, and its risks",
  },
  {
    name: 'report',
    term: 'report [options] [maintenance-id]',
    description: 'Write the report of a maintenance window or an incident: timeline, outages, root cause, what upkeep did, what needs a human',
  },
  {
    name: 'upgrade',
    term: 'upgrade [options]',
    description: 'The maintenance routine in one command: check, preflight, snapshot, window, apt, recovery, verification, report',
  },
  { name: 'maintenance', term: 'maintenance', description: 'Open or close a maintenance window: the agent holds alerts while one is open (and records them)' },
  {
    name: 'install',
    term: 'install [options]',
    description: 'Install the agent: systemd unit, apt hook, default config, state directory; then take a first snapshot',
  },
  {
    name: 'uninstall',
    term: 'uninstall [options]',
    description: 'Remove what upkeep install wrote (edited files are kept); --purge also the config and the state',
  },
  { name: 'config', term: 'config', description: "Check the agent's config file, or print the commented default" },
  { name: 'export', term: 'export', description: 'Export what runs here for other tools: a compose project as an Ansible role' },
];

/** No command named in `argv` (only options such as --help): the top-level help is all it can show. */
export function listingOnly(argv: readonly string[]): boolean {
  return argv.every((a) => a.startsWith('-'));
}

/** `upkeep` itself, with no command registered yet. */
export function rootProgram(io: Io, version: string): Command {
  return new Command('upkeep')
    .description(
      "Keeps a Docker host's services running through package upgrades, reboots and crashes.\nPredict what would not come back, prevent it, heal it, and tell.",
    )
    .version(version, '-V, --version', 'print the version, the commit and the runtime (with --json: as JSON)')
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
}

/** Stand-ins for every command, with the same names, terms and descriptions: the top-level help. */
export function addListing(program: Command): void {
  const terms = new Map(LISTING.map((c) => [c.name, c.term]));
  const plain = new Help();
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? plain.subcommandTerm(cmd) });
  for (const c of LISTING) program.command(c.name, c.hidden ? { hidden: true } : {}).description(c.description);
}

/** Every command ends with the root's output and exit handling. */
export function finishProgram(program: Command): Command {
  for (const sub of program.commands) sub.exitOverride().configureOutput(program.configureOutput());
  return program;
}

/** The exit code of an error, said on stderr (the one place errors become exit codes). */
export function reportError(io: Io, err: unknown): number {
  if (err instanceof CommanderError) {
    // Help and version were printed by commander itself.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
    // No command at all: the help went to stderr; a script that forgot the command must not see success.
    if (err.code === 'commander.help') {
      io.stderr.write('upkeep: no command given: see the list above (upkeep check is the main job)\n');
      return EXIT.couldNotRun;
    }
    return EXIT.couldNotRun;
  }
  const paint = painter(io, 'stderr');
  if (err instanceof UpkeepError) {
    io.stderr.write(`${paint('red', 'upkeep: error:')} ${err.message}\n`);
    if (err.hint) io.stderr.write(`hint: ${err.hint}\n`);
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  io.stderr.write(
    `${paint('red', 'upkeep: internal error:')} ${e.message}\n${e.stack ?? ''}\nThis is a bug in upkeep; please report it with the lines above.\n`,
  );
  return EXIT.couldNotRun;
}
