/**
 * The agent's reconcile function (controller-runtime style): whatever triggered it, it re-reads
 * the whole engine, compares with the desired state (the newest snapshot), decides per container
 * (core/agent/decide.ts), acts, and evaluates the alerts. Events only say "look again".
 *
 * Two kinds of work:
 * - a RECOVERY PASS after the agent starts (boot), after the engine comes back (daemon restart or
 *   crash) and after an apt run: the recovery issue's executor on every desired container, after a
 *   grace period for Docker's own restarts, with ONE summary alert;
 * - HEALING between those: a desired container that stops while the daemon runs is started again
 *   (with backoff), unless the stop was the operator's or it is crash-looping.
 */
import { CachedHostReader, type HostState } from '../adapters/docker/host-state.js';
import { EngineRecoveryEffects } from '../adapters/docker/recovery-effects.js';
import type { DockerEngine } from '../adapters/docker/engine-client.js';
import type { AgentMetrics } from '../adapters/metrics/agent-metrics.js';
import type { Store } from '../adapters/store/store.js';
import { decide, FRESH, type ContainerMemory, type Decision } from '../core/agent/decide.js';
import type { AlertRule } from '../core/alerts/alert-state.js';
import type { HealMode, UpkeepConfig } from '../core/config/types.js';
import type { EngineEvent } from '../core/engine-types.js';
import { buildSnapshot, type DesiredContainer, type HostIdentity } from '../core/recovery/desired-state.js';
import { executeRecovery, type RecoveryResult } from '../core/recovery/executor.js';
import type { AlertManager } from './alerts.js';
import type { AgentLog } from './log.js';

const MEMORY_KEY = 'containers';
/** Every this many resyncs, one inspects every container (10 min at the default resync of 60 s). */
const FULL_READ_EVERY = 10;

export type RecoveryTrigger = 'startup' | 'daemon_restart' | 'apt' | 'manual';

export interface ControllerTiming {
  /** Let Docker's own policy restart a container this long before upkeep does. Default 3 s. */
  dockerGraceMs: number;
  /** The engine alert waits this long (a daemon restart during apt is normal). Default 30 s. */
  engineAlertForMs: number;
  /** How long the recovery pass waits for the engine. Default 60 s. */
  engineWaitMs: number;
}

export interface ControllerOptions {
  config: UpkeepConfig;
  engine: DockerEngine;
  store: Store;
  alerts: AlertManager;
  metrics: AgentMetrics;
  log: AgentLog;
  /** When the event stream is up; null while disconnected. */
  connectedSince: () => number | null;
  /** Asks for another reconcile (the queue's trigger). */
  trigger: (reason: string) => void;
  inMaintenance: () => boolean;
  timing?: Partial<ControllerTiming>;
}

/** What /status shows. */
export interface ControllerStatus {
  host: HostIdentity | null;
  engineUp: boolean;
  snapshotId: number | null;
  lastReconcileAt: string | null;
  containers: Array<{ name: string; verdict: string; detail: string | null }>;
}

export class Controller {
  private memory = new Map<string, ContainerMemory>();
  private stopEventsSeen = new Set<string>();
  private pendingRecovery: RecoveryTrigger | null = 'startup';
  private retryTimer: NodeJS.Timeout | null = null;
  private engineWasLost = false;
  /** Last log lines of crash-looping containers, fetched once when upkeep gives up. */
  private lastLogs = new Map<string, string>();
  /** The containers of the last read (for containerNameFor). */
  private lastContainers: HostState['containers'] = [];
  /** The durable memory as last saved (JSON), to write only on change. */
  private savedMemory = '{}';
  private readonly timing: ControllerTiming;
  private readonly effects: EngineRecoveryEffects;
  private readonly reader: CachedHostReader;
  /** Container ids and names events named since the last read; 'all' forces a full read. */
  private dirty: Set<string> | 'all' = 'all';
  private resyncs = 0;
  /** Services whose checks asked for a restart (on_unhealthy: restart): why, and since when the probes failed. */
  private unhealthy = new Map<string, { why: string; failingSince: number }>();
  /** Why upkeep gave up on a container, where decide.ts's own reason does not say (failed checks). */
  private giveUpText = new Map<string, string>();
  status: ControllerStatus = { host: null, engineUp: false, snapshotId: null, lastReconcileAt: null, containers: [] };

  constructor(private readonly opts: ControllerOptions) {
    this.timing = { dockerGraceMs: 3_000, engineAlertForMs: 30_000, engineWaitMs: 60_000, ...opts.timing };
    this.effects = new EngineRecoveryEffects(opts.engine);
    this.reader = new CachedHostReader(opts.engine);
    this.loadMemory();
  }

  // ---- inputs ----

  /** An Engine API event: remember operator stops for unreadable flags, and look again. */
  onEvent(ev: EngineEvent): void {
    const name = ev.Actor?.Attributes?.name;
    const action = ev.Action.split(':')[0] ?? '';
    if (name !== undefined) {
      if (action === 'stop' || action === 'kill') this.stopEventsSeen.add(name);
      if (action === 'start') this.stopEventsSeen.delete(name);
    }
    if (this.dirty !== 'all') {
      if (ev.Actor?.ID) this.dirty.add(ev.Actor.ID);
      if (name !== undefined) this.dirty.add(name);
    }
    this.opts.trigger(`event:${action}${name ? `:${name}` : ''}`);
  }

  onConnection(state: 'connected' | 'lost'): void {
    if (state === 'lost') {
      this.engineWasLost = true;
      this.opts.log.warn({}, 'lost the Docker engine: waiting for it to come back');
      this.opts.store.appendTimeline({ kind: 'engine-lost', subject: this.status.host?.name ?? null, message: 'the Docker engine stopped answering (event stream ended)' });
      this.opts.trigger('engine-lost');
      return;
    }
    if (this.engineWasLost) {
      this.engineWasLost = false;
      this.pendingRecovery = 'daemon_restart';
      this.opts.store.appendTimeline({ kind: 'engine-back', subject: this.status.host?.name ?? null, message: 'the Docker engine answers again: recovery pass' });
    }
    this.stopEventsSeen.clear();
    this.dirty = 'all';
    this.opts.trigger('engine-connected');
  }

  /**
   * A service's check turned (or stayed) failing and its config says `on_unhealthy: restart`: the
   * next reconcile restarts its container (inside the reconcile, so no other read sees the restart
   * half done and takes the stop for the operator's).
   */
  onUnhealthy(service: string, why: string, failingSince: number): void {
    const prev = this.unhealthy.get(service);
    this.unhealthy.set(service, { why, failingSince: prev === undefined ? failingSince : Math.min(prev.failingSince, failingSince) });
    this.opts.trigger(`unhealthy:${service}`);
  }

  /** An apt run or an operator asks for a recovery pass. */
  requestRecovery(trigger: RecoveryTrigger): void {
    this.pendingRecovery ??= trigger;
    this.opts.trigger(`recovery:${trigger}`);
  }

  // ---- the reconcile ----

  async reconcile(reasons: string[], signal: AbortSignal): Promise<void> {
    const began = Date.now();
    const { metrics, alerts } = this.opts;
    if (this.opts.connectedSince() === null) {
      metrics.setEngineUp(false);
      this.status = { ...this.status, engineUp: false };
      this.evaluateEngineAlert(true);
      alerts.persist();
      return;
    }
    // A resync re-lists and inspects what the list shows changed; every FULL_READ_EVERY-th one (and
    // the first) inspects everything again, in case something changed that the list does not show.
    if (reasons.includes('resync') && this.resyncs++ % FULL_READ_EVERY === 0) this.dirty = 'all';
    if (reasons.includes('startup')) this.dirty = 'all';
    let state = await this.readHost();
    this.status = { ...this.status, host: state.host, engineUp: true };
    metrics.setEngineUp(true);
    this.evaluateEngineAlert(false);

    const snapshot = this.desiredState(state);
    const desired = snapshot?.containers ?? [];
    if (this.pendingRecovery !== null && snapshot !== null) {
      const trigger = this.pendingRecovery;
      this.pendingRecovery = null;
      const result = await this.recoveryPass(trigger, desired, snapshot.host, signal);
      if (result !== null) {
        this.dirty = 'all';
        state = await this.readHost();
      }
    } else {
      this.pendingRecovery = null;
    }
    if (signal.aborted) return;
    if (this.unhealthy.size > 0 && (await this.restartUnhealthy(desired, state))) state = await this.readHost();

    let decisions = this.decideAll(desired, state);
    await this.fetchLogsForGiveUps(decisions);
    const toHeal = decisions.filter((d) => d.verdict.kind === 'heal');
    this.evaluateContainerAlerts(decisions, desired);
    if (toHeal.length > 0) {
      await this.heal(toHeal, snapshot?.host ?? state.host, signal);
    }
    decisions = decisions.map((d) => ({ ...d, memory: this.memory.get(d.container.name) ?? d.memory }));

    this.observe(decisions, state, snapshot?.id ?? null, began, reasons);
    this.scheduleRetry(decisions);
  }

  /** Reads the engine (only what changed since the last read, unless a full read is due). */
  private async readHost(): Promise<HostState> {
    const dirty = this.dirty;
    this.dirty = new Set();
    try {
      const state = await this.reader.read(dirty);
      this.lastContainers = state.containers;
      return state;
    } catch (err) {
      this.dirty = 'all';
      throw err;
    }
  }

  /** The newest snapshot of this engine; on a first start with none, everything running now becomes desired. */
  private desiredState(state: HostState): { id: number; host: HostIdentity; containers: DesiredContainer[] } | null {
    const { store, log } = this.opts;
    const stored = store.latestSnapshot(state.host.id);
    if (stored !== null) return stored;
    const running = state.containers.filter((c) => c.state === 'running');
    if (running.length === 0) return null;
    const built = buildSnapshot(
      running.map((facts) => ({ facts, inspect: state.inspects.get(facts.id)! })).filter((x) => x.inspect !== undefined),
      { host: state.host, takenAt: new Date().toISOString(), note: 'first snapshot, taken by the agent' },
    );
    const saved = store.saveSnapshot(built.snapshot);
    store.appendTimeline({
      kind: 'snapshot',
      subject: state.host.name,
      message: `no snapshot yet: the agent recorded the ${saved.containerCount} running containers as desired`,
      data: { id: saved.id, names: saved.names },
    });
    log.info({ snapshot: saved.id, containers: saved.containerCount }, 'first snapshot taken');
    this.pendingRecovery = null;
    return store.latestSnapshot(state.host.id);
  }

  private healMode(d: DesiredContainer): HealMode {
    const svc = this.opts.config.services.find(
      (s) => s.name === d.name || (d.compose !== null && s.name === `${d.compose.project}/${d.compose.service}`),
    );
    return svc?.heal ?? this.opts.config.heal.default;
  }

  private decideAll(desired: readonly DesiredContainer[], state: HostState): Decision[] {
    const { heal } = this.opts.config;
    const decisions = decide(desired, state.containers, this.memory, {
      now: Date.now(),
      connectedSince: this.opts.connectedSince(),
      healModeOf: (d) => this.healMode(d),
      crashLoopRestarts: heal.crashLoopRestarts,
      crashLoopWindowMs: heal.crashLoopWindowMs,
      dockerGraceMs: this.timing.dockerGraceMs,
      backoffInitialMs: heal.backoffInitialMs,
      backoffMaxMs: heal.backoffMaxMs,
      stopEventsSeen: this.stopEventsSeen,
    });
    const names = new Set(desired.map((d) => d.name));
    for (const n of [...this.memory.keys()]) if (!names.has(n)) this.memory.delete(n);
    for (const d of decisions) {
      this.memory.set(d.container.name, d.memory);
      if (d.verdict.kind !== 'running') this.opts.log.debug({ container: d.container.name, verdict: d.verdict.kind, state: d.verdict.actual?.state ?? 'missing' }, 'not running');
      if (d.event === null) continue;
      const level = d.event.kind === 'gave-up' ? 'error' : d.event.kind === 'died' ? 'warn' : 'info';
      this.opts.log[level]({ container: d.container.name, event: d.event.kind }, d.event.message);
      this.opts.store.appendTimeline({ kind: d.event.kind, subject: d.container.name, message: d.event.message });
      if (d.event.kind === 'gave-up') this.opts.metrics.heal(d.container.name, 'gave_up');
    }
    this.saveMemory();
    return decisions;
  }

  /** Starts (or re-creates) the containers to heal, through the recovery executor. */
  private async heal(toHeal: Decision[], host: HostIdentity, signal: AbortSignal): Promise<void> {
    const { config, metrics, log, store } = this.opts;
    const names = toHeal.map((d) => d.container.name);
    log.info({ containers: names }, `healing ${names.join(', ')}`);
    const single = toHeal.length === 1 ? toHeal[0] : undefined;
    const result = single !== undefined && single.verdict.actual !== null
      ? await this.startOne(single.container.name, single.verdict.actual.id)
      : await executeRecovery(
      toHeal.map((d) => d.container),
      this.effects,
      {
        snapshotHost: host,
        engineWaitMs: 5_000,
        graceMs: 0,
        concurrency: config.recovery.concurrency,
        readyTimeoutMs: config.recovery.readyTimeoutMs,
        runningForMs: config.recovery.runningForMs,
        // One quick retry here; the agent's own backoff (decide.ts) spaces out further attempts.
        backoff: { initialMs: 250, factor: 2, maxMs: 1_000, jitter: 0.2, maxAttempts: 2 },
        signal,
      },
    ).catch((err: unknown) => {
      log.error({ containers: names, err: (err as Error).message }, 'healing failed');
      return null;
    });
    const now = Date.now();
    for (const d of toHeal) {
      const outcome = result?.outcomes.find((o) => o.container === d.container.name);
      const ok = outcome !== undefined && (outcome.outcome === 'started' || outcome.outcome === 'recreated' || outcome.outcome === 'skipped');
      const mem = this.memory.get(d.container.name) ?? FRESH;
      // A successful start begins a new life: its next stop is a new death, even if upkeep never saw it running.
      this.memory.set(d.container.name, { ...mem, lastHealAt: now, healFailures: ok ? 0 : mem.healFailures + 1, downSince: ok ? null : mem.downSince });
      metrics.heal(d.container.name, ok ? 'started' : 'failed');
      const text = ok
        ? `${d.container.name}: started again by upkeep (${d.verdict.kind === 'heal' ? d.verdict.reason : ''})`
        : `${d.container.name}: could not start it: ${outcome?.error ?? 'the recovery failed'}`;
      store.appendTimeline({ kind: ok ? 'healed' : 'heal-failed', subject: d.container.name, message: text, data: outcome ?? null });
      if (!ok) log.warn({ container: d.container.name, err: outcome?.error }, text);
    }
    this.saveMemory();
    if (this.dirty !== 'all') for (const d of toHeal) this.dirty.add(d.container.name);
  }

  /**
   * Restarts the running containers whose checks failed (on_unhealthy: restart). Each restart
   * counts as a death for the crash-loop limit; at the limit upkeep gives up (and alerts) instead.
   * Not during a maintenance window (services are expected to be unhealthy for a while then), not
   * with `heal: never`, not when it is down (healing covers that). True when something restarted.
   */
  private async restartUnhealthy(desired: readonly DesiredContainer[], state: HostState): Promise<boolean> {
    const { config, engine, log, metrics, store } = this.opts;
    const requests = [...this.unhealthy];
    this.unhealthy.clear();
    let restarted = false;
    for (const [service, { why, failingSince }] of requests) {
      const name = this.containerNameFor(service);
      const d = desired.find((x) => x.name === name);
      const a = state.containers.find((c) => c.name === name);
      if (d === undefined || a === undefined || a.state !== 'running' || this.healMode(d) === 'never') continue;
      // Failed probes that began before this container (re)started may have seen the old one (a
      // restart takes a while): only failures of the running container count.
      if (a.startedAt !== null && failingSince < Date.parse(a.startedAt)) continue;
      const prev = this.memory.get(name) ?? FRESH;
      if (prev.gaveUpAt !== null) continue;
      if (this.opts.inMaintenance()) {
        log.info({ container: name, why }, `${name}: not restarted during a maintenance window (${why})`);
        continue;
      }
      const now = Date.now();
      const deaths = [...prev.deaths.filter((t) => t > now - config.heal.crashLoopWindowMs), now];
      if (deaths.length >= config.heal.crashLoopRestarts) {
        const reason = `${name}: ${deaths.length} deaths or restarts for failed checks within ${Math.round(config.heal.crashLoopWindowMs / 1000)} s; ${why}`;
        this.memory.set(name, { ...prev, deaths, gaveUpAt: now });
        this.giveUpText.set(name, reason);
        log.error({ container: name }, `giving up on ${reason}`);
        store.appendTimeline({ kind: 'gave-up', subject: name, message: `giving up on ${reason}` });
        metrics.heal(name, 'gave_up');
        await this.fetchLogs(name, a.id);
        continue;
      }
      let error: string | null = null;
      try {
        await engine.restartContainer(a.id); // the container's own stop timeout (compose stop_grace_period)
      } catch (err) {
        error = (err as Error).message;
      }
      this.memory.set(name, { ...prev, deaths, lastHealAt: now });
      metrics.heal(name, error === null ? 'restarted' : 'failed');
      const text = error === null ? `${name}: restarted by upkeep because ${why}` : `${name}: could not restart it (${why}): ${error}`;
      (error === null ? log.warn : log.error).call(log, { container: name }, text);
      store.appendTimeline({ kind: error === null ? 'restarted-unhealthy' : 'heal-failed', subject: name, message: text });
      if (this.dirty !== 'all') this.dirty.add(name).add(a.id);
      restarted = true;
    }
    this.saveMemory();
    return restarted;
  }

  /**
   * The common case, one existing container stopped: one start call, no full re-read (the recovery
   * executor, used for several at once or a removed one, plans with dependencies and re-reads the host).
   */
  private async startOne(name: string, id: string): Promise<Pick<RecoveryResult, 'outcomes'>> {
    const began = Date.now();
    try {
      await this.opts.engine.startContainer(id);
      return { outcomes: [{ action: 'start', container: name, outcome: 'started', attempts: 1, seconds: (Date.now() - began) / 1000, id }] };
    } catch (err) {
      return { outcomes: [{ action: 'start', container: name, outcome: 'failed', attempts: 1, seconds: (Date.now() - began) / 1000, error: (err as Error).message }] };
    }
  }

  /** Boot, daemon restart, apt: bring back everything desired, then one summary alert. */
  private async recoveryPass(trigger: RecoveryTrigger, desired: readonly DesiredContainer[], host: HostIdentity, signal: AbortSignal): Promise<RecoveryResult | null> {
    const { config, alerts, metrics, log, store } = this.opts;
    // Not brought back: what the operator stopped, `heal: never`, and crash loops upkeep gave up on
    // (they stay alerted; starting one again after `docker start` makes it healable again).
    const eligible = desired.filter((d) => {
      const mem = this.memory.get(d.name);
      const mode = this.healMode(d);
      return mode !== 'never' && (mode === 'always' || mem?.operatorStoppedAt == null) && mem?.gaveUpAt == null;
    });
    const label = { startup: 'after the agent started', daemon_restart: 'after the Docker engine came back', apt: 'after an apt run', manual: 'on request' }[trigger];
    log.info({ trigger, desired: eligible.length, graceMs: config.recovery.graceMs }, `recovery pass ${label}`);
    let result: RecoveryResult;
    try {
      result = await executeRecovery(eligible, this.effects, {
        snapshotHost: host,
        engineWaitMs: this.timing.engineWaitMs,
        graceMs: config.recovery.graceMs,
        concurrency: config.recovery.concurrency,
        readyTimeoutMs: config.recovery.readyTimeoutMs,
        runningForMs: config.recovery.runningForMs,
        signal,
      });
    } catch (err) {
      if (signal.aborted) return null;
      log.error({ trigger, err: (err as Error).message }, 'recovery pass failed');
      store.appendTimeline({ kind: 'recovery', subject: host.name, message: `recovery ${label} failed: ${(err as Error).message}` });
      this.pendingRecovery = trigger;
      throw err;
    }
    const down = result.plan.actions.length;
    const complete = result.remaining.length === 0;
    metrics.recovery(trigger, complete ? 'complete' : 'incomplete');
    const total = eligible.length;
    const message =
      down === 0
        ? `${label}: all ${total} desired containers were running`
        : complete
          ? `${label}: ${down} of ${total} desired containers were down; all running again after ${result.seconds.toFixed(1)} s`
          : `${label}: ${down} of ${total} desired containers were down; ${result.remaining.length} still not running after ${result.seconds.toFixed(1)} s: ${result.remaining.map((r) => r.container).join(', ')}`;
    log.info({ trigger, down, remaining: result.remaining.length, seconds: result.seconds }, message);
    store.appendTimeline({
      kind: 'recovery',
      subject: host.name,
      message,
      data: { trigger, outcomes: result.outcomes.map((o) => ({ container: o.container, outcome: o.outcome, seconds: o.seconds, attempts: o.attempts, error: o.error })) },
    });
    if (down > 0 || !complete) {
      alerts.queue({
        id: `recovery:${trigger}@${Date.now()}`,
        kind: 'summary',
        severity: complete ? 'info' : 'critical',
        subject: host.name,
        title: complete ? `Recovered ${down} container(s) ${label}` : `Recovery incomplete ${label}`,
        text: `${message}.\n${result.outcomes.map((o) => `${o.container}: ${o.outcome}${o.error ? ` (${o.error})` : ''} in ${o.seconds} s`).join('\n')}`,
        data: { trigger, down, remaining: result.remaining.map((r) => r.container) },
      });
    }
    return result;
  }

  // ---- alerts, metrics, memory ----

  private rule(): AlertRule {
    return { forMs: this.opts.config.alerts.forMs, repeatMs: this.opts.config.alerts.repeatMs };
  }

  private evaluateEngineAlert(down: boolean): void {
    const host = this.status.host?.name ?? 'this host';
    this.opts.alerts.evaluate('engine', { forMs: Math.max(this.timing.engineAlertForMs, this.opts.config.alerts.forMs), repeatMs: this.opts.config.alerts.repeatMs }, down, (kind, since) =>
      kind === 'resolved'
        ? { severity: 'critical', subject: host, title: 'Docker engine answers again', text: `The Docker engine on ${host} answers again${since ? ` (down since ${new Date(since).toISOString()})` : ''}.` }
        : { severity: 'critical', subject: host, title: 'Docker engine not answering', text: `The Docker engine on ${host} does not answer: no container can be watched or healed. Check \`systemctl status docker\`.` },
    );
  }

  private evaluateContainerAlerts(decisions: readonly Decision[], desired: readonly DesiredContainer[]): void {
    const { alerts } = this.opts;
    const rule = this.rule();
    const seen = new Set<string>();
    for (const d of decisions) {
      const name = d.container.name;
      const v = d.verdict;
      const down = v.kind === 'heal' || v.kind === 'backoff' || v.kind === 'gave-up' || v.kind === 'not-healed';
      const downKey = `down:${name}`;
      const loopKey = `crashloop:${name}`;
      seen.add(downKey).add(loopKey);
      alerts.evaluate(downKey, rule, down, (kind, since) => {
        if (kind === 'resolved') {
          const took = since !== null ? ` after ${((Date.now() - since) / 1000).toFixed(1)} s` : '';
          return { severity: 'critical', subject: name, title: `${name} is running again`, text: `${name} runs again${took}.` };
        }
        const what = v.kind === 'heal' ? 'upkeep is starting it again' : v.kind === 'backoff' ? 'upkeep retries with backoff' : v.kind === 'gave-up' ? 'upkeep gave up healing it (crash loop)' : 'heal: never: upkeep does not start it';
        const reason = 'reason' in v ? v.reason : '';
        return { severity: 'critical', subject: name, title: `${name} is down`, text: `${name} should run but does not: ${reason}; ${what}.`, data: { container: name, verdict: v.kind } };
      });
      alerts.evaluate(loopKey, { forMs: 0, repeatMs: rule.repeatMs }, d.memory.gaveUpAt !== null, (kind) =>
        kind === 'resolved'
          ? { severity: 'warning', subject: name, title: `${name} is stable again`, text: `${name} has run without dying for a whole window: upkeep heals it again.` }
          : { severity: 'critical', subject: name, title: `Giving up on ${name}`, text: `giving up on ${this.crashText(d)}${this.lastLogs.get(name) ? `\nlast log lines:\n${this.lastLogs.get(name)}` : ''}` },
      );
    }
    // Alerts of containers no longer desired (forgotten, new snapshot) resolve.
    const desiredNames = new Set(desired.map((d) => d.name));
    for (const key of alerts.activeKeys()) {
      if (seen.has(key) || !(key.startsWith('down:') || key.startsWith('crashloop:'))) continue;
      const name = key.slice(key.indexOf(':') + 1);
      if (desiredNames.has(name)) continue;
      alerts.evaluate(key, rule, false, () => ({ severity: 'info', subject: name, title: `${name} is no longer desired`, text: `${name} left the desired state; its alert is closed.` }));
    }
  }

  private crashText(d: Decision): string {
    const v = d.verdict;
    const own = this.giveUpText.get(d.container.name);
    if (own !== undefined) return own;
    if (v.kind === 'gave-up') return v.reason;
    return `${d.container.name}: ${d.memory.deaths.length} deaths in the crash-loop window; Docker keeps restarting it`;
  }

  /** Fetches the last log lines of containers upkeep just gave up on (before their alert is built). */
  async fetchLogsForGiveUps(decisions: readonly Decision[]): Promise<void> {
    for (const d of decisions) {
      if (d.event?.kind !== 'gave-up' || d.verdict.actual === null) continue;
      this.giveUpText.delete(d.container.name);
      await this.fetchLogs(d.container.name, d.verdict.actual.id);
    }
  }

  private async fetchLogs(name: string, id: string): Promise<void> {
    if (!this.opts.engine.logs) return;
    try {
      this.lastLogs.set(name, (await this.opts.engine.logs(id, 5)).join('\n'));
    } catch {
      /* no logs: the alert goes without them */
    }
  }

  private observe(decisions: readonly Decision[], state: HostState, snapshotId: number | null, began: number, reasons: string[]): void {
    const { metrics, alerts } = this.opts;
    const samples = decisions.map((d) => {
      const a = d.verdict.actual;
      return {
        container: d.container.name,
        service: d.container.compose ? `${d.container.compose.project}/${d.container.compose.service}` : d.container.name,
        desired: d.verdict.kind !== 'operator-stopped',
        running: a !== null && a.state === 'running',
        healthy: a?.health ? a.health.status === 'healthy' : null,
      };
    });
    metrics.observeContainers(samples);
    metrics.setAlertsFiring(alerts.firing());
    metrics.setMaintenance(this.opts.inMaintenance());
    alerts.persist();
    const now = Date.now();
    metrics.reconciled(now, (now - began) / 1000);
    this.status = {
      host: state.host,
      engineUp: true,
      snapshotId,
      lastReconcileAt: new Date(now).toISOString(),
      containers: decisions.map((d) => ({ name: d.container.name, verdict: d.verdict.kind, detail: 'reason' in d.verdict ? d.verdict.reason : null })),
    };
    this.opts.log.debug({ reasons, seconds: (now - began) / 1000 }, 'reconciled');
  }

  private scheduleRetry(decisions: readonly Decision[]): void {
    const waits = decisions.flatMap((d) => ('retryInMs' in d.verdict ? [d.verdict.retryInMs] : []));
    if (waits.length === 0) return;
    const ms = Math.max(50, Math.min(...waits));
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.opts.trigger('retry');
    }, ms);
    this.retryTimer.unref();
  }

  /** The container a configured service name stands for now: a container name, or compose "project/service". */
  containerNameFor(service: string): string {
    const slash = service.indexOf('/');
    if (slash < 0) return service;
    const [project, svc] = [service.slice(0, slash), service.slice(slash + 1)];
    const hit = this.lastContainers.find((c) => c.compose?.project === project && c.compose.service === svc && c.state === 'running')
      ?? this.lastContainers.find((c) => c.compose?.project === project && c.compose.service === svc);
    return hit?.name ?? service;
  }

  stop(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** The durable part of the memory: operator stops and give-ups survive an agent restart. */
  private saveMemory(): void {
    const durable: Record<string, { operatorStoppedAt: number | null; gaveUpAt: number | null; deaths: number[] }> = {};
    for (const [name, m] of this.memory) {
      if (m.operatorStoppedAt !== null || m.gaveUpAt !== null || m.deaths.length > 0) durable[name] = { operatorStoppedAt: m.operatorStoppedAt, gaveUpAt: m.gaveUpAt, deaths: m.deaths };
    }
    const json = JSON.stringify(durable);
    if (json === this.savedMemory) return;
    this.opts.store.setAgentState(MEMORY_KEY, durable);
    this.savedMemory = json;
  }

  private loadMemory(): void {
    const saved = this.opts.store.getAgentState(MEMORY_KEY);
    if (saved === null || typeof saved !== 'object') return;
    for (const [name, v] of Object.entries(saved as Record<string, Partial<ContainerMemory>>)) {
      this.memory.set(name, {
        ...FRESH,
        operatorStoppedAt: typeof v.operatorStoppedAt === 'number' ? v.operatorStoppedAt : null,
        gaveUpAt: typeof v.gaveUpAt === 'number' ? v.gaveUpAt : null,
        deaths: Array.isArray(v.deaths) ? v.deaths.filter((t): t is number => typeof t === 'number') : [],
        // Seen down already: a restart of the agent is not a new death.
        downSince: typeof v.operatorStoppedAt === 'number' || typeof v.gaveUpAt === 'number' ? Date.now() : null,
      });
    }
    this.savedMemory = JSON.stringify(saved);
  }
}
