/**
 * The recovery executor: waits for the engine, optionally lets Docker's own restarts happen
 * (grace period), re-reads the whole host, plans (planRecovery) and applies the plan: actions run
 * as soon as what they wait for is ready, with bounded parallelism; a failed start is retried with
 * backoff; each container's outcome and time are recorded; at the end the host is read again and
 * whatever desired container still does not run is reported.
 *
 * Level-based and idempotent (controller-runtime's reconcile): every attempt first looks at the
 * container as it is now (already running? exists? removed?) and does only what is missing, so a
 * second run with nothing to do does nothing. Side effects come in through RecoveryEffects, so
 * this file stays pure of I/O: the CLI passes the real engine, tests pass an in-memory fake.
 */
import { DockerUnavailableError, UpkeepError } from '../errors.js';
import type { ContainerFacts } from '../model.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import type { CreateConfig, DesiredContainer, ForgottenEntry, HostIdentity, IntendedStop, NetworkAttachment } from './desired-state.js';
import { diffDesired, type DiffEntry } from './diff.js';
import { matchActual } from './match.js';
import { assertSameHost, composeUpCommand, planRecovery, type ComposeUpCommand, type RecoveryAction, type RecoveryPlan, type WaitFor } from './plan.js';
import { blockedRetryDelay, describeBlocker, describeCleared, startBlocker, whoStarts, type StartBlocker } from './start-conditions.js';

/** What POST /containers/create needs, plus the networks to connect before the start. */
/** A failure that retrying cannot fix (a refused command line, say): the action fails at once. */
export class PermanentRecoveryError extends Error {}

export interface CreateRequest {
  name: string;
  config: CreateConfig;
  extraNetworks: NetworkAttachment[];
}

/** Every side effect the executor has; the real one talks to the Engine API and runs compose. */
export interface RecoveryEffects {
  /** The engine's identity (GET /info); rejects while the engine does not answer. Also the liveness probe. */
  engineIdentity(): Promise<HostIdentity>;
  /** Every container, running or not. */
  listContainers(): Promise<ContainerFacts[]>;
  /** One container by id or name; null when there is no such container. */
  inspect(idOrName: string): Promise<ContainerFacts | null>;
  /** Starts an existing container (already running is not an error). */
  start(id: string): Promise<void>;
  /** Creates the container (name, config, extra networks) and starts it; rejects if either step fails. */
  createAndStart(req: CreateRequest): Promise<{ id: string }>;
  /** Runs `docker compose` (or `docker-compose`) with `cmd.args` in `cmd.workingDir`. */
  composeUp(cmd: ComposeUpCommand): Promise<void>;
  /** Resolves after `ms`; rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Optional: resolves when an Engine API event names the container (id or name), or after `ms`.
   * The agent passes its event stream; without it the executor polls every `pollMs`.
   */
  containerEvent?(idOrName: string, ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Optional: resolves as soon as `blocker` has cleared (the path exists, the port is free), or
   * after `ms` at the latest. Without it the executor sleeps `ms` (the fallback schedule).
   */
  blockerCleared?(blocker: StartBlocker, ms: number, signal?: AbortSignal): Promise<void>;
}

/** One line of progress, for the CLI to print as it happens. */
export type RecoveryProgress =
  | { type: 'engine-waiting'; seconds: number; error: string }
  | { type: 'engine-ready'; seconds: number; host: HostIdentity }
  | { type: 'grace'; seconds: number }
  | { type: 'planned'; plan: RecoveryPlan }
  | { type: 'waiting'; container: string; dependency: string; until: WaitFor['until'] }
  | { type: 'attempt'; container: string; action: RecoveryAction['action']; attempt: number }
  | { type: 'retry'; container: string; attempt: number; delayMs: number; error: string }
  /** A blocked start's wait ended early: the watch saw the blocker clear (not the fallback bound). */
  | { type: 'unblocked'; container: string; cleared: string; waitedMs: number; ofMs: number }
  | { type: 'ready'; container: string; seconds: number }
  | { type: 'done'; outcome: ActionOutcome };

/** How executeRecovery behaves; every field has a default. */
export interface RecoverOptions {
  /** The host the desired state was taken on; a different engine ID is refused (ForeignSnapshotError). */
  snapshotHost?: HostIdentity;
  allowOtherHost?: boolean;
  forgotten?: readonly ForgottenEntry[];
  /** Stopped on purpose by the operator (DesiredState.operatorStopped): listed as left alone. */
  operatorStopped?: readonly IntendedStop[];
  /** How long to wait for the engine to answer at all. Default 60 s. */
  engineWaitMs?: number;
  /** Wait this long after the engine answers, for Docker's own restarts, before planning. Default 0. */
  graceMs?: number;
  /**
   * Instead of one grace period for all: a container Docker is about to start itself (whoStarts in
   * start-conditions.ts) is waited for at most this long, watching its events, before upkeep starts
   * it; every other container is started at once. Default 0 (nobody is waited for).
   */
  dockerGraceMs?: number;
  /**
   * A start that fails on a blocker (a missing bind-mount source, a port taken: startBlocker) is
   * retried as soon as the blocker clears (effects.blockerCleared), at the latest on the short
   * fallback schedule (BLOCKED_FALLBACK), for at most this long in all, without using up the
   * backoff's attempts. Default 0: such failures follow the backoff like any other.
   */
  blockedWaitMs?: number;
  /** At most this many starts / creates / compose runs at once. Default 8. */
  concurrency?: number;
  backoff?: BackoffOptions;
  /** How long a dependant waits for a dependency to be ready. Default 120 s. */
  readyTimeoutMs?: number;
  /** "Ready" without a healthcheck: running this long without restarting. Default 10 s. */
  runningForMs?: number;
  /**
   * Every container as the caller has just read it (the agent's reconcile read): planned from
   * instead of reading them again. Used only without a grace period (after one, they are stale).
   */
  current?: readonly ContainerFacts[];
  /** Poll interval while waiting for readiness or the engine. Default 500 ms. */
  pollMs?: number;
  /** Also wait for every started container to be ready (for the report), not only dependencies. */
  waitReadyAll?: boolean;
  /** Asked with the plan before anything changes; false = nothing is done (`declined`). */
  confirm?: (plan: RecoveryPlan) => Promise<boolean>;
  /** Jitter source for the backoff. Default Math.random. */
  random?: () => number;
  /** Aborting stops new attempts; what has not run is reported as skipped ("interrupted"). */
  signal?: AbortSignal;
  onProgress?: (event: RecoveryProgress) => void;
}

/** What happened to one action. Times in seconds, to 0.1 s. */
export interface ActionOutcome {
  action: RecoveryAction['action'];
  container: string;
  outcome: 'started' | 'recreated' | 'failed' | 'skipped';
  attempts: number;
  /** From the first attempt to running (0 when skipped). */
  seconds: number;
  /** Why it failed, or why it was skipped. */
  error?: string;
  /** The container's id afterwards. */
  id?: string;
  /** Time spent waiting for its dependencies before the first attempt. */
  waitedSeconds?: number;
  /** When it was waited for (by a dependant, or waitReadyAll): seconds from running to ready. */
  readyAfterSeconds?: number;
  /** When it was waited for and never became ready. */
  notReady?: string;
  /** Something worth saying that is not an error (e.g. "already running: Docker started it meanwhile"). */
  note?: string;
}

/** The result of a recovery run; `upkeep recover --json` prints it (see docs/recovery.md). */
export interface RecoveryResult {
  plan: RecoveryPlan;
  /** One per plan action, in plan order. */
  outcomes: ActionOutcome[];
  /** Desired containers that still do not run, read from the engine after the run. */
  remaining: DiffEntry[];
  /** The plan had no action: nothing was done. */
  nothingToDo: boolean;
  /** `confirm` said no: nothing was done. */
  declined: boolean;
  engineWaitSeconds: number;
  graceSeconds: number;
  seconds: number;
}

const DEFAULTS = {
  engineWaitMs: 60_000,
  graceMs: 0,
  dockerGraceMs: 0,
  blockedWaitMs: 0,
  concurrency: 8,
  readyTimeoutMs: 120_000,
  runningForMs: 10_000,
  pollMs: 500,
};

function seconds(ms: number): number {
  return Math.round(Math.max(0, ms) / 100) / 10;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class Interrupted extends Error {}

/** A counting semaphore: at most `limit` holders at once. */
class Slots {
  private free: number;
  private readonly queue: Array<() => void> = [];
  constructor(limit: number) {
    this.free = Math.max(1, Math.floor(limit));
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.free++;
    }
  }
}

type Readiness = { ok: true; seconds: number } | { ok: false; detail: string };

/**
 * Brings the desired containers back (see the file comment). Throws DockerUnavailableError when
 * the engine does not answer within engineWaitMs, ForeignSnapshotError for another host's
 * desired state; in both cases nothing has changed. Every other failure is per container, in
 * the outcomes.
 */
export async function executeRecovery(desired: readonly DesiredContainer[], effects: RecoveryEffects, options: RecoverOptions = {}): Promise<RecoveryResult> {
  const opts = { ...DEFAULTS, ...stripUndefined(options) };
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const random = options.random ?? Math.random;
  const signal = options.signal;
  const emit = (e: RecoveryProgress): void => {
    try {
      options.onProgress?.(e);
    } catch {
      /* a broken progress printer must not stop a recovery */
    }
  };
  const began = effects.now();

  // 1. The engine.
  const engineHost = await waitForEngine(effects, opts.engineWaitMs, opts.pollMs, emit, signal);
  const engineWaitSeconds = seconds(effects.now() - began);
  emit({ type: 'engine-ready', seconds: engineWaitSeconds, host: engineHost });
  if (options.snapshotHost) assertSameHost(options.snapshotHost, engineHost, options.allowOtherHost);

  // 2. Docker's own restarts first.
  let graceSeconds = 0;
  if (opts.graceMs > 0) {
    emit({ type: 'grace', seconds: seconds(opts.graceMs) });
    const g = effects.now();
    try {
      await effects.sleep(opts.graceMs, signal);
    } catch {
      throw new UpkeepError('interrupted during the grace period: nothing was changed');
    }
    graceSeconds = seconds(effects.now() - g);
  }

  // 3. Read everything, plan.
  const planOptions = { forgotten: options.forgotten ?? [], operatorStopped: options.operatorStopped ?? [] };
  const before = options.current !== undefined && opts.graceMs <= 0 ? [...options.current] : await effects.listContainers();
  const plan = planRecovery(desired, before, planOptions);
  emit({ type: 'planned', plan });
  const finish = (outcomes: ActionOutcome[], remaining: DiffEntry[], flags: { nothingToDo: boolean; declined: boolean }): RecoveryResult => ({
    plan,
    outcomes,
    remaining,
    ...flags,
    engineWaitSeconds,
    graceSeconds,
    seconds: seconds(effects.now() - began),
  });
  if (plan.actions.length === 0) {
    return finish([], diffDesired(desired, before, planOptions).notRunning, { nothingToDo: true, declined: false });
  }
  if (options.confirm && !(await options.confirm(plan))) {
    return finish([], diffDesired(desired, before, planOptions).notRunning, { nothingToDo: false, declined: true });
  }

  // 4. Apply.
  const run = new Run(plan, desired, before, effects, { ...opts, backoff, random, signal, emit });
  const outcomes = await run.all();

  // 5. The end state, read again.
  const after = await effects.listContainers();
  return finish(outcomes, diffDesired(desired, after, planOptions).notRunning, { nothingToDo: false, declined: false });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

async function waitForEngine(
  effects: RecoveryEffects,
  waitMs: number,
  pollMs: number,
  emit: (e: RecoveryProgress) => void,
  signal: AbortSignal | undefined,
): Promise<HostIdentity> {
  const start = effects.now();
  const deadline = start + waitMs;
  let lastError = '';
  for (;;) {
    const left = deadline - effects.now();
    try {
      return await withTimeout(effects, effects.engineIdentity(), Math.max(left, pollMs), 'no answer');
    } catch (err) {
      lastError = message(err);
    }
    if (signal?.aborted) throw new DockerUnavailableError(`interrupted while waiting for the Docker engine (${lastError})`);
    if (effects.now() >= deadline) {
      throw new DockerUnavailableError(`the Docker engine did not answer within ${seconds(waitMs)} s: ${lastError}`, {
        hint: 'nothing was changed; check `systemctl status docker` and `journalctl -u docker`, then run recover again',
      });
    }
    emit({ type: 'engine-waiting', seconds: seconds(effects.now() - start), error: lastError });
    await effects.sleep(Math.min(Math.max(pollMs, 1000), Math.max(0, deadline - effects.now())), signal).catch(() => undefined);
  }
}

/** Races `p` against a timer made of effects.sleep (so fake clocks work), cancelling the timer. */
async function withTimeout<T>(effects: RecoveryEffects, p: Promise<T>, ms: number, what: string): Promise<T> {
  const timer = new AbortController();
  const timeout = effects.sleep(ms, timer.signal).then(
    () => {
      throw new Error(what);
    },
    () => new Promise<never>(() => undefined),
  );
  try {
    return await Promise.race([p, timeout]);
  } finally {
    timer.abort();
  }
}

interface RunOptions {
  concurrency: number;
  dockerGraceMs: number;
  blockedWaitMs: number;
  readyTimeoutMs: number;
  runningForMs: number;
  pollMs: number;
  waitReadyAll?: boolean;
  backoff: BackoffOptions;
  random: () => number;
  signal: AbortSignal | undefined;
  emit: (e: RecoveryProgress) => void;
}

/** One application of a plan. */
class Run {
  private readonly slots: Slots;
  private readonly desiredByName: Map<string, DesiredContainer>;
  private readonly done = new Map<string, Promise<ActionOutcome>>();
  private readonly outcomeOf = new Map<string, ActionOutcome>();
  /** The id each desired container has now, as far as this run knows. */
  private readonly currentId = new Map<string, string>();
  private readonly readiness = new Map<string, Promise<Readiness>>();
  private readonly composeRuns = new Map<string, Promise<void>>();
  /** The containers as read for the plan, by id. */
  private readonly beforeById: Map<string, ContainerFacts>;

  constructor(
    private readonly plan: RecoveryPlan,
    desired: readonly DesiredContainer[],
    before: readonly ContainerFacts[],
    private readonly effects: RecoveryEffects,
    private readonly opts: RunOptions,
  ) {
    this.slots = new Slots(opts.concurrency);
    this.desiredByName = new Map(desired.map((d) => [d.name, d]));
    this.beforeById = new Map(before.map((c) => [c.id, c]));
    for (const l of plan.leave) if (l.id !== null) this.currentId.set(l.container, l.id);
    for (const a of plan.actions) if (a.action === 'start') this.currentId.set(a.container, a.id);
  }

  async all(): Promise<ActionOutcome[]> {
    for (const a of this.plan.actions) this.done.set(a.container, this.perform(a));
    const outcomes = await Promise.all(this.plan.actions.map((a) => this.done.get(a.container) as Promise<ActionOutcome>));
    // Readiness waits started for the report may still be running: let them settle into the outcomes.
    await Promise.all([...this.readiness.values()]);
    return outcomes;
  }

  private async perform(action: RecoveryAction): Promise<ActionOutcome> {
    const base = { action: action.action, container: action.container };
    const skipped = (error: string, waitedMs = 0): ActionOutcome => {
      const o: ActionOutcome = { ...base, outcome: 'skipped', attempts: 0, seconds: 0, error };
      if (seconds(waitedMs) > 0) o.waitedSeconds = seconds(waitedMs);
      return o;
    };
    const waitStart = this.effects.now();
    const waitedForDocker = action.action === 'start' && this.opts.dockerGraceMs > 0 && (await this.letDockerStart(action.id));
    const blocker = await this.waitForDependencies(action);
    const waited = this.effects.now() - waitStart;
    let outcome: ActionOutcome;
    if (blocker !== null) outcome = skipped(blocker, waited);
    else if (this.opts.signal?.aborted) outcome = skipped('interrupted');
    else outcome = await this.attemptWithRetries(action, waited, waitedForDocker);
    this.outcomeOf.set(action.container, outcome);
    this.opts.emit({ type: 'done', outcome });
    if (this.opts.waitReadyAll && (outcome.outcome === 'started' || outcome.outcome === 'recreated')) {
      const d = this.desiredByName.get(action.container);
      void this.ready(action.container, d?.healthcheck ? 'healthy' : 'running');
    }
    return outcome;
  }

  /**
   * A container Docker is about to start itself (whoStarts): wait until it runs, its start by
   * Docker failed (State.Error), or dockerGraceMs passed, looking again at each of its events (or
   * every pollMs without an event source). Any other container: return false at once.
   */
  private async letDockerStart(id: string): Promise<boolean> {
    const facts = this.beforeById.get(id);
    if (facts === undefined || whoStarts(facts).by !== 'docker') return false;
    const end = this.effects.now() + this.opts.dockerGraceMs;
    for (;;) {
      if (this.opts.signal?.aborted) return true;
      const c = await this.effects.inspect(id).catch(() => null);
      if (c === null || c.state === 'running' || whoStarts(c).by !== 'docker') return true;
      const left = end - this.effects.now();
      if (left <= 0) return true;
      // Bounded even with events: one that came between the inspect and the subscription is not missed for long.
      const wait = this.effects.containerEvent
        ? this.effects.containerEvent(id, Math.min(left, 1_000), this.opts.signal)
        : this.effects.sleep(Math.min(left, this.opts.pollMs), this.opts.signal);
      await wait.catch(() => undefined);
    }
  }

  /** Null when every dependency is ready; else why the dependant is not started. */
  private async waitForDependencies(action: RecoveryAction): Promise<string | null> {
    const results = await Promise.all(
      action.waitFor.map(async (w): Promise<string | null> => {
        const dependencyAction = this.done.get(w.container);
        if (dependencyAction !== undefined) {
          const o = await dependencyAction;
          if (o.outcome === 'failed' || o.outcome === 'skipped') {
            return `not started: dependency ${w.container} was not started (${o.error ?? o.outcome})`;
          }
        }
        this.opts.emit({ type: 'waiting', container: action.container, dependency: w.container, until: w.until });
        const r = await this.ready(w.container, w.until);
        if (r.ok) return null;
        return `not started: dependency ${w.container} ${r.detail}`;
      }),
    );
    return results.find((r) => r !== null) ?? null;
  }

  /** `lookFirst`: the container may have changed since the plan (Docker was waited for): the first attempt looks again. */
  private async attemptWithRetries(action: RecoveryAction, waitedMs: number, lookFirst = false): Promise<ActionOutcome> {
    const d = this.desiredByName.get(action.container) as DesiredContainer;
    const first = this.effects.now();
    const state = { recreated: false };
    let lastError = '';
    let permanent = false;
    /** Failures that count toward the backoff (not those waiting on a blocker). */
    let counted = 0;
    let blockedSince: number | null = null;
    let blockedFailures = 0;
    let woken = false;
    for (let attempt = 1; ; attempt++) {
      this.opts.emit({ type: 'attempt', container: action.container, action: action.action, attempt });
      try {
        const r = await this.slots.run(() =>
          attempt === 1 && action.action === 'start' && !lookFirst ? this.firstStart(action.id) : this.attemptOnce(action, d, state),
        );
        this.currentId.set(d.name, r.id);
        const o: ActionOutcome = {
          action: action.action,
          container: action.container,
          outcome: state.recreated ? 'recreated' : 'started',
          attempts: attempt,
          seconds: seconds(this.effects.now() - first),
          id: r.id,
        };
        if (seconds(waitedMs) > 0) o.waitedSeconds = seconds(waitedMs);
        if (r.note !== undefined) o.note = r.note;
        return o;
      } catch (err) {
        lastError = err instanceof Interrupted ? 'interrupted' : message(err);
        if (err instanceof PermanentRecoveryError) permanent = true;
      }
      const blocker = permanent || this.opts.blockedWaitMs <= 0 ? null : startBlocker(lastError);
      if (blocker !== null && !this.opts.signal?.aborted) {
        const now = this.effects.now();
        blockedSince ??= now;
        const left = blockedSince + this.opts.blockedWaitMs - now;
        if (left > 0) {
          // Retried when the blocker clears; the fallback schedule bounds a watch that misses it.
          const ms = Math.min(left, blockedRetryDelay(++blockedFailures));
          this.opts.emit({
            type: 'retry',
            container: action.container,
            attempt: attempt + 1,
            delayMs: ms,
            error: `${lastError} (waiting for ${describeBlocker(blocker)})`,
          });
          // After a wake that did not help (the start failed on a blocker again), one plain fallback
          // wait: a watch that says "clear" while the start still fails must not make a busy loop.
          const watching: boolean = this.effects.blockerCleared !== undefined && !woken;
          const t = this.effects.now();
          const cleared = watching ? this.effects.blockerCleared!(blocker, ms, this.opts.signal) : this.effects.sleep(ms, this.opts.signal);
          await cleared.catch(() => undefined);
          const waited = this.effects.now() - t;
          woken = watching && waited < ms;
          if (woken && !this.opts.signal?.aborted)
            this.opts.emit({ type: 'unblocked', container: action.container, cleared: describeCleared(blocker), waitedMs: waited, ofMs: ms });
          continue;
        }
      }
      counted++;
      const delay = this.opts.signal?.aborted || permanent ? null : backoffDelay(counted + 1, this.opts.backoff, this.opts.random);
      if (delay === null) {
        const o: ActionOutcome = {
          action: action.action,
          container: action.container,
          outcome: 'failed',
          attempts: attempt,
          seconds: seconds(this.effects.now() - first),
          error: lastError,
        };
        if (seconds(waitedMs) > 0) o.waitedSeconds = seconds(waitedMs);
        return o;
      }
      this.opts.emit({ type: 'retry', container: action.container, attempt: attempt + 1, delayMs: delay, error: lastError });
      try {
        await this.effects.sleep(delay, this.opts.signal);
      } catch {
        /* aborted: the next round reports it */
      }
    }
  }

  /**
   * The first attempt of a planned start trusts the plan, which has just read the container: start
   * it by id and check it runs (two engine calls). If it was removed or changed meanwhile, this
   * fails and the next attempt, level-based, looks again.
   */
  private async firstStart(id: string): Promise<{ id: string; note?: string }> {
    if (this.opts.signal?.aborted) throw new Interrupted();
    await this.effects.start(id);
    const c = await this.effects.inspect(id);
    if (c === null) throw new Error('it disappeared right after the start');
    if (c.state === 'running' || c.state === 'restarting') return { id };
    const how = c.state === 'exited' ? `exited (${c.exitCode ?? '?'})` : c.state;
    throw new Error(`it stopped right after the start: ${how}`);
  }

  /**
   * One level-based attempt: look at the container as it is now and do what is missing.
   * Resolves with its id once it runs; rejects with a reason otherwise.
   */
  private async attemptOnce(action: RecoveryAction, d: DesiredContainer, state: { recreated: boolean }): Promise<{ id: string; note?: string }> {
    if (this.opts.signal?.aborted) throw new Interrupted();
    let current = await this.locate(d);
    if (current !== null && (current.state === 'running' || current.state === 'restarting')) {
      return state.recreated || action.action !== 'start' ? { id: current.id } : { id: current.id, note: 'already running: Docker started it meanwhile' };
    }
    if (current !== null && (current.state === 'paused' || current.state === 'dead' || current.state === 'removing')) {
      throw new Error(`it is ${current.state} now (${current.name})`);
    }
    if (current === null) {
      const compose = action.action === 'recreate-compose' ? action.compose : composeUpCommand(d);
      // Set before the call: a create that succeeds and a start that fails still re-created it.
      state.recreated = true;
      if (compose !== null) {
        await this.composeUp(compose);
      } else {
        const { id } = await this.effects.createAndStart({ name: d.name, config: d.createConfig, extraNetworks: d.extraNetworks });
        this.currentId.set(d.name, id);
      }
      current = await this.locate(d);
      if (current === null)
        throw new Error(compose !== null ? `compose ran but no container for service ${compose.service} appeared` : 'created, but it is gone again');
    } else {
      await this.effects.start(current.id);
      current = (await this.effects.inspect(current.id)) ?? current;
    }
    if (current.state === 'running' || current.state === 'restarting') return { id: current.id };
    const how = current.state === 'exited' ? `exited (${current.exitCode ?? '?'})` : current.state;
    throw new Error(`it stopped right after the start: ${how}`);
  }

  /** The container standing for `d` now: by the id this run knows, then by name, then by compose identity. */
  private async locate(d: DesiredContainer): Promise<ContainerFacts | null> {
    const known = this.currentId.get(d.name);
    if (known !== undefined) {
      const c = await this.effects.inspect(known);
      if (c !== null) return c;
    }
    const byName = await this.effects.inspect(d.name);
    if (byName !== null && byName.name === d.name) return byName;
    if (d.compose === null) return null;
    const all = await this.effects.listContainers();
    return matchActual([d], all).get(d.name)?.actual ?? null;
  }

  /** One compose run per project/service at a time: replicas of one service share it. */
  private composeUp(cmd: ComposeUpCommand): Promise<void> {
    const key = `${cmd.project}\u0000${cmd.service}`;
    let p = this.composeRuns.get(key);
    if (p === undefined) {
      p = this.effects.composeUp(cmd).finally(() => this.composeRuns.delete(key));
      this.composeRuns.set(key, p);
    }
    return p;
  }

  /** Waits (once per container; shared by every dependant) until `name` is ready. */
  private ready(name: string, until: WaitFor['until']): Promise<Readiness> {
    const key = `${name}\u0000${until}`;
    let p = this.readiness.get(key);
    if (p === undefined) {
      p = this.pollReady(name, until).then((r) => {
        const o = this.outcomeOf.get(name);
        if (o !== undefined) {
          if (r.ok) o.readyAfterSeconds = r.seconds;
          else o.notReady = r.detail;
        }
        if (r.ok) this.opts.emit({ type: 'ready', container: name, seconds: r.seconds });
        return r;
      });
      this.readiness.set(key, p);
    }
    return p;
  }

  private async pollReady(name: string, until: WaitFor['until']): Promise<Readiness> {
    const start = this.effects.now();
    const deadline = start + this.opts.readyTimeoutMs;
    const d = this.desiredByName.get(name);
    let firstSeen: { startedAt: string | null; at: number } | null = null;
    let last = 'not found';
    for (;;) {
      if (this.opts.signal?.aborted) return { ok: false, detail: 'was not waited for: interrupted' };
      let c: ContainerFacts | null = null;
      try {
        c = d !== undefined ? await this.locate(d) : await this.effects.inspect(this.currentId.get(name) ?? name);
      } catch (err) {
        last = `could not be inspected: ${message(err)}`;
      }
      const now = this.effects.now();
      if (c === null) {
        if (last === 'not found' || !last.startsWith('could not')) last = 'does not exist';
      } else if (c.state === 'running') {
        if (until === 'healthy' && c.health !== null) {
          last = `is ${c.health.status}`;
          if (c.health.status === 'healthy') return { ok: true, seconds: seconds(now - start) };
        } else {
          if (firstSeen === null || firstSeen.startedAt !== c.startedAt) firstSeen = { startedAt: c.startedAt, at: now };
          const started = c.startedAt !== null ? Date.parse(c.startedAt) : Number.NaN;
          const upFor = Number.isFinite(started) && started <= now ? now - started : now - firstSeen.at;
          last = `has been running for ${seconds(upFor)} s`;
          if (upFor >= this.opts.runningForMs || now - firstSeen.at >= this.opts.runningForMs) return { ok: true, seconds: seconds(now - start) };
        }
      } else {
        last = c.state === 'exited' ? `exited (${c.exitCode ?? '?'})` : `is ${c.state}`;
        const willBeRestarted =
          c.state === 'restarting' || (c.state === 'exited' && c.restartPolicy.name !== 'no' && !(c.restartPolicy.name === 'on-failure' && c.exitCode === 0));
        if (!willBeRestarted && c.state !== 'created') return { ok: false, detail: `${last} and nothing restarts it` };
      }
      if (now >= deadline) {
        const what = until === 'healthy' ? 'did not become healthy' : `did not keep running for ${seconds(this.opts.runningForMs)} s`;
        return { ok: false, detail: `${what} within ${seconds(this.opts.readyTimeoutMs)} s (last: ${last})` };
      }
      try {
        await this.effects.sleep(Math.min(this.opts.pollMs, Math.max(1, deadline - now)), this.opts.signal);
      } catch {
        /* aborted: checked at the top */
      }
    }
  }
}
