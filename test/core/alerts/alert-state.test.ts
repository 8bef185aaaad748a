import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INACTIVE, stepAlert, type AlertRule, type AlertState } from '../../../src/core/alerts/alert-state.js';

const rule: AlertRule = { forMs: 10_000, repeatMs: 60_000 };

/** Runs a sequence of (time, active, maintenance) and returns what was sent, with times. */
function run(seq: Array<[number, boolean, boolean?]>, r = rule): { sent: string[]; final: AlertState } {
  let s = INACTIVE;
  const sent: string[] = [];
  for (const [t, active, maint] of seq) {
    const step = stepAlert(s, r, active, t, maint ?? false);
    s = step.state;
    if (step.send) sent.push(`${t}:${step.send}`);
  }
  return { sent, final: s };
}

test('a blip shorter than `for` sends nothing', () => {
  assert.deepEqual(
    run([
      [0, true],
      [5_000, true],
      [9_000, false],
    ]).sent,
    [],
  );
});

test('pending -> firing after `for`, reminders, then resolved once', () => {
  const r = run([
    [0, true],
    [10_000, true],
    [20_000, true],
    [70_000, true],
    [130_000, true],
    [131_000, false],
    [140_000, false],
  ]);
  assert.deepEqual(r.sent, ['10000:firing', '70000:reminder', '130000:reminder', '131000:resolved']);
  assert.equal(r.final.phase, 'inactive');
});

test('for = 0 fires at once; no reminders with repeat 0', () => {
  assert.deepEqual(
    run(
      [
        [0, true],
        [1e9, true],
        [1e9 + 1, false],
      ],
      { forMs: 0, repeatMs: 0 },
    ).sent,
    ['0:firing', '1000000001:resolved'],
  );
});

test('maintenance holds firing; it is sent when the window ends if still firing', () => {
  const r = run([
    [0, true, true],
    [10_000, true, true],
    [20_000, true, true],
    [30_000, true, false],
    [40_000, false, false],
  ]);
  assert.deepEqual(r.sent, ['30000:firing', '40000:resolved']);
});

test('an alert that fired and resolved inside a maintenance window sends nothing', () => {
  assert.deepEqual(
    run([
      [0, true, true],
      [10_000, true, true],
      [15_000, false, true],
      [20_000, false, false],
    ]).sent,
    [],
  );
});

test('transitions are recorded even when nothing is sent', () => {
  const s1 = stepAlert(INACTIVE, rule, true, 0, true);
  assert.equal(s1.transition, 'pending');
  const s2 = stepAlert(s1.state, rule, true, 10_000, true);
  assert.equal(s2.transition, 'held');
  assert.equal(s2.send, null);
  assert.equal(stepAlert(s2.state, rule, false, 11_000, true).transition, 'resolved');
});

test('an acknowledged firing alert sends no reminder, still its resolution; firing again, it is not acknowledged', async () => {
  const { acknowledgeAlert } = await import('../../../src/core/alerts/alert-state.js');
  const r: AlertRule = { forMs: 0, repeatMs: 60_000 };
  let s = stepAlert(INACTIVE, r, true, 0).state;
  assert.deepEqual(acknowledgeAlert(stepAlert(INACTIVE, rule, true, 0).state, 'x', 1), { ok: false, reason: 'it is pending, not firing yet' });
  assert.equal(acknowledgeAlert(undefined, 'x', 1).ok, false);
  // The episode the person saw (firingSince): another one is refused, this one is acknowledged.
  assert.deepEqual(acknowledgeAlert(s, '127.0.0.1', 5_000, s.firingSince! - 60_000), {
    ok: false,
    reason: 'it resolved and fired again since the page was loaded: look at it again, then acknowledge',
  });
  const ack = acknowledgeAlert(s, '127.0.0.1', 5_000, s.firingSince!);
  assert.ok(ack.ok);
  s = ack.state;
  assert.deepEqual(s.acknowledged, { by: '127.0.0.1', at: 5_000 });
  const again = acknowledgeAlert(s, '192.0.2.7', 6_000);
  assert.ok(again.ok && again.already && again.state.acknowledged?.by === '127.0.0.1', 'the first acknowledgement stays');
  for (const t of [60_000, 120_000, 600_000]) {
    const step = stepAlert(s, r, true, t);
    assert.equal(step.send, null, `no reminder at ${t}`);
    s = step.state;
  }
  const resolved = stepAlert(s, r, false, 700_000);
  assert.equal(resolved.send, 'resolved');
  const refired = stepAlert(resolved.state, r, true, 800_000);
  assert.equal(refired.send, 'firing');
  assert.equal(refired.state.acknowledged ?? null, null);
  assert.equal(stepAlert(refired.state, r, true, 860_000).send, 'reminder');
});
