/**
 * The evidence cache's file format (core/preflight/evidence-cache.ts): whole, of this format, for
 * this key, every entry well-formed and filed under its own package's id; anything else is ignored
 * with a reason, never half-believed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EVIDENCE_CACHE_FORMAT,
  cachedEvidenceLine,
  evidenceCacheEntry,
  evidenceCacheId,
  evidenceCacheKey,
  readEvidenceCache,
} from '../../../src/core/preflight/evidence-cache.js';
import type { PlannedPackage } from '../../../src/core/preflight/apt-plan.js';
import type { PackageEvidence } from '../../../src/core/preflight/preflight-report.js';

const pkg = (name: string, over: Partial<PlannedPackage> = {}): PlannedPackage => ({
  name,
  arch: 'amd64',
  oldVersion: '1:2.0~rc1-1',
  newVersion: '1:2.0-1',
  origins: ['Debian:12/stable'],
  action: 'upgrade',
  debPath: null,
  line: 3,
  ...over,
});

const evidence = (p: PlannedPackage): PackageEvidence => ({
  pkg: p,
  effects: [{ unit: `${p.name}.service`, action: 'restart', when: 'upgrade' }],
  source: 'installed scripts',
  confidence: 'medium',
  rebootNeeded: false,
  notes: [],
});

test('the id names the package, its architecture and both versions (epochs and tildes kept)', () => {
  assert.equal(evidenceCacheId(pkg('docker.io')), 'docker.io:amd64 1:2.0~rc1-1 -> 1:2.0-1');
  assert.equal(evidenceCacheId(pkg('x', { arch: null, oldVersion: null })), 'x: - -> 1:2.0-1');
  assert.notEqual(evidenceCacheId(pkg('x')), evidenceCacheId(pkg('x', { newVersion: '1:2.0-2' })));
});

test('the key changes with each of its parts', () => {
  const base = { simulationKey: 'a'.repeat(64), dpkgInfo: '1:2:3:4', upkeepVersion: '0.1.0' };
  const k = evidenceCacheKey(base);
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.equal(evidenceCacheKey({ ...base }), k);
  for (const over of [{ simulationKey: 'b'.repeat(64) }, { dpkgInfo: '1:2:3:5' }, { upkeepVersion: '0.1.1' }])
    assert.notEqual(evidenceCacheKey({ ...base, ...over }), k);
});

test('a written entry reads back for its key, and for no other', () => {
  const entries = new Map([pkg('a'), pkg('b')].map((p) => [evidenceCacheId(p), evidence(p)]));
  const text = JSON.stringify(evidenceCacheEntry('K', entries));
  const r = readEvidenceCache(text, 'K');
  assert.ok(r.ok);
  assert.deepEqual(r.entries, entries);
  assert.deepEqual(readEvidenceCache(text, 'OTHER'), { ok: false, why: 'cache ignored: stale (dpkg, apt or upkeep changed since)' });
});

test('hostile or damaged files are ignored with a reason', () => {
  const p = pkg('a');
  const good = evidenceCacheEntry('K', new Map([[evidenceCacheId(p), evidence(p)]]));
  const text = JSON.stringify(good);
  const cases: Array<[string, string, RegExp]> = [
    ['cut short', text.slice(0, text.length - 7), /not JSON/],
    ['empty', '', /not JSON/],
    ['an array', '[]', /another format/],
    ['another format', JSON.stringify({ ...good, format: EVIDENCE_CACHE_FORMAT + 1 }), /another format/],
    ['no entries', JSON.stringify({ ...good, entries: null }), /no entries/],
    ['an entry under another package', JSON.stringify({ ...good, entries: [{ id: evidenceCacheId(pkg('b')), evidence: evidence(p) }] }), /not well-formed/],
    [
      'an entry without effects',
      JSON.stringify({ ...good, entries: [{ id: evidenceCacheId(p), evidence: { ...evidence(p), effects: 'restart' } }] }),
      /not well-formed/,
    ],
    ['an entry that is a string', JSON.stringify({ ...good, entries: ['x'] }), /not well-formed/],
    [
      'effects with a string in them',
      JSON.stringify({ ...good, entries: [{ id: evidenceCacheId(p), evidence: { ...evidence(p), effects: ['x'] } }] }),
      /not well-formed/,
    ],
  ];
  for (const [what, json, why] of cases) {
    const r = readEvidenceCache(json, 'K');
    assert.equal(r.ok, false, what);
    if (!r.ok) assert.match(r.why, why, what);
  }
});

test('the line for people says how much came from the cache, and nothing when none did', () => {
  assert.equal(cachedEvidenceLine(null), null);
  assert.equal(cachedEvidenceLine({ cached: 0, total: 3, note: 'no cache yet' }), null);
  assert.equal(cachedEvidenceLine({ cached: 2, total: 3, note: null }), 'package evidence: 2 of 3 from the cache (dpkg unchanged since it was read)');
});
