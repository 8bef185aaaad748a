/**
 * A level-based work queue (controller-runtime style): triggers only say "something changed";
 * the reconcile function re-reads the whole state. Triggers that arrive while a reconcile runs
 * coalesce into one more run. A failed run is retried with exponential backoff; a periodic
 * resync runs even without triggers, since events can be lost.
 */
import { sleepUnlessAborted, Wakeup, type Actor } from './actor.js';

export interface ReconcileQueueOptions {
  reconcile: (reasons: string[], signal: AbortSignal) => Promise<void>;
  /** Periodic resync, ms (default 60 s). */
  resyncMs?: number;
  /**
   * Wait after the first trigger before running, so that the events of one action (kill, die,
   * stop arrive within a few ms) make one run (default 10 ms). Longer bursts coalesce anyway:
   * triggers during a run make one more run. Every ms here is a ms of detection latency.
   */
  debounceMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  onError?: (err: unknown, attempt: number) => void;
}

export class ReconcileQueue implements Actor {
  readonly name = 'reconciler';
  private pending: string[] = [];
  private readonly wakeup = new Wakeup();
  /** Completed runs, for tests and metrics. */
  runs = 0;
  lastSuccessAt: number | null = null;

  constructor(private readonly opts: ReconcileQueueOptions) {}

  /** Asks for a reconcile; cheap and safe to call from any event handler. */
  trigger(reason: string): void {
    this.pending.push(reason);
    this.wakeup.wake();
  }

  async run(signal: AbortSignal): Promise<void> {
    const resyncMs = this.opts.resyncMs ?? 60_000;
    const debounceMs = this.opts.debounceMs ?? 10;
    const backoff = this.opts.backoff ?? { initialMs: 500, maxMs: 30_000 };
    let failures = 0;
    this.pending.push('startup');
    while (!signal.aborted) {
      if (this.pending.length === 0) {
        const timedOut = await this.wakeup.wait(resyncMs, signal);
        if (signal.aborted) break;
        if (timedOut) this.pending.push('resync');
        else await sleepUnlessAborted(debounceMs, signal);
      }
      const reasons = [...new Set(this.pending)];
      this.pending = [];
      try {
        await this.opts.reconcile(reasons, signal);
        failures = 0;
        this.runs++;
        this.lastSuccessAt = Date.now();
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        this.opts.onError?.(err, failures);
        this.pending.push(...reasons);
        await sleepUnlessAborted(Math.min(backoff.maxMs, backoff.initialMs * 2 ** (failures - 1)), signal);
      }
    }
  }
}
