/**
 * `upkeep preflight`: before `apt upgrade`, which services restart, whether a reboot is needed,
 * which containers stop and which will not come back. `--hook` is the DPkg::Pre-Install-Pkgs
 * form: it reads apt's package list on stdin, warns on stderr, and never blocks apt.
 */
import { access, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../adapters/config/load-config.js';
import { mapBounded, readHostState } from '../../adapters/docker/host-state.js';
import { listDpkgInfo, readConffilesOf, readPackageFiles } from '../../adapters/apt/package-files.js';
import { readAllUnits, readEnabledUnits, readUnitStates } from '../../adapters/apt/unit-files.js';
import { openStore } from '../../adapters/store/sqlite-store.js';
import { DATABASE_FILE } from '../../adapters/store/state-dir.js';
import { installedKernels, rebootRequiredFlag, runningKernel } from '../../adapters/apt/kernels.js';
import { fetchCandidateScripts, readInstalledScripts, type MaintainerScripts } from '../../adapters/apt/maintainer-scripts.js';
import { simulateUpgrade } from '../../adapters/apt/simulate-upgrade.js';
import { UpkeepError, UsageError } from '../../core/errors.js';
import { parseAptSimulation, parsePreInstallPkgsV3, type AptPlan, type PlannedPackage } from '../../core/preflight/apt-plan.js';
import { lookupKnowledge } from '../../core/preflight/knowledge-base.js';
import { analyseMaintainerScript, effectsOfUpgrade, hasUnresolvedUpgradeEffects, type UpgradeScripts } from '../../core/preflight/maintainer-scripts.js';
import { buildPreflightReport, type PackageEvidence, type PreflightInput, type PreflightReport } from '../../core/preflight/preflight-report.js';
import { assumeDebhelperRestart, shippedUnits, shippedUnitsSource } from '../../core/preflight/shipped-units.js';
import { renderTable } from '../../core/render/table.js';
import { engineFromEnv } from '../engine.js';
import { painter, printJson, type Io } from '../io.js';
import { stateDirFor } from '../state.js';

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
}

function analyse(scripts: MaintainerScripts | null, kind: 'prerm' | 'preinst' | 'postrm' | 'postinst') {
  const text = scripts?.[kind] ?? null;
  return text === null ? null : analyseMaintainerScript(kind, text);
}

/**
 * Evidence for one package, in order of trust: candidate scripts, installed scripts, the unit files
 * the package ships (PKG.list: debhelper's default restart, when no script can be read), knowledge
 * base. The shipped units also name the units of script actions on computed units.
 */
async function evidenceFor(
  p: PlannedPackage,
  opts: { download: boolean; cacheDir: string; infoNames: ReadonlySet<string>; enabledUnits: () => Promise<ReadonlySet<string>>; onProgress: (s: string) => void },
): Promise<PackageEvidence> {
  const kb = lookupKnowledge(p.name);
  const base = { pkg: p, rebootNeeded: kb?.rebootNeeded ?? false, notes: kb?.notes ?? [] };
  if (p.newVersion === null) return { ...base, effects: [], source: 'none (removal)', confidence: 'high' };
  const installed = p.oldVersion === null ? null : await readInstalledScripts(p.name, { arch: p.arch, names: opts.infoNames }).catch(() => null);
  let candidate: MaintainerScripts | null = null;
  if (opts.download) {
    opts.onProgress(`reading the maintainer scripts of ${p.name} ${p.newVersion}`);
    candidate = await fetchCandidateScripts(p.name, p.newVersion, opts.cacheDir).then((c) => c.scripts, () => null);
  }
  // The units of the installed version (the new one usually ships the same), read only when needed.
  const shipped = async () => {
    if (p.oldVersion === null) return null;
    const files = await readPackageFiles(p.name, { arch: p.arch, names: opts.infoNames }).catch(() => null);
    return files === null ? null : { list: basename(files.file), units: shippedUnits(files.paths) };
  };
  const newScripts = candidate ?? installed;
  if (newScripts !== null && Object.values(newScripts).some((s) => s !== null)) {
    const scripts: UpgradeScripts = {
      oldPrerm: analyse(installed, 'prerm'),
      newPreinst: analyse(newScripts, 'preinst'),
      oldPostrm: analyse(installed, 'postrm'),
      newPostinst: analyse(newScripts, 'postinst'),
    };
    const from = p.oldVersion ?? '0';
    const units = hasUnresolvedUpgradeEffects(scripts, from, p.newVersion) ? await shipped() : null;
    const found = effectsOfUpgrade(scripts, from, p.newVersion, units ? { shippedUnits: units.units } : {});
    const effects = found.map((e) => ({ unit: e.unit, action: e.action, when: e.when === 'install' ? ('upgrade' as const) : e.when }));
    if (effects.length > 0 || kb === null) {
      const named = units !== null && found.some((e) => e.unitFrom !== undefined) ? `; units named from the unit files the package ships (${units.list})` : '';
      return {
        ...base,
        effects,
        source: `${candidate ? 'candidate scripts' : 'installed scripts (the new version\'s may differ)'}${named}`,
        confidence: candidate ? 'high' : 'medium',
      };
    }
  } else if (candidate === null) {
    // No script to read (a downloaded candidate without scripts does tell: nothing restarts): what
    // debhelper's default does to the units the package ships.
    const units = await shipped();
    if (units !== null && units.units.length > 0) {
      const states = await readUnitStates(units.units, { enabled: await opts.enabledUnits() });
      const { restarted, skipped } = assumeDebhelperRestart(units.units, states);
      if (restarted.length > 0 || kb === null) {
        const notes = skipped.length > 0 ? [`ships ${skipped.join(', ')}: not enabled or running here, so deb-systemd-invoke would leave ${skipped.length === 1 ? 'it' : 'them'} alone`] : [];
        return {
          ...base,
          notes: [...notes, ...base.notes],
          effects: restarted.map((unit) => ({ unit, action: 'restart' as const, when: 'upgrade' as const, assumed: true })),
          source: shippedUnitsSource(units.list),
          confidence: 'low',
        };
      }
    }
  }
  if (kb !== null) return { ...base, effects: kb.effects, source: `knowledge base: ${kb.source}` };
  return { ...base, effects: [], source: newScripts ? 'maintainer scripts (no service effect)' : 'none (not installed, not downloaded)' };
}

/**
 * upkeep's desired state of this engine (its newest snapshot), or null when there is none: no
 * store, or no snapshot of this engine. A store that exists and cannot be read is a note.
 */
async function readDesiredState(io: Io, stateDir: string | undefined, engineId: string): Promise<{ desired: PreflightInput['desired']; note: string | null }> {
  const dir = stateDirFor(io, stateDir === undefined ? {} : { stateDir });
  if (!(await access(join(dir, DATABASE_FILE)).then(() => true, () => false))) return { desired: null, note: null };
  try {
    const store = openStore({ stateDir: dir, create: false });
    try {
      const snap = store.latestSnapshot(engineId);
      return { desired: snap === null ? null : { takenAt: snap.takenAt, containers: snap.containers, forgotten: snap.forgotten }, note: null };
    } finally {
      store.close();
    }
  } catch (err) {
    return { desired: null, note: `desired state not read: ${(err as Error).message}` };
  }
}

async function defaultCacheDir(io: Io): Promise<string> {
  if (process.getuid?.() === 0) return '/var/cache/upkeep/debs';
  const xdg = io.env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(io.env.HOME ?? homedir(), '.cache'), 'upkeep', 'debs');
}

/**
 * Gathers the evidence and builds the report. `stateDir` (else the default state directory) holds
 * the desired state compared with the containers that run now; without one nothing is said of it.
 */
export async function runPreflight(
  io: Io,
  plan: AptPlan,
  opts: { download: boolean; cacheDir: string; quiet?: boolean; stateDir?: string },
): Promise<{ report: PreflightReport; containersNote: string | null; desiredNote: string | null }> {
  const onProgress = (s: string) => {
    if (!opts.quiet) io.stderr.write(`${s}\n`);
  };
  const infoNames = await listDpkgInfo();
  let enabled: Promise<ReadonlySet<string>> | undefined;
  const enabledUnits = () => (enabled ??= readEnabledUnits());
  // Downloads one at a time (apt's lock, readable progress); local reads side by side.
  const evidence = await mapBounded(plan.packages.filter((x) => x.action !== 'configure'), opts.download ? 1 : 16, (p) =>
    evidenceFor(p, { ...opts, infoNames, enabledUnits, onProgress }),
  );
  let host: { daemon: Awaited<ReturnType<typeof readHostState>>['daemon']; containers: Awaited<ReturnType<typeof readHostState>>['containers'] } | null = null;
  let containersNote: string | null = null;
  let desired: PreflightInput['desired'] = null;
  let desiredNote: string | null = null;
  const engine = engineFromEnv(io);
  try {
    const s = await readHostState(engine);
    host = { daemon: s.daemon, containers: s.containers };
    ({ desired, note: desiredNote } = await readDesiredState(io, opts.stateDir, s.host.id));
  } catch (err) {
    containersNote = `containers not assessed: ${(err as Error).message}`;
  } finally {
    await engine.close();
  }
  // Propagation needs every unit file (the dependents of X are found only by reading them all).
  const restarts = evidence.some((e) => e.effects.some((x) => x.action === 'restart' || x.action === 'try-restart' || x.action === 'stop'));
  const units = restarts ? await readAllUnits().catch(() => new Map()) : new Map();
  const installed = evidence.filter((e) => e.pkg.oldVersion !== null).map((e) => e.pkg.name);
  const modifiedConffiles = new Map<string, string[]>();
  const conffiles = await readConffilesOf(installed).catch(() => new Map<string, Array<{ path: string; state: string }>>());
  for (const [pkg, files] of conffiles) {
    const modified = files.filter((f) => f.state === 'modified').map((f) => f.path);
    if (modified.length > 0) modifiedConffiles.set(pkg, modified);
  }
  const report = buildPreflightReport({
    evidence,
    units,
    modifiedConffiles,
    runningKernel: runningKernel(),
    installedKernels: await installedKernels().catch(() => []),
    rebootRequiredFlag: (await rebootRequiredFlag().catch(() => ({ required: false }))).required,
    host,
    desired,
  });
  return { report, containersNote, desiredNote };
}

export function renderPreflightText(io: Io, report: PreflightReport, containersNote: string | null, planSource: string, desiredNote: string | null = null): string {
  const paint = painter(io);
  const out: string[] = [`${report.summary.packages} packages to change (${planSource})`];
  const shown = report.packages.filter((p) => p.risk !== 'low');
  if (shown.length) {
    out.push(
      renderTable(
        ['RISK', 'PACKAGE', 'FROM -> TO', 'EFFECT', 'SOURCE'],
        shown.map((p) => [p.risk, p.name, `${p.from ?? '(new)'} -> ${p.to ?? '(removed)'}`, p.effects.join('; '), p.source.split(':')[0]!]),
        (cell, _row, col) => (col === 0 && cell.startsWith('high') ? paint('red', cell) : cell),
      ),
    );
  }
  const low = report.packages.length - shown.length;
  if (low) out.push(`(${low} more with no service restart known)`);
  if (report.docker.why) out.push(`Docker: ${report.docker.why}`);
  out.push('(sources in full: --json)');
  if (report.reboot.needed) out.push(`Reboot needed: ${report.reboot.why.join('; ')}`);
  if (report.containers === null) out.push(`Containers: ${containersNote ?? 'not assessed'}`);
  else {
    const notBack = report.containers.filter((c) => c.runningAtEnd !== 'yes');
    out.push(
      `Containers: ${report.summary.containersStop} of ${report.containers.length} running stop during the maintenance; ` +
        (notBack.length ? `afterwards ${notBack.length} are NOT (or maybe not) running:` : 'all come back.'),
    );
    for (const c of notBack) {
      const p = c.afterReboot ?? c.afterUpgrade;
      out.push(`  ${paint(c.runningAtEnd === 'no' ? 'red' : 'yellow', c.name)} (${c.policy}): ${c.runningAtEnd === 'no' ? 'not back' : 'unknown'}: ${p.reason}`);
    }
  }
  if (report.alreadyDown !== null && report.alreadyDown.length > 0) {
    const n = report.alreadyDown.length;
    out.push(`Already down before the upgrade: ${n} desired container${n === 1 ? '' : 's'} (snapshot of ${report.desiredStateTakenAt}) ${n === 1 ? 'is' : 'are'} not running now:`);
    for (const c of report.alreadyDown) {
      const end = c.runningAtEnd === 'yes' ? 'back after the maintenance' : c.runningAtEnd === 'no' ? 'stays down' : 'unknown';
      out.push(`  ${paint(c.runningAtEnd === 'yes' ? 'yellow' : 'red', c.name)} (${c.policy ?? 'removed'}): ${c.reason}; ${end}: ${c.afterMaintenance.reason}`);
    }
  }
  if (desiredNote !== null) out.push(`Desired state: ${desiredNote}`);
  if (report.advice.length) out.push(`Do first: ${report.advice.join('; ')}`);
  return out.join('\n') + '\n';
}

export function registerPreflight(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('preflight')
    .description('Before apt upgrade: which services restart, whether a reboot is needed, which containers stop and which will not come back')
    .option('--mode <mode>', 'dist-upgrade (default) or upgrade: the command you will run', 'dist-upgrade')
    .option('--plan <file>', 'a saved `apt-get -s dist-upgrade` output instead of running apt')
    .option('--no-download', 'do not download the candidate packages (use the installed scripts and the knowledge base)')
    .option('--cache-dir <dir>', 'where downloaded control files are kept')
    .option('--state-dir <dir>', 'where the state database lives (the desired state: desired containers already down are reported)')
    .option('--hook', 'DPkg::Pre-Install-Pkgs mode: read apt\'s v3 package list on stdin, warn on stderr, never block apt')
    .option('--block', 'with --hook: exit 1 (stop apt) when something would not come back (also: preflight.block in the config)')
    .option('--config <file>', 'with --hook: the config file whose preflight.block applies (default /etc/upkeep/upkeep.yml)')
    .option('--json', 'print JSON for scripts (docs/preflight.md)')
    .addHelpText('after', '\nExit codes: 0 nothing stops, 1 containers stop but all come back, 3 something will not come back or a reboot is needed, 2 could not run.')
    .action(async (opts: PreflightOptions) => {
      if (opts.hook) {
        setExit(await runHook(io, opts));
        return;
      }
      if (opts.mode !== 'dist-upgrade' && opts.mode !== 'upgrade') throw new UsageError(`--mode "${opts.mode}": use dist-upgrade or upgrade`);
      let text: string;
      let planSource: string;
      if (opts.plan) {
        text = await readFile(opts.plan, 'utf8').catch((err: Error) => {
          throw new UsageError(`--plan ${opts.plan}: ${err.message}`, { hint: 'save one with: LC_ALL=C apt-get -s dist-upgrade > plan.txt' });
        });
        planSource = opts.plan;
      } else {
        text = await simulateUpgrade(opts.mode);
        planSource = `apt-get -s ${opts.mode}`;
      }
      const plan = parseAptSimulation(text);
      if (plan.packages.length === 0 && plan.problems.length > 0) {
        throw new UpkeepError(`${planSource}: no package lines could be read (${plan.problems[0]!.message} at line ${plan.problems[0]!.line})`);
      }
      const { report, containersNote, desiredNote } = await runPreflight(io, plan, {
        download: opts.download !== false,
        cacheDir: opts.cacheDir ?? (await defaultCacheDir(io)),
        quiet: opts.json === true,
        ...(opts.stateDir === undefined ? {} : { stateDir: opts.stateDir }),
      });
      if (opts.json) printJson(io, { plan: planSource, problems: plan.problems, containersNote, desiredNote, ...report });
      else io.stdout.write(renderPreflightText(io, report, containersNote, planSource, desiredNote));
      setExit(report.exitCode);
    });
}

/** The apt hook: any failure is one line, and apt goes on (unless --block and real risk). */
async function runHook(io: Io, opts: PreflightOptions): Promise<number> {
  try {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    const plan = parsePreInstallPkgsV3(Buffer.concat(chunks).toString('utf8'));
    const { report, containersNote, desiredNote } = await runPreflight(io, plan, { download: false, cacheDir: '/nonexistent', quiet: true, ...(opts.stateDir === undefined ? {} : { stateDir: opts.stateDir }) });
    io.stderr.write(`upkeep preflight (before dpkg):\n${renderPreflightText({ ...io, stdout: io.stderr }, report, containersNote, 'apt, via DPkg::Pre-Install-Pkgs', desiredNote)}`);
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
    if (block && report.exitCode === 3) {
      io.stderr.write('upkeep preflight: stopping apt (preflight.block is on). Fix what is listed above, or run apt with -o DPkg::Pre-Install-Pkgs::=\n');
      return 1;
    }
    return 0;
  } catch (err) {
    io.stderr.write(`upkeep preflight: could not assess this upgrade (${(err as Error).message}); apt goes on\n`);
    return 0;
  }
}

