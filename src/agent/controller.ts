/**
 * The agent's reconcile (controller-runtime style): read -> step -> apply. Whatever triggered it,
 * it re-reads the whole engine and the desired state (app/desired-state.ts: the newest snapshot
 * minus forgotten minus the operator's stops), lets the pure step (core/agent/reconcile-step.ts)
 * decide, applies the actions it returns (starts, restarts, a recovery pass, the operator's stops
 * into the intent store, log fetches), steps the alerts and writes the timeline. It returns when
 * to run again; events only say "look again".
 *
 * Errors: a plain one (the engine went away mid-read) is thrown for the queue to retry with
 * backoff; one that retrying cannot fix (the store holds only another engine's snapshots) is a
 * TerminalReconcileError: reported (log, /status) and not retried until something changes.
 */
import { containerForService } from '../core/service-container.js';
import { CachedHostReader, type HostState } from '../adapters/docker/host-state.js';
import type { DaemonFlagsReader } from '../adapters/docker/daemon-flags.js';
import { EngineRecoveryEffects } from '../adapters/docker/recovery-effects.js';
import type { DockerEngine } from '../adapters/docker/engine-client.js';
import type { AgentMetrics } from '../adapters/metrics/agent-metrics.js';
import type { Store } from '../adapters/store/store.js';
import { textFileReader } from '../adapters/files/read-text-file.js';
import { blockerCleared } from '../adapters/files/start-conditions.js';
import { loadDesiredState } from '../app/desired-state.js';
import { takeSnapshot } from '../app/take-snapshot.js';
import { clustersInPlan } from '../app/verify-clusters.js';
import type { ReadTextFile } from '../ports/files.js';
import {
  afterHeal,
  durableMemory,
  reconcileStep,
  recoveryFailed,
  restoreMemory,
  type AgentAction,
  type AgentMemory,
  type DesiredView,
  type RecoveryTrigger,
  type StatusRow,
  type StepEntry,
  type UnhealthyRequest,
  type World,
} from '../core/agent/reconcile-step.js';
import { deathFromEvent, diedFacts, earlyDeathStepUsable, type DeathEvent } from '../core/agent/event-facts.js';
import { reconstructEntries, recoveryStartedEntry, recoverySummary, type SummaryAlert } from '../core/agent/timeline-entries.js';
import type { AlertCondition } from '../core/alerts/agent-alerts.js';
import type { UpkeepConfig } from '../core/config/types.js';
import type { EngineEvent } from '../core/engine-types.js';
import { UpkeepError } from '../core/errors.js';
import type { HostIdentity } from '../core/recovery/desired-state.js';
import { TIMELINE_KINDS } from '../core/timeline.js';
import { parseAgentRecord, parseEngineRecord } from '../core/agent/agent-record.js';
import { executeRecovery, type RecoveryEffects, type RecoveryResult } from '../core/recovery/executor.js';
import { describeCleared, type StartBlocker } from '../core/recovery/start-conditions.js';
import { maskLogLines } from '../core/recovery/mask-secrets.js';
import type { Clock } from '../ports/clock.js';
import type { AlertManager } from './alerts.js';
import type { AgentLog } from './log.js';

const MEMORY_KEY = 'containers';
const AGENT_KEY = 'agent';
const ENGINE_KEY = 'engine';
/** Every this many resyncs, one inspects every container (10 min at the default resync of 60 s). */
const FULL_READ_EVERY = 10;
/** A step that asks to run again at once does so at most this often in one reconcile. */
const MAX_REQUEUES = 3;
/** How often the agent notes that it is alive (for the reconstruction after it was not). */
const ALIVE_EVERY_MS = 60_000;
/** A heal's blocker is watched this long at most (then the step's schedule alone retries it). */
const BLOCKER_WATCH_MS = 10 * 60_000;
/** How often a recovery pass looks whether a dependency is ready (a few inspects, for seconds). */
const RECOVERY_POLL_MS = 100;

export type { RecoveryTrigger };

/** An error retrying cannot fix: the queue reports it and does not retry (see ReconcileQueue.isTerminal). */
export class TerminalReconcileError extends UpkeepError {}

export interface ControllerTiming {
  /** Let Docker's own policy restart a container this long before upkeep does. Default 3 s. */
  dockerGraceMs: number;
  /** The engine alert waits this long (a daemon restart during apt is normal). Default 30 s. */
  engineAlertForMs: number;
  /** How long the recovery pass waits for the engine. Default 60 s. */
  engineWaitMs: number;
}

export interface ControllerOptions {
  /** Reads the compose files the first snapshot takes depends_on from (default: the bounded regular-file reader). */
  readTextFile?: ReadTextFile;
  config: UpkeepConfig;
  engine: DockerEngine;
  store: Store;
  alerts: AlertManager;
  metrics: AgentMetrics;
  log: AgentLog;
  clock: Clock;
  /** The event stream: since when it is connected (null while not) and when it last ended. */
  connection: () => { connectedSince: number | null; lostAt: number | null };
  /** Is a maintenance window open now (read from the store at the moment of asking). */
  inMaintenance: () => boolean;
  timing?: Partial<ControllerTiming>;
  /** Reads HasBeenManuallyStopped (default: config.v2.json under DockerRootDir). */
  flagsReader?: DaemonFlagsReader;
  /** This boot's id (/proc/sys/kernel/random/boot_id) and when it booted; null when unknown. */
  readBoot?: () => Promise<{ id: string; bootTime: number | null } | null>;
  /** Jitter source for the recovery's retries (default Math.random; tests pass a seeded one). */
  random?: () => number;
  /**
   * Waits until a start's blocker clears (a mount source appears, a port frees), or `ms`; default
   * the file and port watch of adapters/files/start-conditions.ts. The agent's clock bounds it too.
   */
  blockerCleared?: (blocker: StartBlocker, ms: number, signal?: AbortSignal) => Promise<void>;
  /** Asks for a reconcile now (the queue's trigger): a heal's blocker cleared. */
  wake?: (reason: string) => void;
  /**
   * Called when a recovery pass ends, with its summary alert (null when the pass failed or found
   * nothing down: recoverySummary); true: the caller sends that message itself (the maintenance
   * summary takes it in), so the controller does not queue it.
   */
  afterRecovery?: (trigger: RecoveryTrigger, alert: SummaryAlert | null, failed: boolean) => boolean;
  /** A recovery pass acted on node containers of these k3d clusters: they are to be verified (cluster-verifier.ts). */
  onClustersRecovered?: (clusters: readonly string[]) => void;
}

/** What /status shows. */
export interface ControllerStatus {
  host: HostIdentity | null;
  engineUp: boolean;
  snapshotId: number | null;
  lastReconcileAt: string | null;
  containers: Array<{ name: string; verdict: string; detail: string | null; desired?: boolean; since?: string }>;
  /** An error retrying cannot fix, until a reconcile succeeds again. */
  error: { message: string; hint: string | null } | null;
}

export class Controller {
  private memory: AgentMemory;
  private stopEventsSeen = new Set<string>();
  private eventsOnly = false;
  /** The desired state's last note (another engine ID's snapshot taken as this host's), logged once. */
  private desiredNote: string | null = null;
  private requestedRecovery: RecoveryTrigger | null = null;
  /** Last log lines of crash-looping containers, fetched once when upkeep gives up. */
  private lastLogs = new Map<string, string>();
  /** The engine version last compared with the saved one (once per engine connection is enough). */
  private engineVersionSeen: string | null = null;
  /** Set by heal() when a start failed during the current step's actions. */
  private healFailed = false;
  /** The containers of the last read (for containerNameFor). */
  private lastContainers: HostState['containers'] = [];
  private savedMemory = '';
  private readonly timing: ControllerTiming;
  private readonly effects: RecoveryEffects;
  private readonly reader: CachedHostReader;
  /** Container ids and names events named since the last read; 'all' forces a full read. */
  private dirty: Set<string> | 'all' = 'all';
  /** Deaths `die` events reported since the last read, by container id (core/agent/event-facts.ts). */
  private deaths = new Map<string, DeathEvent>();
  private resyncs = 0;
  /** Restart requests of failing checks (on_unhealthy: restart), by service. */
  private unhealthy = new Map<string, { why: string; failingSince: number }>();
  private reconstructed = false;
  private lastAliveSaved = 0;
  /** Watches of what failed heals are blocked on, by container: a reconcile when it clears. */
  private readonly blockerWatches = new Map<string, AbortController>();
  /** Recovery passes waiting for an event about a container (id or name). */
  private readonly eventWaiters = new Set<{ key: string; wake: () => void }>();
  /** The engine as the last reconcile read it (the status page's overview); null before the first read. */
  lastHost: HostState | null = null;
  status: ControllerStatus = { host: null, engineUp: false, snapshotId: null, lastReconcileAt: null, containers: [], error: null };

  constructor(private readonly opts: ControllerOptions) {
    this.timing = { dockerGraceMs: 3_000, engineAlertForMs: 30_000, engineWaitMs: 60_000, ...opts.timing };
    this.effects = withClock(new EngineRecoveryEffects(opts.engine), opts.clock, {
      containerEvent: (key, wake) => {
        const w = { key, wake };
        this.eventWaiters.add(w);
        return () => this.eventWaiters.delete(w);
      },
      blockerCleared: opts.blockerCleared ?? blockerCleared,
    });
    this.reader = new CachedHostReader(opts.engine, opts.flagsReader ? { flagsReader: opts.flagsReader } : {});
    this.memory = this.loadMemory();
  }

  // ---- inputs ----

  /** An Engine API event: remember stops for unreadable flags; the caller triggers a reconcile. */
  onEvent(ev: EngineEvent): string {
    const name = ev.Actor?.Attributes?.name;
    const action = ev.Action.split(':')[0] ?? '';
    if (name !== undefined) {
      if (action === 'stop' || action === 'kill') this.stopEventsSeen.add(name);
      if (action === 'start') this.stopEventsSeen.delete(name);
    }
    for (const w of this.eventWaiters) if (w.key === ev.Actor?.ID || (name !== undefined && w.key === name)) w.wake();
    const death = deathFromEvent(ev);
    if (death !== null && ev.Actor?.ID) this.deaths.set(ev.Actor.ID, death);
    else if (action === 'start' && ev.Actor?.ID) this.deaths.delete(ev.Actor.ID);
    if (this.dirty !== 'all') {
      if (ev.Actor?.ID) this.dirty.add(ev.Actor.ID);
      if (name !== undefined) this.dirty.add(name);
    }
    return `event:${action}${name ? `:${name}` : ''}`;
  }

  /** The event stream connected or ended. */
  onConnection(state: 'connected' | 'lost'): string {
    if (state === 'lost') {
      this.opts.log.warn({}, 'lost the Docker engine: waiting for it to come back');
      return 'engine-lost';
    }
    this.stopEventsSeen.clear();
    this.dirty = 'all';
    this.deaths.clear();
    return 'engine-connected';
  }

  /**
   * A service's check failed again and its config says `on_unhealthy: restart`: the next reconcile
   * decides (inside the step, so no other read sees the restart half done and takes the stop for the
   * operator's, and one crash-loop count covers deaths and these restarts).
   */
  onUnhealthy(service: string, why: string, failingSince: number): void {
    const prev = this.unhealthy.get(service);
    this.unhealthy.set(service, { why, failingSince: prev === undefined ? failingSince : Math.min(prev.failingSince, failingSince) });
  }

  /** An apt run or an operator asks for a recovery pass (the caller triggers a reconcile). */
  requestRecovery(trigger: RecoveryTrigger): void {
    this.requestedRecovery ??= trigger;
  }

  // ---- the reconcile ----

  /** One reconcile; returns when to run again (ms), or null for the next trigger or resync. */
  async reconcile(reasons: string[], signal: AbortSignal): Promise<number | null> {
    const { clock } = this.opts;
    const began = clock.now();
    if (reasons.includes('resync') && this.resyncs++ % FULL_READ_EVERY === 0) this.dirty = 'all';
    if (reasons.includes('startup')) this.dirty = 'all';
    // Only events since the last read: the read inspects what they name and skips the list.
    this.eventsOnly = reasons.length > 0 && reasons.every((r) => r.startsWith('event:'));
    let retryInMs: number | null = null;
    for (let round = 0; round <= MAX_REQUEUES && !signal.aborted; round++) {
      const r = await this.once(signal);
      retryInMs = r.retryInMs;
      if (!r.requeue) break;
    }
    this.observe(began, reasons);
    return retryInMs === null ? null : Math.max(50, retryInMs);
  }

  private async once(signal: AbortSignal): Promise<{ retryInMs: number | null; requeue: boolean }> {
    const { clock, metrics } = this.opts;
    const conn = this.opts.connection();
    const now = clock.now();
    const maintenance = this.opts.inMaintenance();
    const base = {
      maintenance,
      stopEventsSeen: this.stopEventsSeen,
      recoveryRequested: this.requestedRecovery,
      activeAlertKeys: this.opts.alerts.activeKeys(),
    };
    if (conn.connectedSince === null) {
      const step = reconcileStep(
        { ...base, engine: { up: false, lostAt: conn.lostAt }, desired: null, unhealthy: [] },
        this.memory,
        this.opts.config,
        this.timing,
        now,
      );
      this.status = { ...this.status, engineUp: false };
      metrics.setEngineUp(false);
      this.commit(() => {
        this.write(step.timeline);
        this.evaluate(step.alerts);
      });
      this.memory = step.memory;
      this.requestedRecovery = null; // in the memory now
      return { retryInMs: null, requeue: false };
    }
    if (this.eventsOnly && this.dirty !== 'all' && this.deaths.size > 0) this.judgeDeathsFromEvents(conn.connectedSince, conn.lostAt, base, now);
    const state = await this.readHost();
    this.status = { ...this.status, host: state.host, engineUp: true };
    metrics.setEngineUp(true);
    this.noteEngineVersion(state);
    let desired = this.loadDesired(state.host);
    if (desired === null && state.containers.some((c) => c.state === 'running')) {
      await this.takeFirstSnapshot(state);
      desired = this.loadDesired(state.host);
    }
    const unhealthy: UnhealthyRequest[] = [...this.unhealthy].map(([service, u]) => ({ container: this.containerNameFor(service), ...u }));
    const step = reconcileStep(
      {
        ...base,
        activeAlertKeys: this.opts.alerts.activeKeys(), // after judgeDeathsFromEvents' alerts
        engine: { up: true, connectedSince: conn.connectedSince, lostAt: conn.lostAt, host: state.host, containers: state.containers },
        desired,
        unhealthy,
      },
      this.memory,
      this.opts.config,
      this.timing,
      now,
    );
    this.healFailed = false;
    // The step's timeline entries and alerts: one transaction (one fsync), before the actions (a
    // `down` alert is queued before the heal's start, which can take seconds), handed to the outbox
    // once committed; those whose message needs what an action fetches (a crash loop's log lines)
    // after them, with the memory, in a second one. Nothing is held open across an await.
    this.commit(() => {
      this.write(step.timeline);
      this.evaluate(step.alerts.filter((c) => c.afterActions !== true));
    });
    // Committed (a failure above leaves the memory as it was, so the retry records the same again).
    this.unhealthy.clear();
    this.memory = step.memory;
    this.requestedRecovery = null; // in the memory now
    for (const e of step.timeline) if (e.kind === 'gave-up' && e.subject) metrics.heal(e.subject, 'gave_up');
    await this.apply(step.actions, signal);
    // After the actions: at boot the recovery pass comes first (the timeline is ordered by time, and
    // what is reconstructed is read from `state`, the engine as it was before the pass).
    await this.reconstructOnce(state);
    this.commit(() => {
      this.evaluate(step.alerts.filter((c) => c.afterActions === true));
      this.saveMemory();
    });
    if (step.status !== null) {
      this.status = { ...this.status, snapshotId: desired?.snapshotId ?? null, containers: step.status.map(statusRow), error: null };
      this.observeContainers(step.status);
    }
    if (step.actions.length > 0) this.dirty = 'all';
    // A heal that failed: step again at once, so that the step's backoff (from the memory that
    // now counts the failure) says when to try next, instead of waiting for the resync.
    return { retryInMs: step.retryInMs, requeue: step.requeue || this.healFailed };
  }

  /**
   * Deaths reported by `die` events, judged before the inspect that confirms them (it waits for the
   * daemon to let go of the container, 10-20 ms): a step over the last read with those containers
   * exited as their events say. Its deaths and `down` alerts are committed and sent now, and its
   * memory kept (the inspect's step then sees a death already recorded), only when that step can
   * do nothing else (earlyDeathStepUsable); else nothing of it is kept. Never heals: the inspect's
   * step does. Only for containers seen running with no `kill`/`stop` event since (a stop through
   * the API, a restart, a daemon shutdown all send one first).
   */
  private judgeDeathsFromEvents(connectedSince: number, lostAt: number | null, base: Omit<World, 'engine' | 'desired' | 'unhealthy'>, now: number): void {
    const deaths = this.deaths;
    this.deaths = new Map();
    const cached = this.reader.cached();
    if (cached === null) return;
    const died = new Set<string>();
    const containers = cached.containers.map((c) => {
      const d = deaths.get(c.id);
      if (d === undefined || c.state !== 'running' || this.stopEventsSeen.has(c.name)) return c;
      died.add(c.name);
      return diedFacts(c, d);
    });
    if (died.size === 0) return;
    const desired = this.loadDesired(cached.host);
    if (desired === null) return;
    const step = reconcileStep(
      {
        ...base,
        recoveryRequested: null,
        engine: { up: true, connectedSince, lostAt, host: cached.host, containers },
        desired,
        unhealthy: [],
      },
      this.memory,
      this.opts.config,
      this.timing,
      now,
    );
    if (!earlyDeathStepUsable(step, died)) return;
    this.commit(() => {
      this.write(step.timeline);
      this.evaluate(step.alerts.filter((c) => c.afterActions !== true));
    });
    this.memory = step.memory; // committed: the inspect's step sees these deaths as recorded
  }

  /** Reads the engine (only what changed since the last read, unless a full read is due). */
  private async readHost(): Promise<HostState> {
    const dirty = this.dirty;
    this.dirty = new Set();
    this.deaths.clear();
    try {
      const state = await this.reader.read(dirty, { eventsOnly: this.eventsOnly });
      this.lastContainers = state.containers;
      this.lastHost = state;
      return state;
    } catch (err) {
      this.dirty = 'all';
      throw err;
    }
  }

  /** The desired state of this engine; null when there is none yet; terminal when only another engine's. */
  private loadDesired(host: HostIdentity): DesiredView | null {
    const r = loadDesiredState(this.opts.store, host);
    if (r.ok) {
      const s = r.state;
      if (r.note !== null && r.note !== this.desiredNote) this.opts.log.warn({ snapshot: s.snapshot.id }, r.note);
      this.desiredNote = r.note;
      return { snapshotId: s.snapshot.id, host: s.snapshot.host, containers: s.containers, operatorStopped: s.operatorStopped };
    }
    if (r.problem.kind === 'no-snapshot') return null;
    throw new TerminalReconcileError(r.problem.error.message, r.problem.error.hint === undefined ? {} : { hint: r.problem.error.hint });
  }

  /**
   * No snapshot yet: everything running now becomes desired. The one place to swap for
   * app/take-snapshot.ts (which adds the compose files' depends_on) once it is on main.
   */
  private async takeFirstSnapshot(state: HostState): Promise<void> {
    const { store, log, clock } = this.opts;
    // The same use case as `upkeep snapshot` (compose v1 depends_on read from the compose files).
    const { saved, notes } = await takeSnapshot({ store, readTextFile: this.opts.readTextFile ?? textFileReader(), now: () => clock.now() }, state, {
      note: 'first snapshot, taken by the agent',
      by: 'agent',
    });
    log.info({ snapshot: saved.id, containers: saved.containerCount, notes }, 'first snapshot taken');
    // Everything desired runs: no startup recovery pass.
    this.memory = { ...this.memory, recoveryDue: null };
  }

  // ---- apply ----

  private async apply(actions: readonly AgentAction[], signal: AbortSignal): Promise<void> {
    const { store } = this.opts;
    for (const a of actions) {
      if (signal.aborted) return;
      switch (a.type) {
        case 'record-operator-stop':
          store.recordOperatorStop({ name: a.name, at: a.at, by: 'agent', reason: a.reason });
          break;
        case 'clear-operator-stop':
          store.clearOperatorStop(a.name);
          break;
        case 'recovery-pass':
          await this.recoveryPass(a, signal);
          break;
        case 'restart':
          await this.restart(a);
          break;
        case 'heal':
          await this.heal(a, signal);
          break;
        case 'fetch-logs':
          if (!this.opts.engine.logs) break;
          try {
            // The lines leave the host: secrets the container was given, or prints as NAME=value, are masked.
            const env = await this.opts.engine.inspectContainer(a.id).then(
              (i) => i.Config?.Env ?? [],
              () => [],
            );
            this.lastLogs.set(a.container, maskLogLines(await this.opts.engine.logs(a.id, 5), env).join('\n'));
          } catch {
            /* no logs: the alert goes without them */
          }
          break;
      }
    }
  }

  private async restart(a: Extract<AgentAction, { type: 'restart' }>): Promise<void> {
    const { engine, metrics, clock } = this.opts;
    let error: string | null = null;
    try {
      await engine.restartContainer(a.id); // the container's own stop timeout (compose stop_grace_period)
    } catch (err) {
      error = (err as Error).message;
    }
    metrics.heal(a.container, error === null ? 'restarted' : 'failed');
    const text = error === null ? `${a.container}: restarted by upkeep because ${a.why}` : `${a.container}: could not restart it (${a.why}): ${error}`;
    this.write([
      {
        at: new Date(clock.now()).toISOString(),
        kind: error === null ? 'restarted-unhealthy' : 'heal-failed',
        subject: a.container,
        message: text,
        level: error === null ? 'warn' : 'error',
        ...(error ? { data: { error } } : {}),
      },
    ]);
  }

  /** Starts (or re-creates) the containers to heal: one start call for one existing container, else the recovery executor. */
  private async heal(a: Extract<AgentAction, { type: 'heal' }>, signal: AbortSignal): Promise<void> {
    const { config, metrics, log, clock } = this.opts;
    const names = a.targets.map((t) => t.container.name);
    log.info({ containers: names }, `healing ${names.join(', ')}`);
    const single = a.targets.length === 1 ? a.targets[0] : undefined;
    const result: Pick<RecoveryResult, 'outcomes'> | null =
      single !== undefined && single.id !== null
        ? await this.startOne(single.container.name, single.id)
        : await executeRecovery(
            a.targets.map((t) => t.container),
            this.effects,
            {
              snapshotHost: a.host,
              engineWaitMs: 5_000,
              graceMs: 0,
              concurrency: config.recovery.concurrency,
              readyTimeoutMs: config.recovery.readyTimeoutMs,
              runningForMs: config.recovery.runningForMs,
              // One quick retry here; the step's own backoff spaces out further attempts.
              backoff: { initialMs: 250, factor: 2, maxMs: 1_000, jitter: 0.2, maxAttempts: 2 },
              ...(this.opts.random ? { random: this.opts.random } : {}),
              signal,
            },
          ).catch((err: unknown) => {
            log.error({ containers: names, err: (err as Error).message }, 'healing failed');
            return null;
          });
    const now = clock.now();
    for (const t of a.targets) {
      const outcome = result?.outcomes.find((o) => o.container === t.container.name);
      const ok = outcome !== undefined && (outcome.outcome === 'started' || outcome.outcome === 'recreated' || outcome.outcome === 'skipped');
      const downSince = this.memory.containers.get(t.container.name)?.downSince ?? null;
      if (ok && downSince !== null) metrics.healed((now - downSince) / 1000);
      this.memory = afterHeal(this.memory, t.container.name, ok, now, ok ? undefined : (outcome?.error ?? ''));
      this.watchBlocker(t.container.name);
      if (!ok) this.healFailed = true;
      metrics.heal(t.container.name, ok ? 'started' : 'failed');
      const text = ok
        ? `${t.container.name}: started again by upkeep (${t.reason})`
        : `${t.container.name}: could not start it: ${outcome?.error ?? 'the recovery failed'}`;
      this.write([
        {
          at: new Date(now).toISOString(),
          kind: ok ? 'healed' : 'heal-failed',
          subject: t.container.name,
          message: text,
          data: { ...(outcome ?? {}) },
          level: ok ? 'info' : 'warn',
        },
      ]);
    }
  }

  /**
   * A heal blocked on a mount source or a port: watch it and reconcile the moment it clears (the
   * step's fallback schedule covers a watch that misses it). One watch per container; ended when the
   * heal succeeds or fails on something else.
   */
  private watchBlocker(name: string): void {
    this.blockerWatches.get(name)?.abort();
    this.blockerWatches.delete(name);
    const blocker = this.memory.containers.get(name)?.blockedBy ?? null;
    const wake = this.opts.wake;
    if (blocker === null || wake === undefined) return;
    const stop = new AbortController();
    this.blockerWatches.set(name, stop);
    const since = this.opts.clock.now();
    void (this.opts.blockerCleared ?? blockerCleared)(blocker, BLOCKER_WATCH_MS, stop.signal).then(() => {
      if (stop.signal.aborted) return;
      this.blockerWatches.delete(name);
      const waited = this.opts.clock.now() - since;
      if (waited < BLOCKER_WATCH_MS)
        this.opts.log.info(
          { subject: name, waitedMs: waited },
          `${name}: ${describeCleared(blocker)} (after ${waited} ms of a ${BLOCKER_WATCH_MS} ms wait): starting`,
        );
      wake(`blocker-cleared:${name}`);
    });
  }

  private async startOne(name: string, id: string): Promise<Pick<RecoveryResult, 'outcomes'>> {
    const { clock } = this.opts;
    const began = clock.now();
    try {
      await this.opts.engine.startContainer(id);
      return { outcomes: [{ action: 'start', container: name, outcome: 'started', attempts: 1, seconds: (clock.now() - began) / 1000, id }] };
    } catch (err) {
      return {
        outcomes: [{ action: 'start', container: name, outcome: 'failed', attempts: 1, seconds: (clock.now() - began) / 1000, error: (err as Error).message }],
      };
    }
  }

  /** Boot, daemon restart, apt: bring back everything desired, then one summary alert. */
  private async recoveryPass(a: Extract<AgentAction, { type: 'recovery-pass' }>, signal: AbortSignal): Promise<void> {
    const { config, alerts, metrics, clock } = this.opts;
    this.write([recoveryStartedEntry(a.trigger, a.host.name, a.containers.length, clock.now())]);
    let result: RecoveryResult;
    try {
      result = await executeRecovery(a.containers, this.effects, {
        snapshotHost: a.host,
        engineWaitMs: this.timing.engineWaitMs,
        // No blind grace: only what Docker is about to start itself is waited for (at most
        // recovery.grace, watching its events); the rest starts at once (core/recovery/start-conditions.ts).
        graceMs: 0,
        dockerGraceMs: config.recovery.graceMs,
        // A start blocked on a missing mount source or a taken port is retried when that clears.
        blockedWaitMs: config.recovery.readyTimeoutMs,
        pollMs: RECOVERY_POLL_MS,
        // The step's read, just made: no second read of every container before the plan.
        current: this.lastContainers,
        onProgress: (e) => {
          if (e.type === 'retry')
            this.opts.log.info({ subject: e.container, attempt: e.attempt, delayMs: e.delayMs }, `${e.container}: start failed: ${e.error}`);
          else if (e.type === 'unblocked')
            this.opts.log.info(
              { subject: e.container, waitedMs: e.waitedMs },
              `${e.container}: ${e.cleared} (after ${e.waitedMs} ms of a ${e.ofMs} ms wait): starting`,
            );
        },
        concurrency: config.recovery.concurrency,
        readyTimeoutMs: config.recovery.readyTimeoutMs,
        runningForMs: config.recovery.runningForMs,
        ...(this.opts.random ? { random: this.opts.random } : {}),
        signal,
      });
    } catch (err) {
      this.memory = recoveryFailed(this.memory, a.trigger);
      if (signal.aborted) return;
      const summary = recoverySummary(a.trigger, a.host.name, a.containers.length, null, (err as Error).message, clock.now());
      this.write([summary.entry]);
      this.opts.afterRecovery?.(a.trigger, null, true);
      throw err;
    }
    const summary = recoverySummary(a.trigger, a.host.name, a.containers.length, result, null, clock.now());
    metrics.recovery(a.trigger, result.remaining.length === 0 ? 'complete' : 'incomplete');
    this.write([summary.entry]);
    const taken = this.opts.afterRecovery?.(a.trigger, summary.alert, false) ?? false;
    if (summary.alert !== null && !taken) alerts.queue(summary.alert);
    const clusters = clustersInPlan(result.plan, a.containers);
    if (clusters.length > 0) this.opts.onClustersRecovered?.(clusters);
  }

  // ---- alerts, timeline, status, memory ----

  /**
   * `fn`'s store writes as one transaction (one commit, one fsync); the alerts it queued go to the
   * outbox after the commit. A write that fails inside is logged like any other (write() goes on
   * without it) unless SQLite rolled the whole transaction back, which throws: the reconcile is
   * retried, as when a single write failed before.
   */
  private commit(fn: () => void): void {
    try {
      this.opts.alerts.transaction(fn);
    } catch (err) {
      this.savedMemory = ''; // rolled back: the next save writes it again
      throw err;
    }
  }

  private evaluate(conditions: readonly AlertCondition[]): void {
    const ctx = { now: this.opts.clock.now(), lastLogs: this.lastLogs };
    for (const c of conditions) this.opts.alerts.evaluate(c.key, c.rule, c.active, (kind, since) => c.content(kind, since, ctx));
    this.opts.alerts.persist();
  }

  /**
   * The engine's version, remembered across agent restarts (agent state "engine"): a change (an
   * upgrade of docker.io/docker-ce, seen after the restart it causes) goes into the timeline.
   */
  private noteEngineVersion(state: HostState): void {
    const version = state.daemon.serverVersion;
    if (version === this.engineVersionSeen) return;
    const { store, clock } = this.opts;
    const before = store.getAgentState(ENGINE_KEY, parseEngineRecord)?.version ?? null;
    if (before !== null && before !== version) {
      this.write([
        {
          at: new Date(clock.now()).toISOString(),
          kind: TIMELINE_KINDS.engineVersionChanged,
          subject: state.host.name,
          message: `the Docker engine was ${before} and is now ${version} (API ${state.daemon.apiVersion})`,
          data: { from: before, to: version, apiVersion: state.daemon.apiVersion },
          level: 'info',
        },
      ]);
    }
    if (before !== version) store.setAgentState(ENGINE_KEY, { version });
    this.engineVersionSeen = version;
  }

  private write(entries: readonly StepEntry[]): void {
    const { store, log, clock } = this.opts;
    for (const e of entries) {
      log[e.level]({ ...(e.subject ? { subject: e.subject } : {}), ...(e.kind ? { event: e.kind } : {}) }, e.message);
      if (e.kind === null) continue;
      try {
        store.appendTimeline({
          at: e.at ?? new Date(clock.now()).toISOString(),
          kind: e.kind,
          subject: e.subject,
          message: e.message,
          ...(e.data ? { data: e.data } : {}),
        });
      } catch (err) {
        log.error({ err: (err as Error).message }, 'could not write the timeline');
      }
    }
  }

  /** At the first read: what happened while no agent ran (a boot, deaths, starts), from what the engine still knows. */
  private async reconstructOnce(state: HostState): Promise<void> {
    if (this.reconstructed) return;
    this.reconstructed = true;
    const { store, clock, log } = this.opts;
    const saved = store.getAgentState(AGENT_KEY, parseAgentRecord);
    let boot: { id: string; bootTime: number | null } | null = null;
    try {
      boot = (await this.opts.readBoot?.()) ?? null;
    } catch {
      boot = null;
    }
    const entries = reconstructEntries({
      previousBootId: typeof saved?.bootId === 'string' ? saved.bootId : null,
      aliveAt: typeof saved?.aliveAt === 'number' ? saved.aliveAt : null,
      boot,
      host: state.host.name,
      containers: state.containers,
      now: clock.now(),
    });
    for (const e of entries) {
      const dup =
        store.timeline({ kind: e.kind, subject: e.subject ?? undefined, since: e.at, until: new Date(Date.parse(e.at) + 1).toISOString() }).length > 0;
      if (dup) continue;
      store.appendTimeline({ at: e.at, kind: e.kind, subject: e.subject, message: e.message, data: e.data, reconstructed: true });
    }
    if (entries.length > 0) log.info({ entries: entries.length }, 'timeline: what happened while no agent ran, reconstructed');
    store.setAgentState(AGENT_KEY, { bootId: boot?.id ?? saved?.bootId ?? null, aliveAt: clock.now(), pid: process.pid });
    this.lastAliveSaved = clock.now();
  }

  private observeContainers(rows: readonly StatusRow[]): void {
    this.opts.metrics.observeContainers(
      rows
        .filter((r) => r.desired || r.verdict === 'operator-stopped')
        .map((r) => ({ container: r.name, service: r.service, desired: r.desired, running: r.running, healthy: r.healthy })),
    );
  }

  private observe(began: number, reasons: string[]): void {
    const { metrics, alerts, clock, store } = this.opts;
    metrics.setAlertsFiring(alerts.firing());
    metrics.setMaintenance(this.opts.inMaintenance());
    alerts.persist();
    const now = clock.now();
    metrics.reconciled(now, (now - began) / 1000);
    this.status = { ...this.status, lastReconcileAt: new Date(now).toISOString() };
    if (now - this.lastAliveSaved >= ALIVE_EVERY_MS && this.reconstructed) {
      const saved = store.getAgentState(AGENT_KEY, parseAgentRecord);
      store.setAgentState(AGENT_KEY, { ...(saved ?? { pid: process.pid, bootId: null }), aliveAt: now });
      this.lastAliveSaved = now;
    }
    this.opts.log.debug({ reasons, seconds: (now - began) / 1000 }, 'reconciled');
  }

  /** A terminal error as /status shows it. */
  reportTerminal(err: unknown): void {
    const e = err as UpkeepError;
    this.status = { ...this.status, error: { message: e.message, hint: e.hint ?? null } };
    this.opts.log.error({ err: e.message, ...(e.hint ? { hint: e.hint } : {}) }, 'cannot reconcile: retrying will not help until this is fixed');
  }

  /** The container a configured service name stands for now: a container name, or compose "project/service". */
  containerNameFor(service: string): string {
    return containerForService(service, this.lastContainers);
  }

  stop(): void {
    for (const w of this.blockerWatches.values()) w.abort();
    this.blockerWatches.clear();
    this.saveMemory();
  }

  /** The durable part of the memory: crash-loop history survives an agent restart. */
  private saveMemory(): void {
    const durable = durableMemory(this.memory);
    const json = JSON.stringify(durable);
    if (json === this.savedMemory) return;
    this.opts.store.setAgentState(MEMORY_KEY, durable);
    this.savedMemory = json;
  }

  /** Restores the memory; operator stops kept there by older agents move into the intent store once. */
  private loadMemory(): AgentMemory {
    const { store, log } = this.opts;
    const now = this.opts.clock.now();
    const { memory, legacyOperatorStops } = store.getAgentState(MEMORY_KEY, (v) => restoreMemory(v, now)) ?? restoreMemory(null, now);
    if (legacyOperatorStops.length > 0) {
      const known = new Set(store.operatorStops().map((s) => s.name));
      for (const s of legacyOperatorStops) {
        if (known.has(s.name)) continue;
        store.recordOperatorStop({
          name: s.name,
          at: new Date(s.at).toISOString(),
          by: 'agent',
          reason: 'stopped through the Docker API while the daemon kept running and upkeep watched (moved from the agent memory)',
        });
      }
      store.setAgentState(MEMORY_KEY, durableMemory(memory));
      log.info({ containers: legacyOperatorStops.map((s) => s.name) }, 'operator stops moved from the agent memory into the intent store');
    }
    this.savedMemory = JSON.stringify(durableMemory(memory));
    return memory;
  }
}

function statusRow(r: StatusRow): ControllerStatus['containers'][number] {
  return { name: r.name, verdict: r.verdict, detail: r.detail, desired: r.desired, ...(r.since ? { since: r.since } : {}) };
}

/** The engine's recovery effects with the agent's clock for their waits, its events and the blocker watch. */
function withClock(
  effects: RecoveryEffects,
  clock: Clock,
  watch: {
    /** Registers `wake` for events naming `key`; returns the unregistration. */
    containerEvent: (key: string, wake: () => void) => () => void;
    blockerCleared: (blocker: StartBlocker, ms: number, signal?: AbortSignal) => Promise<void>;
  },
): RecoveryEffects {
  /** Sleeps `ms` on the agent's clock, ended early by `wake` being called through `arm`. */
  const sleepUnless = async (ms: number, signal: AbortSignal | undefined, arm: (wake: () => void) => () => void): Promise<void> => {
    const early = new AbortController();
    const disarm = arm(() => early.abort());
    try {
      await clock.sleep(ms, signal ? AbortSignal.any([signal, early.signal]) : early.signal);
    } catch {
      /* woken or aborted */
    } finally {
      disarm();
      early.abort();
    }
  };
  return {
    containerEvent: (key, ms, signal) => sleepUnless(ms, signal, (wake) => watch.containerEvent(key, wake)),
    blockerCleared: (blocker, ms, signal) =>
      sleepUnless(ms, signal, (wake) => {
        const stop = new AbortController();
        void watch.blockerCleared(blocker, ms, stop.signal).then(() => {
          if (!stop.signal.aborted) wake();
        });
        return () => stop.abort();
      }),
    ...effectsOnClock(effects, clock),
  };
}

/** The engine's recovery effects with the agent's clock for their waits (the executor's fallback schedule, no event wake-ups). */
export function effectsOnClock(effects: RecoveryEffects, clock: Clock): RecoveryEffects {
  return {
    engineIdentity: () => effects.engineIdentity(),
    listContainers: () => effects.listContainers(),
    inspect: (id) => effects.inspect(id),
    start: (id) => effects.start(id),
    createAndStart: (req) => effects.createAndStart(req),
    composeUp: (cmd) => effects.composeUp(cmd),
    sleep: (ms, signal) => clock.sleep(ms, signal),
    now: () => clock.now(),
  };
}
