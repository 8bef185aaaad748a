/**
 * `upkeep rehearse`: run the upgrade for real in a throwaway copy of this host (an overlay, its own
 * mount and PID namespaces), every service action recorded and refused, and put preflight's
 * prediction beside what happened. Thin: options -> the "rehearse an upgrade" use case
 * (app/rehearse.ts) -> text or JSON, returning the exit code.
 */
import { readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UpkeepError, UsageError } from '../../core/errors.js';
import { isAptOption, UPGRADE_MODES, type UpgradeMode } from '../../core/upgrade/routine.js';
import { parseByteSize } from '../../core/upgrade/rollback.js';
import { rehearseHere } from '../deps/rehearse.js';
import { printJson, type Io } from '../io.js';
import { renderRehearsalText, rehearsalJson } from '../render/rehearsal.js';

interface RehearseOptions {
  mode?: string;
  plan?: string;
  keep?: string;
  scratch?: string;
  size?: string;
  download?: boolean;
  aptOption?: string[];
  stateDir?: string;
  cacheDir?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** A directory given on the command line: it must exist and be a directory (not followed into a file or a FIFO). */
function directory(flag: string, path: string, mustBeEmpty: boolean): string {
  const abs = resolve(path);
  let st;
  try {
    st = statSync(abs);
  } catch {
    if (mustBeEmpty) return abs; // --keep DIR: made at the end
    throw new UsageError(`${flag} ${path}: no such directory`, { hint: 'create it first' });
  }
  if (!st.isDirectory()) throw new UsageError(`${flag} ${path}: not a directory`);
  if (mustBeEmpty && readdirSync(abs).length > 0) throw new UsageError(`${flag} ${path}: not empty`, { hint: 'name a new or empty directory' });
  return abs;
}

export function registerRehearse(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('rehearse')
    .description(
      'Run the upgrade for real in a throwaway copy of this host: every service restart, failing script, conffile question and reboot flag, beside preflight',
    )
    .option('--mode <mode>', 'upgrade (like apt upgrade) or full-upgrade (like apt full-upgrade), as for upkeep upgrade', 'upgrade')
    .option('--plan <file>', "a saved `apt-get -s` output for preflight's prediction (the rehearsal runs apt's own plan)")
    .option('--no-download', "use only what apt's cache holds (apt-get --no-download; preflight reads the installed scripts)")
    .option('--scratch <dir>', 'put the copy-on-write layer in a new directory under DIR instead of a tmpfs (removed at the end)')
    .option('--size <size>', 'the most the upgrade may write (the tmpfs size limit), e.g. 4GiB', '4GiB')
    .option('--keep <dir>', 'copy what the upgrade wrote (the upper layers) to DIR at the end')
    .option('--apt-option <Name=value>', 'an extra -o option for apt-get (repeatable), e.g. Dir::Etc::SourceList=FILE', collect)
    .option('--cache-dir <dir>', "where preflight's downloaded control files are kept (as for upkeep preflight)")
    .option('--state-dir <dir>', 'where the state database lives (the desired state; the rehearsal is recorded in its timeline)')
    .option('--json', 'print JSON for scripts (docs/rehearse.md)')
    .addHelpText(
      'after',
      '\nAs root only. Nothing on the host changes: the view is an overlay in a mount namespace of its own, gone at the end with every process it started.\n' +
        'Exit codes: 0 nothing stops, 1 containers stop but all come back, 3 something will not come back or a reboot is needed, 4 could not predict ' +
        "(preflight's codes, from the observed actions), 5 the upgrade itself fails (apt-get fails or a maintainer script fails), 2 could not run.",
    )
    .action(async (opts: RehearseOptions) => {
      const mode = opts.mode ?? 'upgrade';
      if (!(UPGRADE_MODES as readonly string[]).includes(mode)) throw new UsageError(`--mode "${mode}": use ${UPGRADE_MODES.join(' or ')}`);
      const sizeBytes = parseByteSize(opts.size ?? '4GiB');
      if (sizeBytes === null || sizeBytes < 16 * 1048576) throw new UsageError(`--size "${opts.size}": use a size of at least 16MiB, such as 4GiB`);
      const aptOptions = opts.aptOption ?? [];
      for (const o of aptOptions) if (!isAptOption(o)) throw new UsageError(`--apt-option "${o}" must look like Name::Of::Option=value`);
      if (process.getuid?.() !== 0)
        throw new UpkeepError('upkeep rehearse builds a copy of the host with mount and PID namespaces and runs apt-get in it: it must run as root', {
          hint: 'sudo upkeep rehearse (or upkeep preflight, which needs no root)',
        });
      const scratchDir = opts.scratch === undefined ? null : directory('--scratch', opts.scratch, false);
      const keepDir = opts.keep === undefined ? null : directory('--keep', opts.keep, true);
      const r = await rehearseHere(
        io,
        {
          ...(opts.stateDir === undefined ? {} : { stateDir: opts.stateDir }),
          ...(opts.cacheDir === undefined ? {} : { cacheDir: opts.cacheDir }),
          ...(opts.json === true ? {} : { onProgress: (line: string) => void io.stderr.write(`${line}\n`) }),
        },
        { mode: mode as UpgradeMode, planFile: opts.plan ?? null, noDownload: opts.download === false, scratchDir, keepDir, sizeBytes, aptOptions },
      );
      if (opts.json === true) printJson(io, rehearsalJson(r));
      else io.stdout.write(renderRehearsalText(r));
      setExit(r.exitCode);
    });
}
