/**
 * Dead-man's switch: GETs the configured URL every interval, so that an off-host monitor (a push
 * monitor) notices when this host or its agent dies: something on the host cannot report that.
 */
import { fetch } from 'undici'; // the engine client's HTTP stack: Node's built-in fetch would load a second copy
import { sleepUnlessAborted, type Actor } from './actor.js';
import type { AgentLog } from './log.js';

export class Heartbeat implements Actor {
  readonly name = 'heartbeat';

  constructor(
    private readonly opts: { url: string; intervalMs: number; log: AgentLog; onOk?: (at: number) => void; healthy?: () => boolean },
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (this.opts.healthy?.() !== false) {
        try {
          const res = await fetch(this.opts.url, { signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]) });
          await res.body?.cancel();
          if (res.ok) this.opts.onOk?.(Date.now());
          else this.opts.log.warn({ status: res.status }, 'heartbeat: the monitor answered with an error');
        } catch (err) {
          if (!signal.aborted) this.opts.log.warn({ err: (err as Error).message }, 'heartbeat failed');
        }
      }
      await sleepUnlessAborted(this.opts.intervalMs, signal);
    }
  }
}
