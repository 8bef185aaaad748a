/** src/agent/log.ts: which failures in a row of the reconcile are warned about (the others go to debug). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { warnsAtFailure } from '../../src/agent/log.js';

describe('warnsAtFailure', () => {
  it('the 1st, 2nd, 4th, 8th, ... failure in a row: a dockerd stop of 50 s (about 13 failures at the 5 s backoff cap) warns 4 times, not 13', () => {
    const warned = Array.from({ length: 40 }, (_, i) => i + 1).filter(warnsAtFailure);
    assert.deepEqual(warned, [1, 2, 4, 8, 16, 32]);
    assert.equal(Array.from({ length: 13 }, (_, i) => i + 1).filter(warnsAtFailure).length, 4);
  });

  it('nothing that is not a count', () => {
    for (const n of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) assert.equal(warnsAtFailure(n), false, String(n));
  });
});
