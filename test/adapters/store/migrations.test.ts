import { DatabaseSync } from 'node:sqlite';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyMigrations, CURRENT_SCHEMA_VERSION, MIGRATIONS } from '../../../src/adapters/store/migrations.js';
import { openSqlite } from '../../../src/adapters/store/sqlite.js';
import { openStore } from '../../../src/adapters/store/sqlite-store.js';
import { StoreError } from '../../../src/adapters/store/store.js';
import { desiredOf } from '../../core/recovery/fixtures.js';

let root: string;
let n = 0;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'upkeep-migrations-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

function tables(path: string): string[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map(
      (r) => r.name,
    );
  } finally {
    db.close();
  }
}

describe('schema migrations', () => {
  it('upgrades a version-1 database to the current schema, keeping its snapshots and forgotten names', () => {
    const dir = join(root, `s${n++}`);
    const v1 = openStore({ stateDir: dir, migrations: MIGRATIONS.slice(0, 1), now: () => new Date('2025-11-20T16:00:00.000Z') });
    assert.equal(v1.schemaVersion, 1);
    v1.saveSnapshot({
      host: { id: 'E', name: 'h' },
      takenAt: '2025-11-20T15:00:00.000Z',
      note: 'v1',
      containers: [desiredOf({ name: 'a' }), desiredOf({ name: 'b' })],
    });
    v1.forget(['b']);
    v1.close();
    assert.deepEqual(tables(join(dir, 'upkeep.db')), ['forgotten', 'schema_migrations', 'snapshot_containers', 'snapshots']);

    const current = openStore({ stateDir: dir });
    assert.equal(current.schemaVersion, CURRENT_SCHEMA_VERSION);
    assert.equal(CURRENT_SCHEMA_VERSION, 6);
    assert.deepEqual(
      current.latestSnapshot('E')?.containers.map((c) => c.name),
      ['a'],
    );
    assert.deepEqual(current.latestSnapshot('E')?.forgotten, [{ name: 'b', at: '2025-11-20T16:00:00.000Z' }]);
    current.appendTimeline({ kind: 'upgrade', message: 'schema upgraded' });
    assert.equal(current.timeline().length, 1);
    assert.equal(current.diagnostics().integrity, 'ok');
    current.close();
    assert.deepEqual(tables(join(dir, 'upkeep.db')), [
      'agent_state',
      'alert_outbox',
      'forgotten',
      'maintenance',
      'maintenance_schedule',
      'operator_stops',
      'schema_migrations',
      'snapshot_containers',
      'snapshots',
      'timeline',
      'upgrade_runs',
      'upgrade_steps',
    ]);
    const db = new DatabaseSync(join(dir, 'upkeep.db'), { readOnly: true });
    assert.deepEqual(
      (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>).map((r) => r.version),
      [1, 2, 3, 4, 5, 6],
    );
    db.close();
  });

  it('opening a current database again applies nothing', () => {
    const db = openSqlite(':memory:', { busyTimeoutMs: 0 });
    assert.deepEqual(applyMigrations(db, ':memory:'), { from: 0, to: CURRENT_SCHEMA_VERSION });
    assert.deepEqual(applyMigrations(db, ':memory:'), { from: CURRENT_SCHEMA_VERSION, to: CURRENT_SCHEMA_VERSION });
    db.close();
  });

  it('a migration that fails leaves the database as it was (one transaction), with a StoreError', () => {
    const dir = join(root, `s${n++}`);
    openStore({ stateDir: dir }).close();
    const broken = [
      ...MIGRATIONS,
      { version: CURRENT_SCHEMA_VERSION + 1, name: 'broken', sql: 'CREATE TABLE half_done (a); INSERT INTO no_such_table VALUES (1);' },
    ];
    assert.throws(
      () => openStore({ stateDir: dir, migrations: broken }),
      (err: unknown) => err instanceof StoreError && /no such table: no_such_table/.test(err.message),
    );
    assert.ok(!tables(join(dir, 'upkeep.db')).includes('half_done'));
    const s = openStore({ stateDir: dir });
    assert.equal(s.schemaVersion, CURRENT_SCHEMA_VERSION);
    s.close();
  });

  it('refuses a migration list with a gap or out of order', () => {
    const db = openSqlite(':memory:', { busyTimeoutMs: 0 });
    assert.throws(() => applyMigrations(db, ':memory:', [MIGRATIONS[1]!]), /out of order/);
    db.close();
  });
});
