/**
 * The agent's alerts: one pure state machine (core/alerts/alert-state.ts) per alert key
 * ("down:lapis", "crashloop:worker", "check:lapis/http", "engine"), stepped whenever its
 * condition is evaluated. Messages go into the store's outbox (one row per channel, the message id
 * as idempotency key), never straight to a channel: the Outbox actor delivers them, so nothing is
 * lost while a channel is down or the agent restarts. States are persisted, so a restarted agent
 * neither repeats a firing alert nor forgets a resolution it owes.
 *
 * `transaction(fn)`: the caller's writes (the reconcile's timeline entries) and the alerts stepped
 * in `fn` commit together, one fsync; the rows queued there are handed to the outbox (which sends
 * them without reading them back) only after the commit, so nothing is sent that is not durable
 * in the outbox first: a crash after the commit still delivers it from the store after a restart.
 *
 * Maintenance: whether an alert is held is decided when it is stepped, by reading the store's
 * windows at that moment (`upkeep maintenance start` holds alerts the instant it returns), and the
 * outbox checks each message's event time again before delivery (maintenanceAt).
 */
import type { AlertMessage } from '../adapters/notify/notifier.js';
import type { OutboxEntry, Store } from '../adapters/store/store.js';
import type { AlertContent } from '../core/alerts/agent-alerts.js';
import { acknowledgeAlert, INACTIVE, stepAlert, type AlertRule, type AlertState } from '../core/alerts/alert-state.js';
import type { Clock } from '../ports/clock.js';
import type { MaintenanceRepository, MaintenanceWindow } from '../ports/maintenance.js';
import type { AgentLog } from './log.js';
import { systemClock } from './system-clock.js';

export type { AlertContent };

const STATE_KEY = 'alerts';

/** The maintenance window that covered time `t` (ms), if any: open now or ended since, begun at or before `t`. */
export function maintenanceAt(store: Pick<MaintenanceRepository, 'activeMaintenance' | 'maintenanceEndedSince'>, t: number): MaintenanceWindow | null {
  const iso = new Date(t).toISOString();
  const covers = (w: MaintenanceWindow) => w.startedAt <= iso && w.endsAt > iso && (w.endedAt === null || w.endedAt > iso);
  return store.activeMaintenance(iso).find(covers) ?? store.maintenanceEndedSince(iso).find(covers) ?? null;
}

export interface AlertManagerOptions {
  store: Store;
  host: () => string;
  channels: readonly string[];
  /**
   * Called after messages were queued and committed, so the outbox can deliver them now: the rows
   * as stored, or none when the outbox must look in the store (a message id queued before).
   */
  onQueued: (rows: readonly OutboxEntry[]) => void;
  log: AgentLog;
  clock?: Clock;
}

export class AlertManager {
  private states = new Map<string, AlertState>();
  private dirty = false;
  private readonly clock: Clock;
  /** Inside transaction(): rows queued there, handed over after the commit (null: none open). */
  private uncommitted: OutboxEntry[] | null = null;
  /** Inside transaction(): a message was queued that the outbox must read from the store. */
  private lookInStore = false;

  constructor(private readonly opts: AlertManagerOptions) {
    this.clock = opts.clock ?? systemClock;
    const saved = opts.store.getAgentState(STATE_KEY, parseAlertStates);
    for (const [k, v] of saved ?? []) this.states.set(k, v);
  }

  /**
   * Runs `fn` (writes to the store, alert steps) as one store transaction; what it queued goes to
   * the outbox after the commit; when it threw (rolled back), no rows, only a look in the store if
   * anything was queued. Nested calls join the outer one.
   */
  transaction<T>(fn: () => T): T {
    if (this.uncommitted !== null) return this.opts.store.transaction(fn);
    this.uncommitted = [];
    this.lookInStore = false;
    const states = new Map(this.states);
    const dirty = this.dirty;
    let committed = false;
    try {
      const result = this.opts.store.transaction(fn);
      committed = true;
      return result;
    } finally {
      const rows = this.uncommitted;
      const lookInStore = this.lookInStore;
      this.uncommitted = null;
      this.lookInStore = false;
      if (!committed) {
        // Rolled back: the alerts are as they were before, and are stepped again on the retry.
        this.states = states;
        this.dirty = dirty;
      }
      // Not committed: SQLite may have rolled back part of it (a full disk) and run the rest on its
      // own; the outbox looks in the store rather than trusting the rows.
      if (lookInStore || (!committed && rows.length > 0)) this.opts.onQueued([]);
      else if (rows.length > 0) this.opts.onQueued(rows);
    }
  }

  /** Is a maintenance window open now? Read from the store each time (another process opens them). */
  inMaintenance(now = this.clock.now()): boolean {
    try {
      return this.opts.store.activeMaintenance(new Date(now).toISOString()).length > 0;
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'could not read the maintenance windows: alerts are not held');
      return false;
    }
  }

  /**
   * Steps alert `key`. `content(kind)` builds the message when one is due; for "resolved" it is
   * called with the state the alert had while firing.
   */
  evaluate(
    key: string,
    rule: AlertRule,
    active: boolean,
    content: (kind: 'firing' | 'reminder' | 'resolved', firingSince: number | null) => AlertContent,
  ): void {
    const now = this.clock.now();
    const prev = this.states.get(key) ?? INACTIVE;
    // Only a step that would send reads the windows (a quiet alert costs no query).
    let step = stepAlert(prev, rule, active, now, false);
    if (step.send !== null && this.inMaintenance(now)) step = stepAlert(prev, rule, active, now, true);
    if (step.state !== prev) {
      if (step.state.phase === 'inactive') this.states.delete(key);
      else this.states.set(key, step.state);
      this.dirty = true;
    }
    if (step.transition !== null && step.transition !== 'reminder') {
      this.opts.log.info({ alert: key, transition: step.transition }, `alert ${key}: ${step.transition}`);
    }
    if (step.send === null) {
      if (step.transition === 'held' || (step.transition === 'resolved' && prev.announced)) {
        this.opts.store.appendTimeline({
          at: new Date(now).toISOString(),
          kind: 'alert-held',
          subject: key,
          message: `alert ${key} ${step.transition} during maintenance: not sent`,
        });
      }
      return;
    }
    const firingSince = step.send === 'resolved' ? prev.firingSince : step.state.firingSince;
    const c = content(step.send, firingSince);
    // The id is stable for one firing (retries, restarts), distinct per reminder.
    const id = `${key}@${firingSince ?? now}:${step.send}${step.send === 'reminder' ? `:${now}` : ''}`;
    this.queue({ id, key, kind: step.send, ...c });
  }

  /** Queues a one-off message (e.g. the summary after a recovery). */
  queue(m: Omit<AlertMessage, 'host' | 'at'> & { at?: string }): void {
    const message: AlertMessage = { ...m, host: this.opts.host(), at: m.at ?? new Date(this.clock.now()).toISOString() };
    // A summary waits for the window's end; a notice is about the windows themselves: never held.
    if (m.kind === 'summary' && this.inMaintenance(Date.parse(message.at))) {
      this.opts.store.appendTimeline({
        at: message.at,
        kind: 'alert-held',
        subject: m.subject,
        message: `${m.title} during maintenance: not sent: ${m.text}`,
        data: { id: m.id },
      });
      return;
    }
    this.opts.store.appendTimeline({ at: message.at, kind: `alert-${m.kind}`, subject: m.subject, message: `${m.title}: ${m.text}`, data: { id: m.id } });
    if (this.opts.channels.length === 0) {
      this.opts.log.info({ alert: m.id, kind: m.kind }, `${m.title} (no alert channel configured: timeline and log only)`);
      return;
    }
    const at = new Date(this.clock.now()).toISOString();
    const added = this.opts.store.enqueueAlert(message.id, message, this.opts.channels, at);
    // All new: the outbox can send them as they are; else (queued before) it reads the store.
    const rows: OutboxEntry[] =
      added === this.opts.channels.length
        ? this.opts.channels.map((channel) => ({
            messageId: message.id,
            channel,
            message,
            createdAt: at,
            attempts: 0,
            nextAttemptAt: at,
            lastError: null,
            deliveredAt: null,
            givenUpAt: null,
          }))
        : [];
    if (this.uncommitted === null) this.opts.onQueued(rows);
    else if (rows.length > 0) this.uncommitted.push(...rows);
    else this.lookInStore = true;
  }

  /**
   * Acknowledges firing alert `key` for `by` (the status page's action): it sends no reminder
   * until it resolves. Part of its state, so persisted at once: a restarted agent keeps it.
   */
  acknowledge(key: string, by: string, now = this.clock.now(), firingSince?: number): ReturnType<typeof acknowledgeAlert> {
    const r = acknowledgeAlert(this.states.get(key), by, now, firingSince);
    if (r.ok && !r.already) {
      this.states.set(key, r.state);
      this.dirty = true;
      this.persist();
      this.opts.log.info({ alert: key, by }, `alert ${key}: acknowledged by ${by}`);
    }
    return r;
  }

  /** Alerts currently firing. */
  firing(): number {
    let n = 0;
    for (const s of this.states.values()) if (s.phase === 'firing') n++;
    return n;
  }

  /** The alerts that are pending or firing, with their states (the status page). */
  alertStates(): Array<[string, AlertState]> {
    return [...this.states].map(([k, v]) => [k, { ...v }]);
  }

  /** Keys of alerts that are pending or firing. */
  activeKeys(): string[] {
    return [...this.states.keys()];
  }

  /** Keys of alerts that are firing (announced or held). */
  firingKeys(): string[] {
    return [...this.states].filter(([, s]) => s.phase === 'firing').map(([k]) => k);
  }

  /** Writes the states to the store if they changed. */
  persist(): void {
    if (!this.dirty) return;
    this.opts.store.setAgentState(STATE_KEY, Object.fromEntries(this.states));
    this.dirty = false;
  }
}

/** The alert states as saved (by key); entries that are not alert states are dropped. */
function parseAlertStates(value: unknown): Array<[string, AlertState]> | null {
  if (value === null || typeof value !== 'object') return null;
  return Object.entries(value as Record<string, unknown>).filter((e): e is [string, AlertState] => {
    const v = e[1];
    return v !== null && typeof v === 'object' && 'phase' in v;
  });
}
