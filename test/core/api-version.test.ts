import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLIENT_MAX_API, compareApiVersions, negotiateApiVersion } from '../../src/core/api-version.js';

test('compareApiVersions is numeric, not lexical', () => {
  assert.ok(compareApiVersions('1.9', '1.41') < 0);
  assert.ok(compareApiVersions('1.44', '1.41') > 0);
  assert.equal(compareApiVersions('1.41', '1.41'), 0);
});

test('negotiation table', () => {
  const cases: Array<[string, string | null, string | RegExp]> = [
    ['1.41', '1.12', '1.41'], // Debian docker.io 20.10
    ['1.52', '1.44', CLIENT_MAX_API], // Docker 29: server newer than or equal to us
    ['1.60', '1.44', CLIENT_MAX_API], // a future server: use our newest
    ['1.47', '1.24', '1.47'],
    ['1.40', '1.12', /older than 1.41/],
    ['1.70', '1.60', /requires API 1.60 or newer/],
    ['garbage', null, /unreadable API version/],
  ];
  for (const [max, min, want] of cases) {
    const n = negotiateApiVersion(max, min);
    if (typeof want === 'string') assert.deepEqual(n, { ok: true, version: want }, `${max}/${min}`);
    else {
      assert.equal(n.ok, false, `${max}/${min}`);
      if (!n.ok) assert.match(n.reason, want);
    }
  }
});
