/**
 * `upkeep preflight`: from an apt plan and what is known of each package's effects, which services
 * restart, whether a reboot is needed, which containers stop, and which will not come back.
 * Pure: the command gathers the evidence (scripts, kernels, containers) and passes it in.
 */
import { formatRestartPolicy } from '../container-facts.js';
import { K3D_ROLES, k3dNodeOf } from '../k3d/cluster.js';
import type { ContainerFacts, DaemonFacts, Prediction } from '../model.js';
import type { DesiredContainer, ForgottenEntry, IntendedStop } from '../recovery/desired-state.js';
import { diffDesired } from '../recovery/diff.js';
import { willComeBack } from '../restart-semantics.js';
import type { PlannedPackage, PlanProblem } from './apt-plan.js';
import { upstreamChange, type UpstreamChange } from './debian-version.js';
import { kernelReleaseOf, newestKernel } from './kernels.js';
import type { EffectWhen, ServiceAction } from './maintainer-scripts.js';
import { propagateRestarts, type UnitChange, type UnitDefinition } from './systemd-units.js';
import { compareText } from '../text-order.js';
import type { SpaceCheck } from './disk-space.js';

/**
 * How sure a package's conclusion is: high, read from the new version's own maintainer scripts;
 * medium, from the installed (old) version's scripts or the knowledge base; low, assumed from the
 * unit files the package ships (debhelper's default restart).
 */
export type Confidence = 'high' | 'medium' | 'low';

/** What is known of one package's upgrade, and where it comes from. */
export interface PackageEvidence {
  pkg: PlannedPackage;
  /** `assumed`: not read in a script but concluded from the shipped units ("probably restarts"). */
  effects: Array<{ unit: string; action: ServiceAction; when: EffectWhen; assumed?: boolean }>;
  /**
   * "candidate scripts", "installed scripts", "unit files the package ships (PKG.list), assuming
   * debhelper's default restart", "knowledge base: ...", or "none"; scripts whose units were named
   * from the shipped units add "; units named from the unit files the package ships (PKG.list)".
   */
  source: string;
  /** Default medium. */
  confidence?: Confidence;
  rebootNeeded: boolean;
  notes: string[];
  /**
   * Why this package's effects are not known (a maintainer script the parser could not follow, a
   * unit computed at run time that nothing names): the report's verdict is then `unknown`, never
   * "does not restart". Absent or empty: known.
   */
  unknown?: string[];
}

export interface PreflightInput {
  evidence: PackageEvidence[];
  /** Lines of the plan that could not be read: each makes the prediction incomplete (verdict `unknown`). */
  planProblems?: readonly PlanProblem[];
  runningKernel: string;
  installedKernels: string[];
  /** Why installedKernels could not be read (it is then empty): whether a newer kernel waits is not known. */
  installedKernelsWhy?: string;
  /** Debian's /var/run/reboot-required is there; null: it could not be read (the verdict is then `unknown`). */
  rebootRequiredFlag: boolean | null;
  /** Why rebootRequiredFlag is null. */
  rebootRequiredFlagWhy?: string;
  /**
   * The system's units (file and drop-ins resolved), for propagation through Requires=, BindsTo=,
   * PartOf=; absent or empty: no propagation is known.
   */
  units?: ReadonlyMap<string, UnitDefinition>;
  /** Per installed package, its conffiles changed locally (dpkg or ucf md5 differs): dpkg may ask. */
  modifiedConffiles?: ReadonlyMap<string, readonly string[]>;
  /** The engine's state, or null when it could not be asked (then containers are not assessed). */
  host: { daemon: DaemonFacts; containers: ContainerFacts[] } | null;
  /**
   * upkeep's desired state for this engine (the newest snapshot, forgotten names applied), or
   * null/absent when there is none: then nothing is said about desired containers.
   */
  desired?: {
    takenAt: string;
    containers: readonly DesiredContainer[];
    forgotten?: readonly ForgottenEntry[];
    /** In the snapshot, stopped on purpose by the operator since: not desired, never "already down". */
    operatorStopped?: readonly IntendedStop[];
  } | null;
  /** The disk-space check (core/preflight/disk-space.ts); null/absent: not checked. */
  space?: SpaceCheck | null;
}

export type Risk = 'high' | 'med' | 'low';

export interface PackageLine {
  name: string;
  from: string | null;
  to: string | null;
  change: UpstreamChange | 'new' | 'removed';
  risk: Risk;
  effects: string[];
  /**
   * The package's own service actions on this upgrade, as data (`effects` says them in words, with
   * what follows from them): what `upkeep rehearse` compares with the requests it observes.
   * `assumed`: debhelper's default, not read from a script.
   */
  actions: Array<{ unit: string; action: ServiceAction; assumed: boolean }>;
  source: string;
  confidence: Confidence;
  /** Why its effects are not known (empty: known). */
  unknown: string[];
}

export interface ContainerOutlook {
  name: string;
  policy: string;
  /** Stops during the upgrade (docker.service restarts and live-restore does not cover it). */
  stops: boolean;
  afterUpgrade: Prediction;
  /** After the reboot that follows, when one is needed. */
  afterReboot: Prediction | null;
  /** The final answer: running at the end of the maintenance? */
  runningAtEnd: 'yes' | 'no' | 'unknown';
}

/**
 * The report's answer: `nothing-stops` (exit 0), `all-come-back` (1: containers stop, all come
 * back), `at-risk` (3: something will not come back, a reboot is needed, or a filesystem is short of
 * the space the upgrade needs), `unknown` (4: part of
 * the input could not be read, and what was read shows no risk: upkeep cannot say it is safe).
 * `at-risk` wins over `unknown`: what was read already proves a risk (`unknownReasons` still lists
 * what was not read).
 */
export type PreflightVerdict = 'nothing-stops' | 'all-come-back' | 'at-risk' | 'unknown';

/** Exit code of each verdict. */
export const VERDICT_EXIT: Readonly<Record<PreflightVerdict, 0 | 1 | 3 | 4>> = { 'nothing-stops': 0, 'all-come-back': 1, 'at-risk': 3, unknown: 4 };

/** A k3d cluster through the maintenance: running at the end when every running node is. */
export interface ClusterOutlook {
  name: string;
  /** Its running node containers, in start order (servers, agents, the load balancer). */
  nodes: string[];
  runningAtEnd: 'yes' | 'no' | 'unknown';
  /** The nodes that are not (or maybe not) running at the end. */
  notBack: string[];
}

/** The k3d clusters of `containers` (running ones, with their labels) and their outlooks. */
export function clusterOutlooks(outlooks: readonly ContainerOutlook[], facts: readonly ContainerFacts[]): ClusterOutlook[] {
  const byName = new Map(outlooks.map((o) => [o.name, o]));
  const clusters = new Map<string, Array<{ name: string; role: number; o: ContainerOutlook }>>();
  for (const c of facts) {
    const k = k3dNodeOf(c.labels);
    const o = byName.get(c.name);
    if (k === null || o === undefined) continue;
    clusters.set(k.cluster, [...(clusters.get(k.cluster) ?? []), { name: c.name, role: K3D_ROLES.indexOf(k.role), o }]);
  }
  return [...clusters.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([name, nodes]) => {
      const sorted = [...nodes].sort((a, b) => a.role - b.role || compareText(a.name, b.name));
      const notBack = sorted.filter((n) => n.o.runningAtEnd !== 'yes');
      const runningAtEnd = sorted.some((n) => n.o.runningAtEnd === 'no') ? 'no' : notBack.length > 0 ? 'unknown' : 'yes';
      return { name, nodes: sorted.map((n) => n.name), runningAtEnd, notBack: notBack.map((n) => n.name) };
    });
}

/** A container the desired state says should run, not running before the upgrade starts. */
export interface DownContainer {
  name: string;
  /** The restart policy now, or null when the container has been removed. */
  policy: string | null;
  /** Its state now, or "missing" when it has been removed since the snapshot. */
  state: ContainerFacts['state'] | 'missing';
  exitCode: number | null;
  /** When it stopped (Docker's FinishedAt), or null. */
  finishedAt: string | null;
  /** Why it is down: "manually stopped (docker stop), exited (137)", "exited (3)", "removed since the snapshot". */
  reason: string;
  /** Whether the maintenance (docker's restart, the reboot) brings it up, and why. */
  afterMaintenance: Prediction;
  runningAtEnd: 'yes' | 'no' | 'unknown';
}

export interface PreflightReport {
  packages: PackageLine[];
  /** Every unit restarted or stopped, after propagation through the unit files, sorted. */
  restartedUnits: string[];
  /** The units reached through dependencies rather than by a maintainer script, with the cause. */
  propagated: UnitChange[];
  docker: { restarts: boolean; liveRestoreCovers: boolean; why: string | null };
  reboot: { needed: boolean; why: string[] };
  containers: ContainerOutlook[] | null;
  /**
   * The k3d clusters among the running containers (node containers labelled k3d.cluster/k3d.role),
   * each with its worst node's answer: a cluster with one node not back is not back. Null when the
   * containers could not be read.
   */
  clusters: ClusterOutlook[] | null;
  /**
   * Desired containers (upkeep's newest snapshot of this engine) that are already down before the
   * upgrade; null when there is no desired state or the containers could not be read.
   */
  alreadyDown: DownContainer[] | null;
  /** The snapshot `alreadyDown` compares with (its time), or null. */
  desiredStateTakenAt: string | null;
  /** Desired containers the operator stopped on purpose (not desired, not "already down"); null without a desired state. */
  stoppedOnPurpose: Array<{ name: string; at: string; reason: string }> | null;
  /**
   * Free space against the upgrade's sizes, per filesystem (docs/preflight.md "Disk space"); null
   * when not checked (apt's hook, a system that cannot read it). A short filesystem makes the
   * verdict `at-risk`; one not known adds to `unknownReasons`.
   */
  space: SpaceCheck | null;
  /** notBack and unknown count running containers; alreadyDown counts the desired ones down already. */
  summary: { packages: number; containersStop: number; notBack: number; unknown: number; alreadyDown: number };
  advice: string[];
  verdict: PreflightVerdict;
  /** Every input that could not be read or understood (plan lines, maintainer scripts); empty when all was. */
  unknownReasons: string[];
  /** VERDICT_EXIT[verdict]: 0 nothing stops, 1 all come back, 3 at risk, 4 could not predict. */
  exitCode: 0 | 1 | 3 | 4;
}

const DOCKER_UNITS = new Set(['docker.service', 'docker.socket']);
const RESTARTING: ReadonlySet<ServiceAction> = new Set(['restart', 'try-restart', 'stop']);

function changeOf(p: PlannedPackage): PackageLine['change'] {
  if (p.oldVersion === null) return 'new';
  if (p.newVersion === null) return 'removed';
  try {
    return upstreamChange(p.oldVersion, p.newVersion);
  } catch {
    return 'other';
  }
}

export function buildPreflightReport(input: PreflightInput): PreflightReport {
  const restarted = new Set<string>();
  let dockerEvidence: PackageEvidence | null = null;
  const rebootWhy: string[] = [];
  const units = input.units ?? new Map<string, UnitDefinition>();
  const propagated: UnitChange[] = [];
  const packages: PackageLine[] = input.evidence.map((e) => {
    const upgradeEffects = e.effects.filter((x) => x.when === 'upgrade' || x.when === 'always' || (x.when === 'install' && e.pkg.oldVersion === null));
    const direct = upgradeEffects
      .filter((x) => RESTARTING.has(x.action))
      .map((x) => ({ unit: x.unit, action: x.action as 'restart' | 'try-restart' | 'stop' }));
    const reached = propagateRestarts(direct, units).filter((c) => c.cause !== null);
    for (const c of reached) if (!propagated.some((p) => p.unit === c.unit)) propagated.push(c);
    for (const x of direct) restarted.add(x.unit);
    for (const c of reached) restarted.add(c.unit);
    const touchesDocker = direct.some((x) => DOCKER_UNITS.has(x.unit)) || reached.some((c) => DOCKER_UNITS.has(c.unit));
    if (touchesDocker && dockerEvidence === null) dockerEvidence = e;
    const change = changeOf(e.pkg);
    const kernel = kernelReleaseOf(e.pkg.name);
    if (e.rebootNeeded || kernel !== null) rebootWhy.push(`${e.pkg.name} ${e.pkg.newVersion ?? ''}`.trim());
    const effects = upgradeEffects.map(
      (x) =>
        `${x.assumed ? 'probably ' : ''}${x.action === 'try-restart' ? 'restarts (if running)' : x.action === 'reexec' ? 're-executes' : `${x.action}s`} ${x.unit}`,
    );
    for (const c of reached)
      effects.push(`then ${c.action === 'stop' ? 'stops' : 'restarts (if running)'} ${c.unit} (${c.cause!.dependency}=${c.cause!.unit}; unit files)`);
    if (touchesDocker) effects.push('every container stops');
    const conffiles = input.modifiedConffiles?.get(e.pkg.name) ?? [];
    for (const f of conffiles) effects.push(`${f} is modified locally: dpkg will ask if the new version changes it (--force-confold keeps yours)`);
    if (kernel !== null) effects.push(`reboot needed (running ${input.runningKernel})`);
    effects.push(...e.notes);
    const unknown = e.unknown ?? [];
    if (unknown.length > 0) effects.unshift(`EFFECTS UNKNOWN: ${unknown.join('; ')}`);
    const risk: Risk =
      touchesDocker || kernel !== null || e.rebootNeeded || upgradeEffects.some((x) => x.unit === 'containerd.service')
        ? 'high'
        : upgradeEffects.length > 0 || reached.length > 0 || conffiles.length > 0 || unknown.length > 0
          ? 'med'
          : 'low';
    return {
      name: e.pkg.name,
      from: e.pkg.oldVersion,
      to: e.pkg.newVersion,
      change,
      risk,
      effects: change === 'major' ? ['MAJOR', ...effects] : effects,
      actions: upgradeEffects.map((x) => ({ unit: x.unit, action: x.action, assumed: x.assumed === true })),
      source: e.source,
      confidence: e.confidence ?? 'medium',
      unknown,
    };
  });

  const newest = newestKernel([...input.installedKernels, ...input.evidence.map((e) => kernelReleaseOf(e.pkg.name)).filter((k): k is string => k !== null)]);
  if (newest !== null && newest !== input.runningKernel && rebootWhy.length === 0)
    rebootWhy.push(`newest installed kernel ${newest} is not the running ${input.runningKernel}`);
  if (input.rebootRequiredFlag) rebootWhy.push('/var/run/reboot-required is present');
  const rebootNeeded = rebootWhy.length > 0;

  const viaPropagation = propagated.find((c) => DOCKER_UNITS.has(c.unit));
  const ev = dockerEvidence as PackageEvidence | null;
  let liveRestoreCovers = false;
  if (ev && input.host?.daemon.liveRestore && ev.pkg.oldVersion && ev.pkg.newVersion) {
    const c = changeOf(ev.pkg);
    liveRestoreCovers = c === 'patch' || c === 'none';
  }
  const dockerRestarts = ev !== null;
  const docker = {
    restarts: dockerRestarts,
    liveRestoreCovers,
    why: ev
      ? `${ev.pkg.name} restarts ${viaPropagation && !ev.effects.some((x) => DOCKER_UNITS.has(x.unit)) ? `${viaPropagation.cause!.unit}, and docker.service ${viaPropagation.cause!.dependency}= it, so docker.service restarts too` : 'docker.service'} (${ev.source})${liveRestoreCovers ? '; live-restore keeps containers running across this patch upgrade' : ''}`
      : null,
  };

  let containers: ContainerOutlook[] | null = null;
  if (input.host) {
    const { daemon } = input.host;
    containers = input.host.containers
      .filter((c) => c.state === 'running' || c.state === 'restarting')
      .map((c) => outlook(c, daemon, dockerRestarts && !liveRestoreCovers, rebootNeeded));
  }
  const alreadyDown =
    input.host && input.desired ? downDesired(input.desired, input.host, rebootNeeded ? 'reboot' : dockerRestarts ? 'daemon-restart' : null) : null;
  const stops = containers?.filter((c) => c.stops || rebootNeeded).length ?? 0;
  const notBack = containers?.filter((c) => c.runningAtEnd === 'no').length ?? 0;
  const unknown = containers?.filter((c) => c.runningAtEnd === 'unknown').length ?? 0;
  const staysDown = alreadyDown?.filter((c) => c.runningAtEnd !== 'yes').length ?? 0;
  const unknownReasons = [
    ...(input.planProblems ?? []).map((p) => `plan line ${p.line}: ${p.message}${p.text.trim() === '' ? '' : ` ("${clip(p.text.trim(), 120)}")`}`),
    ...input.evidence.flatMap((e) => (e.unknown ?? []).map((u) => `${e.pkg.name}: ${u}`)),
  ];
  const space = input.space ?? null;
  if (input.installedKernelsWhy !== undefined && !rebootNeeded)
    unknownReasons.push(`whether a newer kernel is already installed is not known: ${input.installedKernelsWhy}`);
  if (input.rebootRequiredFlag === null && !rebootNeeded)
    unknownReasons.push(`whether a reboot is already required is not known: ${input.rebootRequiredFlagWhy ?? '/var/run/reboot-required could not be read'}`);
  for (const f of space?.filesystems ?? []) if (f.verdict === 'unknown') unknownReasons.push(`disk space on ${f.mountPoint ?? f.paths.join(', ')}: ${f.why}`);
  const shortFs = space?.filesystems.filter((f) => f.verdict === 'short') ?? [];
  // docker.service restarts and the containers could not be read: which stop and come back is not known.
  if (dockerRestarts && !liveRestoreCovers && input.host === null)
    unknownReasons.push('docker.service restarts and the containers could not be read: which come back is not known');
  const advice: string[] = [];
  // Before a snapshot: a snapshot now would record them as no longer desired.
  if (staysDown > 0) advice.push('upkeep recover for the desired containers already down (or upkeep forget NAME for one stopped on purpose)');
  if (notBack + unknown > 0) {
    advice.push('upkeep snapshot (so that upkeep recover, or the agent, brings them back)');
    advice.push('or fix the policies first: upkeep audit --fix --apply-live');
  }
  for (const f of shortFs)
    advice.push(
      `free space on ${f.mountPoint ?? f.paths.join(', ')} first (${f.why.replace(/:.*/, '')}): ${f.advice.map((a) => a.replace(/ \(.*$/, '')).join(', ')}`,
    );
  const verdict: PreflightVerdict =
    notBack + unknown + staysDown > 0 || rebootNeeded || shortFs.length > 0
      ? 'at-risk'
      : unknownReasons.length > 0
        ? 'unknown'
        : stops > 0
          ? 'all-come-back'
          : 'nothing-stops';
  if ((input.planProblems ?? []).length > 0) advice.push('make the plan readable (LC_ALL=C apt-get -s dist-upgrade > plan.txt) and run upkeep preflight again');
  if (input.evidence.some((e) => (e.unknown ?? []).length > 0))
    advice.push('read the maintainer scripts listed as EFFECTS UNKNOWN yourself (dpkg-deb -e PKG.deb DIR) before the upgrade');
  return {
    packages,
    restartedUnits: [...restarted].sort(),
    propagated,
    docker,
    reboot: { needed: rebootNeeded, why: rebootWhy },
    space,
    containers,
    clusters: containers === null || input.host === null ? null : clusterOutlooks(containers, input.host.containers),
    alreadyDown,
    desiredStateTakenAt: alreadyDown === null ? null : input.desired!.takenAt,
    stoppedOnPurpose: alreadyDown === null ? null : (input.desired!.operatorStopped ?? []).map((s) => ({ name: s.name, at: s.at, reason: s.reason })),
    summary: { packages: packages.length, containersStop: stops, notBack, unknown, alreadyDown: alreadyDown?.length ?? 0 },
    advice,
    verdict,
    unknownReasons,
    exitCode: VERDICT_EXIT[verdict],
  };
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/**
 * The desired containers not running now (restarting ones excluded: Docker is bringing them
 * back), with why, and whether `event` (the maintenance's daemon restart or reboot; null: none)
 * starts them.
 */
function downDesired(
  desired: NonNullable<PreflightInput['desired']>,
  host: NonNullable<PreflightInput['host']>,
  event: 'daemon-restart' | 'reboot' | null,
): DownContainer[] {
  const diff = diffDesired(desired.containers, host.containers, {
    ...(desired.forgotten ? { forgotten: desired.forgotten } : {}),
    ...(desired.operatorStopped ? { operatorStopped: desired.operatorStopped } : {}),
  });
  const out: DownContainer[] = [];
  for (const d of diff.notRunning) {
    if (d.state === 'restarting') continue;
    const c = d.id === null ? undefined : host.containers.find((x) => x.id === d.id);
    if (c === undefined) {
      out.push({
        name: d.container,
        policy: null,
        state: 'missing',
        exitCode: null,
        finishedAt: null,
        reason: 'removed since the snapshot',
        afterMaintenance: { outcome: 'not-back', reason: 'Docker cannot start a removed container (upkeep recover re-creates it)' },
        runningAtEnd: 'no',
      });
      continue;
    }
    const afterMaintenance: Prediction =
      event === null
        ? { outcome: 'not-back', reason: 'nothing in this upgrade starts it (no docker.service restart, no reboot)' }
        : willComeBack(c, host.daemon, event);
    out.push({
      name: d.container,
      policy: formatRestartPolicy(c.restartPolicy),
      state: c.state,
      exitCode: c.exitCode,
      finishedAt: c.finishedAt,
      reason: whyDown(c),
      afterMaintenance,
      runningAtEnd: afterMaintenance.outcome === 'back' ? 'yes' : afterMaintenance.outcome === 'not-back' ? 'no' : 'unknown',
    });
  }
  return out;
}

function whyDown(c: ContainerFacts): string {
  const at = c.finishedAt !== null && !c.finishedAt.startsWith('0001-') ? ` at ${c.finishedAt.replace(/\.\d+/, '')}` : '';
  switch (c.state) {
    case 'created':
      return 'created, never started';
    case 'exited':
      return `${c.manuallyStopped === true ? 'manually stopped (docker stop), ' : ''}exited (${c.exitCode ?? '?'})${at}`;
    default:
      return `${c.state}${at}`;
  }
}

function outlook(c: ContainerFacts, daemon: DaemonFacts, stopsInUpgrade: boolean, reboot: boolean): ContainerOutlook {
  // When the upgrade stops containers, live-restore did not cover it: judge without it.
  const afterUpgrade: Prediction = stopsInUpgrade
    ? willComeBack(c, { ...daemon, liveRestore: false }, 'daemon-restart')
    : { outcome: 'back', reason: 'the upgrade does not restart docker.service' };
  let afterReboot: Prediction | null = null;
  if (reboot) {
    // What it is before the reboot decides what the daemon does at boot.
    const before: ContainerFacts =
      afterUpgrade.outcome === 'back' ? c : { ...c, state: 'exited', exitCode: afterUpgrade.outcome === 'unknown' ? null : c.exitCode, manuallyStopped: false };
    afterReboot =
      afterUpgrade.outcome === 'back'
        ? willComeBack(before, daemon, 'reboot')
        : { ...afterUpgrade, reason: `still down from the upgrade: ${afterUpgrade.reason}` };
  }
  const final = afterReboot ?? afterUpgrade;
  return {
    name: c.name,
    policy: formatRestartPolicy(c.restartPolicy),
    stops: stopsInUpgrade,
    afterUpgrade,
    afterReboot,
    runningAtEnd: final.outcome === 'back' ? 'yes' : final.outcome === 'not-back' ? 'no' : 'unknown',
  };
}
