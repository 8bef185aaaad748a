/**
 * The evidence cache's file (adapters/apt/evidence-cache.ts) in a temporary state directory, keyed
 * also on a temporary "dpkg info" directory: written 0600 and read back; a file added to the info
 * directory (as dpkg does when it installs scripts) makes it stale; a file that is not ours (a
 * symlink, writable by others) is ignored; no state directory: nothing is written.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { evidenceCacheFile, evidenceCacheStore } from '../../../src/adapters/apt/evidence-cache.js';
import type { PackageEvidence } from '../../../src/core/preflight/preflight-report.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-evidence-cache-'));
after(() => rmSync(root, { recursive: true, force: true }));

const entries = new Map<string, PackageEvidence>([
  [
    'svc:amd64 1.0 -> 1.1',
    {
      pkg: { name: 'svc', arch: 'amd64', oldVersion: '1.0', newVersion: '1.1', origins: [], action: 'upgrade', debPath: null, line: 1 },
      effects: [{ unit: 'svc.service', action: 'restart', when: 'upgrade' }],
      source: 'installed scripts',
      rebootNeeded: false,
      notes: [],
    },
  ],
]);

function setup(name: string) {
  const stateDir = join(root, name, 'state');
  const infoDir = join(root, name, 'info');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  mkdirSync(infoDir, { recursive: true });
  return { stateDir, infoDir, store: evidenceCacheStore({ stateDir, infoDir, upkeepVersion: '0.1.0' }) };
}

test('written owner-only and read back for the same key; another key or a new file in dpkg info is stale', async () => {
  const { stateDir, infoDir, store } = setup('roundtrip');
  assert.deepEqual(await store.read('K'), { entries: null, why: 'no cache yet' });
  await store.write('K', entries);
  assert.equal(statSync(evidenceCacheFile(stateDir)).mode & 0o777, 0o600);
  assert.deepEqual((await store.read('K')).entries, entries);
  const other = await store.read('K2');
  assert.equal(other.entries, null);
  assert.match((other as { why: string }).why, /stale/);
  // dpkg installs a script: written to a temp name and renamed into the info directory.
  writeFileSync(join(infoDir, 'svc.postinst.dpkg-new'), '#!/bin/sh\n');
  renameSync(join(infoDir, 'svc.postinst.dpkg-new'), join(infoDir, 'svc.postinst'));
  const after = await store.read('K');
  assert.equal(after.entries, null);
  assert.match((after as { why: string }).why, /stale/);
});

test('a cache file that is not ours is ignored: writable by others, a symlink, too large', async () => {
  const { stateDir, store } = setup('hostile');
  await store.write('K', entries);
  const file = evidenceCacheFile(stateDir);
  chmodSync(file, 0o666);
  assert.deepEqual(await store.read('K'), { entries: null, why: 'cache ignored: writable by others' });
  chmodSync(file, 0o600);
  renameSync(file, `${file}.real`);
  symlinkSync(`${file}.real`, file);
  const viaLink = await store.read('K');
  assert.equal(viaLink.entries, null);
  assert.match((viaLink as { why: string }).why, /ELOOP|not readable/);
  rmSync(file);
  writeFileSync(file, 'x'.repeat((16 << 20) + 1), { mode: 0o600 });
  assert.deepEqual(await store.read('K'), { entries: null, why: 'cache ignored: too large' });
});

test('no state directory: the write fails with what to do, and nothing is created', async () => {
  const infoDir = join(root, 'nostate-info');
  mkdirSync(infoDir);
  const stateDir = join(root, 'nostate', 'state');
  const store = evidenceCacheStore({ stateDir, infoDir, upkeepVersion: '0.1.0' });
  await assert.rejects(store.write('K', entries), /no state directory .* yet \(`upkeep snapshot` creates it\)/);
  assert.throws(() => statSync(stateDir), /ENOENT/);
});
