import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync as Database } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CURRENT_SCHEMA_VERSION } from '../../../src/adapters/store/migrations.js';
import { openStore } from '../../../src/adapters/store/sqlite-store.js';
import { StoreError } from '../../../src/adapters/store/store.js';
import { UpkeepError } from '../../../src/core/errors.js';
import type { Snapshot } from '../../../src/core/recovery/desired-state.js';
import { desiredOf } from '../../core/recovery/fixtures.js';

const hostA = { id: 'ENGINE-A', name: 'covid-host' };
const hostB = { id: 'ENGINE-B', name: 'other-host' };
let root: string;
let n = 0;
const fresh = () => join(root, `state-${n++}`);

before(() => {
  root = mkdtempSync(join(tmpdir(), 'upkeep-store-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

function snapshot(host: typeof hostA, takenAt: string, names: string[], note: string | null = null): Snapshot {
  return { host, takenAt, note, containers: names.map((name) => desiredOf({ name, env: [`SECRET_${name.toUpperCase().replace(/-/g, '_')}=pw-${name}`] })) };
}

function expectStoreError(fn: () => unknown, message: RegExp, hint: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StoreError, `expected a StoreError, got ${String(err)}`);
    assert.ok(err instanceof UpkeepError);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, message);
    assert.match(err.hint ?? '', hint);
    return true;
  });
}

describe('openStore: files', () => {
  it('creates the directory 0700 and upkeep.db 0600 in WAL mode with foreign keys on, synchronous FULL and a busy timeout', () => {
    const dir = join(fresh(), 'nested');
    const store = openStore({ stateDir: dir });
    store.saveSnapshot(snapshot(hostA, '2025-11-20T15:00:00.000Z', ['a']));
    assert.equal(store.path, join(dir, 'upkeep.db'));
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(store.path).mode & 0o777, 0o600);
    assert.equal(statSync(`${store.path}-wal`).mode & 0o777, 0o600, 'the WAL holds secrets too');
    const d = store.diagnostics();
    assert.deepEqual(d, { journalMode: 'wal', foreignKeys: true, synchronous: 2, busyTimeoutMs: 5000, integrity: 'ok', schemaVersion: CURRENT_SCHEMA_VERSION });
    store.close();
  });

  it('tightens a database file that others could read', () => {
    const dir = fresh();
    openStore({ stateDir: dir }).close();
    chmodSync(join(dir, 'upkeep.db'), 0o644);
    openStore({ stateDir: dir }).close();
    assert.equal(statSync(join(dir, 'upkeep.db')).mode & 0o777, 0o600);
  });

  it('with create: false, a missing database is a clear error and nothing is created', () => {
    const dir = fresh();
    expectStoreError(() => openStore({ stateDir: dir, create: false }), /no upkeep state at .*upkeep\.db/, /upkeep snapshot/);
    assert.equal(existsSync(dir), false);
  });

  it('a file that is not a database: a StoreError naming it, and the file is left as it was', () => {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(join(dir, 'upkeep.db'), 'this is not sqlite, just some text that someone wrote here\n'.repeat(100));
    expectStoreError(() => openStore({ stateDir: dir }), /upkeep\.db is not an upkeep database/, /move it aside .*upkeep snapshot/);
    assert.equal(statSync(join(dir, 'upkeep.db')).size, 5900);
  });

  it('a damaged database (pages overwritten): a StoreError that says so, not a stack trace', () => {
    const dir = fresh();
    const store = openStore({ stateDir: dir });
    for (let i = 0; i < 20; i++)
      store.saveSnapshot(
        snapshot(
          hostA,
          `2025-11-20T15:${String(i).padStart(2, '0')}:00.000Z`,
          Array.from({ length: 20 }, (_, j) => `c${j}`),
        ),
      );
    store.close();
    const path = join(dir, 'upkeep.db');
    const db = new Database(path);
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    db.close();
    const size = statSync(path).size;
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(size - 4096, 0xa5), 0, size - 4096, 4096);
    closeSync(fd);
    const use = () => {
      const s = openStore({ stateDir: dir });
      try {
        s.listSnapshots();
        s.latestSnapshot(hostA.id);
      } finally {
        s.close();
      }
    };
    expectStoreError(use, /the upkeep database .*upkeep\.db is damaged/, /\.recover/);
  });

  it('a directory where the database should be: a StoreError', () => {
    const dir = fresh();
    mkdirSync(join(dir, 'upkeep.db'), { recursive: true });
    expectStoreError(() => openStore({ stateDir: dir }), /upkeep\.db is not a regular file/, /--state-dir/);
  });

  it("another program's SQLite database: refused, untouched", () => {
    const dir = fresh();
    mkdirSync(dir);
    const db = new Database(join(dir, 'upkeep.db'));
    db.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT)');
    db.close();
    expectStoreError(() => openStore({ stateDir: dir }), /is a SQLite database, but not upkeep's \(it has a table "accounts"/, /--state-dir/);
    const check = new Database(join(dir, 'upkeep.db'));
    assert.deepEqual(
      (check.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name),
      ['accounts'],
    );
    check.close();
  });

  it('a database from a newer upkeep: refused, untouched', () => {
    const dir = fresh();
    openStore({ stateDir: dir }).close();
    const db = new Database(join(dir, 'upkeep.db'));
    db.prepare("INSERT INTO schema_migrations VALUES (99, 'future', 'x')").run();
    db.close();
    expectStoreError(
      () => openStore({ stateDir: dir }),
      new RegExp(`schema version 99, written by a newer upkeep \\(this one knows up to ${CURRENT_SCHEMA_VERSION}\\)`),
      /upgrade upkeep/,
    );
  });

  it('a database the user may not read: "permission denied" with a hint (run as an unprivileged user)', (t) => {
    const dir = fresh();
    const s = openStore({ stateDir: dir });
    s.close();
    if (process.getuid?.() !== 0) {
      chmodSync(join(dir, 'upkeep.db'), 0o000);
      expectStoreError(() => openStore({ stateDir: dir }), /permission denied|cannot open/, /--state-dir|run as/);
      return;
    }
    // As root, permissions do not apply: ask an unprivileged user to open root's 0700 directory.
    const script = `
      import { openStore } from ${JSON.stringify(fileURLToPath(new URL('../../../src/adapters/store/sqlite-store.ts', import.meta.url)))};
      try { openStore({ stateDir: ${JSON.stringify(dir)} }); console.log(JSON.stringify({ ok: true })); }
      catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message, hint: e.hint, exitCode: e.exitCode })); }
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      uid: 65534,
      gid: 65534,
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      env: { ...process.env, HOME: '/nonexistent' },
      encoding: 'utf8',
    });
    if (r.error !== undefined || r.status !== 0) {
      t.skip(`cannot run as nobody here: ${r.error?.message ?? r.stderr.slice(0, 300)}`);
      return;
    }
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { name?: string; message?: string; hint?: string; exitCode?: number };
    assert.equal(out.name, 'StoreError');
    assert.match(out.message ?? '', /permission denied on .*upkeep\.db/);
    assert.match(out.hint ?? '', /sudo|--state-dir/);
    assert.equal(out.exitCode, 2);
  });
});

describe('Store: snapshots and the desired state', () => {
  it('keeps every snapshot; the newest of a host is its desired state, with env values stored', () => {
    const store = openStore({ stateDir: fresh() });
    const first = store.saveSnapshot(snapshot(hostA, '2025-11-20T15:00:00.000Z', ['a', 'b'], 'before apt upgrade'));
    const other = store.saveSnapshot(snapshot(hostB, '2025-11-20T15:05:00.000Z', ['z']));
    const secondSnapshot = snapshot(hostA, '2025-11-20T15:10:00.000Z', ['a', 'c']);
    const second = store.saveSnapshot(secondSnapshot);
    assert.deepEqual(first, { id: 1, host: hostA, takenAt: '2025-11-20T15:00:00.000Z', note: 'before apt upgrade', containerCount: 2, names: ['a', 'b'] });
    const latest = store.latestSnapshot(hostA.id);
    assert.ok(latest);
    assert.equal(latest.id, second.id);
    assert.deepEqual(
      latest.containers.map((c) => c.name),
      ['a', 'c'],
    );
    assert.deepEqual(latest.containers[0]?.createConfig.Env, ['SECRET_A=pw-a']);
    assert.deepEqual(latest.containers, secondSnapshot.containers, 'read back exactly as saved');
    assert.deepEqual(latest.forgotten, []);
    assert.equal(store.latestSnapshot(hostB.id)?.id, other.id);
    assert.equal(store.latestSnapshot('nobody'), null);
    assert.deepEqual(
      store.listSnapshots().map((s) => s.id),
      [3, 2, 1],
    );
    assert.deepEqual(
      store.listSnapshots({ hostId: hostA.id }).map((s) => [s.id, s.names]),
      [
        [3, ['a', 'c']],
        [1, ['a', 'b']],
      ],
    );
    assert.deepEqual(
      store.listSnapshots({ limit: 1 }).map((s) => s.id),
      [3],
    );
    assert.equal(store.getSnapshot(1)?.note, 'before apt upgrade');
    assert.equal(store.getSnapshot(42), null);
    store.close();
  });

  it('refuses a snapshot with a duplicate name or without a host id, saving nothing', () => {
    const store = openStore({ stateDir: fresh() });
    const dup = snapshot(hostA, 't', ['a', 'a']);
    expectStoreError(() => store.saveSnapshot(dup), /names container "a" twice; nothing was saved/, /.*/);
    assert.throws(() => store.saveSnapshot(snapshot({ id: '', name: 'x' }, 't', ['a'])), StoreError);
    assert.deepEqual(store.listSnapshots(), []);
    store.close();
  });

  it('forget removes names from the desired state as of now; a later snapshot that has them makes them desired again', () => {
    let clock = Date.parse('2025-11-20T16:00:00.000Z');
    const store = openStore({ stateDir: fresh(), now: () => new Date(clock) });
    store.saveSnapshot(snapshot(hostA, '2025-11-20T15:00:00.000Z', ['a', 'b', 'c']));
    const r = store.forget(['b', 'nosuch', 'b']);
    assert.deepEqual(r, { at: '2025-11-20T16:00:00.000Z', forgotten: ['b'], notDesired: ['nosuch'] });
    const latest = store.latestSnapshot(hostA.id);
    assert.deepEqual(
      latest?.containers.map((c) => c.name),
      ['a', 'c'],
    );
    assert.deepEqual(latest?.forgotten, [{ name: 'b', at: '2025-11-20T16:00:00.000Z' }]);
    assert.deepEqual(store.forget(['b']).notDesired, ['b'], 'forgetting twice changes nothing');
    assert.equal(store.getSnapshot(1)?.containers.length, 2, 'history reads apply forget too');

    clock += 60_000;
    store.saveSnapshot(snapshot(hostA, '2025-11-20T16:01:00.000Z', ['a', 'b']));
    const again = store.latestSnapshot(hostA.id);
    assert.deepEqual(
      again?.containers.map((c) => c.name),
      ['a', 'b'],
    );
    assert.deepEqual(again?.forgotten, []);
    assert.deepEqual(store.listForgotten(), [{ name: 'b', at: '2025-11-20T16:00:00.000Z' }]);
    store.close();
  });

  it('survives closing and reopening with everything intact', () => {
    const dir = fresh();
    const s1 = openStore({ stateDir: dir });
    s1.saveSnapshot(snapshot(hostA, '2025-11-20T15:00:00.000Z', ['a', 'b']));
    s1.forget(['a']);
    s1.appendTimeline({ at: '2025-11-20T15:00:01.000Z', kind: 'snapshot', subject: null, message: 'snapshot 1: 2 containers', data: { id: 1 } });
    s1.close();
    const s2 = openStore({ stateDir: dir, create: false });
    assert.deepEqual(
      s2.latestSnapshot(hostA.id)?.containers.map((c) => c.name),
      ['b'],
    );
    assert.equal(s2.timeline().length, 1);
    s2.close();
  });

  it('a container row that is not a desired container (another version wrote it): a StoreError naming snapshot and container', () => {
    const dir = fresh();
    const s = openStore({ stateDir: dir });
    s.saveSnapshot(snapshot(hostA, 't', ['a', 'b']));
    s.close();
    const db = new Database(join(dir, 'upkeep.db'));
    db.prepare('UPDATE snapshot_containers SET container = \'{"name":"b"}\' WHERE name = \'b\'').run();
    db.close();
    const s2 = openStore({ stateDir: dir });
    expectStoreError(() => s2.latestSnapshot(hostA.id), /snapshot 1 in .*: container "b" is unreadable \(missing "desired": true\)/, /take a new snapshot/);
    s2.close();
  });

  it('two processes writing at once wait for each other instead of failing', () => {
    const dir = fresh();
    const s1 = openStore({ stateDir: dir });
    const s2 = openStore({ stateDir: dir });
    for (let i = 0; i < 10; i++) {
      s1.saveSnapshot(snapshot(hostA, `t${i}`, ['a']));
      s2.saveSnapshot(snapshot(hostB, `t${i}`, ['b']));
    }
    assert.equal(s1.listSnapshots().length, 20);
    s1.close();
    s2.close();
  });
});

describe('Store: timeline', () => {
  it('appends events and reads them back in order, filtered by time and kind, data as JSON', () => {
    const store = openStore({ stateDir: fresh(), now: () => new Date('2025-11-20T17:00:00.000Z') });
    store.appendTimeline({ at: '2025-11-20T15:00:00.000Z', kind: 'recover', subject: 'covid-silo', message: 'started', data: { seconds: 0.4 } });
    store.appendTimeline({ at: '2025-11-20T16:00:00.000Z', kind: 'event', message: 'daemon restarted' });
    const e = store.appendTimeline({ kind: 'recover', subject: 'covid-lapis', message: 'started' });
    assert.equal(e.at, '2025-11-20T17:00:00.000Z');
    assert.deepEqual(
      store.timeline().map((x) => x.detail.message),
      ['started', 'daemon restarted', 'started'],
    );
    assert.deepEqual(
      store.timeline({ kind: 'recover' }).map((x) => x.subject),
      ['covid-silo', 'covid-lapis'],
    );
    assert.deepEqual(
      store.timeline({ since: '2025-11-20T16:00:00.000Z' }).map((x) => x.kind),
      ['event', 'recover'],
    );
    assert.deepEqual(store.timeline()[0]?.detail, { seconds: 0.4, message: 'started' });
    assert.deepEqual(store.timeline()[1]?.detail, { message: 'daemon restarted' });
    // limit: the newest N, oldest first
    assert.deepEqual(
      store.timeline({ limit: 2 }).map((x) => x.detail.message),
      ['daemon restarted', 'started'],
    );
    assert.deepEqual(store.timeline({ kinds: ['rec*'] }).length, 2);
    assert.deepEqual(
      store.timeline({ until: '2025-11-20T16:00:00.000Z' }).map((x) => x.subject),
      ['covid-silo'],
    );
    assert.equal(store.pruneTimeline('2025-11-20T16:00:00.000Z'), 1);
    assert.equal(store.timeline().length, 2);
    store.close();
  });
});
