/**
 * Scheduled maintenance, the pure part (core/maintenance-schedule.ts): what is due when, the
 * messages, and `--at` as people type it, in a time zone given to it (UTC+1 here, so local and
 * UTC differ; a 23-hour day for the "next 03:00" across a daylight-saving change).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkNote,
  dueScheduleActions,
  formatSpan,
  parseScheduleTime,
  scheduleNotice,
  type ScheduledMaintenance,
  type TimeZone,
} from '../../src/core/maintenance-schedule.js';

const H = 3_600_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');

const sched = (over: Partial<ScheduledMaintenance> = {}): ScheduledMaintenance => ({
  id: 1,
  startsAt: new Date(T0 + 3 * H).toISOString(),
  endsAt: new Date(T0 + 5 * H).toISOString(),
  note: 'kernel upgrade',
  remindBeforeMs: H,
  createdAt: new Date(T0).toISOString(),
  announcedAt: null,
  remindedAt: null,
  windowId: null,
  cancelledAt: null,
  cancelNoticeAt: null,
  ...over,
});
const kinds = (r: ReturnType<typeof dueScheduleActions>) => r.actions.map((a) => a.kind);

test('announced at once, reminded at start - 1h, opened at the start; nothing once it ended', () => {
  const s = sched();
  assert.deepEqual(kinds(dueScheduleActions([s], T0)), ['announce']);
  assert.equal(dueScheduleActions([s], T0).nextDueAt, T0 + 2 * H, 'next: the reminder');
  const announced = sched({ announcedAt: new Date(T0).toISOString() });
  assert.deepEqual(kinds(dueScheduleActions([announced], T0 + H)), []);
  assert.deepEqual(kinds(dueScheduleActions([announced], T0 + 2 * H)), ['remind']);
  const reminded = sched({ announcedAt: new Date(T0).toISOString(), remindedAt: new Date(T0 + 2 * H).toISOString() });
  assert.equal(dueScheduleActions([reminded], T0 + 2 * H).nextDueAt, T0 + 3 * H, 'next: the start');
  assert.deepEqual(kinds(dueScheduleActions([reminded], T0 + 3 * H)), ['open']);
  assert.deepEqual(kinds(dueScheduleActions([{ ...reminded, windowId: 7 }], T0 + 3 * H)), []);
  assert.deepEqual(dueScheduleActions([s], T0 + 5 * H), { actions: [], nextDueAt: null }, 'ended: never announced late');
});

test('an agent down over the reminder and the start: at its return the window opens, the stale reminder is not sent', () => {
  const announced = sched({ announcedAt: new Date(T0).toISOString() });
  assert.deepEqual(kinds(dueScheduleActions([announced], T0 + 4 * H)), ['open']);
});

test('scheduled inside the reminder lead time: the announcement is enough; no reminder; 0 means none', () => {
  const late = sched({ createdAt: new Date(T0 + 2.5 * H).toISOString() });
  assert.deepEqual(kinds(dueScheduleActions([late], T0 + 2.5 * H)), ['announce']);
  assert.equal(dueScheduleActions([late], T0 + 2.5 * H).nextDueAt, T0 + 3 * H);
  const announcedLate = sched({ announcedAt: new Date(T0 + 2.5 * H).toISOString() });
  assert.deepEqual(kinds(dueScheduleActions([announcedLate], T0 + 2.6 * H)), []);
  assert.deepEqual(kinds(dueScheduleActions([sched({ remindBeforeMs: 0, announcedAt: new Date(T0).toISOString() })], T0 + 2.9 * H)), []);
});

test('cancelled: a notice only when it had been announced, once, and never after its end', () => {
  const at = new Date(T0 + H).toISOString();
  assert.deepEqual(kinds(dueScheduleActions([sched({ cancelledAt: at })], T0 + H)), []);
  const announced = sched({ announcedAt: new Date(T0).toISOString(), cancelledAt: at });
  assert.deepEqual(kinds(dueScheduleActions([announced], T0 + H)), ['cancel-notice']);
  assert.deepEqual(kinds(dueScheduleActions([{ ...announced, cancelNoticeAt: at }], T0 + H)), []);
  assert.deepEqual(kinds(dueScheduleActions([announced], T0 + 6 * H)), []);
  assert.equal(dueScheduleActions([announced], T0 + H).nextDueAt, null, 'a cancelled one is never opened');
});

test('several: each its own actions, the earliest next time', () => {
  const a = sched({ id: 1, announcedAt: new Date(T0).toISOString(), remindBeforeMs: 0 });
  const b = sched({
    id: 2,
    startsAt: new Date(T0 + 2 * H).toISOString(),
    endsAt: new Date(T0 + 6 * H).toISOString(),
    announcedAt: new Date(T0).toISOString(),
    remindBeforeMs: 0,
  });
  const r = dueScheduleActions([a, b], T0 + H);
  assert.deepEqual(r, { actions: [], nextDueAt: T0 + 2 * H });
  assert.deepEqual(
    dueScheduleActions([a, b], T0 + 3 * H).actions.map((x) => [x.kind, x.schedule.id]),
    [
      ['open', 1],
      ['open', 2],
    ],
  );
});

test('the messages: stable ids, the window in UTC with its length, the note', () => {
  const s = sched({ id: 4, note: 'kernel and Docker upgrade; APIs down up to 15 min' });
  const a = scheduleNotice({ kind: 'announce', schedule: s }, T0);
  assert.equal(a.id, 'maintenance-schedule-4-announce');
  assert.equal(a.title, 'Maintenance scheduled: 2026-12-01 03:00 UTC to 2026-12-01 05:00 UTC (2h)');
  assert.match(a.text, /^kernel and Docker upgrade; APIs down up to 15 min\n/);
  assert.equal(scheduleNotice({ kind: 'remind', schedule: s }, T0 + 2 * H).title, 'Maintenance starts at 2026-12-01 03:00 UTC (in 1h)');
  assert.equal(scheduleNotice({ kind: 'cancel-notice', schedule: s }, T0).id, 'maintenance-schedule-4-cancel-notice');
  assert.deepEqual([formatSpan(90 * 60_000), formatSpan(2 * 86_400_000 + 60_000), formatSpan(0)], ['1h 30m', '2d 1m', '0m']);
});

/** UTC+1 all year, except that 2026-03-29 has 23 hours (02:00 is 03:00), as in Central Europe. */
const plusOne: TimeZone = {
  toInstant: (f) => {
    const t = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
    return t - (t >= Date.UTC(2026, 2, 29, 2) && t < Date.UTC(2026, 9, 25, 3) ? 2 : 1) * H;
  },
  fields: (t) => {
    const shifted = t + (t >= Date.UTC(2026, 2, 29, 1) && t < Date.UTC(2026, 9, 25, 1) ? 2 : 1) * H;
    const d = new Date(shifted);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
    };
  },
};

test('--at: an instant with its zone, local date and time, the next HH:MM, +duration', () => {
  const now = Date.parse('2026-11-30T21:30:00Z'); // 22:30 local
  assert.equal(parseScheduleTime('2026-12-01T03:00Z', now, plusOne), Date.parse('2026-12-01T03:00:00Z'));
  assert.equal(parseScheduleTime('2026-12-01T08:00+05:30', now, plusOne), Date.parse('2026-12-01T02:30:00Z'));
  assert.equal(parseScheduleTime('2026-12-01 03:00', now, plusOne), Date.parse('2026-12-01T02:00:00Z'), 'local: UTC+1');
  assert.equal(parseScheduleTime('23:00', now, plusOne), Date.parse('2026-11-30T22:00:00Z'), 'later today');
  assert.equal(parseScheduleTime('03:00', now, plusOne), Date.parse('2026-12-01T02:00:00Z'), 'tomorrow, across the month end');
  assert.equal(parseScheduleTime('+2h', now, plusOne), now + 2 * H);
  assert.equal(parseScheduleTime(' +90m ', now, plusOne), now + 1.5 * H);
});

test('--at 03:00 the evening before a 23-hour day is the next morning, not a day later', () => {
  const now = Date.parse('2026-03-28T22:00:00Z'); // 23:00 local, UTC+1
  assert.equal(parseScheduleTime('03:00', now, plusOne), Date.parse('2026-03-29T01:00:00Z'), '03:00 at UTC+2');
});

test('--at refuses what is not a time, not a real date, in the past or more than a year ahead, saying how to write it', () => {
  const now = Date.parse('2026-11-30T21:30:00Z');
  for (const [v, why] of [
    ['tomorrow', /is not a time/],
    ['', /is not a time/],
    ['2026-02-30 03:00', /not a real date/],
    ['2026-13-01T00:00Z', /not a real date/],
    ['24:00', /not a time of day/],
    ['2026-11-30T20:00Z', /in the past/],
    ['+0s', /in the past/],
    ['2028-01-01T00:00Z', /more than a year ahead/],
    ['+2 fortnights', /not a duration/],
  ] as const) {
    assert.throws(
      () => parseScheduleTime(v, now, plusOne),
      (err: Error & { hint?: string }) => why.test(err.message),
      v,
    );
  }
});

test('--note: trimmed, not empty, not longer than 500, no control characters but newlines', () => {
  assert.equal(checkNote('  kernel upgrade \n'), 'kernel upgrade');
  assert.equal(checkNote('line one\nline two'), 'line one\nline two');
  assert.throws(() => checkNote('   '), /must say what/);
  assert.throws(() => checkNote('x'.repeat(501)), /501 characters/);
  assert.throws(() => checkNote('bell\u0007'), /control characters/);
  assert.throws(() => checkNote('esc\u001b[31m'), /control characters/);
});
