/**
 * Delivers the alert outbox (store table alert_outbox), in order per channel: the oldest
 * undelivered message of a channel goes first, and while it waits for a retry the channel's later
 * messages wait behind it (a "resolved" never arrives before its "firing"). Each row is sent;
 * success marks it delivered, a retryable failure schedules the next attempt with exponential
 * backoff (1 s doubling to 10 min), a permanent one (4xx, SMTP 5xx, unknown channel) or a message
 * older than `maxAgeMs` gives up and says so. Rows survive agent restarts; a row is marked
 * delivered right after the channel accepted it, so a crash in between can send it twice at worst,
 * with the same idempotency key (AlertMessage.id) for the receiver to drop the duplicate.
 *
 * The rows the agent just queued are handed over with the kick (already committed to the store):
 * when the last pass left nothing undelivered, the next pass sends those as they are instead of
 * reading the outbox back (the agent is the only writer of the table, so they are all there is);
 * otherwise, and on every poll, it reads the store. Delivery and failures are recorded in the
 * store either way.
 *
 * Before each delivery the message's event time is checked against the maintenance windows: one
 * whose event happened inside a window is held (not sent, recorded as 'alert-held'); one created
 * before the window opened still goes. Deliveries and failures are recorded in the timeline.
 */
import { DeliveryError, type AlertMessage, type Notifier } from '../adapters/notify/notifier.js';
import type { OutboxEntry, Store } from '../adapters/store/store.js';
import { groupMessages, groupSize } from '../core/alerts/group-messages.js';
import { doublingDelay } from '../core/recovery/backoff.js';
import type { Clock } from '../ports/clock.js';
import { Wakeup, type Actor } from './actor.js';
import { maintenanceAt } from './alerts.js';
import { systemClock } from './system-clock.js';
import type { AgentLog } from './log.js';

export interface OutboxOptions {
  store: Store;
  notifiers: ReadonlyMap<string, Notifier>;
  log: AgentLog;
  backoff?: { initialMs: number; maxMs: number };
  /** Give up on a message this old (default 24 h). */
  maxAgeMs?: number;
  /** Look at the outbox at least this often (default 30 s). */
  pollMs?: number;
  onResult?: (channel: string, outcome: 'delivered' | 'failed' | 'given_up') => void;
  onPending?: (count: number) => void;
  clock?: Clock;
}

export class Outbox implements Actor {
  readonly name = 'outbox';
  private readonly wakeup: Wakeup;
  private readonly clock: Clock;
  /** The earliest retry among the channels' head messages after the last pass. */
  private nextHeadAt: number | null = null;
  private kicked = false;
  /** Rows handed over by kick() since the last pass began, in the order they were queued. */
  private handed: OutboxEntry[] = [];
  /**
   * The next pass after a kick reads the store: set at the start and by a kick without rows, cleared
   * when a pass left no row undelivered and no such kick came meanwhile (then the rows handed over
   * since are all the store holds undelivered).
   */
  private mustRead = true;
  /** Kicks without rows so far. */
  private readRequests = 0;
  /** Delivery passes done (tests wait for one to pass a mark). */
  passes = 0;

  constructor(private readonly opts: OutboxOptions) {
    this.clock = opts.clock ?? systemClock;
    this.wakeup = new Wakeup(this.clock);
  }

  /**
   * Something was queued: deliver now. `rows`: what was queued, as committed to the store (sent
   * without reading them back when nothing else is waiting); none: look in the store.
   */
  kick(rows: readonly OutboxEntry[] = []): void {
    if (rows.length === 0) {
      this.mustRead = true;
      this.readRequests++;
    } else this.handed.push(...rows);
    this.kicked = true;
    this.wakeup.wake();
  }

  async run(signal: AbortSignal): Promise<void> {
    const pollMs = this.opts.pollMs ?? 30_000;
    while (!signal.aborted) {
      const kicked = this.kicked;
      this.kicked = false;
      try {
        // A poll reads the store (a missed kick, retries coming due); a kick with the rows may not.
        await this.pass(signal, kicked);
      } catch (err) {
        this.opts.log.error({ err: String(err) }, 'alert outbox: could not read or update the store');
      }
      if (signal.aborted) break;
      const pending = this.safePending();
      this.opts.onPending?.(pending.count);
      if (this.kicked) continue;
      const untilNext = this.nextHeadAt === null ? pollMs : Math.max(50, Math.min(pollMs, this.nextHeadAt - this.clock.now()));
      await this.wakeup.wait(untilNext, signal);
    }
  }

  /**
   * Sends every due row once; returns how many were delivered. Channels are independent: each
   * goes through its own rows in order, at the same time as the others, so a channel that hangs
   * until its timeout delays no other channel's alerts.
   */
  deliverDue(signal?: AbortSignal): Promise<number> {
    return this.pass(signal, false);
  }

  /** One pass: after a kick, over the rows handed over when nothing else is undelivered (mustRead), else the store's. */
  private async pass(signal: AbortSignal | undefined, kicked: boolean): Promise<number> {
    this.nextHeadAt = null;
    const fromStore = !kicked || this.mustRead;
    const requests = this.readRequests;
    const handed = this.handed;
    this.handed = [];
    this.mustRead = true; // until this pass ends with nothing left undelivered (a throw leaves it set)
    // Rows handed over are committed: a read of the store includes them.
    const undelivered = fromStore ? this.opts.store.undeliveredAlerts() : handed;
    const byChannel = new Map<string, OutboxEntry[]>();
    for (const row of undelivered) {
      const rows = byChannel.get(row.channel);
      if (rows) rows.push(row);
      else byChannel.set(row.channel, [row]);
    }
    const results = await Promise.all([...byChannel.values()].map((rows) => this.deliverChannel(rows, signal)));
    this.passes++;
    // Every row delivered or given up: what is handed over next is all there is to send.
    this.mustRead = !results.every((r) => r.done) || (signal?.aborted ?? false) || this.readRequests !== requests;
    return results.reduce((a, r) => a + r.delivered, 0);
  }

  private waitFor(at: number): void {
    this.nextHeadAt = this.nextHeadAt === null ? at : Math.min(this.nextHeadAt, at);
  }

  /** One channel's undelivered rows, oldest first: stops at the first that must wait (then not `done`). */
  private async deliverChannel(rows: readonly OutboxEntry[], signal?: AbortSignal): Promise<{ delivered: number; done: boolean }> {
    const { store, notifiers, log } = this.opts;
    const backoff = this.opts.backoff ?? { initialMs: 1_000, maxMs: 600_000 };
    const maxAgeMs = this.opts.maxAgeMs ?? 86_400_000;
    const now = () => new Date(this.clock.now()).toISOString();
    const heldBy = (row: OutboxEntry) => {
      const eventAt = Date.parse((row.message as AlertMessage).at);
      return Number.isFinite(eventAt) ? maintenanceAt(store, eventAt) : null;
    };
    let delivered = 0;
    let done = true;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (signal?.aborted) {
        done = false;
        break;
      }
      if (Date.parse(row.nextAttemptAt) > this.clock.now()) {
        this.waitFor(Date.parse(row.nextAttemptAt));
        done = false;
        break;
      }
      const notifier = notifiers.get(row.channel);
      const msg = row.message as AlertMessage;
      const window = heldBy(row);
      if (window !== null) {
        const why = `held: its event (${msg.at}) is inside maintenance window ${window.id} (${window.source})`;
        store.markFailed(row.messageId, row.channel, why, null, now());
        this.record('alert-held', row, `alert ${row.messageId} to ${row.channel} not sent: ${why}`);
        log.info({ alert: row.messageId, channel: row.channel }, 'alert held: its event happened during a maintenance window');
        continue;
      }
      if (notifier === undefined) {
        store.markFailed(row.messageId, row.channel, `no channel named "${row.channel}" in the configuration any more`, null, now());
        this.opts.onResult?.(row.channel, 'given_up');
        log.warn({ alert: row.messageId, channel: row.channel }, 'alert dropped: its channel is no longer configured');
        continue;
      }
      // A channel people read gets what was queued together (one reconcile) as one message.
      const batch = [row];
      if (notifier.groups === true) {
        const due: OutboxEntry[] = [];
        for (const r of rows.slice(i + 1)) {
          if (Date.parse(r.nextAttemptAt) > this.clock.now() || heldBy(r) !== null) break;
          due.push(r);
        }
        const size = groupSize([row, ...due].map((r) => Date.parse(r.createdAt)));
        batch.push(...due.slice(0, size - 1));
      }
      const message = batch.length === 1 ? msg : groupMessages(batch.map((r) => r.message as AlertMessage));
      try {
        await notifier.send(message, signal);
        for (const r of batch) {
          store.markDelivered(r.messageId, r.channel, now());
          this.record(
            'alert-delivered',
            r,
            `alert ${r.messageId} delivered to ${r.channel}${batch.length > 1 ? ` (one message with ${batch.length - 1} other alert(s))` : ''}`,
          );
          this.opts.onResult?.(r.channel, 'delivered');
        }
        delivered += batch.length;
        log.info({ alert: message.id, channel: row.channel, attempts: row.attempts + 1, alerts: batch.length }, 'alert delivered');
        i += batch.length - 1;
      } catch (err) {
        if (signal?.aborted) {
          done = false;
          break;
        }
        const retryable = err instanceof DeliveryError ? err.retryable : true;
        const tooOld = this.clock.now() - Date.parse(row.createdAt) > maxAgeMs;
        const delay = doublingDelay(row.attempts + 1, backoff);
        const next = retryable && !tooOld ? new Date(this.clock.now() + delay).toISOString() : null;
        const why = (err as Error).message;
        for (const r of batch) {
          store.markFailed(r.messageId, r.channel, why, next, now());
          this.record('alert-failed', r, `alert ${r.messageId} to ${r.channel} failed${next === null ? ' (given up)' : ', will retry'}: ${why}`, {
            error: why,
            retryAt: next,
          });
          this.opts.onResult?.(r.channel, next === null ? 'given_up' : 'failed');
        }
        if (next !== null) this.waitFor(Date.parse(next));
        if (next === null)
          log.error(
            { alert: message.id, channel: row.channel, err: why },
            tooOld ? 'alert given up: undelivered for too long' : 'alert given up: the channel refused it',
          );
        else log.warn({ alert: message.id, channel: row.channel, err: why, retryInMs: delay }, 'alert delivery failed; will retry');
        if (next !== null) {
          done = false;
          break;
        }
      }
    }
    return { delivered, done };
  }

  private record(
    kind: 'alert-held' | 'alert-delivered' | 'alert-failed',
    row: { messageId: string; channel: string; message: unknown },
    message: string,
    extra: Record<string, unknown> = {},
  ): void {
    try {
      const subject = (row.message as AlertMessage).subject ?? null;
      this.opts.store.appendTimeline({
        at: new Date(this.clock.now()).toISOString(),
        kind,
        subject,
        message,
        data: { channel: row.channel, messageId: row.messageId, ...extra },
      });
    } catch {
      /* the delivery itself is recorded in the outbox */
    }
  }

  private safePending(): { count: number; nextAttemptAt: string | null } {
    try {
      return this.opts.store.outboxPending();
    } catch {
      return { count: 0, nextAttemptAt: null };
    }
  }
}
