/**
 * Watches the Engine API event stream. Events only trigger a reconcile (level-based): they are
 * lost whenever the daemon restarts, so when the stream ends the watcher waits for the engine to
 * come back (with backoff), reconnects and triggers a full re-list.
 */
import type { DockerEngine } from '../adapters/docker/engine-client.js';
import type { EngineEvent } from '../core/engine-types.js';
import { doublingDelay } from '../core/recovery/backoff.js';
import type { Clock } from '../ports/clock.js';
import { sleepUnlessAborted, type Actor } from './actor.js';
import { systemClock } from './system-clock.js';

/** Container actions that may change what runs. */
export const WATCHED_ACTIONS = new Set(['start', 'die', 'stop', 'kill', 'oom', 'destroy', 'create', 'restart', 'pause', 'unpause']);

export interface EventWatcherOptions {
  engine: DockerEngine;
  onEvent: (ev: EngineEvent, receivedAt: number) => void;
  /** Called with 'connected' (with the time the stream was up) and 'lost'. */
  onConnection: (state: 'connected' | 'lost', at: number) => void;
  backoff?: { initialMs: number; maxMs: number };
  clock?: Clock;
}

export class EventWatcher implements Actor {
  readonly name = 'event-watcher';
  /** When the current stream was established; null while disconnected. */
  connectedSince: number | null = null;
  /** When the last stream ended; null while none has ended. */
  lostAt: number | null = null;

  constructor(private readonly opts: EventWatcherOptions) {}

  async run(signal: AbortSignal): Promise<void> {
    // Capped at 0.5 s: the engine's return starts the recovery, so every second of backoff here is a
    // second the services stay down (a ping of an engine that is down is a refused connect, cheap).
    const backoff = this.opts.backoff ?? { initialMs: 100, maxMs: 500 };
    const clock = this.opts.clock ?? systemClock;
    let attempt = 0;
    while (!signal.aborted) {
      try {
        await this.opts.engine.ping();
      } catch {
        attempt++;
        await sleepUnlessAborted(doublingDelay(attempt, backoff), signal, clock);
        continue;
      }
      attempt = 0;
      const since = clock.now();
      this.connectedSince = since;
      this.opts.onConnection('connected', since);
      try {
        // `since` a little in the past so that nothing between ping and subscribe is missed.
        for await (const ev of this.opts.engine.events({ signal, since: Math.floor(since / 1000) - 1, filters: { type: ['container'] } })) {
          if (WATCHED_ACTIONS.has(ev.Action.split(':')[0] ?? '') || ev.Action.startsWith('health_status')) this.opts.onEvent(ev, clock.now());
        }
      } catch {
        /* a broken stream is the same as an ended one */
      }
      if (signal.aborted) break;
      this.connectedSince = null;
      this.lostAt = clock.now();
      this.opts.onConnection('lost', this.lostAt);
      await sleepUnlessAborted(backoff.initialMs, signal, clock);
    }
    this.connectedSince = null;
  }
}
