import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, DEFAULT_BACKOFF, retrySchedule } from '../../../src/core/recovery/backoff.js';

describe('backoff', () => {
  const opts = { initialMs: 500, factor: 2, maxMs: 3000, jitter: 0.5, maxAttempts: 6 };

  it('grows exponentially up to the cap; no jitter when random() is 0', () => {
    assert.deepEqual(
      retrySchedule(opts, () => 0),
      [500, 1000, 2000, 3000, 3000],
    );
  });

  it('jitter takes up to its fraction off each delay, never more, never above the cap', () => {
    assert.deepEqual(
      retrySchedule(opts, () => 0.999999),
      [250, 500, 1000, 1500, 1500],
    );
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(5, opts, Math.random) as number;
      assert.ok(d >= 1500 && d <= 3000, String(d));
    }
  });

  it('has no delay before the first attempt nor after the last', () => {
    assert.equal(
      backoffDelay(1, opts, () => 0),
      null,
    );
    assert.equal(
      backoffDelay(7, opts, () => 0),
      null,
    );
    assert.equal(
      backoffDelay(2.5, opts, () => 0),
      null,
    );
  });

  it('the default retries for about 15 s in 6 attempts', () => {
    const s = retrySchedule(DEFAULT_BACKOFF, () => 0);
    assert.equal(s.length, 5);
    assert.equal(
      s.reduce((a, b) => a + b, 0),
      15_500,
    );
  });
});
