/**
 * A state database written by upkeep 0.1.0 (better-sqlite3 12 on Node 20, schema 4; made by
 * test/fixtures/store/make-release-0.1.0-db.ts) opens with today's store (node:sqlite), migrates to
 * the current schema, and every row it held reads back the same.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CURRENT_SCHEMA_VERSION } from '../../../src/adapters/store/migrations.js';
import { openStore } from '../../../src/adapters/store/sqlite-store.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/store/release-0.1.0.db', import.meta.url));
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function copyOfRelease(): string {
  const dir = mkdtempSync(join(tmpdir(), 'upkeep-release-'));
  dirs.push(dir);
  copyFileSync(FIXTURE, join(dir, 'upkeep.db'));
  return dir;
}

describe('a database written by upkeep 0.1.0', () => {
  it('opens, migrates to the current schema, and reads back every row', () => {
    const dir = copyOfRelease();
    const store = openStore({ stateDir: dir, now: () => new Date('2025-11-21T09:00:00.000Z') });
    try {
      assert.equal(store.schemaVersion, CURRENT_SCHEMA_VERSION);
      assert.deepEqual(store.diagnostics(), {
        journalMode: 'wal',
        foreignKeys: true,
        synchronous: 2,
        busyTimeoutMs: 5000,
        integrity: 'ok',
        schemaVersion: CURRENT_SCHEMA_VERSION,
      });
      assert.equal(statSync(join(dir, 'upkeep.db')).mode & 0o077, 0, 'tightened to 0600 on open');

      const list = store.listSnapshots();
      assert.deepEqual(
        list.map((s) => [s.id, s.takenAt, s.note, s.containerCount]),
        [
          [2, '2025-11-20T15:45:00.000Z', null, 5],
          [1, '2025-11-20T15:20:00.000Z', 'before apt upgrade', 5],
        ],
      );
      const first = store.getSnapshot(1);
      assert.ok(first);
      assert.deepEqual(
        first.containers.map((c) => c.name),
        ['lapis', 'redis', 'silo', 'streamlit'],
      );
      assert.deepEqual(
        first.forgotten.map((f) => f.name),
        ['worker'],
        'forgotten after both snapshots',
      );
      assert.ok(first.containers.find((c) => c.name === 'silo')?.createConfig.Env?.includes('SECRET_SILO=pw-silo'));
      const latest = store.latestSnapshot('ENGINE-COVID');
      assert.equal(latest?.id, 2);
      assert.deepEqual(
        latest?.forgotten.map((f) => f.name),
        ['worker'],
      );
      assert.deepEqual(
        store.listForgotten().map((f) => f.name),
        ['worker'],
      );
      assert.deepEqual(store.operatorStops(), [{ name: 'redis', at: '2025-11-20T15:50:00.000Z', by: 'docker stop', reason: 'stopped while the engine ran' }]);

      const timeline = store.timeline();
      assert.deepEqual(
        timeline.map((e) => [e.at, e.kind, e.subject]),
        [
          ['2025-11-20T15:23:00.000Z', 'apt-started', null],
          ['2025-11-20T15:31:00.000Z', 'container-died', 'silo'],
        ],
      );
      assert.equal(timeline[0]?.detail.message, 'apt started');
      assert.equal((timeline[0]?.detail as { packages?: number }).packages, 42);

      const outbox = store.outbox({ messageId: 'msg-1' });
      assert.deepEqual(
        outbox.map((o) => [o.channel, o.deliveredAt, o.attempts, o.lastError]),
        [
          ['mail', null, 1, 'ECONNREFUSED 127.0.0.1:25'],
          ['ops-webhook', '2025-11-20T15:31:05.000Z', 1, null],
        ],
      );
      assert.equal(outbox[0]?.nextAttemptAt, '2025-11-20T15:32:00.000Z');
      assert.deepEqual(outbox[0]?.message, { title: 'silo is down', severity: 'critical' });
      const ended = store.maintenanceEndedSince('2025-11-20T00:00:00.000Z');
      assert.deepEqual(
        ended.map((w) => [w.source, w.reason, w.endsAt]),
        [['apt', 'apt upgrade', '2025-11-20T16:00:00.000Z']],
      );
      assert.deepEqual(
        store.getAgentState('engine-version', (v) => v),
        { version: '20.10.24', seenAt: '2025-11-20T15:40:00.000Z' },
      );
    } finally {
      store.close();
    }
  });

  it('takes new writes after the upgrade, and they survive a reopen', () => {
    const dir = copyOfRelease();
    const store = openStore({ stateDir: dir });
    const latest = store.latestSnapshot('ENGINE-COVID');
    assert.ok(latest);
    const saved = store.saveSnapshot({ host: latest.host, takenAt: '2025-11-21T10:00:00.000Z', note: 'after the upgrade', containers: latest.containers });
    assert.equal(saved.id, 3);
    store.appendTimeline({ kind: 'recovered', subject: 'silo', message: 'silo is running again' });
    store.close();
    const again = openStore({ stateDir: dir });
    try {
      assert.equal(again.latestSnapshot('ENGINE-COVID')?.note, 'after the upgrade');
      assert.equal(again.timeline().length, 3);
      assert.equal(again.diagnostics().integrity, 'ok');
    } finally {
      again.close();
    }
  });
});
