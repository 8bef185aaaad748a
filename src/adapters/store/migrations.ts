/**
 * The store's schema, as an ordered list of migrations. A database records the versions applied
 * in `schema_migrations`; opening it applies the missing ones, all in one immediate transaction
 * (a crash leaves the old schema, never half of a new one). Never edit a released migration:
 * append a new one.
 */
import type { SqliteDatabase } from './sqlite.js';
import { StoreError } from './store.js';

/** One schema step: SQL applied once, in order. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every migration, oldest first; versions are 1, 2, 3, ... without gaps. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'snapshots, their containers, forgotten names',
    sql: `
      CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        host_id TEXT NOT NULL,
        host_name TEXT NOT NULL,
        taken_at TEXT NOT NULL,
        note TEXT,
        container_count INTEGER NOT NULL CHECK (container_count >= 0)
      );
      CREATE INDEX snapshots_by_host ON snapshots (host_id, id);
      CREATE TABLE snapshot_containers (
        snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        container TEXT NOT NULL CHECK (json_valid(container)),
        UNIQUE (snapshot_id, name)
      );
      -- up_to_snapshot: the newest snapshot id when the name was forgotten; later snapshots are not affected.
      CREATE TABLE forgotten (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        at TEXT NOT NULL,
        up_to_snapshot INTEGER NOT NULL
      );
      CREATE INDEX forgotten_by_snapshot ON forgotten (up_to_snapshot, name);
    `,
  },
  {
    version: 2,
    name: 'timeline of events and reports',
    sql: `
      CREATE TABLE timeline (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        subject TEXT,
        message TEXT NOT NULL,
        data TEXT CHECK (data IS NULL OR json_valid(data))
      );
      CREATE INDEX timeline_by_at ON timeline (at, id);
      CREATE INDEX timeline_by_kind ON timeline (kind, at, id);
    `,
  },
  {
    version: 3,
    name: 'agent: alert outbox, maintenance windows, agent state',
    sql: `
      -- One row per message and channel; message_id is the idempotency key the receivers see.
      CREATE TABLE alert_outbox (
        message_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        message TEXT NOT NULL CHECK (json_valid(message)),
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        delivered_at TEXT,
        given_up_at TEXT,
        PRIMARY KEY (message_id, channel)
      );
      CREATE INDEX alert_outbox_due ON alert_outbox (next_attempt_at) WHERE delivered_at IS NULL AND given_up_at IS NULL;
      CREATE TABLE maintenance (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source TEXT NOT NULL,
        reason TEXT,
        started_at TEXT NOT NULL,
        ends_at TEXT NOT NULL,
        ended_at TEXT
      );
      CREATE TABLE agent_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL CHECK (json_valid(value)),
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'operator intent: containers stopped on purpose',
    sql: `
      CREATE TABLE operator_stops (
        name TEXT PRIMARY KEY,
        at TEXT NOT NULL,
        by TEXT NOT NULL,
        reason TEXT NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'upkeep upgrade: runs and their step journal',
    sql: `
      CREATE TABLE upgrade_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL,
        mode TEXT NOT NULL,
        pid INTEGER NOT NULL,
        maintenance_id INTEGER REFERENCES maintenance (id),
        ended_at TEXT,
        outcome TEXT
      );
      CREATE TABLE upgrade_steps (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id INTEGER NOT NULL REFERENCES upgrade_runs (id) ON DELETE CASCADE,
        step TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('started', 'finished', 'failed')),
        at TEXT NOT NULL,
        detail TEXT CHECK (detail IS NULL OR json_valid(detail))
      );
      CREATE INDEX upgrade_steps_by_run ON upgrade_steps (run_id, id);
    `,
  },
  {
    version: 6,
    name: 'scheduled maintenance: announced, reminded, opened, cancelled',
    sql: `
      CREATE TABLE maintenance_schedule (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        starts_at TEXT NOT NULL,
        ends_at TEXT NOT NULL CHECK (ends_at > starts_at),
        note TEXT NOT NULL,
        remind_before_ms INTEGER NOT NULL CHECK (remind_before_ms >= 0),
        created_at TEXT NOT NULL,
        announced_at TEXT,
        reminded_at TEXT,
        window_id INTEGER REFERENCES maintenance (id),
        cancelled_at TEXT,
        cancel_notice_at TEXT
      );
      CREATE INDEX maintenance_schedule_by_end ON maintenance_schedule (ends_at);
    `,
  },
];

/** The schema version this upkeep writes. */
export const CURRENT_SCHEMA_VERSION = (MIGRATIONS[MIGRATIONS.length - 1] as Migration).version;

/**
 * Brings `db` up to the last of `migrations` and returns the versions before and after. Throws a
 * StoreError for a database written by a newer upkeep, or for a SQLite file that is not upkeep's.
 */
export function applyMigrations(db: SqliteDatabase, path: string, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration list is out of order at ${m.version} (expected ${i + 1})`);
  });
  const newest = migrations.length === 0 ? 0 : (migrations[migrations.length - 1] as Migration).version;
  return db.transaction('immediate', () => {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
    if (!hasTable) {
      const other = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' LIMIT 1").get() as
        { name: string } | undefined;
      if (other !== undefined) {
        throw new StoreError(`${path} is a SQLite database, but not upkeep's (it has a table "${other.name}" and no schema_migrations)`, {
          hint: 'point --state-dir (or UPKEEP_STATE_DIR) at a directory of its own',
        });
      }
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    }
    const from = (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;
    if (from > newest) {
      throw new StoreError(`${path} has schema version ${from}, written by a newer upkeep (this one knows up to ${newest})`, {
        hint: 'upgrade upkeep, or use another --state-dir; the file was not changed',
      });
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of migrations) {
      if (m.version <= from) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
    }
    return { from, to: Math.max(from, newest) };
  });
}
