/**
 * A level-based work queue (controller-runtime style): triggers only say "something changed";
 * the reconcile function re-reads the whole state. Triggers that arrive while a reconcile runs
 * coalesce into one more run. A failed run is retried with exponential backoff; a periodic
 * resync runs even without triggers, since events can be lost.
 */
import { doublingDelay } from '../core/recovery/backoff.js';
import type { Clock } from '../ports/clock.js';
import { sleepUnlessAborted, Wakeup, type Actor } from './actor.js';
import { systemClock } from './system-clock.js';

export interface ReconcileQueueOptions {
  /** One run; may return in how many ms to run again (backoff, a grace period), else the next trigger or resync runs it. */
  reconcile: (reasons: string[], signal: AbortSignal) => Promise<number | null | void>;
  /** Periodic resync, ms (default 60 s). */
  resyncMs?: number;
  /**
   * A trigger after a quiet spell (no run ended in the last `debounceMs`) runs at once: every ms
   * of waiting there is a ms of detection latency. A trigger soon after a run waits this long
   * first, so that the rest of a burst (the events of one action, a daemon stopping a hundred
   * containers) makes one run; triggers during a run coalesce into one more run anyway
   * (default 10 ms).
   */
  debounceMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  onError?: (err: unknown, attempt: number) => void;
  /**
   * An error retrying cannot fix (no desired state for this engine, a bad config): reported once
   * through onTerminal and not retried; the next trigger or resync runs again as usual.
   */
  isTerminal?: (err: unknown) => boolean;
  onTerminal?: (err: unknown) => void;
  clock?: Clock;
}

export class ReconcileQueue implements Actor {
  readonly name = 'reconciler';
  private pending: string[] = [];
  private readonly wakeup: Wakeup;
  /** Ends a failed run's backoff wait early (trigger with retryNow). */
  private readonly retryWakeup: Wakeup;
  /** A trigger with retryNow came since the current run began (then a failure is retried at once). */
  private retryNowRequested = false;
  private readonly clock: Clock;
  /** Completed runs, for tests and metrics. */
  runs = 0;
  /** Runs that ended (done, failed or terminal): tests wait for this to pass a mark. */
  attempts = 0;
  lastSuccessAt: number | null = null;
  private retryAt: number | null = null;

  constructor(private readonly opts: ReconcileQueueOptions) {
    this.clock = opts.clock ?? systemClock;
    this.wakeup = new Wakeup(this.clock);
    this.retryWakeup = new Wakeup(this.clock);
  }

  /**
   * Asks for a reconcile; cheap and safe to call from any event handler. A failed run's backoff
   * is not cut short by triggers (the events of a daemon shutting down would make a busy loop of
   * failing runs), except with `retryNow`: what made it fail is over (the engine answers again),
   * and waiting out the backoff (up to its max) would only delay the recovery pass.
   */
  trigger(reason: string, opts: { retryNow?: boolean } = {}): void {
    this.pending.push(reason);
    this.wakeup.wake();
    if (opts.retryNow === true) {
      this.retryNowRequested = true;
      this.retryWakeup.wake();
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    const resyncMs = this.opts.resyncMs ?? 60_000;
    const debounceMs = this.opts.debounceMs ?? 10;
    const backoff = this.opts.backoff ?? { initialMs: 500, maxMs: 30_000 };
    let failures = 0;
    let lastEnded = -Infinity;
    this.pending.push('startup');
    while (!signal.aborted) {
      if (this.pending.length === 0) {
        const untilRetry = this.retryAt === null ? Infinity : Math.max(0, this.retryAt - this.clock.now());
        const timedOut = await this.wakeup.wait(Math.min(resyncMs, untilRetry), signal);
        if (signal.aborted) break;
        if (timedOut) this.pending.push(this.retryAt !== null && this.clock.now() >= this.retryAt ? 'retry' : 'resync');
        else if (this.clock.now() - lastEnded < debounceMs) await sleepUnlessAborted(debounceMs, signal, this.clock);
      }
      const reasons = [...new Set(this.pending)];
      this.pending = [];
      this.retryNowRequested = false;
      try {
        const again = await this.opts.reconcile(reasons, signal).finally(() => (lastEnded = this.clock.now()));
        this.retryAt = typeof again === 'number' ? this.clock.now() + Math.max(0, again) : null;
        failures = 0;
        this.runs++;
        this.attempts++;
        this.lastSuccessAt = this.clock.now();
      } catch (err) {
        this.attempts++;
        if (signal.aborted) break;
        if (this.opts.isTerminal?.(err)) {
          failures = 0;
          this.opts.onTerminal?.(err);
          continue;
        }
        failures++;
        this.opts.onError?.(err, failures);
        this.pending.push(...reasons);
        if (!this.retryNowRequested) await this.retryWakeup.wait(doublingDelay(failures, backoff), signal);
      }
    }
  }
}
