/**
 * The store: upkeep's memory across reboots and outages. Every snapshot is kept (history); the
 * newest of a host, minus the names forgotten since, is its desired state. Commands receive this
 * interface; openStore (sqlite-store.ts) gives the SQLite one.
 */
import { UpkeepError } from '../../core/errors.js';
import type { ForgottenEntry, HostIdentity, Snapshot } from '../../core/recovery/desired-state.js';
import { ForeignSnapshotError } from '../../core/recovery/plan.js';

/** The state database is missing, unreadable, damaged, locked or from a newer upkeep. Exit 2. */
export class StoreError extends UpkeepError {}

/** A saved snapshot without its containers' configurations. */
export interface SnapshotSummary {
  id: number;
  host: HostIdentity;
  takenAt: string;
  note: string | null;
  containerCount: number;
  /** Container names, sorted. */
  names: string[];
}

/** A snapshot read back: `containers` excludes the names forgotten since, listed in `forgotten`. */
export interface StoredSnapshot extends Snapshot {
  id: number;
  forgotten: ForgottenEntry[];
}

/** What `upkeep forget` did. */
export interface ForgetResult {
  at: string;
  /** Names removed from the desired state. */
  forgotten: string[];
  /** Names that were not in any host's desired state (nothing recorded for them). */
  notDesired: string[];
}

/** One event or report in the timeline. */
export interface TimelineEntry {
  id: number;
  at: string;
  kind: string;
  subject: string | null;
  message: string;
  data: unknown;
}

/** A timeline entry to append. */
export interface NewTimelineEntry {
  /** Defaults to now. */
  at?: string;
  kind: string;
  subject?: string | null;
  message: string;
  /** Any JSON value. */
  data?: unknown;
}

/** One message waiting for (or done with) one channel. */
export interface OutboxEntry {
  messageId: string;
  channel: string;
  /** The message as enqueued (JSON). */
  message: unknown;
  createdAt: string;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  deliveredAt: string | null;
  givenUpAt: string | null;
}

/** A maintenance window: alerts are held (still recorded) while one is active. */
export interface MaintenanceWindow {
  id: number;
  /** Who opened it: "manual", "apt", ... */
  source: string;
  reason: string | null;
  startedAt: string;
  /** It ends by itself then, if nobody stops it (a forgotten window must not silence alerts for ever). */
  endsAt: string;
  endedAt: string | null;
}

/** upkeep's persistent state (see the file comment). Synchronous: SQLite calls are short. */
export interface Store {
  /** The database file. */
  readonly path: string;
  readonly schemaVersion: number;
  /** Saves a whole snapshot in one transaction (never a partial one) and returns its summary. */
  saveSnapshot(snapshot: Snapshot): SnapshotSummary;
  /** The desired state of host `hostId`: its newest snapshot minus the names forgotten since; null if none. */
  latestSnapshot(hostId: string): StoredSnapshot | null;
  /** One snapshot by id (forgotten names applied as for latestSnapshot), or null. */
  getSnapshot(id: number): StoredSnapshot | null;
  /** Newest first. */
  listSnapshots(opts?: { hostId?: string; limit?: number }): SnapshotSummary[];
  /** Removes names from the desired state (as of now: a later snapshot that includes them makes them desired again). */
  forget(names: readonly string[]): ForgetResult;
  listForgotten(): ForgottenEntry[];
  appendTimeline(entry: NewTimelineEntry): TimelineEntry;
  /** Oldest first; `since` is inclusive (ISO 8601). */
  timeline(opts?: { since?: string; kind?: string; limit?: number }): TimelineEntry[];
  /**
   * Puts `message` into the outbox once per channel (idempotent: a message id already there for a
   * channel is not added again). Returns how many rows were added.
   */
  enqueueAlert(messageId: string, message: unknown, channels: readonly string[]): number;
  /** Undelivered, not given up, due at `now` (ISO), oldest first. */
  dueAlerts(now: string, limit?: number): OutboxEntry[];
  /** Undelivered, not given up, due or not, in the order they were queued. */
  undeliveredAlerts(limit?: number): OutboxEntry[];
  /** Every row of one message, or all rows (newest first) when messageId is omitted. */
  outbox(opts?: { messageId?: string; limit?: number }): OutboxEntry[];
  markDelivered(messageId: string, channel: string, at: string): void;
  /** A failed attempt: retry at `nextAttemptAt`, or give up when it is null. */
  markFailed(messageId: string, channel: string, error: string, nextAttemptAt: string | null, at: string): void;
  /** Rows still to deliver; and the earliest next attempt among them (null when none). */
  outboxPending(): { count: number; nextAttemptAt: string | null };
  /** Opens a window (or extends the open one of the same source) until `endsAt`. */
  startMaintenance(opts: { source: string; reason?: string | null; endsAt: string }): MaintenanceWindow;
  /** Ends the open windows (of `source` only, when given); returns those it ended. */
  stopMaintenance(opts?: { source?: string }): MaintenanceWindow[];
  /** Windows open at `now` (not ended, not expired). */
  activeMaintenance(now: string): MaintenanceWindow[];
  /** Windows ended (stopped) after `since` (ISO), oldest first. */
  maintenanceEndedSince(since: string): MaintenanceWindow[];
  /** The agent's small persistent memory (alert states, operator stops), as JSON values by key. */
  getAgentState(key: string): unknown;
  setAgentState(key: string, value: unknown): void;
  /** The connection's settings and SQLite's integrity check (reads the whole file: for `upkeep doctor` and tests). */
  diagnostics(): StoreDiagnostics;
  close(): void;
}

/** What diagnostics() reports. */
export interface StoreDiagnostics {
  journalMode: string;
  foreignKeys: boolean;
  /** 2 = FULL. */
  synchronous: number;
  busyTimeoutMs: number;
  /** "ok", or SQLite's list of problems. */
  integrity: string;
  schemaVersion: number;
}

/**
 * The desired state for `recover` and `diff`: this engine's newest snapshot. Throws StoreError
 * when there is none, and ForeignSnapshotError when the store only has other engines' snapshots
 * (unless `allowOtherHost`, which takes the newest of any host).
 */
export function requireDesiredState(store: Store, engineHost: HostIdentity, opts: { allowOtherHost?: boolean } = {}): StoredSnapshot {
  const own = store.latestSnapshot(engineHost.id);
  if (own !== null) return own;
  const newest = store.listSnapshots({ limit: 1 })[0];
  if (newest === undefined) {
    throw new StoreError(`no snapshot in ${store.path} yet: upkeep does not know what should run`, {
      hint: 'take one with `upkeep snapshot` while everything runs (before maintenance)',
    });
  }
  if (opts.allowOtherHost) return store.getSnapshot(newest.id) as StoredSnapshot;
  throw new ForeignSnapshotError(
    `the snapshots in ${store.path} were taken on host "${newest.host.name}" (engine ID ${newest.host.id}), not on this engine "${engineHost.name}" (engine ID ${engineHost.id})`,
    {
      hint: 'take a snapshot on this host with `upkeep snapshot`, or point --state-dir at this host\'s state; if Docker was reinstalled here (a new engine ID), take a new snapshot',
    },
  );
}
