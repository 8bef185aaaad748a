/**
 * Dead-man's switch: GETs the configured URL every interval, so that an off-host monitor (a push
 * monitor) notices when this host or its agent dies: something on the host cannot report that.
 */
import { discard, request } from '../adapters/http/request.js';
import type { Clock } from '../ports/clock.js';
import { sleepUnlessAborted, type Actor } from './actor.js';
import type { AgentLog } from './log.js';
import { systemClock } from './system-clock.js';

export class Heartbeat implements Actor {
  readonly name = 'heartbeat';

  constructor(private readonly opts: { url: string; intervalMs: number; log: AgentLog; onOk?: (at: number) => void; healthy?: () => boolean; clock?: Clock }) {}

  async run(signal: AbortSignal): Promise<void> {
    const clock = this.opts.clock ?? systemClock;
    while (!signal.aborted) {
      if (this.opts.healthy?.() !== false) {
        try {
          const res = await request(this.opts.url, { signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]), idleTimeoutMs: 10_000 });
          await discard(res);
          if (res.status >= 200 && res.status < 300) this.opts.onOk?.(clock.now());
          else this.opts.log.warn({ status: res.status }, 'heartbeat: the monitor answered with an error');
        } catch (err) {
          if (!signal.aborted) this.opts.log.warn({ err: (err as Error).message }, 'heartbeat failed');
        }
      }
      await sleepUnlessAborted(this.opts.intervalMs, signal, clock);
    }
  }
}
