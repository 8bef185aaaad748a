/**
 * A Clock (src/ports/clock.ts) on virtual time, for the agent's actors: `sleep` registers a timer;
 * `runUntil(cond)` lets every runnable task run (setImmediate rounds) and, when nothing else can
 * run, fires the earliest timer, until `cond()` holds. Minutes of agent time take milliseconds and
 * the order of events is deterministic. (test/core/recovery/fake-engine.ts has the executor's.)
 */
import type { Clock } from '../../src/ports/clock.js';

export const T0 = Date.parse('2026-11-28T10:00:00.000Z');

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

export class VirtualClock implements Clock {
  private t: number;
  private timers: Timer[] = [];
  private seq = 0;

  constructor(start = T0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new Error('aborted'));
      const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fire: resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.timers = this.timers.filter((x) => x !== timer);
          reject(new Error('aborted'));
        },
        { once: true },
      );
    });
  }

  /** Runs `fn` at virtual time `at`. */
  at(at: number, fn: () => void): void {
    this.timers.push({ at, seq: this.seq++, fire: fn });
  }

  /** When the next timer fires; null when none is pending. */
  nextAt(): number | null {
    if (this.timers.length === 0) return null;
    return Math.min(...this.timers.map((x) => x.at));
  }

  /** Fires the earliest timer (and every other due at the same time); false when there is none. */
  advance(): boolean {
    if (this.timers.length === 0) return false;
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const first = this.timers.shift() as Timer;
    this.t = Math.max(this.t, first.at);
    first.fire();
    return true;
  }

  /** Lets pending promise chains and I/O callbacks run. */
  async settle(rounds = 3): Promise<void> {
    for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
  }

  /**
   * Runs until `cond()` is true, advancing virtual time whenever nothing else runs; throws after
   * `maxMs` of virtual time (the condition never came) or when nothing is left to run.
   */
  async runUntil<T>(what: string, cond: () => T | null | undefined | false, maxMs = 600_000): Promise<T> {
    const end = this.t + maxMs;
    for (;;) {
      await this.settle();
      const v = cond();
      if (v !== null && v !== undefined && v !== false) return v;
      const next = this.nextAt();
      if (next === null) throw new Error(`${what}: nothing left to run at +${this.t - T0} ms`);
      if (next > end) throw new Error(`${what}: not within ${maxMs} ms of virtual time`);
      this.advance();
    }
  }

  /** Lets `ms` of virtual time pass, running everything due meanwhile. */
  async pass(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await this.settle();
      const next = this.nextAt();
      if (next === null || next > end) break;
      this.advance();
    }
    this.t = Math.max(this.t, end);
    await this.settle();
  }
}
