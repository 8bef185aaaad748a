/**
 * The "assess an upgrade" use case, behind `upkeep preflight`, its apt hook and `upkeep check`:
 * read (the apt plan, each package's evidence, the host's units, kernels and conffiles, the
 * engine's containers, the desired state) -> plan (core/preflight: the report and its verdict) ->
 * return data; and record the run in the timeline when a store is there. Never prints, never exits.
 *
 * The evidence policy (which source wins, what a failed download means) is in assess-evidence.ts.
 * The desired state is app/desired-state.ts's (one authority): a container the operator stopped on
 * purpose is not "already down", it is listed as stopped on purpose.
 */
import { rollbackCommand, rollbackSection, rollbackWarnings, type ChangedPackage, type RollbackPlan, type RollbackSection } from '../core/upgrade/rollback.js';
import type { AptSimulationInfo } from '../core/preflight/apt-simulation-cache.js';
import { decodePlanBytes, parseAptSimulation, parsePreInstallPkgsV3, type AptPlan, type PlanProblem } from '../core/preflight/apt-plan.js';
import { buildPreflightReport, type PreflightInput, type PreflightReport } from '../core/preflight/preflight-report.js';
import type { UnitDefinition } from '../core/preflight/systemd-units.js';
import { assessSpace, type SpaceCheck, type SpaceFacts } from '../core/preflight/disk-space.js';
import { kernelReleaseOf } from '../core/preflight/kernels.js';
import type { PlannedPackage } from '../core/preflight/apt-plan.js';
import type { HostIdentity } from '../core/recovery/desired-state.js';
import type { ContainerFacts, DaemonFacts } from '../core/model.js';
import { TIMELINE_KINDS } from '../core/timeline.js';
import type { TimelineRepository } from '../ports/timeline.js';
import type { EvidenceCacheInfo } from '../core/preflight/evidence-cache.js';
import type { EvidenceCacheStore } from '../ports/evidence-cache.js';
import { gatherEvidence, type PackageEvidenceSource } from './assess-evidence.js';
import { loadDesiredState, type DesiredStateSource } from './desired-state.js';

/** Where the plan comes from: apt's simulation, a saved one (`--plan FILE`), or apt's hook protocol on stdin. */
export type PlanRequest =
  | { kind: 'simulate'; mode: 'dist-upgrade' | 'upgrade' }
  | { kind: 'file'; path: string }
  | { kind: 'hook'; text: string }
  /** A plan already read and parsed (problems included). */
  | { kind: 'parsed'; plan: AptPlan; source: string };

/** apt, dpkg, systemd and the kernel, as the use case reads them (adapters/apt/upgrade-sources.ts). */
export interface UpgradeSystem extends PackageEvidenceSource {
  /**
   * `LC_ALL=C apt-get -s MODE`'s stdout, and whether it came from the cache of an earlier run (its
   * key unchanged). @throws UpkeepError when apt cannot simulate.
   */
  simulate(mode: 'dist-upgrade' | 'upgrade'): Promise<{ text: string; simulation: AptSimulationInfo }>;
  /** A saved plan's bytes. @throws UsageError when it is missing, not a regular file, or too large. */
  readPlanFile(path: string): Promise<Uint8Array>;
  /** Every system unit (for propagation through Requires=, BindsTo=, PartOf=). */
  allUnits(): Promise<ReadonlyMap<string, UnitDefinition>>;
  /** Per installed package, its conffiles changed locally. */
  modifiedConffiles(pkgs: readonly string[]): Promise<ReadonlyMap<string, readonly string[]>>;
  /**
   * The running and installed kernels, and Debian's reboot-required flag: `installedWhy` when the
   * installed kernels could not be read (`installed` then empty), `rebootRequired` null when the
   * flag could not be read (`rebootRequiredWhy`); never "none" or false for what was not read.
   */
  kernels(): Promise<{ running: string; installed: string[]; installedWhy?: string; rebootRequired: boolean | null; rebootRequiredWhy?: string }>;
  /**
   * The disk-space check's facts (adapters/apt/package-sizes.ts): sizes of `packages`, the kernel
   * image packages' /boot files, the filesystems. Never throws (what is not read is a problem in
   * the facts). Absent: space is not checked. `simulationKey`: apt's simulation key when the plan
   * came from a simulation that has one (the sizes read from apt and dpkg may then be cached).
   */
  spaceFacts?(packages: readonly PlannedPackage[], kernelPackages: readonly string[], simulationKey: string | null): Promise<SpaceFacts>;
  /** Where the evidence read from installed scripts is kept between runs (absent: read every time). */
  evidenceCache?: EvidenceCacheStore;
}

/** The engine's state (adapters/docker/host-state.ts readHostState gives it). */
export interface HostSnapshot {
  daemon: DaemonFacts;
  containers: ContainerFacts[];
  host: HostIdentity;
}

/** What the use case needs of upkeep's store: the desired state and the timeline. */
export type UpgradeStore = DesiredStateSource & Pick<TimelineRepository, 'appendTimeline'> & { close(): void };

export interface AssessUpgradeDeps {
  system: UpgradeSystem;
  /** Reads the engine; a failure is a note (containers not assessed), not an error. */
  readHost(): Promise<HostSnapshot>;
  /**
   * Opens upkeep's store when one exists (null when there is none: nothing is said of a desired
   * state, nothing is recorded). A store that cannot be opened throws: a note.
   */
  openStore(): UpgradeStore | null;
  /** Progress for people (stderr); absent: quiet. */
  onProgress?(line: string): void;
  /** Whether the old versions could be reinstalled after the upgrade (app/rollback-plan.ts assessRollback); absent: not checked. */
  assessRollback?(packages: ChangedPackage[]): Promise<RollbackPlan>;
}

export interface AssessUpgradeRequest {
  plan: PlanRequest;
  /** Download the candidates' scripts (`apt-get download`); false: installed scripts and knowledge base. */
  download: boolean;
  /** Record the run in the timeline (default true). */
  record?: boolean;
  /** The timeline's subject when the engine cannot be asked (its Name is used otherwise). */
  hostName?: string;
  /** Check free space against the upgrade's sizes (default true; apt's hook: false, apt has downloaded already). */
  space?: boolean;
}

/** What the use case returns: the report (its JSON shape is docs/preflight.md's) and the notes around it. */
export interface UpgradeAssessment {
  /** Where the plan came from, for people: "apt-get -s dist-upgrade", the file, the hook. */
  planSource: string;
  /** Where apt's simulation came from (the cache or a run now); null when the plan was a file or the hook's. */
  aptSimulation: AptSimulationInfo | null;
  /** How much of the packages' evidence came from the evidence cache; null when none was offered. */
  evidenceCache: EvidenceCacheInfo | null;
  /** The plan's lines that could not be read (also in report.unknownReasons). */
  problems: PlanProblem[];
  report: PreflightReport;
  containersNote: string | null;
  desiredNote: string | null;
  /** Set when candidate downloads failed: the fallback used. */
  downloadNote: string | null;
  /** Set when the run could not be recorded in the timeline (a read-only store). */
  timelineNote: string | null;
  /** report.exitCode: 0 nothing stops, 1 all come back, 3 at risk, 4 could not predict. */
  exitCode: 0 | 1 | 3 | 4;
  /**
   * The rollback check (null: not checked): `warnings`, one per engine or kernel package whose old
   * version could not be reinstalled afterwards; `packages`, how each changed package would go back.
   */
  rollback?: { warnings: string[]; command: string | null; packages: RollbackSection['packages'] } | null;
}

/** Reads the plan of `request` (decoding a file's bytes strictly: a line that is not UTF-8 is a problem). */
async function readPlan(system: UpgradeSystem, request: PlanRequest): Promise<{ plan: AptPlan; source: string; aptSimulation?: AptSimulationInfo }> {
  switch (request.kind) {
    case 'simulate': {
      const { text, simulation } = await system.simulate(request.mode);
      return { plan: parseAptSimulation(text), source: `apt-get -s ${request.mode}`, aptSimulation: simulation };
    }
    case 'file': {
      const { text, problems } = decodePlanBytes(await system.readPlanFile(request.path));
      const plan = parseAptSimulation(text);
      return { plan: { packages: plan.packages, problems: [...problems, ...plan.problems].sort((a, b) => a.line - b.line) }, source: request.path };
    }
    case 'hook':
      return { plan: parsePreInstallPkgsV3(request.text), source: 'apt, via DPkg::Pre-Install-Pkgs' };
    case 'parsed':
      return { plan: request.plan, source: request.source };
  }
}

/** Assesses the upgrade (see the file comment). Throws only when the plan cannot be had at all (exit 2). */
export async function assessUpgrade(deps: AssessUpgradeDeps, request: AssessUpgradeRequest): Promise<UpgradeAssessment> {
  const { plan, source: planSource, aptSimulation } = await readPlan(deps.system, request.plan);
  const evidenceCache = deps.system.evidenceCache;
  const {
    evidence,
    downloadNote,
    cache: evidenceCacheInfo,
  } = await gatherEvidence(plan.packages, deps.system, {
    download: request.download,
    ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
    // Only a plan from apt's simulation has a key that says dpkg has not changed since (a saved
    // plan or the hook's: no cache, evidenceCache null).
    ...(evidenceCache !== undefined && aptSimulation !== undefined ? { cache: { store: evidenceCache, simulationKey: aptSimulation.key } } : {}),
  });

  let host: HostSnapshot | null = null;
  let containersNote: string | null = null;
  try {
    host = await deps.readHost();
  } catch (err) {
    containersNote = `containers not assessed: ${(err as Error).message}`;
  }

  let store: UpgradeStore | null = null;
  let desiredNote: string | null = null;
  try {
    store = deps.openStore();
  } catch (err) {
    desiredNote = `desired state not read: ${(err as Error).message}`;
  }
  try {
    let desired: PreflightInput['desired'] = null;
    if (store !== null && host !== null) {
      try {
        const r = loadDesiredState(store, host.host);
        if (r.ok) {
          const s = r.state;
          desired = { takenAt: s.snapshot.takenAt, containers: s.containers, forgotten: s.forgotten, operatorStopped: s.operatorStopped };
        } else desiredNote = `${r.problem.error.message}${r.problem.error.hint ? ` (${r.problem.error.hint})` : ''}`;
      } catch (err) {
        desiredNote = `desired state not read: ${(err as Error).message}`;
      }
    }

    // Propagation needs every unit file (the dependents of X are found only by reading them all).
    const restarts = evidence.some((e) => e.effects.some((x) => x.action === 'restart' || x.action === 'try-restart' || x.action === 'stop'));
    // The reads are independent: together, not one after another.
    const installed = evidence.filter((e) => e.pkg.oldVersion !== null).map((e) => e.pkg.name);
    const [units, modifiedConffiles, kernels, space] = await Promise.all([
      restarts ? deps.system.allUnits().catch(() => new Map<string, UnitDefinition>()) : new Map<string, UnitDefinition>(),
      deps.system.modifiedConffiles(installed).catch(() => new Map<string, readonly string[]>()),
      deps.system.kernels(),
      checkSpace(deps.system, plan.packages, request.space !== false, aptSimulation?.key ?? null),
    ]);
    const report = buildPreflightReport({
      evidence,
      planProblems: plan.problems,
      units,
      modifiedConffiles,
      runningKernel: kernels.running,
      installedKernels: kernels.installed,
      ...(kernels.installedWhy !== undefined ? { installedKernelsWhy: kernels.installedWhy } : {}),
      rebootRequiredFlag: kernels.rebootRequired,
      ...(kernels.rebootRequiredWhy !== undefined ? { rebootRequiredFlagWhy: kernels.rebootRequiredWhy } : {}),
      host: host === null ? null : { daemon: host.daemon, containers: host.containers },
      desired,
      space,
    });

    let rollback: UpgradeAssessment['rollback'] = null;
    if (deps.assessRollback !== undefined) {
      const plan = await deps.assessRollback(report.packages.map((p) => ({ name: p.name, from: p.from, to: p.to })));
      // A copy is only kept by upkeep upgrade: the command of now names what already exists.
      const existing = { ...plan, packages: plan.packages.filter((p) => p.source.kind !== 'copy') };
      rollback = { warnings: rollbackWarnings(plan), command: rollbackCommand(existing), packages: rollbackSection(plan).packages };
    }

    let timelineNote: string | null = null;
    if (store !== null && request.record !== false) {
      try {
        store.appendTimeline(preflightTimelineEntry(report, host?.host.name ?? request.hostName ?? null, planSource));
      } catch (err) {
        timelineNote = `this run was not recorded in the timeline (${(err as Error).message}); the assessment above is complete`;
      }
    }
    return {
      planSource,
      aptSimulation: aptSimulation ?? null,
      evidenceCache: evidenceCacheInfo,
      problems: plan.problems,
      report,
      containersNote,
      desiredNote,
      downloadNote,
      timelineNote,
      exitCode: report.exitCode,
      rollback,
    };
  } finally {
    try {
      store?.close();
    } catch {
      /* closing a store we only read */
    }
  }
}

/** The space check of `packages` (null: not asked for, or the system cannot read the facts). */
async function checkSpace(
  system: UpgradeSystem,
  packages: readonly PlannedPackage[],
  wanted: boolean,
  simulationKey: string | null,
): Promise<SpaceCheck | null> {
  if (!wanted || system.spaceFacts === undefined) return null;
  const kernelPackages = packages.filter((p) => p.newVersion !== null && kernelReleaseOf(p.name) !== null).map((p) => p.name);
  return assessSpace(await system.spaceFacts(packages, kernelPackages, simulationKey));
}

/** The timeline entry of one preflight run (kind `preflight`, core/timeline.ts). */
export function preflightTimelineEntry(report: PreflightReport, hostName: string | null, planSource: string) {
  const notBack = [
    ...(report.containers ?? []).filter((c) => c.runningAtEnd !== 'yes'),
    ...(report.alreadyDown ?? []).filter((c) => c.runningAtEnd !== 'yes'),
  ].map((c) => c.name);
  const parts = [`${report.summary.packages} package(s) (${planSource})`];
  if (report.docker.restarts) parts.push('docker.service restarts');
  if (notBack.length > 0) parts.push(`${notBack.length} container(s) would not (or maybe not) be running afterwards`);
  if (report.reboot.needed) parts.push('reboot needed');
  if (report.space?.verdict === 'short') parts.push(`disk space short on ${shortMounts(report.space)}`);
  if (report.verdict === 'unknown' || report.unknownReasons.length > 0) parts.push(`${report.unknownReasons.length} input(s) not understood`);
  return {
    kind: TIMELINE_KINDS.preflight,
    subject: hostName,
    message: `preflight: ${parts.join('; ')}: ${VERDICT_WORDS[report.verdict]}`,
    data: {
      verdict: report.verdict,
      packages: report.summary.packages,
      upgrades: report.packages.map((p) => ({ name: p.name, from: p.from, to: p.to })),
      notBack,
      dockerRestarts: report.docker.restarts,
      reboot: report.reboot.needed,
      space: report.space?.verdict ?? null,
    },
  };
}

const VERDICT_WORDS: Record<PreflightReport['verdict'], string> = {
  'nothing-stops': 'nothing stops',
  'all-come-back': 'containers stop, all come back',
  'at-risk': 'at risk',
  unknown: 'could not predict',
};

/** `upkeep check`'s preflight line and exit code (exitCode null: not assessed). Never throws. */
export interface UpgradeSummary {
  line: string;
  exitCode: number | null;
  /** Where apt's simulation came from (null: it could not be had). */
  aptSimulation: AptSimulationInfo | null;
  /** How much of the packages' evidence came from the evidence cache (null: none offered, or not assessed). */
  evidenceCache: EvidenceCacheInfo | null;
}

/**
 * The one-line summary `upkeep check` prints (and puts under `preflight` in its JSON): the pending
 * `apt-get -s dist-upgrade`, without download, not recorded in the timeline unless asked.
 */
export async function assessUpgradeSummary(deps: AssessUpgradeDeps, request: Partial<AssessUpgradeRequest> = {}): Promise<UpgradeSummary> {
  try {
    const a = await assessUpgrade(deps, { plan: { kind: 'simulate', mode: 'dist-upgrade' }, download: false, record: false, ...request });
    return { line: summaryLine(a), exitCode: a.exitCode, aptSimulation: a.aptSimulation, evidenceCache: a.evidenceCache };
  } catch (err) {
    return { line: `Preflight: not assessed (${(err as Error).message.split('\n')[0]}).`, exitCode: null, aptSimulation: null, evidenceCache: null };
  }
}

/** The mount points of the short filesystems: "/boot, /". */
function shortMounts(space: SpaceCheck): string {
  return space.filesystems
    .filter((f) => f.verdict === 'short')
    .map((f) => f.mountPoint ?? f.paths.join(', '))
    .join(', ');
}

function summaryLine(a: UpgradeAssessment): string {
  const r = a.report;
  const parts = [`Preflight: ${r.summary.packages} package(s) to upgrade`];
  if (r.docker.restarts) parts.push(`docker.service restarts: ${r.summary.containersStop} container(s) stop, ${r.summary.notBack} would not come back`);
  if (r.reboot.needed) parts.push('reboot needed');
  if (r.space?.verdict === 'short') parts.push(`disk space SHORT on ${shortMounts(r.space)}`);
  if (r.summary.alreadyDown > 0) parts.push(`${r.summary.alreadyDown} desired container(s) already down (upkeep diff)`);
  if (r.unknownReasons.length > 0) parts.push(`could not predict everything: ${r.unknownReasons.length} input(s) not understood`);
  return `${parts.join('; ')} (upkeep preflight for details).`;
}
