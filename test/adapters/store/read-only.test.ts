/**
 * Read-only commands on a read-only state directory (a read-only bind mount, as root) still read
 * the state: through a private copy, with every write refused by a StoreError.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../../src/adapters/store/sqlite-store.js';
import { StoreError } from '../../../src/adapters/store/store.js';
import { desiredOf } from '../../core/recovery/fixtures.js';
import { upkeep } from '../../helpers/cli.js';

const isRoot = process.getuid?.() === 0;
const root = mkdtempSync(join(tmpdir(), 'upkeep-ro-store-'));
const dir = join(root, 'state');
let mounted = false;

before(() => {
  mkdirSync(dir);
  const store = openStore({ stateDir: dir });
  store.saveSnapshot({ host: { id: 'E', name: 'h' }, takenAt: '2025-11-20T15:00:00.000Z', note: null, containers: [desiredOf({ name: 'redis' })] });
  store.appendTimeline({ kind: 'snapshot', subject: 'h', message: 'snapshot 1' });
  store.close();
  if (isRoot) {
    execFileSync('mount', ['--bind', dir, dir]);
    execFileSync('mount', ['-o', 'remount,ro,bind', dir]);
    mounted = true;
  }
});
after(() => {
  if (mounted) execFileSync('umount', [dir]);
  rmSync(root, { recursive: true, force: true });
});

describe('a read-only state directory', { skip: !isRoot && 'needs root for a read-only bind mount' }, () => {
  it('a write-mode open fails with a plain message; a read-only open reads a copy and refuses writes', () => {
    assert.throws(
      () => openStore({ stateDir: dir }),
      (e: unknown) => e instanceof StoreError && /read-only|cannot open/.test(e.message),
    );
    const before = new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('upkeep-ro-')));
    const store = openStore({ stateDir: dir, readOnly: true });
    assert.equal(store.path, join(dir, 'upkeep.db'));
    assert.deepEqual(
      store.latestSnapshot('E')?.containers.map((c) => c.name),
      ['redis'],
    );
    assert.deepEqual(store.operatorStops(), []);
    assert.throws(
      () => store.appendTimeline({ kind: 'x', message: 'y' }),
      (e: unknown) => e instanceof StoreError && /read-only/.test(e.message),
    );
    store.close();
    const left = readdirSync(tmpdir()).filter((n) => n.startsWith('upkeep-ro-') && !before.has(n));
    assert.deepEqual(left, [], 'the private copy is removed at close');
  });

  it('timeline and snapshot --list work; snapshot --note would write, so it says why it cannot', async () => {
    const t = await upkeep(['timeline', '--since', '3650d', '--json', '--state-dir', dir]);
    assert.equal(t.code, 0, t.stderr);
    assert.equal((JSON.parse(t.stdout) as { entries: unknown[] }).entries.length, 1);
    const l = await upkeep(['snapshot', '--list', '--json', '--state-dir', dir]);
    assert.equal(l.code, 0, l.stderr);
    const f = await upkeep(['forget', 'redis', '--state-dir', dir]);
    assert.equal(f.code, 2);
    assert.match(f.stderr, /read-only/);
    assert.doesNotMatch(f.stderr, /internal error|at .*\.js:\d+/);
  });
});
