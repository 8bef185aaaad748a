/**
 * What the agent should do about each desired container, decided from one full read of the
 * engine (level-based: the same input always gives the same answer, whatever events came before).
 *
 * The question Docker's `unless-stopped` gets wrong is intent: did the operator stop this
 * container, or did it stop because the daemon went down? upkeep's answer:
 *
 * - An OPERATOR STOP is a stop through the API while the daemon kept running and upkeep watched:
 *   the daemon flagged it (`HasBeenManuallyStopped`, which `docker stop/kill` set) AND it finished
 *   after upkeep's current event stream connected. Such a container stops being desired (unless
 *   its heal mode is `always`) until somebody starts it again.
 * - The daemon does not set the flag when it stops containers at its own shutdown; after a daemon
 *   CRASH the next daemon kills the orphans at its start and does set the flag (docs/restart-semantics.md), but that
 *   happens before upkeep's stream to the new daemon connects, so the finish time tells them apart.
 * - Where the flags cannot be read (config.v2.json is root-only), a `stop`/`kill` event upkeep saw
 *   for the container while connected stands in for the flag.
 *
 * A CRASH LOOP is `crashLoopRestarts` deaths (not operator stops) within `crashLoopWindowMs`: the
 * agent stops healing that container and alerts instead, until it has run for a whole window.
 *
 * Pure: the caller passes the clock, the facts and the memory, and applies the result.
 */
import type { HealMode } from '../config/types.js';
import type { ContainerFacts } from '../model.js';
import type { DesiredContainer } from '../recovery/desired-state.js';
import { doublingDelay } from '../recovery/backoff.js';
import { blockedRetryDelay, describeBlocker, type StartBlocker } from '../recovery/start-conditions.js';
import { matchActual } from '../recovery/match.js';
import { dockerRestartsAfterExit } from '../restart-semantics.js';

/** The agent's memory about one container (by desired name); the durable part is persisted by the caller. */
export interface ContainerMemory {
  /**
   * Set when upkeep judged a stop to be the operator's in this round (the caller records it in the
   * intent store, which is the lasting answer: reconcile-step.ts clears this before every round).
   */
  operatorStoppedAt: number | null;
  /** Deaths that were not operator stops, ms since epoch, within the crash-loop window. */
  deaths: number[];
  /** Set when healing stopped because of a crash loop. */
  gaveUpAt: number | null;
  /** Why, when decide's own text does not say it (restarts for failed checks). */
  gaveUpReason?: string | null;
  /** When upkeep first saw it down this time (null while it runs). */
  downSince: number | null;
  /** Last time upkeep started it. */
  lastHealAt: number | null;
  /** Heal attempts in a row that did not leave it running (for backoff). */
  healFailures: number;
  /**
   * What the last failed heal was blocked on (a missing mount source, a taken port), or null/absent.
   * The controller watches it and looks again when it clears; until then the retries follow the
   * short fallback (BLOCKED_RETRIES of BLOCKED_FALLBACK), then the heal schedule.
   */
  blockedBy?: StartBlocker | null;
  /** Docker's RestartCount last seen, per container id: a rise means deaths Docker itself restarted. */
  restartCountSeen: { id: string; count: number } | null;
}

export const FRESH: ContainerMemory = {
  operatorStoppedAt: null,
  deaths: [],
  gaveUpAt: null,
  downSince: null,
  lastHealAt: null,
  healFailures: 0,
  restartCountSeen: null,
};

export interface DecideOptions {
  now: number;
  /** When the agent's current event stream to this daemon was established; null: not connected. */
  connectedSince: number | null;
  healModeOf: (d: DesiredContainer) => HealMode;
  crashLoopRestarts: number;
  crashLoopWindowMs: number;
  /** How long to let Docker's own restart policy act before upkeep starts a container itself. */
  dockerGraceMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Containers for which upkeep saw a stop/kill event while connected (stand-in for unreadable flags). */
  stopEventsSeen: ReadonlySet<string>;
}

export type Verdict =
  | { kind: 'running'; actual: ContainerFacts }
  /** Docker is restarting it, or will soon by its own policy: wait. */
  | { kind: 'docker-restarting'; actual: ContainerFacts | null; retryInMs: number }
  /**
   * Stopped by the daemon's own graceful shutdown (engineShutdownStop): a start now would race the
   * shutdown, so upkeep waits for the engine to go (the recovery pass brings it back after).
   */
  | { kind: 'engine-stopping'; actual: ContainerFacts; retryInMs: number }
  | { kind: 'operator-stopped'; actual: ContainerFacts | null; since: number }
  | { kind: 'heal'; actual: ContainerFacts | null; reason: string }
  /** Down, but upkeep must wait before the next attempt (backoff). */
  | { kind: 'backoff'; actual: ContainerFacts | null; reason: string; retryInMs: number }
  | { kind: 'gave-up'; actual: ContainerFacts | null; reason: string }
  | { kind: 'not-healed'; actual: ContainerFacts | null; reason: string };

export interface Decision {
  container: DesiredContainer;
  verdict: Verdict;
  /** The memory to keep for it after this round. */
  memory: ContainerMemory;
  /** Something to record in the timeline (and log), if anything changed. */
  event: DecisionEvent | null;
  /** Every event of this round, oldest first, when there were several (a death that made it give up); else absent. */
  events?: DecisionEvent[];
}

export interface DecisionEvent {
  kind: 'operator-stop' | 'operator-start' | 'died' | 'gave-up' | 'healing-resumed';
  message: string;
}

/** Decides for every desired container. `memory` is read, never changed; new memories are returned. */
export function decide(
  desired: readonly DesiredContainer[],
  actual: readonly ContainerFacts[],
  memory: ReadonlyMap<string, ContainerMemory>,
  opts: DecideOptions,
): Decision[] {
  const matches = matchActual(desired, actual);
  return desired.map((d) => decideOne(d, matches.get(d.name)?.actual ?? null, memory.get(d.name) ?? FRESH, opts));
}

function decideOne(d: DesiredContainer, a: ContainerFacts | null, prev: ContainerMemory, opts: DecideOptions): Decision {
  const { now } = opts;
  const windowStart = now - opts.crashLoopWindowMs;
  let mem: ContainerMemory = { ...prev, deaths: prev.deaths.filter((t) => t > windowStart) };
  const mode = opts.healModeOf(d);

  if (a !== null) {
    // Deaths Docker restarted by itself between two looks (RestartCount rose); a death upkeep
    // already counted because it saw the container down is not counted twice.
    const seen = mem.restartCountSeen;
    if (seen !== null && seen.id === a.id && a.restartCount > seen.count) {
      const extra = a.restartCount - seen.count - (mem.downSince !== null ? 1 : 0);
      if (extra > 0) mem = { ...mem, deaths: [...mem.deaths, ...Array.from({ length: extra }, (_, i) => now - i)] };
    }
    mem = { ...mem, restartCountSeen: { id: a.id, count: a.restartCount } };
  }

  if (a !== null && (a.state === 'running' || a.state === 'paused')) {
    let event: Decision['event'] = null;
    if (mem.operatorStoppedAt !== null) event = { kind: 'operator-start', message: `${d.name} was started again: desired again` };
    // Healing resumes after a whole window of running without dying.
    const stable = a.startedAt !== null && Date.parse(a.startedAt) <= windowStart && mem.deaths.length === 0;
    let gaveUpAt = mem.gaveUpAt;
    let gaveUpReason = mem.gaveUpReason ?? null;
    if (gaveUpAt !== null && stable) {
      gaveUpAt = null;
      gaveUpReason = null;
      event = { kind: 'healing-resumed', message: `${d.name} has run for ${Math.round(opts.crashLoopWindowMs / 1000)} s without dying: healing it again` };
    } else if (gaveUpAt === null && mem.deaths.length >= opts.crashLoopRestarts) {
      // Docker keeps restarting it (its policy): nothing for upkeep to heal, but people must know.
      gaveUpAt = now;
      event = { kind: 'gave-up', message: `${crashLoopText(d, a, mem, opts)}; Docker keeps restarting it` };
    }
    mem = { ...mem, operatorStoppedAt: null, downSince: null, healFailures: 0, blockedBy: null, gaveUpAt, gaveUpReason };
    return { container: d, verdict: { kind: 'running', actual: a }, memory: mem, event };
  }

  if (a !== null && a.state === 'restarting') {
    return {
      container: d,
      verdict: { kind: 'docker-restarting', actual: a, retryInMs: opts.dockerGraceMs },
      memory: { ...mem, downSince: mem.downSince ?? now },
      event: null,
    };
  }

  // Down (exited, created, dead, removing) or missing.
  const finishedAt = a?.finishedAt ? Date.parse(a.finishedAt) : NaN;
  const firstSightOfThisStop = mem.downSince === null;
  let event: Decision['event'] = null;
  if (firstSightOfThisStop) mem = { ...mem, downSince: now };

  if (mem.operatorStoppedAt === null && a !== null && firstSightOfThisStop && isOperatorStop(a, finishedAt, opts)) {
    mem = { ...mem, operatorStoppedAt: finishedAt };
    event = {
      kind: 'operator-stop',
      message: `${d.name} was stopped through the Docker API while the daemon kept running: treated as intended${mode === 'always' ? ' (heal: always keeps it desired)' : '; start it again to make it desired again'}`,
    };
  } else if (firstSightOfThisStop && a !== null && mem.operatorStoppedAt === null && engineShutdownStop(a, finishedAt, opts)) {
    // Not the container's own death: no crash-loop count.
    event = { kind: 'died', message: `${d.name} stopped by the Docker daemon's own shutdown (${describeExit(a)})` };
  } else if (firstSightOfThisStop && a !== null && mem.operatorStoppedAt === null) {
    const died = Number.isFinite(finishedAt) ? finishedAt : now;
    if (!mem.deaths.includes(died)) mem = { ...mem, deaths: [...mem.deaths, died] };
    event = { kind: 'died', message: `${d.name} stopped (${describeExit(a)})` };
  }

  if (mem.operatorStoppedAt !== null && mode !== 'always') {
    return { container: d, verdict: { kind: 'operator-stopped', actual: a, since: mem.operatorStoppedAt }, memory: mem, event };
  }
  if (mode === 'never') {
    return { container: d, verdict: { kind: 'not-healed', actual: a, reason: `heal: never for ${d.name}` }, memory: mem, event };
  }
  if (mem.gaveUpAt !== null) {
    return { container: d, verdict: { kind: 'gave-up', actual: a, reason: mem.gaveUpReason ?? crashLoopText(d, a, mem, opts) }, memory: mem, event };
  }
  if (mem.deaths.length >= opts.crashLoopRestarts) {
    mem = { ...mem, gaveUpAt: now };
    const reason = crashLoopText(d, a, mem, opts);
    const gaveUp: DecisionEvent = { kind: 'gave-up', message: `giving up on ${reason}` };
    return {
      container: d,
      verdict: { kind: 'gave-up', actual: a, reason },
      memory: mem,
      event: gaveUp,
      ...(event !== null ? { events: [event, gaveUp] } : {}),
    };
  }

  const downFor = now - (mem.downSince ?? now);
  if (a !== null && mem.operatorStoppedAt === null && downFor < ENGINE_SHUTDOWN_WAIT_MS && engineShutdownStop(a, finishedAt, opts)) {
    return { container: d, verdict: { kind: 'engine-stopping', actual: a, retryInMs: ENGINE_SHUTDOWN_WAIT_MS - downFor }, memory: mem, event };
  }
  if (a !== null && dockerRestartsAfterExit(a) && downFor < opts.dockerGraceMs) {
    return { container: d, verdict: { kind: 'docker-restarting', actual: a, retryInMs: opts.dockerGraceMs - downFor }, memory: mem, event };
  }
  if (mem.lastHealAt !== null && mem.healFailures > 0) {
    const wait = healRetryDelay(mem.healFailures, mem.blockedBy ?? null, opts);
    const left = mem.lastHealAt + wait - now;
    const reason = mem.blockedBy ? `${describeDown(a)}; waiting for ${describeBlocker(mem.blockedBy)}` : describeDown(a);
    if (left > 0) return { container: d, verdict: { kind: 'backoff', actual: a, reason, retryInMs: left }, memory: mem, event };
  }
  return { container: d, verdict: { kind: 'heal', actual: a, reason: describeDown(a) }, memory: mem, event };
}

/** Blocked heals retried on the short fallback this many times in a row before the heal schedule takes over. */
export const BLOCKED_RETRIES = 8;

/**
 * The wait after the `failures`-th failed heal in a row: a blocked one (a missing mount source, a
 * taken port, watched by the controller) on the short fallback for BLOCKED_RETRIES failures (about
 * 12 s), then, like any other failure, the heal schedule (heal.backoff: one definition, doublingDelay).
 */
export function healRetryDelay(failures: number, blockedBy: StartBlocker | null, opts: Pick<DecideOptions, 'backoffInitialMs' | 'backoffMaxMs'>): number {
  if (blockedBy !== null && failures <= BLOCKED_RETRIES) return blockedRetryDelay(failures);
  return doublingDelay(failures, { initialMs: opts.backoffInitialMs, maxMs: opts.backoffMaxMs });
}

/**
 * How long a container stopped by the daemon's own shutdown is left alone while the engine still
 * answers. The event stream ends within a second or two of the last container's stop at a graceful
 * shutdown; should the daemon stay up after all, upkeep heals it after this.
 */
export const ENGINE_SHUTDOWN_WAIT_MS = 15_000;

/**
 * Stopped by the daemon at its own graceful shutdown: the daemon sent it a signal (a `kill` event
 * upkeep saw while connected) but did not flag a manual stop, which every `docker stop`/`docker kill`
 * does while the daemon is not shutting down (moby daemon/kill.go; docs/restart-semantics.md). A
 * start sent now races the shutdown: it fails, and on a daemon whose containerd stops with it, a
 * start cut off half-way leaves the container's shim directory behind, and every later start of
 * that container fails with "file exists" until the exec root is cleaned (seen on the private engine).
 * Only with readable flags: where they are unreadable the event stands in for the flag (isOperatorStop).
 */
export function engineShutdownStop(a: ContainerFacts, finishedAt: number, opts: Pick<DecideOptions, 'connectedSince' | 'stopEventsSeen'>): boolean {
  if (a.manuallyStopped !== false || opts.connectedSince === null) return false;
  if (!Number.isFinite(finishedAt) || finishedAt < opts.connectedSince) return false;
  return opts.stopEventsSeen.has(a.name);
}

function isOperatorStop(a: ContainerFacts, finishedAt: number, opts: DecideOptions): boolean {
  if (opts.connectedSince === null || !Number.isFinite(finishedAt) || finishedAt < opts.connectedSince) return false;
  if (a.manuallyStopped === true) return true;
  if (a.manuallyStopped === null) return opts.stopEventsSeen.has(a.name);
  return false;
}

export function describeExit(a: ContainerFacts): string {
  if (a.exitCode === null) return a.state;
  const sig =
    a.exitCode > 128 && a.exitCode < 160
      ? ` = signal ${a.exitCode - 128}${a.exitCode === 137 ? ', SIGKILL or out of memory' : a.exitCode === 143 ? ', SIGTERM' : ''}`
      : '';
  return `exited ${a.exitCode}${sig}`;
}

function describeDown(a: ContainerFacts | null): string {
  if (a === null) return 'the container is gone (removed)';
  if (a.state === 'created') return 'created but not started';
  return describeExit(a);
}

function crashLoopText(d: DesiredContainer, a: ContainerFacts | null, mem: ContainerMemory, opts: DecideOptions): string {
  const minutes = opts.crashLoopWindowMs / 60_000;
  const window = minutes >= 1 && Number.isInteger(minutes) ? `${minutes} min` : `${Math.round(opts.crashLoopWindowMs / 1000)} s`;
  return `${d.name}: ${a ? describeExit(a) : 'removed'}, ${mem.deaths.length} times in ${window}`;
}
