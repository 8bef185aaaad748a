/**
 * The "rehearse an upgrade" use case, behind `upkeep rehearse`: read (the host's mounts: which
 * filesystems the view copies; preflight's prediction of the same upgrade) -> apply (the real
 * apt-get in a throwaway copy of the host, every service action recorded and refused: the sandbox
 * port) -> plan (core/rehearse: what was observed, the prediction beside it, and the containers'
 * fate from the observed actions through the same report builder preflight uses) -> return data,
 * recorded in the timeline. Never prints, never exits.
 */
import { UpkeepError } from '../core/errors.js';
import { parseMountinfo, planLayers, type LayerPlan } from '../core/rehearse/layout.js';
import {
  compareWithPrediction,
  conffilePrompts,
  normalAction,
  parseCalls,
  scriptFailures,
  serviceRequests,
  triggersRun,
  type ComparedLine,
  type ConffilePrompt,
  type RecordedCall,
  type ScriptFailure,
  type ServiceRequest,
} from '../core/rehearse/observations.js';
import { buildPreflightReport, type PackageEvidence, type PreflightReport } from '../core/preflight/preflight-report.js';
import { kernelReleaseOf } from '../core/preflight/kernels.js';
import type { UnitDefinition } from '../core/preflight/systemd-units.js';
import { TIMELINE_KINDS } from '../core/timeline.js';
import { aptProgressText, type UpgradeMode } from '../core/upgrade/routine.js';
import type { RehearsalSandbox } from '../ports/rehearsal.js';
import { assessUpgrade, type AssessUpgradeDeps, type HostSnapshot, type UpgradeAssessment } from './assess-upgrade.js';

export interface RehearseDeps extends AssessUpgradeDeps {
  sandbox: RehearsalSandbox;
}

export interface RehearseRequest {
  mode: UpgradeMode;
  /** A saved `apt-get -s` output for the prediction (the rehearsal itself always runs apt's own plan). */
  planFile: string | null;
  noDownload: boolean;
  scratchDir: string | null;
  keepDir: string | null;
  sizeBytes: number;
  aptOptions: readonly string[];
  hostName: string;
}

/** The tools whose calls are the boot loader and initramfs steps. */
const BOOT_TOOLS = new Set(['update-grub', 'update-grub2', 'grub-install', 'grub-mkconfig', 'update-initramfs', 'flash-kernel', 'update-burg', 'zipl']);

export interface Rehearsal {
  layers: LayerPlan;
  prediction: UpgradeAssessment;
  /** apt-get's exit code in the view (null: it did not run to its end). */
  aptExit: number | null;
  failure: string | null;
  upgradeFailed: boolean;
  services: ServiceRequest[];
  /** Calls to systemctl, deb-systemd-invoke, invoke-rc.d that were not service actions, and the boot steps. */
  calls: RecordedCall[];
  bootSteps: RecordedCall[];
  failures: ScriptFailure[];
  conffiles: ConffilePrompt[];
  triggers: string[];
  kernels: string[];
  bootFiles: string[];
  /**
   * Whether the upgrade wrote /run/reboot-required in the view: null when that could not be read
   * (a symbolic link there is not followed), with why.
   */
  reboot: { required: boolean | null; packages: string[]; why?: string };
  upperBytes: number;
  seconds: number;
  comparison: ComparedLine[];
  /** preflight's report built from the observed actions instead of the predicted ones. */
  observed: PreflightReport;
  /** The apt and dpkg output's last lines (for a failure). */
  tail: string[];
  timelineNote: string | null;
  /** 0 nothing stops, 1 all come back, 3 at risk, 4 could not predict (preflight's, from the observed actions), 5 the upgrade itself fails. */
  exitCode: 0 | 1 | 3 | 4 | 5;
}

/**
 * The plan's packages with the observed actions as their evidence (high confidence: seen, not
 * read), and one more entry for every package that asked for a service action but is not in the
 * prediction's plan (a stale --plan, a package apt pulled in) or for requests made outside any
 * maintainer script (package unknown): what was seen always reaches the containers' verdicts.
 */
export function observedEvidence(prediction: PreflightReport, services: readonly ServiceRequest[], rebootPkgs: readonly string[]): PackageEvidence[] {
  const effectsOf = (name: string | null) =>
    services
      .filter((s) => s.package === name)
      .map((s) => ({ unit: s.unit.includes('.') ? s.unit : `${s.unit}.service`, action: normalAction(s.action) ?? 'restart', when: 'always' as const }));
  const entry = (name: string, label: string | null, from: string | null, to: string | null, effects: PackageEvidence['effects']): PackageEvidence => ({
    pkg: { name, arch: null, oldVersion: from, newVersion: to, origins: [], action: 'install', debPath: null, line: 0 } as PackageEvidence['pkg'],
    effects,
    source: label === null ? 'observed in the rehearsal' : `observed in the rehearsal (${label})`,
    confidence: 'high',
    rebootNeeded: rebootPkgs.includes(name),
    notes: [],
  });
  const planned = new Set(prediction.packages.map((p) => p.name));
  const out = prediction.packages.map((p) => entry(p.name, null, p.from, p.to, effectsOf(p.name)));
  const unplanned = [...new Set(services.map((s) => s.package))].filter((n) => n === null || !planned.has(n));
  for (const name of unplanned)
    out.push(
      name === null
        ? entry('(no package)', 'asked outside any maintainer script', null, null, effectsOf(null))
        : entry(name, "not in preflight's plan", null, null, effectsOf(name)),
    );
  return out;
}

export async function rehearse(deps: RehearseDeps, req: RehearseRequest): Promise<Rehearsal> {
  const layers = planLayers(parseMountinfo(await deps.sandbox.mountinfo()));
  if (layers.refusal !== null)
    throw new UpkeepError(`cannot rehearse on this machine's layout: ${layers.refusal}`, {
      hint: 'upkeep rehearse copies the root and every filesystem under /boot, /usr, /var, /etc, /opt with an overlay; use upkeep preflight instead',
    });

  const prediction = await assessUpgrade(deps, {
    plan: req.planFile !== null ? { kind: 'file', path: req.planFile } : { kind: 'simulate', mode: req.mode === 'full-upgrade' ? 'dist-upgrade' : 'upgrade' },
    download: !req.noDownload,
    record: false,
    hostName: req.hostName,
  });

  deps.onProgress?.(
    `rehearsing apt-get ${req.mode} in a throwaway view (overlays of /${layers.overlays.map((o) => `, ${o.target}`).join('')}; upper layers on ${req.scratchDir ?? 'a tmpfs'})`,
  );
  const raw = await deps.sandbox.run(
    {
      mode: req.mode,
      aptOptions: req.aptOptions,
      noDownload: req.noDownload,
      overlays: layers.overlays.map((o) => o.target),
      scratchDir: req.scratchDir,
      sizeBytes: req.sizeBytes,
      keepDir: req.keepDir,
    },
    (s) => deps.onProgress?.(aptProgressText(s)),
  );

  // apt stopped before dpkg did anything (archives missing with --no-download, a broken plan): the
  // upgrade was not rehearsed at all, which is not "the upgrade fails".
  const dpkgRan = raw.output.some((l) => /^(Preparing to unpack|Unpacking|Setting up|Removing|Purging) /.test(l));
  if (raw.aptExit === null || (raw.aptExit !== 0 && !dpkgRan)) {
    const why = raw.failure ?? raw.output.filter((l) => /^E: /.test(l)).join(' ');
    throw new UpkeepError(`the upgrade could not be rehearsed: ${why || `apt-get exit ${raw.aptExit}`}`, {
      // apt's advice only when apt ran: a view that could not be built (or a run killed) is not apt's doing.
      hint:
        raw.aptExit === null
          ? 'apt did not run: the throwaway view could not be built or the rehearsal was stopped (the message says which). It needs root, unshare from util-linux, and overlayfs mounts in a new mount namespace; upkeep preflight predicts without a view'
          : req.noDownload
            ? "--no-download needs every archive in apt's cache already: apt-get --download-only " +
              (req.mode === 'full-upgrade' ? 'dist-upgrade' : 'upgrade') +
              ' first, or rehearse without --no-download'
            : `run apt-get -s ${req.mode === 'full-upgrade' ? 'dist-upgrade' : 'upgrade'} to see why apt stops`,
    });
  }

  const calls = parseCalls(raw.calls);
  const services = serviceRequests(calls);
  const failures = scriptFailures(raw.output);
  const rebootPkgs = (raw.rebootRequiredPkgs ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  // What the view left at the reboot flag could not be read (and no flag was read): not known.
  const viewFlagWhy = raw.rebootRequired === null ? raw.rebootUnknownWhy : null;
  const kernels = prediction.report.packages.filter((p) => p.to !== null && kernelReleaseOf(p.name) !== null).map((p) => p.name);

  // The containers' fate from what was observed: preflight's own report builder, fed the observations.
  let host: HostSnapshot | null = null;
  try {
    host = await deps.readHost();
  } catch {
    /* prediction.containersNote says so already */
  }
  const [units, k] = await Promise.all([deps.system.allUnits().catch(() => new Map<string, UnitDefinition>()), deps.system.kernels()]);
  const observed = buildPreflightReport({
    evidence: observedEvidence(prediction.report, services, [...rebootPkgs, ...kernels]),
    units,
    runningKernel: k.running,
    installedKernels: k.installed,
    ...(k.installedWhy !== undefined ? { installedKernelsWhy: k.installedWhy } : {}),
    // The copy wrote the flag: required. Not known what the copy wrote: unknown. Otherwise the
    // host's own flag, unknown when it could not be read.
    rebootRequiredFlag: raw.rebootRequired !== null ? true : viewFlagWhy !== null ? null : k.rebootRequired,
    ...(viewFlagWhy !== null
      ? { rebootRequiredFlagWhy: viewFlagWhy }
      : raw.rebootRequired === null && k.rebootRequiredWhy !== undefined
        ? { rebootRequiredFlagWhy: k.rebootRequiredWhy }
        : {}),
    host: host === null ? null : { daemon: host.daemon, containers: host.containers },
  });

  const upgradeFailed = raw.aptExit !== 0 || failures.length > 0;
  const exitCode = upgradeFailed ? 5 : observed.exitCode;
  const result: Rehearsal = {
    layers,
    prediction,
    aptExit: raw.aptExit,
    failure: raw.failure,
    upgradeFailed,
    services,
    calls: calls.filter((c) => c.tool !== 'policy-rc.d' && !BOOT_TOOLS.has(c.tool)),
    bootSteps: calls.filter((c) => BOOT_TOOLS.has(c.tool)),
    failures,
    conffiles: conffilePrompts(raw.output, raw.conffiles),
    triggers: triggersRun(raw.output),
    kernels,
    bootFiles: raw.bootFiles,
    reboot: viewFlagWhy !== null ? { required: null, packages: rebootPkgs, why: viewFlagWhy } : { required: raw.rebootRequired !== null, packages: rebootPkgs },
    upperBytes: raw.upperBytes,
    seconds: raw.seconds,
    comparison: compareWithPrediction(prediction.report.packages, services),
    observed,
    tail: raw.output.slice(-20),
    timelineNote: null,
    exitCode,
  };

  let store = null;
  try {
    store = deps.openStore();
    store?.appendTimeline(rehearsalTimelineEntry(result, host?.host.name ?? req.hostName));
  } catch (err) {
    result.timelineNote = `this rehearsal was not recorded in the timeline (${(err as Error).message})`;
  } finally {
    try {
      store?.close();
    } catch {
      /* a store we only appended to */
    }
  }
  return result;
}

/** The timeline entry of one rehearsal (kind `rehearsal`). */
export function rehearsalTimelineEntry(r: Rehearsal, hostName: string | null) {
  const missed = r.comparison.filter((c) => c.mark === 'missed').length;
  const wrong = r.comparison.filter((c) => c.mark === 'wrong').length;
  const parts = [`${r.prediction.report.summary.packages} package(s)`, `${r.services.length} service action(s) requested`];
  if (r.failures.length > 0) parts.push(`${r.failures.length} maintainer script(s) failed`);
  if (r.conffiles.length > 0) parts.push(`${r.conffiles.length} conffile question(s)`);
  if (r.reboot.required === true) parts.push('reboot required');
  if (r.reboot.required === null) parts.push('reboot flag not known');
  if (missed + wrong > 0) parts.push(`preflight missed ${missed}, wrong ${wrong}`);
  return {
    kind: TIMELINE_KINDS.rehearsal,
    subject: hostName,
    message: `rehearsal: ${parts.join('; ')}: ${r.upgradeFailed ? 'the upgrade fails' : 'the upgrade succeeds'}`,
    data: {
      aptExit: r.aptExit,
      upgradeFailed: r.upgradeFailed,
      services: r.services.map((s) => ({ unit: s.unit, action: s.action, package: s.package })),
      failures: r.failures.map((f) => ({ package: f.package, script: f.script, exitCode: f.exitCode })),
      conffiles: r.conffiles.map((c) => c.path),
      reboot: r.reboot.required,
      missed,
      wrong,
      upperBytes: r.upperBytes,
      seconds: r.seconds,
      exitCode: r.exitCode,
    },
  };
}
