/**
 * The part of SQLite the store uses, over Node's built-in `node:sqlite` (no native module to build).
 * `node:sqlite` is still marked "active development" in Node 24, so the store touches it only here,
 * through the small, long-standing part of its API: `new DatabaseSync(path, { readOnly, timeout })`,
 * `prepare` with `run`/`get`/`all`, `exec`, `close`, `isOpen`, and errors carrying `errcode`. The
 * behaviour relied on is pinned by test/adapters/store/sqlite.test.ts; swapping the driver means
 * rewriting this file only.
 */
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';

export type SqlValue = SQLInputValue;

/** One prepared statement. Rows are plain objects keyed by column name; integers come back as numbers. */
export interface Statement {
  run(...params: SqlValue[]): { changes: number; lastInsertRowid: number };
  get(...params: SqlValue[]): unknown;
  all(...params: SqlValue[]): unknown[];
}

export interface SqliteDatabase {
  prepare(sql: string): Statement;
  /** Runs one or more statements without results (DDL, migrations). */
  exec(sql: string): void;
  /**
   * Runs `fn` in a transaction: `immediate` takes the write lock at BEGIN (every write, so two
   * writers wait on the busy timeout instead of failing mid-way), `deferred` is a consistent read.
   * Commits when `fn` returns, rolls back when it throws. A nested call becomes a savepoint.
   */
  transaction<T>(mode: 'immediate' | 'deferred', fn: () => T): T;
  /** `PRAGMA name` (or `name = value`): the first column of the first row, or undefined. */
  pragma(statement: string): unknown;
  /** `PRAGMA name`: every row's first column (integrity_check). */
  pragmaList(statement: string): unknown[];
  close(): void;
  readonly isOpen: boolean;
}

export interface OpenSqliteOptions {
  readOnly?: boolean;
  /** SQLite's busy timeout: how long a statement waits for another connection's lock. */
  busyTimeoutMs: number;
}

/** Opens an existing file (callers create it first, with the mode they want). */
export function openSqlite(path: string, opts: OpenSqliteOptions): SqliteDatabase {
  const db = new DatabaseSync(path, { readOnly: opts.readOnly === true, timeout: Math.max(0, Math.floor(opts.busyTimeoutMs)) });
  return new NodeSqliteDatabase(db);
}

/** SQLite's primary result codes by number (the low byte of an extended code). */
const RESULT_CODES: Readonly<Record<number, string>> = {
  1: 'SQLITE_ERROR',
  2: 'SQLITE_INTERNAL',
  3: 'SQLITE_PERM',
  4: 'SQLITE_ABORT',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM',
  8: 'SQLITE_READONLY',
  9: 'SQLITE_INTERRUPT',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  15: 'SQLITE_PROTOCOL',
  17: 'SQLITE_SCHEMA',
  18: 'SQLITE_TOOBIG',
  19: 'SQLITE_CONSTRAINT',
  20: 'SQLITE_MISMATCH',
  21: 'SQLITE_MISUSE',
  23: 'SQLITE_AUTH',
  26: 'SQLITE_NOTADB',
};

/** "SQLITE_BUSY", "SQLITE_CORRUPT", ... for an error thrown by SQLite, else null. */
export function sqliteErrorName(err: unknown): string | null {
  const e = err as { code?: unknown; errcode?: unknown } | null;
  if (e === null || typeof e !== 'object') return null;
  if (e.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number') return RESULT_CODES[e.errcode & 0xff] ?? `SQLITE_${e.errcode}`;
  return null;
}

class NodeSqliteDatabase implements SqliteDatabase {
  private depth = 0;

  constructor(private readonly db: DatabaseSync) {}

  get isOpen(): boolean {
    return this.db.isOpen;
  }

  prepare(sql: string): Statement {
    const stmt = this.db.prepare(sql);
    return {
      run: (...params) => {
        const r = stmt.run(...params);
        return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
      },
      get: (...params) => stmt.get(...params),
      all: (...params) => stmt.all(...params),
    };
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  transaction<T>(mode: 'immediate' | 'deferred', fn: () => T): T {
    const savepoint = this.depth > 0 ? `upkeep_${this.depth}` : null;
    this.db.exec(savepoint === null ? (mode === 'immediate' ? 'BEGIN IMMEDIATE' : 'BEGIN DEFERRED') : `SAVEPOINT ${savepoint}`);
    this.depth += 1;
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.depth -= 1;
      try {
        this.db.exec(savepoint === null ? 'ROLLBACK' : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
      } catch {
        /* SQLite already rolled back (a full disk, say); the first error is the one to report */
      }
      throw err;
    }
    this.depth -= 1;
    try {
      this.db.exec(savepoint === null ? 'COMMIT' : `RELEASE ${savepoint}`);
    } catch (err) {
      if (savepoint === null && this.db.isTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
    return result;
  }

  pragma(statement: string): unknown {
    const row = this.db.prepare(`PRAGMA ${statement}`).get();
    return row === undefined ? undefined : Object.values(row)[0];
  }

  pragmaList(statement: string): unknown[] {
    return this.db
      .prepare(`PRAGMA ${statement}`)
      .all()
      .map((row) => Object.values(row)[0]);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
