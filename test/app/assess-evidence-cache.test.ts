/**
 * The packages' evidence through the evidence cache (app/assess-evidence.ts): a second run with the
 * same apt key reads no script at all and gives the same evidence; evidence that needed the units'
 * enabled/active state is read again every time; a changed key, no key, a cache that cannot be
 * read or written, and runs with downloads all still give the evidence, with a note.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gatherEvidence, type PackageEvidenceSource, type ScriptTexts } from '../../src/app/assess-evidence.js';
import type { PlannedPackage } from '../../src/core/preflight/apt-plan.js';
import type { PackageEvidence } from '../../src/core/preflight/preflight-report.js';
import type { EvidenceCacheStore } from '../../src/ports/evidence-cache.js';

const pkg = (name: string, line: number): PlannedPackage => ({
  name,
  arch: 'amd64',
  oldVersion: '1.0',
  newVersion: '1.1',
  origins: ['Debian:12/stable'],
  action: 'upgrade',
  debPath: null,
  line,
});

const RESTARTS: ScriptTexts = {
  preinst: null,
  postinst: '#!/bin/sh\nset -e\nif [ "$1" = configure ]; then\n  deb-systemd-invoke restart svc.service\nfi\n',
  prerm: null,
  postrm: null,
};

/** `svc` has scripts; `units` has none but ships a unit (debhelper's default assumed: needs unit states). */
function countingSource(): PackageEvidenceSource & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    installedScripts: async (p) => {
      calls.push(`scripts ${p.name}`);
      return p.name === 'svc' ? RESTARTS : null;
    },
    candidateScripts: async (p) => {
      calls.push(`download ${p.name}`);
      return RESTARTS;
    },
    shippedUnits: async (p) => {
      calls.push(`units ${p.name}`);
      return p.name === 'units' ? { list: 'units.list', units: ['units.service'] } : null;
    },
    unitStates: async (names) => {
      calls.push(`states ${names.join(',')}`);
      return new Map(names.map((n) => [n, { enabled: true, active: null }]));
    },
  };
}

function memoryStore(): EvidenceCacheStore & { files: Map<string, Map<string, PackageEvidence>>; writes: number } {
  const files = new Map<string, Map<string, PackageEvidence>>();
  const store = {
    files,
    writes: 0,
    async read(key: string) {
      const e = files.get(key);
      return e ? { entries: e } : { entries: null, why: 'no cache yet' };
    },
    async write(key: string, entries: ReadonlyMap<string, PackageEvidence>) {
      store.writes++;
      files.clear();
      files.set(key, new Map(JSON.parse(JSON.stringify([...entries])) as Array<[string, PackageEvidence]>));
    },
  };
  return store;
}

const PLAN = [pkg('svc', 1), pkg('units', 2), pkg('plain', 3)];

test('the second run with the same key reads no script and gives the same evidence (the plan lines of today)', async () => {
  const store = memoryStore();
  const first = countingSource();
  const a = await gatherEvidence(PLAN, first, { download: false, cache: { store, simulationKey: 'K' } });
  assert.deepEqual(a.cache, { cached: 0, total: 3, note: 'no cache yet' });
  assert.equal(store.writes, 1);
  assert.deepEqual([...store.files.get('K')!.keys()].sort(), ['plain:amd64 1.0 -> 1.1', 'svc:amd64 1.0 -> 1.1'], 'not the one that read unit states');

  const moved = [pkg('svc', 11), pkg('units', 12), pkg('plain', 13)];
  const second = countingSource();
  const b = await gatherEvidence(moved, second, { download: false, cache: { store, simulationKey: 'K' } });
  assert.deepEqual(b.cache, { cached: 2, total: 3, note: null });
  assert.deepEqual(second.calls.sort(), ['scripts units', 'states units.service', 'units units'], 'only the runtime-dependent package is read again');
  assert.equal(store.writes, 1, 'nothing new to keep: not rewritten');
  assert.deepEqual(
    b.evidence,
    a.evidence.map((e, i) => ({ ...e, pkg: moved[i]! })),
  );
  assert.equal(b.evidence[0]!.effects[0]!.unit, 'svc.service');
});

test('another key, no key, an unreadable or unwritable cache: the evidence is read, with a note', async () => {
  const store = memoryStore();
  await gatherEvidence(PLAN, countingSource(), { download: false, cache: { store, simulationKey: 'K' } });
  const other = countingSource();
  const changed = await gatherEvidence(PLAN, other, { download: false, cache: { store, simulationKey: 'K2' } });
  assert.equal(changed.cache!.cached, 0);
  assert.ok(other.calls.includes('scripts svc'));
  assert.deepEqual([...store.files.keys()], ['K2'], 'the cache now holds the new key only');

  const none = await gatherEvidence(PLAN, countingSource(), { download: false, cache: { store, simulationKey: null } });
  assert.deepEqual(none.cache, { cached: 0, total: 3, note: "not used: apt's simulation has no key" });

  const broken: EvidenceCacheStore = {
    read: async () => {
      throw new Error('EIO');
    },
    write: async () => {
      throw new Error('EROFS: read-only file system\nmore');
    },
  };
  const r = await gatherEvidence(PLAN, countingSource(), { download: false, cache: { store: broken, simulationKey: 'K' } });
  assert.deepEqual(r.cache, { cached: 0, total: 3, note: 'not cached: EROFS: read-only file system' });
  assert.deepEqual(r.evidence, changed.evidence);
});

test('with downloads the cache is neither read nor written', async () => {
  const store = memoryStore();
  await gatherEvidence(PLAN, countingSource(), { download: false, cache: { store, simulationKey: 'K' } });
  const src = countingSource();
  const r = await gatherEvidence(PLAN, src, { download: true, cache: { store, simulationKey: 'K' } });
  assert.deepEqual(r.cache, { cached: 0, total: 3, note: 'not used: the candidates were downloaded' });
  assert.ok(src.calls.includes('download svc'));
  assert.equal(store.writes, 1);
  assert.equal(r.evidence[0]!.confidence, 'high');
});
