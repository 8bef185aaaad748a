/**
 * `upkeep install`: write and enable the agent's systemd unit, the apt hook, the default config
 * and the state directory, then take a first snapshot. `upkeep uninstall`: remove exactly what
 * install wrote (and still holds what it wrote). Both plan first (--dry-run prints the plan), then
 * apply; docs/install.md.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { applyInstall, applyUninstall, realSystemOps, type SystemdOutcome } from '../../adapters/install/apply-install.js';
import { checkExecutable, checkRoot, executableTrustProblems, packageInstalled, readTargets, readTextIfExists } from '../../adapters/install/read-install.js';
import { defaultInstallBin, defaultInstallBinText, installDocsUri } from '../../adapters/program/build-info.js';
import { EXIT, UpkeepError, UsageError } from '../../core/errors.js';
import { DEFAULT_CONFIG_FILE } from '../../core/config/default-file.js';
import { MANIFEST_PATH } from '../../core/install/manifest.js';
import { PACKAGE_APT_HOOK_PATH, PACKAGE_BIN, PACKAGE_UNIT_PATH } from '../../core/install/package.js';
import {
  STATE_DIR,
  installChanges,
  installPathsToRead,
  installTargets,
  planInstall,
  planUninstall,
  readManifestText,
  uninstallPathsToRead,
  type UninstallPlan,
} from '../../core/install/plan.js';
import { hostPath, installLines, installPathsJson, uninstallLines, uninstallPathsJson } from '../../core/install/report.js';
import { UNIT_NAME } from '../../core/install/unit-file.js';
import { readHostState } from '../../adapters/docker/host-state.js';
import { textFileReader } from '../../adapters/files/read-text-file.js';
import { openStore } from '../../adapters/store/sqlite-store.js';
import { takeSnapshot } from '../../app/take-snapshot.js';
import { withEngine } from '../engine.js';
import { askYesNo, printJson, type Io } from '../io.js';

interface CommonOptions {
  root?: string;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
}

interface InstallOptions extends CommonOptions {
  bin?: string;
  force?: boolean;
}

interface UninstallOptions extends CommonOptions {
  purge?: boolean;
}

const ENABLE = `systemctl daemon-reload && systemctl enable --now ${UNIT_NAME}`;

const PACKAGE_INSTALLED = (root: string): string =>
  `Nothing to do: the Debian package upkeep is installed${root === '/' ? '' : ` under ${root}`}. It already installed the unit (${PACKAGE_UNIT_PATH}), enabled at boot, and the apt hook (${PACKAGE_APT_HOOK_PATH}, linked from /etc/apt/apt.conf.d/99upkeep), both running ${PACKAGE_BIN}.
To configure the agent: upkeep config show-default > /etc/upkeep/upkeep.yml (mode 0600), edit it, then: systemctl start ${UNIT_NAME}
To remove it: apt-get remove upkeep (apt-get purge upkeep also removes the config; see docs/install.md).
`;

/** Resolves --root, refuses without --yes off a terminal, and requires root for `/`. */
async function prepare(io: Io, opts: CommonOptions, verb: 'install' | 'uninstall'): Promise<{ root: string; interactive: boolean }> {
  const root = resolve(opts.root ?? '/');
  const interactive = process.stdin.isTTY === true && io.stderr.isTTY === true;
  if (!opts.dryRun && !opts.yes && !interactive) {
    throw new UsageError(`${verb} changes files${root === '/' ? ' and systemd' : ''}: pass --yes to confirm (or --dry-run to see the plan)`);
  }
  await checkRoot(root);
  if (root === '/' && !opts.dryRun && process.getuid?.() !== 0) {
    throw new UpkeepError(`${verb} into / must run as root (it writes /etc and /var/lib and runs systemctl)`, {
      hint: `run: sudo upkeep ${verb} --yes, or pass --root DIR to work on a directory tree, or --dry-run to see the plan`,
    });
  }
  return { root, interactive };
}

/**
 * The first snapshot after a real install: the same use case as `upkeep snapshot`; never fails the
 * install: an engine that does not answer, or a state directory it cannot write, is one sentence.
 */
export async function firstSnapshot(io: Io, stateDir: string = STATE_DIR): Promise<{ taken: boolean; message: string; result: unknown }> {
  try {
    const state = await withEngine(io, (engine) => readHostState(engine));
    const store = openStore({ stateDir, create: true });
    try {
      const { saved, built, notes } = await takeSnapshot({ store, readTextFile: textFileReader(), now: Date.now }, state, {
        note: 'first snapshot (upkeep install)',
        by: 'install',
      });
      const desired = built.snapshot.containers.map((c) => c.name);
      const result = { snapshot: saved, desired, excluded: built.excluded, carriedOver: built.carriedOver, notes, stateDir };
      return { taken: true, message: `snapshot ${saved.id} taken: ${desired.length} desired containers (${desired.join(', ') || 'none running'})`, result };
    } finally {
      store.close();
    }
  } catch (err) {
    return { taken: false, message: `no snapshot taken: ${(err as Error).message}`, result: null };
  }
}

/** The running program's default --bin; a bundle built without --default-bin has none. */
function defaultBinOrThrow(): string {
  const bin = defaultInstallBin();
  if (bin === null)
    throw new UsageError('this upkeep is a bundle run by node, not an executable: pass --bin', {
      hint: 'pass the command that runs it, e.g. --bin /usr/bin/upkeep, or install the single executable (docs/single-executable.md)',
    });
  return bin;
}

function systemdText(s: SystemdOutcome | null): string {
  return s === null ? '' : `systemd: ${s.message}\n`;
}

export function registerInstall(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('install')
    .description('Install the agent: systemd unit, apt hook, default config, state directory; then take a first snapshot')
    .option('--root <dir>', 'install into this directory tree instead of / (no systemctl, no snapshot)', '/')
    .option('--bin <path>', `the upkeep executable the unit and the apt hook run (default: ${defaultInstallBinText()})`)
    .option('--force', 'install even when the executable or a directory above it is not owned by root or is writable by others (a warning)')
    .option('--dry-run', 'print the plan and change nothing')
    .option('-y, --yes', 'do not ask before acting (needed when not on a terminal)')
    .option('--json', 'print JSON for scripts')
    .addHelpText(
      'after',
      `
Writes /etc/systemd/system/upkeep.service, /etc/apt/apt.conf.d/99upkeep, /etc/upkeep/upkeep.yml
(only when absent), /var/lib/upkeep/ (0700) with install-manifest.json, and the symlink
/usr/local/bin/upkeep. Files you edited are kept, never overwritten. Undo: upkeep uninstall.
Exit codes: 0 installed (or nothing to do), 2 could not run or systemctl failed. See docs/install.md.`,
    )
    .action(async (opts: InstallOptions) => {
      const { root, interactive } = await prepare(io, opts, 'install');
      if (await packageInstalled(root)) {
        // Two units named upkeep.service (the one in /etc would override the package's) and two
        // apt hooks would fight: the package has installed both already.
        if (opts.json) printJson(io, { root, dryRun: opts.dryRun === true, package: true, paths: [] });
        else io.stdout.write(PACKAGE_INSTALLED(root));
        setExit(EXIT.ok);
        return;
      }
      const bin = opts.bin !== undefined ? resolve(opts.bin) : defaultBinOrThrow();
      const real = root === '/';
      if (real) {
        await checkExecutable(bin);
        const unsafe = await executableTrustProblems(bin);
        if (unsafe.length > 0 && !opts.force) {
          throw new UsageError(`--bin ${bin}: root would run a file that others can change:\n  ${unsafe.join('\n  ')}`, {
            hint: 'install upkeep where only root can write (e.g. the Debian package, or a checkout in /opt owned by root, mode 755), or pass --force to install anyway',
          });
        }
        for (const u of unsafe) io.stderr.write(`warning: --force: ${u}\n`);
      }
      const targets = installTargets({ bin, docs: installDocsUri(), configText: DEFAULT_CONFIG_FILE });
      const manifestAt = hostPath(root, MANIFEST_PATH);
      const plan = planInstall({
        bin,
        targets,
        current: await readTargets(root, installPathsToRead(targets)),
        manifestText: await readTextIfExists(manifestAt),
        manifestWhere: manifestAt,
      });
      const header = `upkeep install into ${root} (executable ${bin})`;
      if (opts.dryRun) {
        if (opts.json) printJson(io, { root, bin, dryRun: true, conflicts: plan.conflicts, paths: installPathsJson(plan, root, false) });
        else {
          io.stdout.write(`Plan for ${header}:\n${installLines(plan, root, false).join('\n')}\n`);
          for (const c of plan.conflicts) io.stdout.write(`conflict: ${c}\n`);
          io.stdout.write(
            `Dry run: nothing changed.${installChanges(plan) ? ` Run \`upkeep install${real ? '' : ` --root ${root}`} --yes\` to do it.` : ' Everything is installed already.'}\n`,
          );
        }
        setExit(plan.conflicts.length ? EXIT.couldNotRun : EXIT.ok);
        return;
      }
      if (interactive && !opts.yes && installChanges(plan)) {
        io.stderr.write(`Plan for ${header}:\n${installLines(plan, root, false).join('\n')}\n`);
        if (!(await askYesNo('Go ahead? [y/N] '))) {
          io.stderr.write('Nothing done (declined).\n');
          setExit(EXIT.ok);
          return;
        }
      }
      const applied = await applyInstall(plan, root, real ? realSystemOps() : null);
      const snapshot = real ? await firstSnapshot(io) : { taken: false, message: `no snapshot taken: --root ${root} is not /`, result: null };
      const systemdOk = applied.systemd === null || applied.systemd.ok;
      if (opts.json) {
        printJson(io, {
          root,
          bin,
          dryRun: false,
          paths: installPathsJson(plan, root, true),
          systemd: applied.systemd ?? { ok: true, steps: [], message: `not touched: --root ${root} is not /` },
          snapshot: { taken: snapshot.taken, message: snapshot.message, result: snapshot.result },
        });
      } else {
        io.stdout.write(`${header}:\n${installLines(plan, root, true).join('\n')}\n`);
        io.stdout.write(real ? systemdText(applied.systemd) : `systemd: not touched (--root ${root} is not /); on the target system run: ${ENABLE}\n`);
        io.stdout.write(`${snapshot.message}\n`);
        if (plan.actions.some((a) => a.action === 'keep'))
          io.stdout.write('Kept paths were not written by upkeep or were edited since: install never overwrites them.\n');
        io.stdout.write(`Undo: upkeep uninstall${real ? '' : ` --root ${root}`} --yes (--purge also removes the config and the state directory).\n`);
      }
      setExit(systemdOk ? EXIT.ok : EXIT.couldNotRun);
    });
}

function uninstallHeader(plan: UninstallPlan, root: string): string {
  return `upkeep uninstall from ${root}${plan.installed ? '' : ' (no install manifest: only --purge paths)'}`;
}

export function registerUninstall(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('uninstall')
    .description('Remove what upkeep install wrote (edited files are kept); --purge also the config and the state')
    .option('--root <dir>', 'uninstall from this directory tree instead of / (no systemctl)', '/')
    .option('--purge', 'also remove /etc/upkeep/upkeep.yml (even edited) and /var/lib/upkeep (the state database)')
    .option('--dry-run', 'print the plan and change nothing')
    .option('-y, --yes', 'do not ask before acting (needed when not on a terminal)')
    .option('--json', 'print JSON for scripts')
    .addHelpText(
      'after',
      `
Removes only the paths listed in /var/lib/upkeep/install-manifest.json that still hold what install
wrote, and the directories install created once empty. Without --purge the state database stays.
Exit codes: 0 done (or nothing to do), 2 could not run. See docs/install.md.`,
    )
    .action(async (opts: UninstallOptions) => {
      const { root, interactive } = await prepare(io, opts, 'uninstall');
      const real = root === '/';
      const manifestAt = hostPath(root, MANIFEST_PATH);
      const manifest = readManifestText(await readTextIfExists(manifestAt), manifestAt);
      const plan: UninstallPlan = planUninstall({ manifest, current: await readTargets(root, uninstallPathsToRead(manifest)), purge: opts.purge === true });
      const changes = plan.actions.some((a) => a.action === 'remove');
      if (!plan.installed && !changes) {
        const byPackage = await packageInstalled(root);
        if (opts.json) printJson(io, { root, dryRun: opts.dryRun === true, installed: false, package: byPackage, paths: [] });
        else
          io.stdout.write(
            byPackage
              ? `Nothing to uninstall: the Debian package upkeep installed upkeep here, not upkeep install. Remove it with: apt-get remove upkeep (or apt-get purge upkeep).\n`
              : `Nothing to uninstall: no install manifest at ${manifestAt} (upkeep install was not run here, or the manifest was removed).\n`,
          );
        setExit(EXIT.ok);
        return;
      }
      if (opts.dryRun) {
        if (opts.json) printJson(io, { root, dryRun: true, installed: plan.installed, paths: uninstallPathsJson(plan, root, false) });
        else io.stdout.write(`Plan for ${uninstallHeader(plan, root)}:\n${uninstallLines(plan, root, false).join('\n')}\nDry run: nothing changed.\n`);
        setExit(EXIT.ok);
        return;
      }
      if (interactive && !opts.yes && changes) {
        io.stderr.write(`Plan for ${uninstallHeader(plan, root)}:\n${uninstallLines(plan, root, false).join('\n')}\n`);
        if (!(await askYesNo('Go ahead? [y/N] '))) {
          io.stderr.write('Nothing done (declined).\n');
          setExit(EXIT.ok);
          return;
        }
      }
      const applied = await applyUninstall(plan, root, real ? realSystemOps() : null);
      const done: UninstallPlan = { installed: plan.installed, actions: plan.actions.map((a, i) => ({ ...a, ...applied.statuses[i] })) };
      if (opts.json) printJson(io, { root, dryRun: false, installed: plan.installed, paths: uninstallPathsJson(done, root, true), systemd: applied.systemd });
      else {
        io.stdout.write(`${uninstallHeader(plan, root)}:\n${uninstallLines(done, root, true).join('\n')}\n`);
        io.stdout.write(systemdText(applied.systemd));
        if (done.actions.some((a) => a.action === 'keep'))
          io.stdout.write('Kept paths were edited since install (or are not empty): remove them by hand if you want them gone.\n');
      }
      setExit(applied.systemd === null || applied.systemd.ok ? EXIT.ok : EXIT.couldNotRun);
    });
}
