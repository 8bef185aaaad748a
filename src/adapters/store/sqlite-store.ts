/**
 * The Store over SQLite (Node's built-in node:sqlite, through ./sqlite.ts): `upkeep.db` in the state directory, WAL, foreign
 * keys on, synchronous=FULL (a snapshot taken just before a reboot must survive a power loss),
 * a busy timeout for a second upkeep process. The directory is created 0700 and the database
 * 0600 (it holds environment values, which can be secrets); SQLite gives its -wal and -shm files
 * the database's mode. Every failure becomes a StoreError that names the file and what to do.
 */
import { accessSync, chmodSync, closeSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { UpkeepError } from '../../core/errors.js';
import type { ScheduledMaintenance } from '../../core/maintenance-schedule.js';
import { desiredContainerProblem, type DesiredContainer, type ForgottenEntry, type Snapshot } from '../../core/recovery/desired-state.js';
import type { RollbackPlan } from '../../core/upgrade/rollback.js';
import type { StoredRollbackPlan } from '../../ports/rollback.js';
import { UPGRADE_STEPS, type RunOutcome, type StepRecord, type UpgradeMode, type UpgradeRun } from '../../core/upgrade/routine.js';
import { applyMigrations, MIGRATIONS, type Migration } from './migrations.js';
import { openSqlite, sqliteErrorName, type SqliteDatabase } from './sqlite.js';
import { DATABASE_FILE } from './state-dir.js';
import {
  StoreError,
  type ForgetResult,
  type MaintenanceWindow,
  type OutboxEntry,
  type NewTimelineEntry,
  type OperatorStop,
  type SnapshotSummary,
  type Store,
  type StoreDiagnostics,
  type StoredSnapshot,
  type TimelineEntry,
  type TimelineQuery,
} from './store.js';

/** Where the store lives and how it is opened. */
export interface OpenStoreOptions {
  stateDir: string;
  /** Create the directory and database when missing (snapshot, forget). False for diff and recover: a missing database is an error. */
  create?: boolean;
  /** How long to wait for another upkeep holding the write lock. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** The clock for `forget` and timeline entries. */
  now?: () => Date;
  /** For tests of upgrades: the migrations to apply (default: all). */
  migrations?: readonly Migration[];
  /**
   * For commands that only read (diff, recover --dry-run, status, timeline, ...): when the database
   * cannot be opened for writing (a read-only state directory or file system, another user's file),
   * read a private copy instead, opened read-only; every write then fails with a StoreError.
   */
  readOnly?: boolean;
}

const CANNOT_WRITE = /^(SQLITE_READONLY|SQLITE_CANTOPEN|SQLITE_PERM|SQLITE_AUTH|EROFS|EACCES|EPERM)/;

const HINT_STATE_DIR = 'choose another directory with --state-dir or UPKEEP_STATE_DIR';

/** Turns anything thrown by SQLite or the file system into a StoreError a person can act on. */
export function toStoreError(err: unknown, path: string, doing: string): UpkeepError {
  if (err instanceof UpkeepError) return err;
  const code = sqliteErrorName(err) ?? String((err as { code?: unknown } | null)?.code ?? '');
  const detail = err instanceof Error ? err.message : String(err);
  const make = (message: string, hint: string): StoreError => new StoreError(message, { hint, cause: err });
  if (code === 'SQLITE_NOTADB') {
    return make(
      `${path} is not an upkeep database (SQLite: ${detail})`,
      `move it aside (mv ${path} ${path}.bad) and take a new snapshot with \`upkeep snapshot\`, or ${HINT_STATE_DIR}`,
    );
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return make(
      `the upkeep database ${path} is damaged (SQLite: ${detail})`,
      `keep a copy, try \`sqlite3 ${path} .recover\`, or move it aside and take a new snapshot with \`upkeep snapshot\``,
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return make(`the upkeep database ${path} is locked by another process (${detail})`, 'wait for the other upkeep command to finish, then run this one again');
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') {
    return make(
      `cannot write the upkeep database ${path}: it is read-only (${detail})`,
      `run as the user who owns it (root for /var/lib/upkeep), or ${HINT_STATE_DIR}`,
    );
  }
  if (code === 'SQLITE_PERM' || code === 'SQLITE_AUTH' || code === 'EACCES' || code === 'EPERM') {
    return make(`permission denied on ${path} while ${doing}`, `run as the user who owns it (sudo for /var/lib/upkeep), or ${HINT_STATE_DIR}`);
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    // SQLite cannot say why; a directory it may not write (WAL needs its -shm file there) is the usual cause.
    const why = directoryNotWritable(dirname(path));
    if (why === 'EROFS')
      return make(
        `cannot write the upkeep database ${path}: its directory is on a read-only file system`,
        `commands that only read (status, diff, timeline, snapshot --list) still work; to change the state, remount it read-write or ${HINT_STATE_DIR}`,
      );
    if (why !== null)
      return make(
        `permission denied on the directory of ${path} while ${doing}`,
        `run as the user who owns it (sudo for /var/lib/upkeep), or ${HINT_STATE_DIR}`,
      );
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code === 'ENOTDIR' || code === 'EISDIR') {
    return make(`cannot open the upkeep database ${path} (${detail})`, `check that it is a regular file you may read and write, or ${HINT_STATE_DIR}`);
  }
  if (code.startsWith('SQLITE_FULL') || code === 'ENOSPC') {
    return make(`the disk holding ${path} is full (${detail}); nothing was saved`, 'free some space and run the command again');
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') {
    return make(`I/O error on ${path} while ${doing} (${detail})`, 'check the disk (dmesg), then run the command again');
  }
  return make(`upkeep database ${path}: ${doing} failed: ${detail}`, HINT_STATE_DIR);
}

/** Why `dir` cannot be written ("EROFS", "EACCES", ...), or null when it can. */
function directoryNotWritable(dir: string): string | null {
  try {
    accessSync(dir, constants.W_OK);
    return null;
  } catch (err) {
    return String((err as { code?: unknown }).code ?? 'EACCES');
  }
}

/** stat, with "does not exist" as null and any other failure (EACCES on a parent, say) as a StoreError. */
function statOrNull(path: string, doing: string): Stats | null {
  try {
    return statSync(path);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return null;
    throw toStoreError(err, path, doing);
  }
}

/** Creates the directory (0700) when missing; the database file (0600) when missing; tightens a file readable by others. */
function prepareFiles(dir: string, path: string, create: boolean): void {
  let st = statOrNull(path, 'opening the database');
  if (st === null) {
    if (!create) {
      throw new StoreError(`no upkeep state at ${path}: no snapshot has been taken here`, {
        hint: `take one with \`upkeep snapshot\` while everything runs, or point --state-dir (UPKEEP_STATE_DIR) at the right directory`,
      });
    }
    if (statOrNull(dir, 'opening the state directory') === null) {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        chmodSync(dir, 0o700);
      } catch (err) {
        throw toStoreError(err, dir, 'creating the state directory');
      }
    }
    try {
      closeSync(openSync(path, 'wx', 0o600));
      chmodSync(path, 0o600);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw toStoreError(err, path, 'creating the database');
    }
    st = statOrNull(path, 'opening the database');
    if (st === null) throw new StoreError(`${path} disappeared while it was being created`, { hint: 'run the command again' });
  }
  if (!st.isFile()) {
    throw new StoreError(`${path} is not a regular file`, { hint: `remove or rename it, or ${HINT_STATE_DIR}` });
  }
  if ((st.mode & 0o077) !== 0) {
    try {
      chmodSync(path, 0o600);
    } catch {
      /* not ours to change: reading it still works */
    }
  }
}

/** Opens (and creates or upgrades) the store in `stateDir`. Throws StoreError, never a raw SQLite error. */
export function openStore(opts: OpenStoreOptions): Store {
  const path = join(opts.stateDir, DATABASE_FILE);
  if (!opts.readOnly) return openWritable(opts, path, path);
  prepareFiles(opts.stateDir, path, false);
  try {
    return openWritable({ ...opts, create: false }, path, path);
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause ?? err;
    const code = sqliteErrorName(cause) ?? String((cause as { code?: unknown } | null)?.code ?? '');
    if (!CANNOT_WRITE.test(code)) throw err;
  }
  return openPrivateCopy(opts, path);
}

/**
 * A read-only view of `path` when it cannot be opened for writing: the database and its WAL copied
 * to a private temporary directory (removed at close), upgraded there if it is older, then opened
 * read-only.
 */
function openPrivateCopy(opts: OpenStoreOptions, path: string): Store {
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), 'upkeep-ro-'));
  } catch (err) {
    throw toStoreError(err, path, 'copying the database to read it');
  }
  const copy = join(dir, DATABASE_FILE);
  try {
    copyFileSync(path, copy);
    if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
    openWritable({ ...opts, stateDir: dir, create: false }, copy, path).close();
    const db = openSqlite(copy, { readOnly: true, busyTimeoutMs: opts.busyTimeoutMs ?? 5000 });
    const version = (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;
    return new SqliteStore(db, path, version, opts.now ?? (() => new Date()), () => rmSync(dir, { recursive: true, force: true }));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw toStoreError(err, path, 'reading a copy of the database');
  }
}

function openWritable(opts: OpenStoreOptions, file: string, path: string): Store {
  prepareFiles(opts.stateDir, file, opts.create !== false);
  let db: SqliteDatabase | undefined;
  try {
    db = openSqlite(file, { busyTimeoutMs: opts.busyTimeoutMs ?? 5000 });
    const mode = db.pragma('journal_mode = WAL');
    if (String(mode).toLowerCase() !== 'wal') throw new StoreError(`${path}: SQLite refused WAL mode (got ${String(mode)})`, { hint: HINT_STATE_DIR });
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = FULL');
    const { to } = applyMigrations(db, path, opts.migrations ?? MIGRATIONS);
    return new SqliteStore(db, path, to, opts.now ?? (() => new Date()));
  } catch (err) {
    try {
      db?.close();
    } catch {
      /* already failing */
    }
    throw toStoreError(err, path, 'opening the database');
  }
}

interface SnapshotRow {
  id: number;
  host_id: string;
  host_name: string;
  taken_at: string;
  note: string | null;
  container_count: number;
}

class SqliteStore implements Store {
  constructor(
    private readonly db: SqliteDatabase,
    readonly path: string,
    readonly schemaVersion: number,
    private readonly now: () => Date,
    private readonly onClose: () => void = () => undefined,
  ) {}

  private guard<T>(doing: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw toStoreError(err, this.path, doing);
    }
  }

  saveSnapshot(snapshot: Snapshot): SnapshotSummary {
    const names = snapshot.containers.map((c) => c.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) throw new StoreError(`the snapshot names container "${dup}" twice; nothing was saved`);
    if (snapshot.host.id === '') throw new StoreError('the snapshot has no host id (engine ID); nothing was saved');
    for (const c of snapshot.containers) {
      const problem = desiredContainerProblem(c);
      if (problem !== null) throw new StoreError(`container "${c.name}" of the snapshot is malformed (${problem}); nothing was saved`);
    }
    return this.guard('saving a snapshot', () => {
      const insertSnapshot = this.db.prepare('INSERT INTO snapshots (host_id, host_name, taken_at, note, container_count) VALUES (?, ?, ?, ?, ?)');
      const insertContainer = this.db.prepare('INSERT INTO snapshot_containers (snapshot_id, name, container) VALUES (?, ?, ?)');
      const id = this.db.transaction('immediate', (): number => {
        const id = Number(
          insertSnapshot.run(snapshot.host.id, snapshot.host.name, snapshot.takenAt, snapshot.note, snapshot.containers.length).lastInsertRowid,
        );
        for (const c of snapshot.containers) insertContainer.run(id, c.name, JSON.stringify(c));
        return id;
      });
      return {
        id,
        host: { ...snapshot.host },
        takenAt: snapshot.takenAt,
        note: snapshot.note,
        containerCount: snapshot.containers.length,
        names: [...names].sort(),
      };
    });
  }

  latestSnapshot(hostId: string): StoredSnapshot | null {
    return this.guard('reading the desired state', () => {
      const row = this.db.prepare('SELECT * FROM snapshots WHERE host_id = ? ORDER BY id DESC LIMIT 1').get(hostId) as SnapshotRow | undefined;
      return row === undefined ? null : this.readSnapshot(row);
    });
  }

  getSnapshot(id: number): StoredSnapshot | null {
    return this.guard(`reading snapshot ${id}`, () => {
      const row = this.db.prepare('SELECT * FROM snapshots WHERE id = ?').get(id) as SnapshotRow | undefined;
      return row === undefined ? null : this.readSnapshot(row);
    });
  }

  /** Reads a snapshot and its containers in one read transaction (a consistent view). */
  private readSnapshot(row: SnapshotRow): StoredSnapshot {
    return this.db.transaction('deferred', (): StoredSnapshot => {
      const rows = this.db.prepare('SELECT name, container FROM snapshot_containers WHERE snapshot_id = ? ORDER BY name').all(row.id) as Array<{
        name: string;
        container: string;
      }>;
      if (rows.length !== row.container_count) {
        throw new StoreError(`snapshot ${row.id} in ${this.path} is incomplete: ${rows.length} of ${row.container_count} containers`, {
          hint: 'take a new snapshot with `upkeep snapshot`',
        });
      }
      const forgottenRows = this.db
        .prepare('SELECT name, MAX(at) AS at FROM forgotten WHERE up_to_snapshot >= ? GROUP BY name ORDER BY name')
        .all(row.id) as Array<{ name: string; at: string }>;
      const forgottenNames = new Set(forgottenRows.map((f) => f.name));
      const containers: DesiredContainer[] = [];
      const forgotten: ForgottenEntry[] = [];
      for (const r of rows) {
        let value: unknown;
        try {
          value = JSON.parse(r.container);
        } catch {
          value = undefined;
        }
        const problem = desiredContainerProblem(value);
        if (problem !== null) {
          throw new StoreError(`snapshot ${row.id} in ${this.path}: container "${r.name}" is unreadable (${problem})`, {
            hint: 'take a new snapshot with `upkeep snapshot` (it may have been written by another upkeep version)',
          });
        }
        if (forgottenNames.has(r.name)) continue;
        containers.push(value as DesiredContainer);
      }
      const names = new Set(rows.map((r) => r.name));
      for (const f of forgottenRows) if (names.has(f.name)) forgotten.push({ name: f.name, at: f.at });
      return {
        id: row.id,
        host: { id: row.host_id, name: row.host_name },
        takenAt: row.taken_at,
        note: row.note,
        containers,
        forgotten,
      };
    });
  }

  listSnapshots(opts: { hostId?: string; limit?: number } = {}): SnapshotSummary[] {
    return this.guard('listing snapshots', () => {
      const limit = opts.limit !== undefined && opts.limit > 0 ? Math.floor(opts.limit) : -1;
      const rows = (
        opts.hostId !== undefined
          ? this.db.prepare('SELECT * FROM snapshots WHERE host_id = ? ORDER BY id DESC LIMIT ?').all(opts.hostId, limit)
          : this.db.prepare('SELECT * FROM snapshots ORDER BY id DESC LIMIT ?').all(limit)
      ) as SnapshotRow[];
      const namesOf = this.db.prepare('SELECT name FROM snapshot_containers WHERE snapshot_id = ? ORDER BY name');
      return rows.map((r) => ({
        id: r.id,
        host: { id: r.host_id, name: r.host_name },
        takenAt: r.taken_at,
        note: r.note,
        containerCount: r.container_count,
        names: (namesOf.all(r.id) as Array<{ name: string }>).map((n) => n.name),
      }));
    });
  }

  forget(names: readonly string[]): ForgetResult {
    const at = this.now().toISOString();
    return this.guard('forgetting containers', () => {
      return this.db.transaction('immediate', (): ForgetResult => {
        const upTo = (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM snapshots').get() as { id: number }).id;
        // Desired now: the names in each host's newest snapshot that are not already forgotten.
        const desired = new Set(
          (
            this.db
              .prepare(
                `SELECT c.name FROM snapshot_containers c
                 JOIN (SELECT MAX(id) AS id FROM snapshots GROUP BY host_id) newest ON newest.id = c.snapshot_id
                 WHERE NOT EXISTS (SELECT 1 FROM forgotten f WHERE f.name = c.name AND f.up_to_snapshot >= c.snapshot_id)`,
              )
              .all() as Array<{ name: string }>
          ).map((r) => r.name),
        );
        const insert = this.db.prepare('INSERT INTO forgotten (name, at, up_to_snapshot) VALUES (?, ?, ?)');
        const forgotten: string[] = [];
        const notDesired: string[] = [];
        for (const name of [...new Set(names)]) {
          if (desired.has(name)) {
            insert.run(name, at, upTo);
            forgotten.push(name);
          } else {
            notDesired.push(name);
          }
        }
        return { at, forgotten, notDesired };
      });
    });
  }

  listForgotten(): ForgottenEntry[] {
    return this.guard('listing forgotten names', () =>
      (this.db.prepare('SELECT name, at FROM forgotten ORDER BY id').all() as Array<{ name: string; at: string }>).map((r) => ({ name: r.name, at: r.at })),
    );
  }

  unforget(names: readonly string[]): string[] {
    return this.guard('restoring forgotten containers', () => {
      return this.db.transaction('immediate', (): string[] => {
        // Only what a host's newest snapshot holds and a forget since then removed.
        const restorable = this.db.prepare(
          `SELECT DISTINCT f.name FROM forgotten f
           JOIN (SELECT MAX(id) AS id FROM snapshots GROUP BY host_id) newest ON f.up_to_snapshot >= newest.id
           JOIN snapshot_containers c ON c.snapshot_id = newest.id AND c.name = f.name
           WHERE f.name = ?`,
        );
        const remove = this.db.prepare(
          'DELETE FROM forgotten WHERE name = ? AND up_to_snapshot >= (SELECT MIN(id) FROM (SELECT MAX(id) AS id FROM snapshots GROUP BY host_id))',
        );
        const restored: string[] = [];
        for (const name of [...new Set(names)]) {
          if (restorable.get(name) === undefined) continue;
          remove.run(name);
          restored.push(name);
        }
        return restored;
      });
    });
  }

  recordOperatorStop(stop: OperatorStop): void {
    this.guard('recording an operator stop', () => {
      this.db
        .prepare(
          'INSERT INTO operator_stops (name, at, by, reason) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET at = excluded.at, by = excluded.by, reason = excluded.reason',
        )
        .run(stop.name, stop.at, stop.by, stop.reason);
    });
  }

  clearOperatorStop(name: string): OperatorStop | null {
    return this.guard('clearing an operator stop', () => {
      return this.db.transaction('immediate', (): OperatorStop | null => {
        const row = this.db.prepare('SELECT name, at, by, reason FROM operator_stops WHERE name = ?').get(name) as OperatorStop | undefined;
        if (row === undefined) return null;
        this.db.prepare('DELETE FROM operator_stops WHERE name = ?').run(name);
        return { name: row.name, at: row.at, by: row.by, reason: row.reason };
      });
    });
  }

  operatorStops(): OperatorStop[] {
    return this.guard('reading operator stops', () =>
      (this.db.prepare('SELECT name, at, by, reason FROM operator_stops ORDER BY name').all() as OperatorStop[]).map((r) => ({
        name: r.name,
        at: r.at,
        by: r.by,
        reason: r.reason,
      })),
    );
  }

  appendTimeline(entry: NewTimelineEntry): TimelineEntry {
    const at = entry.at ?? this.now().toISOString();
    const detail = timelineDetail(entry);
    const fields = { ...detail } as Record<string, unknown>;
    delete fields.message;
    const data = Object.keys(fields).length === 0 ? null : JSON.stringify(fields);
    return this.guard('writing the timeline', () => {
      const r = this.db
        .prepare('INSERT INTO timeline (at, kind, subject, message, data) VALUES (?, ?, ?, ?, ?)')
        .run(at, entry.kind, entry.subject ?? null, entry.message, data);
      return { id: Number(r.lastInsertRowid), at, kind: entry.kind, subject: entry.subject ?? null, detail };
    });
  }

  timeline(query: TimelineQuery = {}): TimelineEntry[] {
    return this.guard('reading the timeline', () => {
      const where: string[] = [];
      const params: string[] = [];
      if (query.since !== undefined) {
        where.push('at >= ?');
        params.push(query.since);
      }
      if (query.until !== undefined) {
        where.push('at < ?');
        params.push(query.until);
      }
      const kinds = [...(query.kinds ?? []), ...(query.kind !== undefined ? [query.kind] : [])];
      if (kinds.length > 0) {
        const alternatives = kinds.map((k) => {
          if (k.endsWith('*')) {
            params.push(`${k.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
            return "kind LIKE ? ESCAPE '\\'";
          }
          params.push(k);
          return 'kind = ?';
        });
        where.push(`(${alternatives.join(' OR ')})`);
      }
      if (query.subject !== undefined) {
        where.push('subject = ?');
        params.push(query.subject);
      }
      const limit = query.limit !== undefined && query.limit > 0 ? Math.floor(query.limit) : -1;
      // The newest `limit`, returned oldest first.
      const sql = `SELECT * FROM (SELECT * FROM timeline ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT ?) ORDER BY at, id`;
      return (this.db.prepare(sql).all(...params, limit) as TimelineRow[]).map(toTimelineEntry);
    });
  }

  pruneTimeline(before: string): number {
    return this.guard('pruning the timeline', () => this.db.prepare('DELETE FROM timeline WHERE at < ?').run(before).changes);
  }

  transaction<T>(fn: () => T): T {
    return this.guard('writing', () => this.db.transaction('immediate', fn));
  }

  enqueueAlert(messageId: string, message: unknown, channels: readonly string[], when?: string): number {
    const at = when ?? this.now().toISOString();
    const json = JSON.stringify(message);
    return this.guard('queueing an alert', () => {
      const insert = this.db.prepare('INSERT OR IGNORE INTO alert_outbox (message_id, channel, message, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)');
      return this.db.transaction('immediate', () => channels.reduce((n, ch) => n + insert.run(messageId, ch, json, at, at).changes, 0));
    });
  }

  dueAlerts(now: string, limit = 100): OutboxEntry[] {
    return this.guard('reading the alert outbox', () =>
      (
        this.db
          .prepare(
            'SELECT * FROM alert_outbox WHERE delivered_at IS NULL AND given_up_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, created_at LIMIT ?',
          )
          .all(now, limit) as OutboxRow[]
      ).map(toOutboxEntry),
    );
  }

  undeliveredAlerts(limit = 1000): OutboxEntry[] {
    return this.guard('reading the alert outbox', () =>
      (this.db.prepare('SELECT * FROM alert_outbox WHERE delivered_at IS NULL AND given_up_at IS NULL ORDER BY rowid LIMIT ?').all(limit) as OutboxRow[]).map(
        toOutboxEntry,
      ),
    );
  }

  outbox(opts: { messageId?: string; limit?: number } = {}): OutboxEntry[] {
    return this.guard('reading the alert outbox', () => {
      const limit = opts.limit !== undefined && opts.limit > 0 ? Math.floor(opts.limit) : -1;
      const rows =
        opts.messageId !== undefined
          ? this.db.prepare('SELECT * FROM alert_outbox WHERE message_id = ? ORDER BY channel').all(opts.messageId)
          : this.db.prepare('SELECT * FROM alert_outbox ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit);
      return (rows as OutboxRow[]).map(toOutboxEntry);
    });
  }

  markDelivered(messageId: string, channel: string, at: string): void {
    this.guard('recording a delivered alert', () => {
      this.db
        .prepare('UPDATE alert_outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE message_id = ? AND channel = ?')
        .run(at, messageId, channel);
    });
  }

  markFailed(messageId: string, channel: string, error: string, nextAttemptAt: string | null, at: string): void {
    this.guard('recording a failed alert delivery', () => {
      this.db
        .prepare(
          'UPDATE alert_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = COALESCE(?, next_attempt_at), given_up_at = CASE WHEN ? IS NULL THEN ? ELSE NULL END WHERE message_id = ? AND channel = ?',
        )
        .run(error.slice(0, 1000), nextAttemptAt, nextAttemptAt, at, messageId, channel);
    });
  }

  outboxPending(): { count: number; nextAttemptAt: string | null } {
    return this.guard('reading the alert outbox', () => {
      const r = this.db
        .prepare('SELECT COUNT(*) AS count, MIN(next_attempt_at) AS next FROM alert_outbox WHERE delivered_at IS NULL AND given_up_at IS NULL')
        .get() as { count: number; next: string | null };
      return { count: r.count, nextAttemptAt: r.next };
    });
  }

  startMaintenance(opts: { source: string; reason?: string | null; endsAt: string; at?: string }): MaintenanceWindow {
    const at = opts.at ?? this.now().toISOString();
    return this.guard('starting a maintenance window', () => {
      return this.db.transaction('immediate', (): MaintenanceWindow => {
        const open = this.db
          .prepare('SELECT * FROM maintenance WHERE source = ? AND ended_at IS NULL AND ends_at > ? ORDER BY id DESC LIMIT 1')
          .get(opts.source, at) as MaintenanceRow | undefined;
        if (open !== undefined) {
          const endsAt = open.ends_at > opts.endsAt ? open.ends_at : opts.endsAt;
          this.db.prepare('UPDATE maintenance SET ends_at = ?, reason = COALESCE(?, reason) WHERE id = ?').run(endsAt, opts.reason ?? null, open.id);
          return toMaintenance({ ...open, ends_at: endsAt, reason: opts.reason ?? open.reason });
        }
        const r = this.db
          .prepare('INSERT INTO maintenance (source, reason, started_at, ends_at) VALUES (?, ?, ?, ?)')
          .run(opts.source, opts.reason ?? null, at, opts.endsAt);
        return { id: Number(r.lastInsertRowid), source: opts.source, reason: opts.reason ?? null, startedAt: at, endsAt: opts.endsAt, endedAt: null };
      });
    });
  }

  stopMaintenance(opts: { source?: string } = {}): MaintenanceWindow[] {
    const at = this.now().toISOString();
    return this.guard('ending a maintenance window', () => {
      return this.db.transaction('immediate', (): MaintenanceWindow[] => {
        const rows = (
          opts.source !== undefined
            ? this.db.prepare('SELECT * FROM maintenance WHERE ended_at IS NULL AND ends_at > ? AND source = ?').all(at, opts.source)
            : this.db.prepare('SELECT * FROM maintenance WHERE ended_at IS NULL AND ends_at > ?').all(at)
        ) as MaintenanceRow[];
        const end = this.db.prepare('UPDATE maintenance SET ended_at = ? WHERE id = ?');
        for (const r of rows) end.run(at, r.id);
        return rows.map((r) => toMaintenance({ ...r, ended_at: at }));
      });
    });
  }

  activeMaintenance(now: string): MaintenanceWindow[] {
    return this.guard('reading maintenance windows', () =>
      (this.db.prepare('SELECT * FROM maintenance WHERE ended_at IS NULL AND ends_at > ? ORDER BY id').all(now) as MaintenanceRow[]).map(toMaintenance),
    );
  }

  maintenanceEndedSince(since: string): MaintenanceWindow[] {
    return this.guard('reading maintenance windows', () =>
      (this.db.prepare('SELECT * FROM maintenance WHERE ended_at IS NOT NULL AND ended_at > ? ORDER BY ended_at, id').all(since) as MaintenanceRow[]).map(
        toMaintenance,
      ),
    );
  }

  getMaintenance(id: number): MaintenanceWindow | null {
    return this.guard('reading maintenance windows', () => {
      const r = this.db.prepare('SELECT * FROM maintenance WHERE id = ?').get(id) as MaintenanceRow | undefined;
      return r === undefined ? null : toMaintenance(r);
    });
  }

  recentMaintenance(limit = 10): MaintenanceWindow[] {
    return this.guard('reading maintenance windows', () =>
      (this.db.prepare('SELECT * FROM maintenance ORDER BY started_at DESC, id DESC LIMIT ?').all(limit) as MaintenanceRow[]).map(toMaintenance),
    );
  }

  scheduleMaintenance(opts: { startsAt: string; endsAt: string; note: string; remindBeforeMs: number; at: string }): ScheduledMaintenance {
    return this.guard('scheduling maintenance', () => {
      const r = this.db
        .prepare('INSERT INTO maintenance_schedule (starts_at, ends_at, note, remind_before_ms, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(opts.startsAt, opts.endsAt, opts.note, opts.remindBeforeMs, opts.at);
      return this.getScheduledMaintenance(Number(r.lastInsertRowid))!;
    });
  }

  upcomingMaintenance(now: string): ScheduledMaintenance[] {
    return this.guard('reading scheduled maintenance', () =>
      (this.db.prepare('SELECT * FROM maintenance_schedule WHERE ends_at > ? ORDER BY starts_at, id').all(now) as ScheduleRow[]).map(toScheduled),
    );
  }

  getScheduledMaintenance(id: number): ScheduledMaintenance | null {
    return this.guard('reading scheduled maintenance', () => {
      const r = this.db.prepare('SELECT * FROM maintenance_schedule WHERE id = ?').get(id) as ScheduleRow | undefined;
      return r === undefined ? null : toScheduled(r);
    });
  }

  cancelScheduledMaintenance(id: number, at: string): ScheduledMaintenance | null {
    return this.guard('cancelling scheduled maintenance', () => {
      this.db.prepare('UPDATE maintenance_schedule SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL').run(at, id);
      return this.getScheduledMaintenance(id);
    });
  }

  markScheduleNotice(id: number, notice: 'announce' | 'remind' | 'cancel-notice', at: string): void {
    const column = { announce: 'announced_at', remind: 'reminded_at', 'cancel-notice': 'cancel_notice_at' }[notice];
    this.guard('recording a maintenance notice', () => {
      this.db.prepare(`UPDATE maintenance_schedule SET ${column} = ? WHERE id = ? AND ${column} IS NULL`).run(at, id);
    });
  }

  attachScheduleWindow(id: number, windowId: number): boolean {
    return this.guard('recording a scheduled maintenance window', () => {
      const r = this.db.prepare('UPDATE maintenance_schedule SET window_id = ? WHERE id = ? AND window_id IS NULL').run(windowId, id);
      return r.changes > 0;
    });
  }

  getAgentState<T>(key: string, parse: (value: unknown) => T | null): T | null {
    const raw = this.guard('reading the agent state', () => {
      const r = this.db.prepare('SELECT value FROM agent_state WHERE key = ?').get(key) as { value: string } | undefined;
      return r === undefined ? null : (JSON.parse(r.value) as unknown);
    });
    return raw === null ? null : parse(raw);
  }

  setAgentState(key: string, value: unknown): void {
    const at = this.now().toISOString();
    this.guard('saving the agent state', () => {
      this.db
        .prepare(
          'INSERT INTO agent_state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
        )
        .run(key, JSON.stringify(value ?? null), at);
    });
  }

  startUpgradeRun(opts: { mode: UpgradeMode; pid: number; at: string }): UpgradeRun {
    return this.guard('recording an upgrade run', () => {
      const r = this.db.prepare('INSERT INTO upgrade_runs (started_at, mode, pid) VALUES (?, ?, ?)').run(opts.at, opts.mode, opts.pid);
      return {
        id: Number(r.lastInsertRowid),
        startedAt: opts.at,
        mode: opts.mode,
        pid: opts.pid,
        maintenanceId: null,
        endedAt: null,
        outcome: null,
        records: [],
      };
    });
  }

  recordUpgradeStep(runId: number, record: StepRecord): void {
    this.guard('recording an upgrade step', () => {
      this.db
        .prepare('INSERT INTO upgrade_steps (run_id, step, status, at, detail) VALUES (?, ?, ?, ?, ?)')
        .run(runId, record.step, record.status, record.at, record.detail === null ? null : JSON.stringify(record.detail));
    });
  }

  setUpgradeRunWindow(runId: number, maintenanceId: number): void {
    this.guard('recording an upgrade run', () => {
      this.db.prepare('UPDATE upgrade_runs SET maintenance_id = ? WHERE id = ?').run(maintenanceId, runId);
    });
  }

  endUpgradeRun(runId: number, opts: { at: string; outcome: RunOutcome }): void {
    this.guard('ending an upgrade run', () => {
      this.db.prepare('UPDATE upgrade_runs SET ended_at = ?, outcome = ? WHERE id = ? AND ended_at IS NULL').run(opts.at, opts.outcome, runId);
    });
  }

  latestUpgradeRun(): UpgradeRun | null {
    return this.guard('reading the upgrade journal', () => {
      const r = this.db.prepare('SELECT * FROM upgrade_runs ORDER BY id DESC LIMIT 1').get() as UpgradeRunRow | undefined;
      if (r === undefined) return null;
      const steps = this.db.prepare('SELECT step, status, at, detail FROM upgrade_steps WHERE run_id = ? ORDER BY id').all(r.id) as UpgradeStepRow[];
      return {
        id: r.id,
        startedAt: r.started_at,
        mode: r.mode === 'full-upgrade' ? 'full-upgrade' : 'upgrade',
        pid: r.pid,
        maintenanceId: r.maintenance_id,
        endedAt: r.ended_at,
        outcome: r.outcome as RunOutcome | null,
        // A step this version does not know (a newer upkeep wrote it) is left out: the rerun redoes it.
        records: steps.flatMap((s) =>
          (UPGRADE_STEPS as readonly string[]).includes(s.step) && (s.status === 'started' || s.status === 'finished' || s.status === 'failed')
            ? [{ step: s.step as StepRecord['step'], status: s.status, at: s.at, detail: parseDetail(s.detail) }]
            : [],
        ),
      };
    });
  }

  rollbackPlan(query: { maintenanceId: number } | { newest: true }): StoredRollbackPlan | null {
    return this.guard('reading the rollback plan', () => {
      // The plan is the detail of the snapshot step (app/upgrade.ts), recorded before apt ran.
      const sql = `SELECT s.detail AS detail, r.id AS run_id, r.maintenance_id AS maintenance_id FROM upgrade_steps s JOIN upgrade_runs r ON r.id = s.run_id
        WHERE s.step = 'snapshot' AND s.status = 'finished' AND json_extract(s.detail, '$.rollback') IS NOT NULL
        ${'maintenanceId' in query ? 'AND r.maintenance_id = ?' : ''} ORDER BY s.id DESC LIMIT 1`;
      const row = ('maintenanceId' in query ? this.db.prepare(sql).get(query.maintenanceId) : this.db.prepare(sql).get()) as
        { detail: string; run_id: number; maintenance_id: number | null } | undefined;
      const plan = row === undefined ? undefined : (parseDetail(row.detail)?.rollback as RollbackPlan | undefined);
      if (row === undefined || plan === undefined || !Array.isArray(plan.packages)) return null;
      return { runId: row.run_id, maintenanceId: row.maintenance_id, plan };
    });
  }

  endMaintenanceWindow(id: number, at: string): MaintenanceWindow | null {
    return this.guard('ending a maintenance window', () =>
      this.db.transaction('immediate', (): MaintenanceWindow | null => {
        const r = this.db.prepare('SELECT * FROM maintenance WHERE id = ?').get(id) as MaintenanceRow | undefined;
        if (r === undefined) return null;
        if (r.ended_at !== null || r.ends_at <= at) return toMaintenance(r);
        this.db.prepare('UPDATE maintenance SET ended_at = ? WHERE id = ?').run(at, id);
        return toMaintenance({ ...r, ended_at: at });
      }),
    );
  }

  diagnostics(): StoreDiagnostics {
    return this.guard('checking the database', () => ({
      journalMode: String(this.db.pragma('journal_mode')),
      foreignKeys: Number(this.db.pragma('foreign_keys')) === 1,
      synchronous: Number(this.db.pragma('synchronous')),
      busyTimeoutMs: Number(this.db.pragma('busy_timeout')),
      integrity: this.db.pragmaList('integrity_check').map(String).join('\n'),
      schemaVersion: this.schemaVersion,
    }));
  }

  close(): void {
    this.db.close();
    this.onClose();
  }
}

interface OutboxRow {
  message_id: string;
  channel: string;
  message: string;
  created_at: string;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  delivered_at: string | null;
  given_up_at: string | null;
}

function toOutboxEntry(r: OutboxRow): OutboxEntry {
  return {
    messageId: r.message_id,
    channel: r.channel,
    message: JSON.parse(r.message) as unknown,
    createdAt: r.created_at,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    deliveredAt: r.delivered_at,
    givenUpAt: r.given_up_at,
  };
}

interface UpgradeRunRow {
  id: number;
  started_at: string;
  mode: string;
  pid: number;
  maintenance_id: number | null;
  ended_at: string | null;
  outcome: string | null;
}

interface UpgradeStepRow {
  step: string;
  status: string;
  at: string;
  detail: string | null;
}

function parseDetail(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  const v = JSON.parse(text) as unknown;
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
}

interface MaintenanceRow {
  id: number;
  source: string;
  reason: string | null;
  started_at: string;
  ends_at: string;
  ended_at: string | null;
}

function toMaintenance(r: MaintenanceRow): MaintenanceWindow {
  return { id: r.id, source: r.source, reason: r.reason, startedAt: r.started_at, endsAt: r.ends_at, endedAt: r.ended_at };
}

interface ScheduleRow {
  id: number;
  starts_at: string;
  ends_at: string;
  note: string;
  remind_before_ms: number;
  created_at: string;
  announced_at: string | null;
  reminded_at: string | null;
  window_id: number | null;
  cancelled_at: string | null;
  cancel_notice_at: string | null;
}

function toScheduled(r: ScheduleRow): ScheduledMaintenance {
  return {
    id: r.id,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    note: r.note,
    remindBeforeMs: r.remind_before_ms,
    createdAt: r.created_at,
    announcedAt: r.announced_at,
    remindedAt: r.reminded_at,
    windowId: r.window_id,
    cancelledAt: r.cancelled_at,
    cancelNoticeAt: r.cancel_notice_at,
  };
}

interface TimelineRow {
  id: number;
  at: string;
  kind: string;
  subject: string | null;
  message: string;
  data: string | null;
}

/** The entry's detail: its message plus its own fields (a non-object `data` is kept as `value`). */
function timelineDetail(entry: NewTimelineEntry): TimelineEntry['detail'] {
  const data = entry.data;
  const fields =
    data === undefined || data === null ? {} : typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : { value: data };
  return { ...fields, message: entry.message, ...(entry.reconstructed ? { reconstructed: true } : {}) };
}

function toTimelineEntry(r: TimelineRow): TimelineEntry {
  let fields: Record<string, unknown> = {};
  if (r.data !== null) {
    const parsed = JSON.parse(r.data) as unknown;
    fields = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
  }
  return { id: r.id, at: r.at, kind: r.kind, subject: r.subject, detail: { ...fields, message: r.message } };
}
