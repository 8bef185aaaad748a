/**
 * The agent's reconcile as one pure step (controller-runtime's Reconcile, without the I/O):
 *
 *   (world, memory, config, now) -> { actions, memory, alerts, timeline, status, retryInMs, requeue }
 *
 * `world` is one read of everything: the engine (up or not, since when its event stream is
 * connected, every container), the desired state (snapshot minus forgotten minus the operator's
 * stops, app/desired-state.ts), maintenance, the health checks asking for a restart. The step
 * decides per container (decide.ts), counts deaths and restarts for failed checks in ONE crash-loop
 * count, and returns what to do as data; the Controller (src/agent/controller.ts) applies the
 * actions, feeds their outcomes back with `afterHeal` / `afterRestart` / `recoveryFailed`, steps the
 * alert conditions and writes the timeline. Same world and memory, same answer.
 */
import { crashLoopAlert, downAlert, engineAlert, noLongerDesiredAlert, type AlertCondition, type DownVerdict } from '../alerts/agent-alerts.js';
import type { HealMode, UpkeepConfig } from '../config/types.js';
import type { ContainerFacts } from '../model.js';
import type { DesiredContainer, HostIdentity, IntendedStop } from '../recovery/desired-state.js';
import { startBlocker } from '../recovery/start-conditions.js';
import { TIMELINE_KINDS } from '../timeline.js';
import { decide, describeExit, FRESH, type ContainerMemory, type Decision, type DecisionEvent } from './decide.js';

export type RecoveryTrigger = 'startup' | 'daemon_restart' | 'apt' | 'manual';

/** The part of the config the step reads. */
export type StepConfig = Pick<UpkeepConfig, 'heal' | 'services' | 'alerts'>;

export interface StepTiming {
  /** Let Docker's own policy restart a container this long before upkeep does. */
  dockerGraceMs: number;
  /** The engine alert waits at least this long. */
  engineAlertForMs: number;
}

/** The engine as read for this step. */
export type EngineView =
  | { up: false; lostAt: number | null }
  | {
      up: true;
      /** When the current event stream connected (intent is judged against it). */
      connectedSince: number;
      /** When the last stream ended (null: none ended while this agent ran). */
      lostAt: number | null;
      host: HostIdentity;
      containers: readonly ContainerFacts[];
    };

/** The desired state as read for this step (null: none yet and nothing runs to take one from). */
export interface DesiredView {
  snapshotId: number;
  host: HostIdentity;
  containers: readonly DesiredContainer[];
  operatorStopped: readonly IntendedStop[];
}

/** A restart asked for by a failing check (on_unhealthy: restart), by container name. */
export interface UnhealthyRequest {
  container: string;
  why: string;
  /** When the first failed probe of this failing streak ran. */
  failingSince: number;
}

export interface World {
  engine: EngineView;
  desired: DesiredView | null;
  maintenance: boolean;
  unhealthy: readonly UnhealthyRequest[];
  /** Containers for which a stop/kill event came while connected (stand-in for unreadable flags). */
  stopEventsSeen: ReadonlySet<string>;
  /** A recovery pass asked for from outside (apt window closed, operator). */
  recoveryRequested: RecoveryTrigger | null;
  /** Keys of alerts pending or firing now (so that alerts of containers no longer desired close). */
  activeAlertKeys: readonly string[];
}

/** What the agent remembers between steps; `durable` parts are persisted by the controller. */
export interface AgentMemory {
  containers: ReadonlyMap<string, ContainerMemory>;
  /** The event stream seen by the last step (a different one after a loss: the engine came back). */
  connectedSince: number | null;
  /** The last engine loss already recorded in the timeline. */
  lostRecorded: number | null;
  recoveryDue: RecoveryTrigger | null;
}

export const START_MEMORY: AgentMemory = { containers: new Map(), connectedSince: null, lostRecorded: null, recoveryDue: 'startup' };

/** One thing to do, as data. */
export type AgentAction =
  | { type: 'recovery-pass'; trigger: RecoveryTrigger; containers: DesiredContainer[]; host: HostIdentity }
  /** Start (or re-create) these; one start call when it is one existing container. */
  | { type: 'heal'; host: HostIdentity; targets: Array<{ container: DesiredContainer; id: string | null; reason: string }> }
  | { type: 'restart'; container: string; id: string; why: string }
  | { type: 'fetch-logs'; container: string; id: string }
  | { type: 'record-operator-stop'; name: string; at: string; reason: string }
  | { type: 'clear-operator-stop'; name: string };

export type LogLevel = 'info' | 'warn' | 'error';

/** A timeline entry to write (and log at `level`). */
export interface StepEntry {
  at?: string;
  /** null: a log line only. */
  kind: string | null;
  subject: string | null;
  message: string;
  data?: Record<string, unknown>;
  level: LogLevel;
}

/** One row of /status. */
export interface StatusRow {
  name: string;
  verdict: string;
  detail: string | null;
  desired: boolean;
  running: boolean;
  since?: string;
  service: string;
  healthy: boolean | null;
}

export interface StepResult {
  actions: AgentAction[];
  memory: AgentMemory;
  alerts: AlertCondition[];
  timeline: StepEntry[];
  /** null: this step did not look at containers (engine down, or a recovery pass first). */
  status: StatusRow[] | null;
  /** Run again after this long (backoff, Docker's grace), or null. */
  retryInMs: number | null;
  /** Run again as soon as the actions are applied (after a recovery pass or restarts). */
  requeue: boolean;
}

/** The heal mode of a desired container: its service entry in the config, else the default. */
export function healModeOf(config: Pick<UpkeepConfig, 'heal' | 'services'>, d: DesiredContainer): HealMode {
  const svc = config.services.find((s) => s.name === d.name || (d.compose !== null && s.name === `${d.compose.project}/${d.compose.service}`));
  return svc?.heal ?? config.heal.default;
}

/** One reconcile, decided. */
export function reconcileStep(world: World, memory: AgentMemory, config: StepConfig, timing: StepTiming, now: number): StepResult {
  const timeline: StepEntry[] = [];
  const alerts: AlertCondition[] = [];
  const rule = { forMs: config.alerts.forMs, repeatMs: config.alerts.repeatMs };
  const engineRule = { forMs: Math.max(timing.engineAlertForMs, config.alerts.forMs), repeatMs: config.alerts.repeatMs };
  let mem: AgentMemory = memory;
  const hostName = world.desired?.host.name ?? (world.engine.up ? world.engine.host.name : 'this host');

  if (world.engine.lostAt !== null && (mem.lostRecorded === null || world.engine.lostAt > mem.lostRecorded)) {
    timeline.push({
      at: new Date(world.engine.lostAt).toISOString(),
      kind: TIMELINE_KINDS.engineDown,
      subject: hostName,
      message: 'the Docker engine stopped answering (event stream ended)',
      level: 'warn',
    });
    mem = { ...mem, lostRecorded: world.engine.lostAt };
  }
  if (world.recoveryRequested !== null) mem = { ...mem, recoveryDue: mem.recoveryDue ?? world.recoveryRequested };

  if (!world.engine.up) {
    alerts.push(engineAlert(hostName, true, engineRule));
    return { actions: [], memory: mem, alerts, timeline, status: null, retryInMs: null, requeue: false };
  }
  const engine = world.engine;
  alerts.push(engineAlert(hostName, false, engineRule));
  if (mem.connectedSince !== engine.connectedSince) {
    if (mem.connectedSince !== null) {
      timeline.push({ kind: TIMELINE_KINDS.engineUp, subject: hostName, message: 'the Docker engine answers again: recovery pass', level: 'info' });
      mem = { ...mem, recoveryDue: 'daemon_restart' };
    }
    mem = { ...mem, connectedSince: engine.connectedSince };
  }

  const desired = world.desired;
  if (desired === null) return { actions: [], memory: { ...mem, recoveryDue: null }, alerts, timeline, status: [], retryInMs: null, requeue: false };

  // A recovery pass first (boot, engine back, apt); the containers are judged on the next step, after it.
  if (mem.recoveryDue !== null) {
    const eligible = desired.containers.filter((d) => healModeOf(config, d) !== 'never' && (mem.containers.get(d.name)?.gaveUpAt ?? null) === null);
    return {
      actions: [{ type: 'recovery-pass', trigger: mem.recoveryDue, containers: eligible, host: desired.host }],
      memory: { ...mem, recoveryDue: null },
      alerts,
      timeline,
      status: null,
      retryInMs: null,
      requeue: true,
    };
  }

  const actions: AgentAction[] = [];
  const containers = new Map<string, ContainerMemory>();
  // The intent store is the lasting answer to "did the operator stop it": decide judges new stops only.
  const prior = new Map<string, ContainerMemory>();
  for (const d of desired.containers) {
    const m = mem.containers.get(d.name);
    if (m !== undefined) prior.set(d.name, m.operatorStoppedAt === null ? m : { ...m, operatorStoppedAt: null });
  }
  const decisions = decide(desired.containers, engine.containers, prior, {
    now,
    connectedSince: engine.connectedSince,
    healModeOf: (d) => healModeOf(config, d),
    crashLoopRestarts: config.heal.crashLoopRestarts,
    crashLoopWindowMs: config.heal.crashLoopWindowMs,
    dockerGraceMs: timing.dockerGraceMs,
    backoffInitialMs: config.heal.backoffInitialMs,
    backoffMaxMs: config.heal.backoffMaxMs,
    stopEventsSeen: world.stopEventsSeen,
  });

  const status: StatusRow[] = [];
  const toHeal: Array<{ container: DesiredContainer; id: string | null; reason: string }> = [];
  let retryInMs: number | null = null;
  const retry = (ms: number) => (retryInMs = retryInMs === null ? ms : Math.min(retryInMs, ms));
  let requeue = false;

  for (const dec of decisions) {
    let d: Decision = dec;
    const name = d.container.name;
    const a = d.verdict.actual;
    const mode = healModeOf(config, d.container);
    timeline.push(...entriesOf(d, mode));
    if (d.event?.kind === 'operator-stop' && mode !== 'always') {
      const at = a?.finishedAt ?? new Date(now).toISOString();
      actions.push({ type: 'record-operator-stop', name, at, reason: 'stopped through the Docker API while the daemon kept running and upkeep watched' });
    }
    if (d.event?.kind === 'gave-up' && a !== null) actions.push({ type: 'fetch-logs', container: name, id: a.id });

    // on_unhealthy: restart, counted as a death in the same crash-loop count.
    const request = world.unhealthy.find((u) => u.container === name);
    if (request !== undefined && d.verdict.kind === 'running' && a !== null && mode !== 'never' && d.memory.gaveUpAt === null) {
      // Failed probes that began before this container (re)started may have seen the old one.
      const fresh = a.startedAt === null || request.failingSince >= Date.parse(a.startedAt);
      if (fresh && world.maintenance) {
        timeline.push({ kind: null, subject: name, message: `${name}: not restarted during a maintenance window (${request.why})`, level: 'info' });
      } else if (fresh) {
        const deaths = [...d.memory.deaths, now];
        if (deaths.length >= config.heal.crashLoopRestarts) {
          const reason = `${name}: ${deaths.length} deaths or restarts for failed checks within ${Math.round(config.heal.crashLoopWindowMs / 1000)} s; ${request.why}`;
          d = { ...d, memory: { ...d.memory, deaths, gaveUpAt: now, gaveUpReason: reason } };
          timeline.push({
            kind: TIMELINE_KINDS.gaveUp,
            subject: name,
            message: `giving up on ${reason}`,
            data: { deaths: deaths.length, windowSeconds: config.heal.crashLoopWindowMs / 1000 },
            level: 'error',
          });
          actions.push({ type: 'fetch-logs', container: name, id: a.id });
        } else {
          d = { ...d, memory: { ...d.memory, deaths, lastHealAt: now } };
          actions.push({ type: 'restart', container: name, id: a.id, why: request.why });
          requeue = true;
        }
      }
    }

    containers.set(name, d.memory);
    const v = d.verdict;
    if (v.kind === 'heal') toHeal.push({ container: d.container, id: a?.id ?? null, reason: v.reason });
    if ('retryInMs' in v) retry(v.retryInMs);
    const down: { verdict: DownVerdict; reason: string } | null =
      v.kind === 'heal' || v.kind === 'backoff' || v.kind === 'gave-up' || v.kind === 'not-healed' ? { verdict: v.kind, reason: v.reason } : null;
    alerts.push(downAlert(name, down, rule, d.container.compose));
    const gaveUp =
      d.memory.gaveUpAt !== null
        ? {
            reason:
              d.memory.gaveUpReason ??
              (v.kind === 'gave-up' ? v.reason : `${name}: ${d.memory.deaths.length} deaths in the crash-loop window; Docker keeps restarting it`),
          }
        : null;
    alerts.push(crashLoopAlert(name, gaveUp, rule.repeatMs));
    status.push({
      name,
      verdict: v.kind,
      detail: 'reason' in v ? v.reason : null,
      desired: v.kind !== 'operator-stopped',
      running: a !== null && a.state === 'running',
      service: serviceOf(d.container),
      healthy: a?.health ? a.health.status === 'healthy' : null,
      ...(v.kind === 'operator-stopped' ? { since: new Date(v.since).toISOString() } : {}),
    });
  }
  if (toHeal.length > 0) actions.push({ type: 'heal', host: desired.host, targets: toHeal });

  // Stopped by the operator (the intent store): not desired until started again or `upkeep want`.
  for (const stop of desired.operatorStopped) {
    const a = engine.containers.find((c) => c.name === stop.name) ?? null;
    const prev = mem.containers.get(stop.name) ?? FRESH;
    if (a !== null && (a.state === 'running' || a.state === 'paused')) {
      actions.push({ type: 'clear-operator-stop', name: stop.name });
      timeline.push({
        kind: TIMELINE_KINDS.operatorStart,
        subject: stop.name,
        message: `${stop.name} was started again: desired again`,
        data: { startedAt: a.startedAt },
        level: 'info',
      });
      containers.set(stop.name, { ...prev, operatorStoppedAt: null, downSince: null, healFailures: 0 });
      requeue = true;
    } else {
      // Seen down already: when it becomes desired again (`upkeep want`), that is no new death.
      containers.set(stop.name, { ...prev, operatorStoppedAt: null, downSince: prev.downSince ?? now });
    }
    status.push({
      name: stop.name,
      verdict: 'operator-stopped',
      detail: stop.reason,
      desired: false,
      running: a?.state === 'running',
      since: stop.at,
      service: stop.name,
      healthy: null,
    });
  }

  // Alerts of containers no longer desired (forgotten, a new snapshot, stopped by the operator) close.
  const desiredNames = new Set(desired.containers.map((d) => d.name));
  for (const key of world.activeAlertKeys) {
    if (!(key.startsWith('down:') || key.startsWith('crashloop:'))) continue;
    if (desiredNames.has(key.slice(key.indexOf(':') + 1))) continue;
    alerts.push(noLongerDesiredAlert(key, rule));
  }

  return { actions, memory: { ...mem, containers }, alerts, timeline, status, retryInMs, requeue };
}

/** The timeline entries of one decision's event. */
function entriesOf(d: Decision, mode: HealMode): StepEntry[] {
  return (d.events ?? (d.event === null ? [] : [d.event])).flatMap((e) => entryOf(d, e, mode));
}

function entryOf(d: Decision, e: DecisionEvent, mode: HealMode): StepEntry[] {
  const name = d.container.name;
  const a = d.verdict.actual;
  switch (e.kind) {
    case 'died':
      return [
        {
          ...(a?.finishedAt ? { at: a.finishedAt } : {}),
          kind: TIMELINE_KINDS.containerDied,
          subject: name,
          message: e.message,
          data: { exitCode: a?.exitCode ?? null, oomKilled: null /* not in ContainerFacts yet */, finishedAt: a?.finishedAt ?? null },
          level: 'warn',
        },
      ];
    case 'operator-stop':
      return [{ kind: TIMELINE_KINDS.operatorStop, subject: name, message: e.message, data: { finishedAt: a?.finishedAt ?? null, heal: mode }, level: 'info' }];
    case 'operator-start':
      return [{ kind: TIMELINE_KINDS.operatorStart, subject: name, message: e.message, level: 'info' }];
    case 'gave-up':
      return [{ kind: TIMELINE_KINDS.gaveUp, subject: name, message: e.message, data: { deaths: d.memory.deaths.length }, level: 'error' }];
    case 'healing-resumed':
      return [{ kind: TIMELINE_KINDS.healingResumed, subject: name, message: e.message, level: 'info' }];
  }
}

function serviceOf(d: DesiredContainer): string {
  return d.compose ? `${d.compose.project}/${d.compose.service}` : d.name;
}

/**
 * A heal's outcome fed back: a successful start begins a new life (its next stop is a new death); a
 * failed one remembers what it was blocked on, if anything (startBlocker of its error).
 */
export function afterHeal(memory: AgentMemory, name: string, ok: boolean, now: number, error?: string): AgentMemory {
  const prev = memory.containers.get(name) ?? FRESH;
  const containers = new Map(memory.containers);
  containers.set(name, {
    ...prev,
    lastHealAt: now,
    healFailures: ok ? 0 : prev.healFailures + 1,
    downSince: ok ? null : prev.downSince,
    blockedBy: ok || error === undefined ? null : startBlocker(error),
  });
  return { ...memory, containers };
}

/** A recovery pass that failed (engine gone again, say): it is due again. */
export function recoveryFailed(memory: AgentMemory, trigger: RecoveryTrigger): AgentMemory {
  return { ...memory, recoveryDue: memory.recoveryDue ?? trigger };
}

/** The durable part of the memory (crash-loop history), as saved under agent state 'containers'. */
export interface DurableContainerMemory {
  gaveUpAt: number | null;
  gaveUpReason?: string | null;
  deaths: number[];
}

export function durableMemory(memory: AgentMemory): Record<string, DurableContainerMemory> {
  const out: Record<string, DurableContainerMemory> = {};
  for (const [name, m] of memory.containers) {
    if (m.gaveUpAt !== null || m.deaths.length > 0)
      out[name] = { gaveUpAt: m.gaveUpAt, ...(m.gaveUpReason ? { gaveUpReason: m.gaveUpReason } : {}), deaths: m.deaths };
  }
  return out;
}

/**
 * The memory at agent start from what was saved. Containers given up on are "seen down already":
 * a restart of the agent is not a new death. `operatorStoppedAt` values of older agents are
 * returned separately, to be moved into the intent store once.
 */
export function restoreMemory(saved: unknown, now: number): { memory: AgentMemory; legacyOperatorStops: Array<{ name: string; at: number }> } {
  const containers = new Map<string, ContainerMemory>();
  const legacyOperatorStops: Array<{ name: string; at: number }> = [];
  if (saved !== null && typeof saved === 'object') {
    for (const [name, v] of Object.entries(saved as Record<string, Partial<ContainerMemory>>)) {
      if (v === null || typeof v !== 'object') continue;
      if (typeof v.operatorStoppedAt === 'number') legacyOperatorStops.push({ name, at: v.operatorStoppedAt });
      const gaveUpAt = typeof v.gaveUpAt === 'number' ? v.gaveUpAt : null;
      containers.set(name, {
        ...FRESH,
        gaveUpAt,
        gaveUpReason: typeof v.gaveUpReason === 'string' ? v.gaveUpReason : null,
        deaths: Array.isArray(v.deaths) ? v.deaths.filter((t): t is number => typeof t === 'number') : [],
        downSince: gaveUpAt !== null || typeof v.operatorStoppedAt === 'number' ? now : null,
      });
    }
  }
  return { memory: { ...START_MEMORY, containers }, legacyOperatorStops };
}

export { describeExit };
