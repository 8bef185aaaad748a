/**
 * `upkeep preflight`: before `apt upgrade`, which services restart, whether a reboot is needed,
 * which containers stop and which will not come back. Thin: options -> the "assess an upgrade" use
 * case (app/assess-upgrade.ts) -> text or JSON, returning the exit code. `--hook` is the
 * DPkg::Pre-Install-Pkgs form: it reads apt's package list on stdin, warns on stderr, and never
 * blocks apt (unless asked to).
 */
import { homedir, hostname } from 'node:os';
import type { Command } from 'commander';
import { assessUpgrade, type AssessUpgradeRequest, type UpgradeAssessment } from '../../app/assess-upgrade.js';
import { engineHostReader, localAssessDeps } from '../deps/upgrade.js';
import { DEFAULT_ROLLBACK_CAP_BYTES } from '../../app/rollback-plan.js';
import { loadConfig } from '../../adapters/config/load-config.js';
import { UsageError } from '../../core/errors.js';
import { renderPreflightText } from '../../core/preflight/preflight-text.js';
import { painter, printJson, type Io } from '../io.js';

interface PreflightOptions {
  mode?: string;
  plan?: string;
  download?: boolean;
  cacheDir?: string;
  json?: boolean;
  hook?: boolean;
  block?: boolean;
  config?: string;
  stateDir?: string;
  aptCache?: boolean;
  spaceCheck?: boolean;
}

/** Runs the use case on this machine: the engine from DOCKER_HOST, the store of --state-dir. */
async function assessHere(io: Io, opts: PreflightOptions, request: AssessUpgradeRequest, quiet: boolean, rollback = false): Promise<UpgradeAssessment> {
  const deps = await localAssessDeps({
    ...(rollback ? { rollbackCapBytes: DEFAULT_ROLLBACK_CAP_BYTES } : {}),
    env: io.env,
    isRoot: process.getuid?.() === 0,
    home: homedir(),
    ...(opts.stateDir === undefined ? {} : { stateDir: opts.stateDir }),
    ...(opts.cacheDir === undefined ? {} : { cacheDir: opts.cacheDir }),
    aptCache: opts.aptCache !== false,
    readHost: engineHostReader(io),
    ...(quiet ? {} : { onProgress: (line: string) => void io.stderr.write(`${line}\n`) }),
  });
  return assessUpgrade(deps, { ...request, hostName: hostname() });
}

/** The JSON of `--json` (docs/preflight.md): the report plus where the plan came from and the notes. */
export function preflightJson(a: UpgradeAssessment): Record<string, unknown> {
  return {
    plan: a.planSource,
    aptSimulation: a.aptSimulation,
    evidenceCache: a.evidenceCache,
    problems: a.problems,
    containersNote: a.containersNote,
    desiredNote: a.desiredNote,
    downloadNote: a.downloadNote,
    timelineNote: a.timelineNote,
    ...a.report,
    rollback: a.rollback ?? null,
  };
}

/** Text for people, fitted to the terminal: its width on a TTY, else COLUMNS when set, else unlimited (one line per row). */
function renderText(io: Io, stream: 'stdout' | 'stderr', a: UpgradeAssessment): string {
  const out = io[stream] as { isTTY?: boolean; columns?: number };
  const columns = Number(io.env.COLUMNS);
  const width =
    out.isTTY === true && typeof out.columns === 'number' && out.columns > 0 ? out.columns : Number.isInteger(columns) && columns > 0 ? columns : Infinity;
  return renderPreflightText(a, { paint: painter(io, stream), width });
}

export function registerPreflight(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('preflight')
    .description('Before apt upgrade: which services restart, whether a reboot is needed, which containers stop and which will not come back')
    .option('--mode <mode>', 'dist-upgrade (default) or upgrade: the command you will run', 'dist-upgrade')
    .option('--plan <file>', 'a saved `apt-get -s dist-upgrade` output instead of running apt (a regular file, at most 16 MiB)')
    .option('--no-download', 'do not download the candidate packages (use the installed scripts and the knowledge base)')
    .option('--cache-dir <dir>', 'where downloaded control files are kept')
    .option('--no-apt-cache', "run apt's simulation now even if the cached one's inputs are unchanged (docs/preflight.md)")
    .option('--no-space-check', "do not check free space against the upgrade's sizes (e.g. a --plan saved on another host)")
    .option(
      '--state-dir <dir>',
      'where the state database lives (the desired state: desired containers already down are reported; each run is recorded in its timeline)',
    )
    .option('--hook', "DPkg::Pre-Install-Pkgs mode: read apt's v3 package list on stdin, warn on stderr, never block apt")
    .option('--block', 'with --hook: exit 1 (stop apt) when something would not come back (also: preflight.block in the config)')
    .option('--config <file>', 'with --hook: the config file whose preflight.block applies (default /etc/upkeep/upkeep.yml)')
    .option('--json', 'print JSON for scripts (docs/preflight.md)')
    .addHelpText(
      'after',
      '\nExit codes: 0 nothing stops, 1 containers stop but all come back, 3 something will not come back, a reboot is needed, or a filesystem is short of space, ' +
        '4 could not predict (a plan line or a maintainer script could not be read, and nothing read shows a risk: never "safe"), 2 could not run.',
    )
    .action(async (opts: PreflightOptions) => {
      if (opts.hook) {
        setExit(await runHook(io, opts));
        return;
      }
      if (opts.mode !== 'dist-upgrade' && opts.mode !== 'upgrade') throw new UsageError(`--mode "${opts.mode}": use dist-upgrade or upgrade`);
      const a = await assessHere(
        io,
        opts,
        {
          plan: opts.plan ? { kind: 'file', path: opts.plan } : { kind: 'simulate', mode: opts.mode },
          download: opts.download !== false,
          space: opts.spaceCheck !== false,
        },
        opts.json === true,
        true,
      );
      if (opts.json) printJson(io, preflightJson(a));
      else io.stdout.write(renderText(io, 'stdout', a));
      setExit(a.exitCode);
    });
}

/** The apt hook: any failure is one line, and apt goes on (unless --block and real risk). */
async function runHook(io: Io, opts: PreflightOptions): Promise<number> {
  try {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    const a = await assessHere(io, opts, { plan: { kind: 'hook', text: Buffer.concat(chunks).toString('utf8') }, download: false, space: false }, true);
    io.stderr.write(`upkeep preflight (before dpkg):\n${renderText(io, 'stderr', a)}`);
    let block = opts.block === true;
    if (!block) {
      // A broken config must not stop apt: it only means "do not block".
      block = await loadConfig(opts.config === undefined ? {} : { path: opts.config }, io.env).then(
        (c) => c.config.preflight.block,
        (err: Error) => {
          io.stderr.write(`upkeep preflight: config not read (${err.message.split('\n')[0]}); not blocking\n`);
          return false;
        },
      );
    }
    // Only a proven risk blocks; "could not predict" (4) lets apt go on, with the report above.
    if (block && a.exitCode === 3) {
      io.stderr.write('upkeep preflight: stopping apt (preflight.block is on). Fix what is listed above, or run apt with -o DPkg::Pre-Install-Pkgs::=\n');
      return 1;
    }
    return 0;
  } catch (err) {
    io.stderr.write(`upkeep preflight: could not assess this upgrade (${(err as Error).message}); apt goes on\n`);
    return 0;
  }
}
