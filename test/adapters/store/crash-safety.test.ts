/**
 * The store survives a crash at any point: a writer saving large snapshots in a loop is killed
 * with SIGKILL at random moments (mostly inside a transaction); afterwards the database passes
 * SQLite's integrity check, every snapshot has all of its containers, and every snapshot the
 * writer reported committed is there.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../../src/adapters/store/sqlite-store.js';

const WRITER = fileURLToPath(new URL('./write-snapshots-forever.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const CONTAINERS = 400;

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'upkeep-crash-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the writer, kills it `afterMs` after its first commit, resolves with the ids it reported committed. */
function writeAndKill(afterMs: number): Promise<{ committed: number[]; midSave: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, String(CONTAINERS), '100000'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    const committed: number[] = [];
    let midSave = false;
    let buffer = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl = buffer.indexOf('\n');
      while (nl !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line === 'saving') midSave = true;
        const m = /^committed (\d+)$/.exec(line);
        if (m) {
          midSave = false;
          committed.push(Number(m[1]));
          timer ??= setTimeout(() => child.kill('SIGKILL'), afterMs);
        }
        nl = buffer.indexOf('\n');
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`writer ended by itself (code ${code}): ${stderr.slice(0, 2000)}`));
      else resolve({ committed, midSave });
    });
  });
}

describe('store crash safety', () => {
  it('SIGKILL at random points while saving large snapshots: no partial snapshot, integrity ok, every commit kept', { timeout: 120_000 }, async () => {
    const allCommitted: number[] = [];
    const kills = [37, 173, 5, 311, 89, 0, 233, 61];
    let killedMidSave = 0;
    for (const afterMs of kills) {
      const { committed, midSave } = await writeAndKill(afterMs);
      if (midSave) killedMidSave++;
      assert.ok(committed.length > 0, 'the writer committed at least once before it was killed');
      allCommitted.push(...committed);

      const store = openStore({ stateDir: dir, create: false });
      try {
        assert.equal(store.diagnostics().integrity, 'ok');
        const snapshots = store.listSnapshots();
        for (const s of snapshots) {
          assert.equal(s.names.length, s.containerCount, `snapshot ${s.id} has ${s.names.length} of ${s.containerCount} containers`);
          assert.equal(s.containerCount, CONTAINERS);
        }
        const ids = new Set(snapshots.map((s) => s.id));
        for (const id of allCommitted) assert.ok(ids.has(id), `snapshot ${id} was reported committed but is missing`);
        const latest = store.latestSnapshot('CRASH-ENGINE');
        assert.equal(latest?.containers.length, CONTAINERS, 'the newest snapshot reads back whole');
      } finally {
        store.close();
      }
    }
    assert.ok(killedMidSave >= kills.length / 2, `only ${killedMidSave} of ${kills.length} kills hit a save in progress`);
  });
});
