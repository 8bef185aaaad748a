/**
 * The recovery planner: desired state vs the containers that exist now -> what to do, in order.
 * Pure and synchronous (read -> plan -> apply): the executor re-reads the host and applies it;
 * `upkeep recover --dry-run` prints it; `upkeep diff` is built from it.
 *
 * For each desired container:
 *   - running (under its id, or re-created under another id)       -> leave
 *   - exists, stopped (exited or created)                          -> start
 *   - removed, compose-managed                                     -> recreate-compose
 *     (`docker compose --project-name=PROJECT --file=FILE... up -d --no-deps --no-recreate -- SERVICE`
 *     in its working dir; see compose-command.ts)
 *   - removed, standalone (or compose without usable files)       -> recreate-engine (saved create config)
 *   - a job, forgotten, restarting (Docker is on it), paused, dead -> leave, with the reason
 * Order: waves from depends_on (compose label, or `upkeep.depends-on`) and k3d's node roles (a
 * cluster's servers, then its agents, then its load balancer; core/k3d/cluster.ts), a topological sort that
 * reports cycles instead of failing; each action lists the dependencies it waits for.
 */
import { UpkeepError } from '../errors.js';
import { k3dStartDependencies } from '../k3d/cluster.js';
import type { ContainerFacts } from '../model.js';
import { projectNameProblem, rememberSavedContainer, upArgs } from './compose-command.js';
import type { DependencyCondition } from './depends-on.js';
import { isJob, type DesiredContainer, type ForgottenEntry, type HostIdentity, type IntendedStop } from './desired-state.js';
import { matchActual, type ActualMatch } from './match.js';
import { orderInWaves } from './waves.js';
import { compareText } from '../text-order.js';

/** The desired state belongs to another engine (its /info ID differs). Exit 2, nothing changed. */
export class ForeignSnapshotError extends UpkeepError {}

/** What a dependant waits for before it is started. */
export interface WaitFor {
  /** Desired container name of the dependency. */
  container: string;
  condition: DependencyCondition;
  /**
   * `healthy`: its healthcheck reports healthy (service_healthy and it has a healthcheck);
   * `running`: it has been running for the configured number of seconds without restarting.
   */
  until: 'healthy' | 'running';
}

/**
 * The arguments of a compose re-create, run in `workingDir` with `docker compose` or
 * `docker-compose`. Built from labels (which whoever created the container chose): option values
 * in `--opt=value` form, `--` before the service (see compose-command.ts).
 */
export interface ComposeUpCommand {
  project: string;
  service: string;
  /** The directory to run it in (null: the config files are absolute and enough). */
  workingDir: string | null;
  configFiles: string[];
  /** Everything after `docker compose` / `docker-compose`; empty when refused. */
  args: string[];
  /** Why compose must not be run with these labels ("refused: label value ..."), else null. */
  refused: string | null;
}

interface ActionBase {
  /** The desired container's name. */
  container: string;
  /** Wave number, from 0; actions of one wave may run in parallel. */
  wave: number;
  /** Why it is not running, for a person: "exited (137) at 2025-11-20T15:22:03Z", "removed". */
  reason: string;
  waitFor: WaitFor[];
}

/** Start the container that exists (exited or created). */
export interface StartAction extends ActionBase {
  action: 'start';
  /** The id to start (the container found now, which may differ from the snapshot's). */
  id: string;
  /** Its current name (differs from `container` when it was found by compose identity). */
  actualName: string;
  state: ContainerFacts['state'];
  exitCode: number | null;
}

/** Re-create a removed compose container through compose. */
export interface RecreateComposeAction extends ActionBase {
  action: 'recreate-compose';
  compose: ComposeUpCommand;
}

/** Re-create a removed standalone container from its saved create configuration, then start it. */
export interface RecreateEngineAction extends ActionBase {
  action: 'recreate-engine';
  image: string;
  imageId: string;
}

/** One step of a plan. */
export type RecoveryAction = StartAction | RecreateComposeAction | RecreateEngineAction;

/** Why the plan leaves a container alone. */
export type LeaveReason = 'running' | 'running-other-id' | 'restarting' | 'paused' | 'dead' | 'removing' | 'job' | 'forgotten' | 'operator-stopped';

/** A desired (or forgotten) container the plan does not touch, and why. */
export interface LeaveEntry {
  container: string;
  reason: LeaveReason;
  detail: string;
  /** The id of the container found now, if any. */
  id: string | null;
}

/** The plan: plain data, JSON as is (no environment values: those stay in the desired state). */
export interface RecoveryPlan {
  summary: {
    /** Desired containers considered (jobs and forgotten ones included). */
    desired: number;
    /** Desired containers running now. */
    running: number;
    start: number;
    recreate: number;
    leave: number;
  };
  /** In execution order: by wave, then by name. */
  actions: RecoveryAction[];
  /** Container names of the actions, per wave. */
  waves: string[][];
  leave: LeaveEntry[];
  /** Dependency cycles among desired containers (their members start together, unordered). */
  cycles: string[][];
  /** Things a person should know: unresolved dependencies, fallbacks, cycles. */
  notes: string[];
}

/** Host identities and forgotten names for planRecovery and diffDesired. */
export interface PlanOptions {
  /** The host the desired state was taken on, and the engine's now: they must be the same engine. */
  snapshotHost?: HostIdentity;
  engineHost?: HostIdentity;
  /** Accept a desired state from another engine ID (Docker reinstalled on the same host). */
  allowOtherHost?: boolean;
  /** Names removed by `upkeep forget`: left alone even when they are in `desired`. */
  forgotten?: readonly ForgottenEntry[];
  /** Containers the operator stopped on purpose (DesiredState.operatorStopped): left alone, not desired. */
  operatorStopped?: readonly IntendedStop[];
}

/** Docker up to 22 derived its engine ID from its trust key (/etc/docker/key.json): 12 groups of 4 base32 characters. */
const TRUST_KEY_ID = /^[A-Z2-7]{4}(?::[A-Z2-7]{4}){11}$/;
/** Docker 23 and later keep a UUID in <data-root>/engine-id, and do not carry the old ID over. */
const ENGINE_ID_FILE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `engineHost` is the host of `snapshotHost` after Docker was upgraded across 23 (e.g.
 * Debian's 20.10 to docker-ce 28 or 29, the incident's upgrade): the same host name, an old-style
 * ID before and a new-style one now. Then the sentence that says so; else null. Observed on a real
 * upgrade in place (test/engine/upgrade-in-place.test.ts, docs/restart-semantics.md).
 */
export function engineUpgradedHere(snapshotHost: HostIdentity, engineHost: HostIdentity): string | null {
  if (snapshotHost.name !== engineHost.name || !TRUST_KEY_ID.test(snapshotHost.id) || !ENGINE_ID_FILE_ID.test(engineHost.id)) return null;
  return `the engine ID of "${engineHost.name}" changed from ${snapshotHost.id} to ${engineHost.id}, as it does when Docker is upgraded to 23 or later: taken as the same host`;
}

/** Throws ForeignSnapshotError when the desired state was taken on another engine. */
export function assertSameHost(snapshotHost: HostIdentity, engineHost: HostIdentity, allowOtherHost = false): void {
  if (allowOtherHost || snapshotHost.id === engineHost.id || engineUpgradedHere(snapshotHost, engineHost) !== null) return;
  throw new ForeignSnapshotError(
    `the desired state was taken on host "${snapshotHost.name}" (engine ID ${snapshotHost.id}), but this engine is "${engineHost.name}" (engine ID ${engineHost.id})`,
    {
      hint: "take a snapshot on this host with `upkeep snapshot`, or point --state-dir at this host's state; if Docker was reinstalled here (a new engine ID), take a new snapshot",
    },
  );
}

/**
 * The compose command that re-creates `d`, or null when its config files cannot be located
 * (compose v1 wrote them relative to the working dir; without an absolute one they cannot be
 * found). A project label that is not a compose project name gives a command that is `refused`.
 */
export function composeUpCommand(d: DesiredContainer): ComposeUpCommand | null {
  const c = d.compose;
  if (c === null) return null;
  const workingDir = c.workingDir !== null && c.workingDir.startsWith('/') ? c.workingDir : null;
  const configFiles = c.configFiles.filter((f) => f !== '');
  const relative = configFiles.some((f) => !f.startsWith('/'));
  if (workingDir === null && (configFiles.length === 0 || relative)) return null;
  const refused = projectNameProblem(c.project);
  return rememberSavedContainer(
    {
      project: c.project,
      service: c.service,
      workingDir,
      configFiles,
      args: refused === null ? upArgs(c.project, configFiles, c.service) : [],
      refused,
    },
    d,
  );
}

function describeStopped(a: ContainerFacts): string {
  if (a.state === 'created') return 'created, never started';
  const when = a.finishedAt !== null ? ` at ${a.finishedAt}` : '';
  return `${a.state} (${a.exitCode ?? '?'})${when}`;
}

type Classified = { kind: 'leave'; entry: LeaveEntry } | { kind: 'start'; actual: ContainerFacts; by: ActualMatch['by'] } | { kind: 'recreate' };

function classify(d: DesiredContainer, m: ActualMatch, forgotten: ReadonlyMap<string, ForgottenEntry>, stopped: ReadonlyMap<string, IntendedStop>): Classified {
  const a = m.actual;
  const leave = (reason: LeaveReason, detail: string): Classified => ({
    kind: 'leave',
    entry: { container: d.name, reason, detail, id: a?.id ?? null },
  });
  const f = forgotten.get(d.name);
  if (f !== undefined) return leave('forgotten', `forgotten at ${f.at} (upkeep forget): no longer desired`);
  const s = stopped.get(d.name);
  if (s !== undefined) return leave('operator-stopped', operatorStoppedDetail(s));
  if (isJob(d.createConfig.Labels ?? {})) return leave('job', 'a job (upkeep.role=job or compose run): never desired-running');
  if (a === null) return { kind: 'recreate' };
  const as = a.name !== d.name ? ` as ${a.name}` : '';
  switch (a.state) {
    case 'running':
      return a.id === d.id
        ? leave('running', `running${as}`)
        : leave('running-other-id', `running${as}, re-created since the snapshot (id ${d.id.slice(0, 12)} -> ${a.id.slice(0, 12)})`);
    case 'restarting':
      return leave('restarting', `restarting${as}: Docker's restart policy is bringing it back`);
    case 'paused':
      return leave('paused', `paused${as}: resume it with \`docker unpause ${a.name}\``);
    case 'dead':
      return leave('dead', `dead${as}: remove it (\`docker rm ${a.name}\`) and run recover again to re-create it`);
    case 'removing':
      return leave('removing', `being removed${as}: run recover again once it is gone`);
    case 'exited':
    case 'created':
      return { kind: 'start', actual: a, by: m.by };
  }
}

/** Why an operator stop is left alone, and how to undo it. */
export function operatorStoppedDetail(s: IntendedStop): string {
  return `stopped on purpose at ${s.at} (${s.reason}): not desired; \`upkeep want ${s.name}\` makes it desired again`;
}

/**
 * Plans recovery of `desired` given the containers that exist now (`actual`: all of them, running
 * or not). Throws ForeignSnapshotError when both hosts are given and differ.
 */
export function planRecovery(desired: readonly DesiredContainer[], actual: readonly ContainerFacts[], opts: PlanOptions = {}): RecoveryPlan {
  if (opts.snapshotHost && opts.engineHost) assertSameHost(opts.snapshotHost, opts.engineHost, opts.allowOtherHost);

  const forgotten = new Map((opts.forgotten ?? []).map((f) => [f.name, f]));
  const stopped = new Map((opts.operatorStopped ?? []).map((s) => [s.name, s]));
  const matches = matchActual(desired, actual);
  const notes: string[] = [];
  const leave: LeaveEntry[] = [];
  const classified = new Map<string, Classified>();
  for (const d of desired) {
    const c = classify(d, matches.get(d.name) ?? { actual: null, by: null }, forgotten, stopped);
    classified.set(d.name, c);
    if (c.kind === 'leave') leave.push(c.entry);
  }
  const desiredNames = new Set(desired.map((d) => d.name));
  for (const f of forgotten.values()) {
    if (!desiredNames.has(f.name))
      leave.push({ container: f.name, reason: 'forgotten', detail: `forgotten at ${f.at} (upkeep forget): no longer desired`, id: null });
  }
  for (const s of stopped.values()) {
    if (!desiredNames.has(s.name)) leave.push({ container: s.name, reason: 'operator-stopped', detail: operatorStoppedDetail(s), id: null });
  }

  // The dependency graph over desired containers that are meant to run (not jobs, not forgotten).
  const inGraph = desired.filter((d) => {
    const c = classified.get(d.name);
    return !(c?.kind === 'leave' && (c.entry.reason === 'job' || c.entry.reason === 'forgotten' || c.entry.reason === 'operator-stopped'));
  });
  const byName = new Map(inGraph.map((d) => [d.name, d]));
  const edges = new Map<string, Array<{ to: DesiredContainer; condition: DependencyCondition }>>();
  const k3d = k3dStartDependencies(inGraph.map((d) => ({ name: d.name, labels: d.createConfig.Labels ?? {} })));
  for (const d of inGraph) {
    const out: Array<{ to: DesiredContainer; condition: DependencyCondition }> = [];
    for (const dep of d.compose?.dependsOn ?? []) {
      const project = d.compose?.project as string;
      const targets = inGraph.filter((t) => t !== d && t.compose?.project === project && t.compose.service === dep.name);
      if (targets.length === 0)
        notes.push(`${d.name} depends on service "${dep.name}" of project ${project}, which is not in the desired state: not waited for`);
      for (const t of targets) out.push({ to: t, condition: dep.condition });
    }
    for (const dep of d.dependsOn) {
      const t = byName.get(dep.name);
      if (t === undefined || t === d) {
        notes.push(`${d.name} depends on container "${dep.name}", which is not in the desired state: not waited for`);
        continue;
      }
      out.push({ to: t, condition: dep.condition });
    }
    for (const name of k3d.get(d.name) ?? []) {
      const t = byName.get(name);
      if (t !== undefined) out.push({ to: t, condition: 'service_started' });
    }
    edges.set(d.name, out);
  }
  const order = orderInWaves(
    inGraph.map((d) => d.name),
    (n) => (edges.get(n) ?? []).map((e) => e.to.name),
  );
  for (const cycle of order.cycles) {
    notes.push(`dependency cycle ${[...cycle, cycle[0]].join(' -> ')}: these start together, without waiting for each other`);
  }

  const unordered: RecoveryAction[] = [];
  for (const d of inGraph) {
    const c = classified.get(d.name);
    if (c === undefined || c.kind === 'leave') continue;
    const component = order.componentOf.get(d.name);
    const waitFor: WaitFor[] = (edges.get(d.name) ?? [])
      .filter((e) => order.componentOf.get(e.to.name) !== component)
      .map((e) => ({
        container: e.to.name,
        condition: e.condition,
        until: e.condition === 'service_healthy' && e.to.healthcheck !== null ? 'healthy' : 'running',
      }));
    const seen = new Set<string>();
    const uniqueWaitFor = waitFor
      .filter((w) => (seen.has(w.container) ? false : (seen.add(w.container), true)))
      .sort((x, y) => compareText(x.container, y.container));
    const base = { container: d.name, wave: order.waveOf.get(d.name) ?? 0, waitFor: uniqueWaitFor };
    if (c.kind === 'start') {
      const as = c.actual.name !== d.name ? ` (found as ${c.actual.name} by compose identity)` : '';
      unordered.push({
        ...base,
        action: 'start',
        reason: `${describeStopped(c.actual)}${as}`,
        id: c.actual.id,
        actualName: c.actual.name,
        state: c.actual.state,
        exitCode: c.actual.exitCode,
      });
      continue;
    }
    const compose = composeUpCommand(d);
    if (compose !== null) {
      unordered.push({ ...base, action: 'recreate-compose', reason: 'removed: re-create it with compose', compose });
    } else {
      if (d.compose !== null) {
        notes.push(`${d.name} is compose-managed but its config files cannot be located (no working dir): re-created from the saved configuration instead`);
      }
      unordered.push({ ...base, action: 'recreate-engine', reason: 'removed: re-create it from the saved configuration', image: d.image, imageId: d.imageId });
    }
  }

  // Renumber waves so that only waves with actions count, from 0.
  const used = [...new Set(unordered.map((a) => a.wave))].sort((x, y) => x - y);
  const renumber = new Map(used.map((w, i) => [w, i]));
  const actions = unordered.map((a) => ({ ...a, wave: renumber.get(a.wave) ?? 0 })).sort((x, y) => x.wave - y.wave || compareText(x.container, y.container));
  const waves = used.map((_, i) => actions.filter((a) => a.wave === i).map((a) => a.container));

  leave.sort((x, y) => compareText(x.container, y.container));
  return {
    summary: {
      desired: desired.length,
      running: leave.filter((l) => l.reason === 'running' || l.reason === 'running-other-id').length,
      start: actions.filter((a) => a.action === 'start').length,
      recreate: actions.filter((a) => a.action !== 'start').length,
      leave: leave.length,
    },
    actions,
    waves,
    leave,
    cycles: order.cycles,
    notes: [...new Set(notes)],
  };
}
