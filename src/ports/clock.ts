/**
 * Time, injected: every actor and use case that waits or stamps takes a Clock, so that tests run
 * minutes of retries in milliseconds on a virtual clock (test/core/recovery/fake-engine.ts).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`; rejects when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
