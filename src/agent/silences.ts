/**
 * Alertmanager silences for maintenance windows (an actor, name 'silences'): while a window is
 * open, every alertmanager channel with `silence: true` holds a silence matching `host=<host>`
 * (created by "upkeep", the window's reason as comment, ending when the window ends), so the
 * team's other alerts about this host (from Prometheus, labelled host=...) are held too. A window
 * closed early expires its silence (DELETE); one extended updates it.
 *
 * What was created is recorded in the agent's state (key `alertmanager-silences`) before anything
 * else happens, so a restarted agent expires the silences of windows that closed while it was down.
 * Each pass compares the open windows with that record, and asks Alertmanager whether each recorded
 * silence is still active: one it no longer has (restarted without its data) or that an operator
 * expired is created again, also when an update answers 404. A failed request is tried again on
 * the next pass (woken by the maintenance watcher, and at least every `pollMs`).
 */
import type { AlertmanagerNotifier } from '../adapters/notify/alertmanager.js';
import type { Store } from '../adapters/store/store.js';
import type { Clock } from '../ports/clock.js';
import type { MaintenanceWindow } from '../ports/maintenance.js';
import { Wakeup, type Actor } from './actor.js';
import type { AgentLog } from './log.js';
import { systemClock } from './system-clock.js';

const STATE_KEY = 'alertmanager-silences';

/** One silence upkeep created: for which window, on which channel, until when. */
export interface SilenceRecord {
  channel: string;
  windowId: number;
  silenceId: string;
  endsAt: string;
}

export interface SilenceSyncOptions {
  store: Store;
  channels: readonly AlertmanagerNotifier[];
  /** The host label's value (the Docker engine's host name); '' while unknown: nothing is created yet. */
  host: () => string;
  log: AgentLog;
  clock?: Clock;
  /** Look again at least this often (retries). Default 30 s. */
  pollMs?: number;
}

export class SilenceSync implements Actor {
  readonly name = 'silences';
  private readonly clock: Clock;
  private readonly wakeup: Wakeup;
  /** Passes done (tests wait on it). */
  passes = 0;

  constructor(private readonly opts: SilenceSyncOptions) {
    this.clock = opts.clock ?? systemClock;
    this.wakeup = new Wakeup(this.clock);
  }

  /** A window may have opened, closed or changed: look now. */
  wake(): void {
    this.wakeup.wake();
  }

  /** The silences recorded as created and not yet expired. */
  records(): SilenceRecord[] {
    return (
      this.opts.store.getAgentState(STATE_KEY, (v) =>
        Array.isArray(v)
          ? v.filter(
              (r): r is SilenceRecord =>
                r !== null && typeof r === 'object' && typeof r.channel === 'string' && typeof r.windowId === 'number' && typeof r.silenceId === 'string',
            )
          : null,
      ) ?? []
    );
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      // Without a silencing channel, nothing to do but wait for the end (an actor that returns stops the agent).
      if (this.opts.channels.length === 0) {
        await this.wakeup.wait(86_400_000, signal);
        continue;
      }
      try {
        await this.pass(signal);
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message }, 'alertmanager silences: could not read or record the windows; trying again');
      }
      this.passes++;
      await this.wakeup.wait(this.opts.pollMs ?? 30_000, signal);
    }
  }

  /** One comparison of the open windows with the recorded silences, and the requests that follow. */
  async pass(signal?: AbortSignal): Promise<void> {
    const { store, log } = this.opts;
    const now = this.clock.now();
    const open = store.activeMaintenance(new Date(now).toISOString());
    let records = this.records();
    const save = () => store.setAgentState(STATE_KEY, records);
    const byName = new Map(this.opts.channels.map((c) => [c.name, c]));

    // Windows no longer open: expire their silences (one that ran out its time expired on its own).
    for (const r of [...records]) {
      if (open.some((w) => w.id === r.windowId)) continue;
      const channel = byName.get(r.channel);
      if (channel !== undefined && Date.parse(r.endsAt) > now) {
        try {
          await channel.expireSilence(r.silenceId, signal);
          log.info({ channel: r.channel, silence: r.silenceId, maintenance: r.windowId }, 'maintenance window closed: alertmanager silence expired');
        } catch (err) {
          log.warn({ channel: r.channel, silence: r.silenceId, err: (err as Error).message }, 'alertmanager silence: could not expire it; trying again');
          continue;
        }
      }
      records = records.filter((x) => x !== r);
      save();
    }

    const host = this.opts.host();
    if (host === '') return;
    for (const w of open) {
      for (const channel of this.opts.channels) {
        let rec = records.find((r) => r.channel === channel.name && r.windowId === w.id);
        if (rec !== undefined && rec.endsAt === w.endsAt) {
          // Still there? (Alertmanager restarted without its data, or an operator expired it.)
          const known = rec;
          let state: string | null;
          try {
            state = await channel.silenceState(known.silenceId, signal);
          } catch (err) {
            log.warn(
              { channel: channel.name, silence: known.silenceId, err: (err as Error).message },
              'alertmanager silence: could not look it up; trying again',
            );
            continue;
          }
          if (state === 'active' || state === 'pending') continue;
          log.info({ channel: channel.name, silence: known.silenceId, state }, 'alertmanager silence gone or expired: creating it again');
          rec = undefined;
        }
        try {
          const silenceId = await channel.createSilence(
            {
              ...(rec ? { id: rec.silenceId } : {}),
              matchers: { host },
              startsAt: new Date(now).toISOString(),
              endsAt: w.endsAt,
              comment: silenceComment(w),
            },
            signal,
          );
          records = [
            ...records.filter((r) => r.channel !== channel.name || r.windowId !== w.id),
            { channel: channel.name, windowId: w.id, silenceId, endsAt: w.endsAt },
          ];
          save();
          log.info(
            { channel: channel.name, silence: silenceId, maintenance: w.id, endsAt: w.endsAt },
            `alertmanager silence for host=${host} until ${w.endsAt}`,
          );
        } catch (err) {
          log.warn({ channel: channel.name, maintenance: w.id, err: (err as Error).message }, 'alertmanager silence: could not create it; trying again');
        }
      }
    }
  }
}

/** The silence's comment: which window, why. */
export function silenceComment(w: MaintenanceWindow): string {
  return `upkeep maintenance window ${w.id} (${w.source})${w.reason ? `: ${w.reason}` : ''}`;
}
