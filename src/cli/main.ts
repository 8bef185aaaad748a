/**
 * The CLI entry: builds the command tree, runs one command, and maps every error to an exit code
 * (0 fine, 1 findings/risk, 2 could not run). This is the only place that decides exit codes for
 * errors; src/cli/entry.ts sets process.exitCode from the result.
 */
import { Command, CommanderError, Help } from 'commander';
import { buildInfo, programVersion, versionLine } from '../adapters/program/build-info.js';
import { EXIT, UpkeepError } from '../core/errors.js';
import { painter, printJson, processIo, type Io } from './io.js';

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

/**
 * The top-level help's list of commands, so that `upkeep --help` (and `upkeep` alone) answer
 * without loading every command's module (a few hundred ms). test/cli/help.test.ts checks this
 * against the commands themselves at several widths: change both together.
 */
const LISTING: ReadonlyArray<{ name: string; term: string; description: string; hidden?: true }> = [
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
];

/** The registrations needed for `argv`: the named command's, or all of them. */
async function registrationsFor(argv: readonly string[]): Promise<Register[]> {
  const first = argv.find((a) => !a.startsWith('-'));
  const hit = COMMANDS.find((c) => first !== undefined && c.names.includes(first));
  const wanted = hit ? [hit] : COMMANDS;
  return (await Promise.all(wanted.map((c) => c.load()))).flat();
}

/** No command named in `argv` (only options such as --help): the top-level help is all it can show. */
function listingOnly(argv: readonly string[]): boolean {
  return argv.every((a) => a.startsWith('-'));
}

/**
 * The program for `argv`: the named command's module only; every command for `help`, an unknown
 * command (commander's suggestions) or `full`; stand-ins when no command is named (listingOnly).
 */
export async function buildProgram(io: Io, setExit: (code: number) => void, argv: readonly string[], opts: { full?: boolean } = {}): Promise<Command> {
  const version = programVersion();
  const program = new Command('upkeep')
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
  if (opts.full !== true && listingOnly(argv)) {
    // No command named: the program only shows its help (or an error with it). Stand-ins with the
    // same names, terms and descriptions; no command module is loaded.
    const terms = new Map(LISTING.map((c) => [c.name, c.term]));
    const plain = new Help();
    program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? plain.subcommandTerm(cmd) });
    for (const c of LISTING) program.command(c.name, c.hidden ? { hidden: true } : {}).description(c.description);
  } else for (const register of await registrationsFor(opts.full === true ? [] : argv)) register(program, io, setExit, version);
  for (const sub of program.commands) sub.exitOverride().configureOutput(program.configureOutput());
  return program;
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

function reportError(io: Io, err: unknown): number {
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
