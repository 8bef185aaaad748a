/**
 * The retry schedule for a failed start (a port still held, a mount not there yet: what Docker
 * never retries at boot). Exponential with a cap, and jitter from an injected random function so
 * that tests are exact and parallel retries do not hit the engine in lockstep.
 */

export interface BackoffOptions {
  /** Delay before the 2nd attempt, in ms. */
  initialMs: number;
  /** Growth per attempt (2 doubles it). */
  factor: number;
  /** No delay is longer than this, in ms. */
  maxMs: number;
  /**
   * Fraction of each delay that is random, 0..1: the delay is d * (1 - jitter * random()), so it
   * lies in [d * (1 - jitter), d]. 0 = no jitter.
   */
  jitter: number;
  /** Attempts in all, including the first. */
  maxAttempts: number;
}

/** 6 attempts over about 15 s: 0.5, 1, 2, 4, 8 s (less up to 20 % jitter). */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = { initialMs: 500, factor: 2, maxMs: 10_000, jitter: 0.2, maxAttempts: 6 };

/**
 * The delay before attempt `attempt` (2 = the first retry), or null when no attempt is left.
 * `random` returns values in [0, 1), like Math.random.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number): number | null {
  if (!Number.isInteger(attempt) || attempt < 2 || attempt > opts.maxAttempts) return null;
  const exponential = opts.initialMs * Math.pow(opts.factor, attempt - 2);
  const capped = Math.min(opts.maxMs, exponential);
  const jitter = Math.min(1, Math.max(0, opts.jitter));
  const r = Math.min(1, Math.max(0, random()));
  return Math.max(0, Math.round(capped * (1 - jitter * r)));
}

/** Every delay of the schedule, in order: the waits before attempts 2..maxAttempts. */
export function retrySchedule(opts: BackoffOptions, random: () => number): number[] {
  const out: number[] = [];
  for (let attempt = 2; attempt <= opts.maxAttempts; attempt++) out.push(backoffDelay(attempt, opts, random) as number);
  return out;
}

/**
 * The plain doubling schedule of the agent's retries (heal backoff, alert outbox, event stream
 * reconnects, reconcile retries): the wait after the `failures`-th failure in a row (1 = the first
 * failure) is `initialMs * 2^(failures - 1)`, capped at `maxMs`; no jitter. The one definition.
 */
export function doublingDelay(failures: number, opts: { initialMs: number; maxMs: number }): number {
  const n = Math.min(Math.max(0, Math.floor(failures) - 1), 30);
  return Math.min(opts.maxMs, opts.initialMs * 2 ** n);
}
