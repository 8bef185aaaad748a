import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LifecycleEvent, Outcome, RestartPolicy } from '../../src/core/model.js';
import { predictAll, willComeBack } from '../../src/core/restart-semantics.js';
import { container, daemon } from '../helpers/facts.js';

const policy = (name: RestartPolicy['name'], max = 0): RestartPolicy => ({ name, maximumRetryCount: max });

/**
 * FACTS.md's table. Columns: no, always, unless-stopped, on-failure:3 whose process exits 137 on
 * stop, on-failure:3 whose process exits 0 on TERM. A running container's exit code on SIGTERM is
 * not knowable in advance, so both on-failure columns are predicted "unknown" while it runs; the
 * rows marked `stopped` replay the same event with the exit code already known.
 */
const FACTS_ROWS: Array<{ event: LifecycleEvent; expected: [Outcome, Outcome, Outcome, Outcome, Outcome] }> = [
  { event: 'daemon-restart', expected: ['not-back', 'back', 'back', 'back', 'not-back'] },
  { event: 'reboot', expected: ['not-back', 'back', 'back', 'back', 'not-back'] },
  { event: 'daemon-restart-after-manual-stop', expected: ['not-back', 'back', 'not-back', 'back', 'not-back'] },
  { event: 'daemon-crash', expected: ['not-back', 'back', 'not-back', 'back', 'not-back'] },
];

const COLUMNS = [
  { policy: policy('no'), exitOnStop: 137 },
  { policy: policy('always'), exitOnStop: 137 },
  { policy: policy('unless-stopped'), exitOnStop: 137 },
  { policy: policy('on-failure', 3), exitOnStop: 137 },
  { policy: policy('on-failure', 3), exitOnStop: 0 },
];

describe('willComeBack reproduces FACTS.md for running containers', () => {
  for (const row of FACTS_ROWS) {
    COLUMNS.forEach((col, i) => {
      const label = `${row.event}: ${col.policy.name}${col.policy.maximumRetryCount ? `:${col.policy.maximumRetryCount}` : ''} (exits ${col.exitOnStop} on stop)`;
      test(label, () => {
        const p = willComeBack(container({ restartPolicy: col.policy }), daemon(), row.event);
        if (col.policy.name === 'on-failure') {
          assert.equal(p.outcome, 'unknown', p.reason);
          assert.match(p.reason, /exit code on SIGTERM is not known/);
        } else {
          assert.equal(p.outcome, row.expected[i], p.reason);
        }
      });
      test(`${label}, exit code known (SIGKILL stop signal or already stopped)`, () => {
        // With StopSignal SIGKILL the exit code on stop is 137 for certain.
        if (col.exitOnStop === 137) {
          const p = willComeBack(container({ restartPolicy: col.policy, stopSignal: 'SIGKILL' }), daemon(), row.event);
          assert.equal(p.outcome, row.expected[i], p.reason);
        }
        // The same container after the stop that precedes the daemon start.
        const stoppedByHand = row.event === 'daemon-restart-after-manual-stop' || row.event === 'daemon-crash';
        const stopped = container({ restartPolicy: col.policy, state: 'exited', exitCode: col.exitOnStop, manuallyStopped: stoppedByHand });
        assert.equal(willComeBack(stopped, daemon(), 'daemon-restart').outcome, row.expected[i]);
      });
    });
  }
});

describe('willComeBack: what cannot be known, and the edges', () => {
  test('unless-stopped, stopped, flag unreadable -> unknown, and says to run as root', () => {
    const p = willComeBack(container({ restartPolicy: policy('unless-stopped'), state: 'exited', exitCode: 137, manuallyStopped: null }), daemon(), 'reboot');
    assert.equal(p.outcome, 'unknown');
    assert.match(p.reason, /run as root/);
  });

  test('unless-stopped, running, flag unreadable: the flag is reset by every start, so it is known', () => {
    const c = container({ restartPolicy: policy('unless-stopped'), manuallyStopped: null });
    assert.equal(willComeBack(c, daemon(), 'daemon-restart').outcome, 'back');
    assert.equal(willComeBack(c, daemon(), 'daemon-crash').outcome, 'not-back');
  });

  test('on-failure:N that used up N retries stays down for good', () => {
    const c = container({ restartPolicy: policy('on-failure', 3), restartCount: 3, stopSignal: 'SIGKILL' });
    const p = willComeBack(c, daemon(), 'daemon-restart');
    assert.equal(p.outcome, 'not-back');
    assert.match(p.reason, /used all its retries/);
  });

  test('on-failure without a limit restarts after a failure', () => {
    const c = container({ restartPolicy: policy('on-failure', 0), restartCount: 50, state: 'exited', exitCode: 1 });
    assert.equal(willComeBack(c, daemon(), 'reboot').outcome, 'back');
  });

  test('live-restore keeps running containers across daemon restart and crash, not across a reboot', () => {
    const c = container({ restartPolicy: policy('no') });
    const d = daemon({ liveRestore: true });
    assert.equal(willComeBack(c, d, 'daemon-restart').outcome, 'back');
    assert.equal(willComeBack(c, d, 'daemon-crash').outcome, 'back');
    assert.equal(willComeBack(c, d, 'reboot').outcome, 'not-back');
  });

  test('a stopped "always" container is started by the next daemon start, even after docker stop', () => {
    const c = container({ restartPolicy: policy('always'), state: 'exited', exitCode: 0, manuallyStopped: true });
    const p = willComeBack(c, daemon(), 'daemon-restart');
    assert.equal(p.outcome, 'back');
    assert.match(p.reason, /even after docker stop/);
  });

  test('created (never started), dead and paused containers', () => {
    assert.equal(willComeBack(container({ state: 'created', restartPolicy: policy('always') }), daemon(), 'reboot').outcome, 'not-back');
    assert.equal(willComeBack(container({ state: 'dead', restartPolicy: policy('always') }), daemon(), 'reboot').outcome, 'not-back');
    assert.equal(willComeBack(container({ state: 'paused', restartPolicy: policy('always') }), daemon(), 'reboot').outcome, 'unknown');
  });

  test('predictAll answers every event', () => {
    const all = predictAll(container({ restartPolicy: policy('unless-stopped') }), daemon());
    assert.deepEqual(Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.outcome])), {
      'daemon-restart': 'back',
      'daemon-crash': 'not-back',
      reboot: 'back',
      'daemon-restart-after-manual-stop': 'not-back',
    });
  });
});
