/**
 * `upkeep preflight`: before `apt upgrade`, which services restart, whether a reboot is needed,
 * which containers stop and which will not come back. `--hook` is the DPkg::Pre-Install-Pkgs
 * form: it reads apt's package list on stdin, warns on stderr, and never blocks apt.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { mapBounded, readHostState } from '../../adapters/docker/host-state.js';
import { listDpkgInfo, readConffilesOf } from '../../adapters/apt/package-files.js';
import { readAllUnits } from '../../adapters/apt/unit-files.js';
import { installedKernels, rebootRequiredFlag, runningKernel } from '../../adapters/apt/kernels.js';
import { fetchCandidateScripts, readInstalledScripts, type MaintainerScripts } from '../../adapters/apt/maintainer-scripts.js';
import { simulateUpgrade } from '../../adapters/apt/simulate-upgrade.js';
import { UpkeepError, UsageError } from '../../core/errors.js';
import { parseAptSimulation, parsePreInstallPkgsV3, type AptPlan, type PlannedPackage } from '../../core/preflight/apt-plan.js';
import { lookupKnowledge } from '../../core/preflight/knowledge-base.js';
import { analyseMaintainerScript, effectsOfUpgrade } from '../../core/preflight/maintainer-scripts.js';
import { buildPreflightReport, type PackageEvidence, type PreflightReport } from '../../core/preflight/preflight-report.js';
import { renderTable } from '../../core/render/table.js';
import { engineFromEnv } from '../engine.js';
import { painter, printJson, type Io } from '../io.js';

interface PreflightOptions {
  mode?: string;
  plan?: string;
  download?: boolean;
  cacheDir?: string;
  json?: boolean;
  hook?: boolean;
  block?: boolean;
}

function analyse(scripts: MaintainerScripts | null, kind: 'prerm' | 'preinst' | 'postrm' | 'postinst') {
  const text = scripts?.[kind] ?? null;
  return text === null ? null : analyseMaintainerScript(kind, text);
}

/** Evidence for one package, in order of trust: candidate scripts, installed scripts, knowledge base. */
async function evidenceFor(
  p: PlannedPackage,
  opts: { download: boolean; cacheDir: string; infoNames: ReadonlySet<string>; onProgress: (s: string) => void },
): Promise<PackageEvidence> {
  const kb = lookupKnowledge(p.name);
  const base = { pkg: p, rebootNeeded: kb?.rebootNeeded ?? false, notes: kb?.notes ?? [] };
  if (p.newVersion === null) return { ...base, effects: [], source: 'none (removal)' };
  const installed = p.oldVersion === null ? null : await readInstalledScripts(p.name, { arch: p.arch, names: opts.infoNames }).catch(() => null);
  let candidate: MaintainerScripts | null = null;
  if (opts.download) {
    opts.onProgress(`reading the maintainer scripts of ${p.name} ${p.newVersion}`);
    candidate = await fetchCandidateScripts(p.name, p.newVersion, opts.cacheDir).then((c) => c.scripts, () => null);
  }
  const newScripts = candidate ?? installed;
  if (newScripts !== null && Object.values(newScripts).some((s) => s !== null)) {
    const effects = effectsOfUpgrade(
      { oldPrerm: analyse(installed, 'prerm'), newPreinst: analyse(newScripts, 'preinst'), oldPostrm: analyse(installed, 'postrm'), newPostinst: analyse(newScripts, 'postinst') },
      p.oldVersion ?? '0',
      p.newVersion,
    ).map((e) => ({ unit: e.unit, action: e.action, when: e.when === 'install' ? ('upgrade' as const) : e.when }));
    if (effects.length > 0 || kb === null) {
      return { ...base, effects, source: candidate ? 'candidate scripts' : 'installed scripts (the new version\'s may differ)' };
    }
  }
  if (kb !== null) return { ...base, effects: kb.effects, source: `knowledge base: ${kb.source}` };
  return { ...base, effects: [], source: newScripts ? 'maintainer scripts (no service effect)' : 'none (not installed, not downloaded)' };
}

async function defaultCacheDir(io: Io): Promise<string> {
  if (process.getuid?.() === 0) return '/var/cache/upkeep/debs';
  const xdg = io.env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(io.env.HOME ?? homedir(), '.cache'), 'upkeep', 'debs');
}

export async function runPreflight(io: Io, plan: AptPlan, opts: { download: boolean; cacheDir: string; quiet?: boolean }): Promise<{ report: PreflightReport; containersNote: string | null }> {
  const onProgress = (s: string) => {
    if (!opts.quiet) io.stderr.write(`${s}\n`);
  };
  const infoNames = await listDpkgInfo();
  // Downloads one at a time (apt's lock, readable progress); local reads side by side.
  const evidence = await mapBounded(plan.packages.filter((x) => x.action !== 'configure'), opts.download ? 1 : 16, (p) =>
    evidenceFor(p, { ...opts, infoNames, onProgress }),
  );
  let host: { daemon: Awaited<ReturnType<typeof readHostState>>['daemon']; containers: Awaited<ReturnType<typeof readHostState>>['containers'] } | null = null;
  let containersNote: string | null = null;
  const engine = engineFromEnv(io);
  try {
    const s = await readHostState(engine);
    host = { daemon: s.daemon, containers: s.containers };
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
  });
  return { report, containersNote };
}

export function renderPreflightText(io: Io, report: PreflightReport, containersNote: string | null, planSource: string): string {
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
    .option('--hook', 'DPkg::Pre-Install-Pkgs mode: read apt\'s v3 package list on stdin, warn on stderr, never block apt')
    .option('--block', 'with --hook: exit 1 (stop apt) when something would not come back')
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
      const { report, containersNote } = await runPreflight(io, plan, {
        download: opts.download !== false,
        cacheDir: opts.cacheDir ?? (await defaultCacheDir(io)),
        quiet: opts.json === true,
      });
      if (opts.json) printJson(io, { plan: planSource, problems: plan.problems, containersNote, ...report });
      else io.stdout.write(renderPreflightText(io, report, containersNote, planSource));
      setExit(report.exitCode);
    });
}

/** The apt hook: any failure is one line, and apt goes on (unless --block and real risk). */
async function runHook(io: Io, opts: PreflightOptions): Promise<number> {
  try {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    const plan = parsePreInstallPkgsV3(Buffer.concat(chunks).toString('utf8'));
    const { report, containersNote } = await runPreflight(io, plan, { download: false, cacheDir: '/nonexistent', quiet: true });
    io.stderr.write(`upkeep preflight (before dpkg):\n${renderPreflightText({ ...io, stdout: io.stderr }, report, containersNote, 'apt, via DPkg::Pre-Install-Pkgs')}`);
    return opts.block && report.exitCode === 3 ? 1 : 0;
  } catch (err) {
    io.stderr.write(`upkeep preflight: could not assess this upgrade (${(err as Error).message}); apt goes on\n`);
    return 0;
  }
}

