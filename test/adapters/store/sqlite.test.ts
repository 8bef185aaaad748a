/**
 * Pins the behaviour of node:sqlite that the store relies on (src/adapters/store/sqlite.ts). The
 * module is "active development" in Node 24: if a Node update changes any of this, these tests say
 * which part, before the store's own tests fail in a less obvious way.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqlite, sqliteErrorName } from '../../../src/adapters/store/sqlite.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-sqlite-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function file(): string {
  const path = join(root, `db-${n++}.db`);
  closeSync(openSync(path, 'wx', 0o600));
  return path;
}

function thrownName(fn: () => unknown): string | null {
  try {
    fn();
  } catch (err) {
    return sqliteErrorName(err);
  }
  assert.fail('expected SQLite to throw');
}

describe('node:sqlite as the store uses it', () => {
  it('runs on Node 24 or newer with SQLite 3.4x or newer', () => {
    assert.ok(Number(process.versions.node.split('.')[0]) >= 24, `Node ${process.versions.node}`);
    const db = openSqlite(':memory:', { busyTimeoutMs: 0 });
    const version = String((db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v);
    assert.match(version, /^3\.(4\d|[5-9]\d)\./);
    db.close();
  });

  it('timeout is the busy timeout; WAL, synchronous FULL and foreign keys are set by PRAGMA and read back', () => {
    const db = openSqlite(file(), { busyTimeoutMs: 1234 });
    assert.equal(db.pragma('busy_timeout'), 1234);
    assert.equal(db.pragma('journal_mode = WAL'), 'wal');
    db.pragma('synchronous = FULL');
    assert.equal(db.pragma('synchronous'), 2);
    db.pragma('foreign_keys = ON');
    assert.equal(db.pragma('foreign_keys'), 1);
    assert.deepEqual(db.pragmaList('integrity_check'), ['ok']);
    db.close();
    assert.equal(db.isOpen, false);
    db.close(); // twice is harmless
  });

  it('rows are plain objects by column name, integers are numbers, a missing row is undefined, run reports changes and the rowid', () => {
    const db = openSqlite(':memory:', { busyTimeoutMs: 0 });
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, n INTEGER, note TEXT)');
    assert.deepEqual(db.prepare('INSERT INTO t (name, n, note) VALUES (?, ?, ?)').run('a', 7, null), { changes: 1, lastInsertRowid: 1 });
    assert.deepEqual(db.prepare('INSERT INTO t (name, n, note) VALUES (?, ?, ?)').run('b', 2 ** 40, 'x'), { changes: 1, lastInsertRowid: 2 });
    assert.deepEqual({ ...(db.prepare('SELECT * FROM t WHERE id = ?').get(1) as object) }, { id: 1, name: 'a', n: 7, note: null });
    assert.equal((db.prepare('SELECT n FROM t WHERE id = 2').get() as { n: unknown }).n, 2 ** 40);
    assert.equal(db.prepare('SELECT * FROM t WHERE id = ?').get(99), undefined);
    assert.equal(db.prepare('SELECT * FROM t WHERE id > ?').all(10).length, 0);
    assert.equal(db.prepare('UPDATE t SET n = n + 1').run().changes, 2);
    db.close();
  });

  it('a transaction commits on return, rolls back on a throw; a nested one is a savepoint', () => {
    const db = openSqlite(':memory:', { busyTimeoutMs: 0 });
    db.exec('CREATE TABLE t (v TEXT)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    assert.equal(
      db.transaction('immediate', () => {
        insert.run('kept');
        return 'returned';
      }),
      'returned',
    );
    assert.throws(() =>
      db.transaction('immediate', () => {
        insert.run('lost');
        throw new Error('boom');
      }),
    );
    db.transaction('immediate', () => {
      insert.run('outer');
      assert.throws(() =>
        db.transaction('immediate', () => {
          insert.run('inner lost');
          throw new Error('inner');
        }),
      );
    });
    const rows = db.prepare('SELECT v FROM t ORDER BY rowid').all() as Array<{ v: string }>;
    assert.deepEqual(
      rows.map((r) => r.v),
      ['kept', 'outer'],
    );
    db.close();
  });

  it('errors carry SQLite result codes: not a database, cannot open, read-only, busy, constraint', () => {
    const junk = join(root, 'junk.db');
    writeFileSync(junk, 'not a database '.repeat(400));
    assert.equal(
      thrownName(() => openSqlite(junk, { busyTimeoutMs: 0 }).prepare('SELECT * FROM sqlite_master').all()),
      'SQLITE_NOTADB',
    );
    assert.equal(
      thrownName(() => openSqlite(join(root, 'missing-dir', 'x.db'), { busyTimeoutMs: 0 })),
      'SQLITE_CANTOPEN',
    );

    const path = file();
    const writer = openSqlite(path, { busyTimeoutMs: 0 });
    writer.pragma('journal_mode = WAL');
    writer.exec('CREATE TABLE t (v TEXT UNIQUE)');
    writer.prepare('INSERT INTO t (v) VALUES (?)').run('a');
    assert.equal(
      thrownName(() => writer.prepare('INSERT INTO t (v) VALUES (?)').run('a')),
      'SQLITE_CONSTRAINT',
    );

    const reader = openSqlite(path, { busyTimeoutMs: 0, readOnly: true });
    assert.equal(reader.prepare('SELECT COUNT(*) AS c FROM t').get() !== undefined, true);
    assert.equal(
      thrownName(() => reader.exec("INSERT INTO t (v) VALUES ('b')")),
      'SQLITE_READONLY',
    );

    const other = openSqlite(path, { busyTimeoutMs: 50 });
    writer.transaction('immediate', () => {
      writer.prepare('INSERT INTO t (v) VALUES (?)').run('held');
      assert.equal(
        thrownName(() => other.transaction('immediate', () => other.prepare('INSERT INTO t (v) VALUES (?)').run('waits'))),
        'SQLITE_BUSY',
      );
    });
    other.transaction('immediate', () => other.prepare('INSERT INTO t (v) VALUES (?)').run('after'));
    assert.equal((writer.prepare('SELECT COUNT(*) AS c FROM t').get() as { c: number }).c, 3);
    for (const db of [writer, reader, other]) db.close();
  });

  it('names nothing that is not a SQLite error', () => {
    assert.equal(sqliteErrorName(new Error('x')), null);
    assert.equal(sqliteErrorName(Object.assign(new Error('x'), { code: 'ENOENT' })), null);
    assert.equal(sqliteErrorName(null), null);
    assert.equal(sqliteErrorName(Object.assign(new Error('x'), { code: 'ERR_SQLITE_ERROR', errcode: 261 })), 'SQLITE_BUSY', 'extended codes by their low byte');
  });
});
