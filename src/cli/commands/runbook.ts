/**
 * `upkeep runbook`: the host's SERVER_MAINTENANCE.md, generated from the desired state and, when
 * the engine answers, what runs now: per compose project, k3d cluster and standalone container the
 * commands that bring it back, the variables its compose files need and whether it comes back by
 * itself; this host's risks before an upgrade; where the state lives (docs/runbook.md).
 */
import type { Command } from 'commander';
import { readHostState } from '../../adapters/docker/host-state.js';
import { projectFileReader } from '../../adapters/files/project-files.js';
import { writeGeneratedFile } from '../../adapters/files/generated-file.js';
import { makeRunbook } from '../../app/runbook.js';
import { DockerApiError, DockerUnavailableError, EXIT, UpkeepError, UsageError } from '../../core/errors.js';
import { RUNBOOK_MARKER, renderRunbookMarkdown } from '../../core/runbook/render-markdown.js';
import { withEngine } from '../engine.js';
import { printJson, type Io } from '../io.js';
import { stateDirFor, withOptionalStore } from '../state.js';

interface RunbookOptions {
  output?: string;
  force?: boolean;
  json?: boolean;
  stateDir?: string;
  allowOtherHost?: boolean;
}

export function registerRunbook(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('runbook')
    .description("Write this host's maintenance runbook (SERVER_MAINTENANCE.md): how to bring each service back, and its risks")
    .option('--output <file>', 'write it to FILE (atomically, mode 0644) instead of stdout')
    .option('--force', 'with --output: replace FILE even when it is not a runbook upkeep wrote')
    .option('--json', 'print the runbook as JSON for scripts (docs/runbook.md)')
    .option('--state-dir <dir>', 'where the state database lives (the snapshots)')
    .option('--allow-other-host', 'use the newest snapshot of another engine when this one has none (Docker reinstalled)')
    .addHelpText(
      'after',
      `
Built from the newest snapshot (upkeep snapshot) and, read only, the engine (DOCKER_HOST or
/var/run/docker.sock); without an engine it says so and works from the snapshot alone. Compose
files are read only inside their project's working directory; only variable names are printed,
never values. Exit codes: 0 written, 2 could not run (no snapshot yet: take one with upkeep snapshot).`,
    )
    .action(async (opts: RunbookOptions) => {
      if (opts.json && opts.output !== undefined) throw new UsageError('--json prints to stdout: use --json or --output, not both');
      if (opts.force && opts.output === undefined) throw new UsageError('--force only goes with --output FILE');
      let live = null;
      let engineProblem: string | null = null;
      try {
        live = await withEngine(io, (engine) => readHostState(engine));
      } catch (err) {
        if (!(err instanceof DockerUnavailableError || err instanceof DockerApiError)) throw err;
        engineProblem = err.message;
      }
      const stateDir = stateDirFor(io, opts);
      const runbook = await withOptionalStore(io, opts, async (store, problem) => {
        if (store === null) {
          throw new UpkeepError(problem ?? `no snapshot in ${stateDir} yet: upkeep does not know what should run`, {
            hint: 'take one with `upkeep snapshot` while everything runs, then run upkeep runbook again',
          });
        }
        return makeRunbook({
          store,
          live,
          engineProblem,
          files: projectFileReader(),
          stateDir,
          now: new Date(),
          ...(opts.allowOtherHost ? { allowOtherHost: true } : {}),
        });
      });
      if (opts.json) printJson(io, runbook);
      else {
        const markdown = renderRunbookMarkdown(runbook);
        if (opts.output === undefined) io.stdout.write(markdown);
        else {
          await writeGeneratedFile(opts.output, markdown, { marker: RUNBOOK_MARKER, force: opts.force === true, what: 'runbook' });
          io.stderr.write(`upkeep: runbook written to ${opts.output}\n`);
        }
      }
      setExit(EXIT.ok);
    });
}
