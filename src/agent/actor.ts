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

/** Resolves after `ms`, or at once when the signal aborts (never rejects). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * A sleep another caller can cut short: `wait` resolves true when `ms` passed, false when `wake()`
 * was called or the signal aborted. Callers keep their own "is there work?" flag and check it
 * before waiting, so a wake that comes while nobody waits is not lost.
 */
export class Wakeup {
  private wakeFn: (() => void) | null = null;

  wake(): void {
    this.wakeFn?.();
  }

  wait(ms: number, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (timedOut: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.wakeFn = null;
        resolve(timedOut);
      };
      const onAbort = () => finish(false);
      const timer = setTimeout(() => finish(true), ms);
      if (signal.aborted) return finish(false);
      signal.addEventListener('abort', onAbort, { once: true });
      this.wakeFn = () => finish(false);
    });
  }
}
