/**
 * compareText: the order String#localeCompare gives ASCII text under ICU's root collation (the
 * oracle here is Node's own ICU), without loading ICU's collation data.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareText } from '../../src/core/text-order.js';

const ASCII = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('') + '\t';

/** A small deterministic generator (the failing case can be replayed from its seed). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

test('agrees with localeCompare (ICU root) on 100,000 random ASCII pairs wherever ICU tells them apart', () => {
  const r = rng(20261130);
  const word = (alphabet: string) => Array.from({ length: 1 + Math.floor(r() * 6) }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
  for (let i = 0; i < 100_000; i++) {
    // Half from every printable character, half from what container names are made of.
    const alphabet = i % 2 === 0 ? ASCII : 'abAB09_-.';
    const a = word(alphabet);
    const b = word(alphabet);
    const icu = Math.sign(a.localeCompare(b));
    if (icu === 0) continue;
    assert.equal(Math.sign(compareText(a, b)), icu, `${JSON.stringify(a)} vs ${JSON.stringify(b)} (pair ${i})`);
  }
});

test('a total order: zero only for equal strings, antisymmetric, case decides last with lowercase first', () => {
  assert.equal(compareText('lapis', 'lapis'), 0);
  assert.ok(compareText('a', 'A') < 0);
  assert.ok(compareText('A', 'a') > 0);
  assert.ok(compareText('lapisOpen', 'lapisclose') > 0, 'letters compare without case first');
  assert.ok(compareText('a', 'a-b') < 0, 'a prefix first');
  assert.ok(compareText('web_1', 'web-1') < 0, "'_' before '-', as ICU");
  assert.ok(compareText('web-1', 'web1') < 0, 'punctuation before digits');
  assert.ok(compareText('v9', 'va') < 0, 'digits before letters');
  assert.ok(compareText('zeta', 'ä') < 0, 'outside ASCII: after it, by code point');
  const names = ['srsilo_silo_1', 'k3d-loculus-server-0', 'srsilo_lapisOpen_1', 'v-pipe-scout_redis_1', 'K3D-other', 'v-pipe-scout_worker_1'];
  assert.deepEqual(
    [...names].sort(compareText),
    [...names].sort((x, y) => x.localeCompare(y)),
  );
  for (const x of names) for (const y of names) assert.equal(Math.sign(compareText(x, y)) + Math.sign(compareText(y, x)), 0);
});
