/**
 * `upkeep preflight`: from an apt plan and what is known of each package's effects, which services
 * restart, whether a reboot is needed, which containers stop, and which will not come back.
 * Pure: the command gathers the evidence (scripts, kernels, containers) and passes it in.
 */
import { formatRestartPolicy } from '../container-facts.js';
import type { ContainerFacts, DaemonFacts, Prediction } from '../model.js';
import { willComeBack } from '../restart-semantics.js';
import type { PlannedPackage } from './apt-plan.js';
import { upstreamChange, type UpstreamChange } from './debian-version.js';
import { kernelReleaseOf, newestKernel } from './kernels.js';
import type { EffectWhen, ServiceAction } from './maintainer-scripts.js';
import { propagateRestarts, type UnitChange, type UnitDefinition } from './systemd-units.js';

/** What is known of one package's upgrade, and where it comes from. */
export interface PackageEvidence {
  pkg: PlannedPackage;
  effects: Array<{ unit: string; action: ServiceAction; when: EffectWhen }>;
  /** "candidate scripts", "installed scripts", "knowledge base: ...", or "none". */
  source: string;
  rebootNeeded: boolean;
  notes: string[];
}

export interface PreflightInput {
  evidence: PackageEvidence[];
  runningKernel: string;
  installedKernels: string[];
  rebootRequiredFlag: boolean;
  /**
   * The system's units (file and drop-ins resolved), for propagation through Requires=, BindsTo=,
   * PartOf=; absent or empty: no propagation is known.
   */
  units?: ReadonlyMap<string, UnitDefinition>;
  /** Per installed package, its conffiles changed locally (dpkg or ucf md5 differs): dpkg may ask. */
  modifiedConffiles?: ReadonlyMap<string, readonly string[]>;
  /** The engine's state, or null when it could not be asked (then containers are not assessed). */
  host: { daemon: DaemonFacts; containers: ContainerFacts[] } | null;
}

export type Risk = 'high' | 'med' | 'low';

export interface PackageLine {
  name: string;
  from: string | null;
  to: string | null;
  change: UpstreamChange | 'new' | 'removed';
  risk: Risk;
  effects: string[];
  source: string;
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

export interface PreflightReport {
  packages: PackageLine[];
  /** Every unit restarted or stopped, after propagation through the unit files, sorted. */
  restartedUnits: string[];
  /** The units reached through dependencies rather than by a maintainer script, with the cause. */
  propagated: UnitChange[];
  docker: { restarts: boolean; liveRestoreCovers: boolean; why: string | null };
  reboot: { needed: boolean; why: string[] };
  containers: ContainerOutlook[] | null;
  summary: { packages: number; containersStop: number; notBack: number; unknown: number };
  advice: string[];
  /** 0 nothing stops, 1 containers stop but all come back, 3 something will not come back or a reboot is needed. */
  exitCode: 0 | 1 | 3;
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
    const direct = upgradeEffects.filter((x) => RESTARTING.has(x.action)).map((x) => ({ unit: x.unit, action: x.action as 'restart' | 'try-restart' | 'stop' }));
    const reached = propagateRestarts(direct, units).filter((c) => c.cause !== null);
    for (const c of reached) if (!propagated.some((p) => p.unit === c.unit)) propagated.push(c);
    for (const x of direct) restarted.add(x.unit);
    for (const c of reached) restarted.add(c.unit);
    const touchesDocker = direct.some((x) => DOCKER_UNITS.has(x.unit)) || reached.some((c) => DOCKER_UNITS.has(c.unit));
    if (touchesDocker && dockerEvidence === null) dockerEvidence = e;
    const change = changeOf(e.pkg);
    const kernel = kernelReleaseOf(e.pkg.name);
    if (e.rebootNeeded || kernel !== null) rebootWhy.push(`${e.pkg.name} ${e.pkg.newVersion ?? ''}`.trim());
    const effects = upgradeEffects.map((x) => `${x.action === 'try-restart' ? 'restarts (if running)' : x.action === 'reexec' ? 're-executes' : `${x.action}s`} ${x.unit}`);
    for (const c of reached) effects.push(`then ${c.action === 'stop' ? 'stops' : 'restarts (if running)'} ${c.unit} (${c.cause!.dependency}=${c.cause!.unit}; unit files)`);
    if (touchesDocker) effects.push('every container stops');
    const conffiles = input.modifiedConffiles?.get(e.pkg.name) ?? [];
    for (const f of conffiles) effects.push(`${f} is modified locally: dpkg will ask if the new version changes it (--force-confold keeps yours)`);
    if (kernel !== null) effects.push(`reboot needed (running ${input.runningKernel})`);
    effects.push(...e.notes);
    const risk: Risk = touchesDocker || kernel !== null || e.rebootNeeded || upgradeEffects.some((x) => x.unit === 'containerd.service')
      ? 'high'
      : upgradeEffects.length > 0 || reached.length > 0 || conffiles.length > 0
        ? 'med'
        : 'low';
    return { name: e.pkg.name, from: e.pkg.oldVersion, to: e.pkg.newVersion, change, risk, effects: change === 'major' ? ['MAJOR', ...effects] : effects, source: e.source };
  });

  const newest = newestKernel([...input.installedKernels, ...input.evidence.map((e) => kernelReleaseOf(e.pkg.name)).filter((k): k is string => k !== null)]);
  if (newest !== null && newest !== input.runningKernel && rebootWhy.length === 0) rebootWhy.push(`newest installed kernel ${newest} is not the running ${input.runningKernel}`);
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
      ? `${ev.pkg.name} restarts ${viaPropagation && !ev.effects.some((x) => DOCKER_UNITS.has(x.unit)) ? `${viaPropagation.cause!.unit}, and docker.service ${viaPropagation.cause!.dependency}= it, so docker.service restarts too` : 'docker.service'} (${ev.source})${liveRestoreCovers ? '; live-restore keeps containers running across this patch upgrade' : ''}` : null,
  };

  let containers: ContainerOutlook[] | null = null;
  if (input.host) {
    const { daemon } = input.host;
    containers = input.host.containers
      .filter((c) => c.state === 'running' || c.state === 'restarting')
      .map((c) => outlook(c, daemon, dockerRestarts && !liveRestoreCovers, rebootNeeded));
  }
  const stops = containers?.filter((c) => c.stops || rebootNeeded).length ?? 0;
  const notBack = containers?.filter((c) => c.runningAtEnd === 'no').length ?? 0;
  const unknown = containers?.filter((c) => c.runningAtEnd === 'unknown').length ?? 0;
  const advice: string[] = [];
  if (notBack + unknown > 0) {
    advice.push('upkeep snapshot (so that upkeep recover, or the agent, brings them back)');
    advice.push('or fix the policies first: upkeep audit --fix --apply-live');
  }
  return {
    packages,
    restartedUnits: [...restarted].sort(),
    propagated,
    docker,
    reboot: { needed: rebootNeeded, why: rebootWhy },
    containers,
    summary: { packages: packages.length, containersStop: stops, notBack, unknown },
    advice,
    exitCode: notBack + unknown > 0 || rebootNeeded ? 3 : stops > 0 ? 1 : 0,
  };
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
    afterReboot = afterUpgrade.outcome === 'back' ? willComeBack(before, daemon, 'reboot') : { ...afterUpgrade, reason: `still down from the upgrade: ${afterUpgrade.reason}` };
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
