import type { Clock } from '../ports/clock.js';
import { systemClock } from './system-clock.js';

/**
 * The agent is a set of actors, each a long-running `run(signal)` that returns when the signal
 * aborts. They are started together and stopped in the order given (Prometheus' main.go style):
 * stopping actor i waits until it has returned before actor i+1 is told to stop.
 */
export interface Actor {
  readonly name: string;
  run(signal: AbortSignal): Promise<void>;
}

export interface ActorLog {
  info(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/**
 * Runs every actor until `signal` aborts or one of them fails; then stops them in `stopOrder`
 * (names; actors not named stop last, together). Resolves when all have returned; rejects with
 * the first failure, if any.
 */
export async function runActors(actors: Actor[], signal: AbortSignal, log: ActorLog, stopOrder: string[] = []): Promise<void> {
  const controllers = new Map(actors.map((a) => [a.name, new AbortController()]));
  let failure: unknown = null;
  const stopped = new Map<string, Promise<void>>();
  const done = new Promise<void>((resolve) => {
    const onAbort = () => resolve();
    if (signal.aborted) resolve();
    signal.addEventListener('abort', onAbort, { once: true });
  });
  for (const a of actors) {
    const p = a
      .run(controllers.get(a.name)!.signal)
      .catch((err: unknown) => {
        if (failure === null) failure = err;
        log.error({ actor: a.name, err: String((err as Error)?.stack ?? err) }, 'actor failed');
      })
      .finally(() => log.info({ actor: a.name }, 'actor stopped'));
    stopped.set(a.name, p);
  }
  await Promise.race([done, ...stopped.values()].map((p) => p.then(() => undefined)));
  const ordered = [...stopOrder.filter((n) => controllers.has(n)), ...actors.map((a) => a.name).filter((n) => !stopOrder.includes(n))];
  for (const name of stopOrder.filter((n) => controllers.has(n))) {
    controllers.get(name)!.abort();
    await stopped.get(name);
  }
  for (const name of ordered) controllers.get(name)!.abort();
  await Promise.all(stopped.values());
  if (failure !== null) throw failure;
}

/** Resolves after `ms` on `clock`, or at once when the signal aborts (never rejects). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal, clock: Clock = systemClock): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return clock.sleep(ms, signal).catch(() => undefined);
}

/**
 * A sleep another caller can cut short: `wait` resolves true when `ms` passed, false when `wake()`
 * was called or the signal aborted. Callers keep their own "is there work?" flag and check it
 * before waiting, so a wake that comes while nobody waits is not lost.
 */
export class Wakeup {
  private wakeFn: (() => void) | null = null;

  constructor(private readonly clock: Clock = systemClock) {}

  wake(): void {
    this.wakeFn?.();
  }

  async wait(ms: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return false;
    const woken = new AbortController();
    this.wakeFn = () => woken.abort();
    try {
      await this.clock.sleep(ms, AbortSignal.any([signal, woken.signal]));
      return true;
    } catch {
      return false;
    } finally {
      this.wakeFn = null;
    }
  }
}
