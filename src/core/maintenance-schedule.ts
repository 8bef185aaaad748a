/**
 * Scheduled maintenance (`upkeep maintenance schedule`): announced to the alert channels when it is
 * scheduled, reminded before it starts, its window opened when its time comes (unless one was opened
 * for it already), and a cancellation said to whoever heard the announcement. Pure: the agent's
 * maintenance actor asks `dueScheduleActions` what is due now, does it (app/maintenance-schedule.ts)
 * and sleeps until `nextDueAt`.
 */
import { UsageError } from './errors.js';
import { parseDuration } from './duration.js';

/** One scheduled maintenance, as the store keeps it. */
export interface ScheduledMaintenance {
  id: number;
  /** When the window opens (ISO 8601, UTC). */
  startsAt: string;
  /** When it ends by itself (ISO 8601, UTC); a window is never open for ever. */
  endsAt: string;
  /** What people are told ("kernel and Docker upgrade; APIs down up to 15 min"). */
  note: string;
  /** How long before `startsAt` the reminder goes out (0: none). */
  remindBeforeMs: number;
  createdAt: string;
  announcedAt: string | null;
  remindedAt: string | null;
  /** The maintenance window opened for it (by the agent at `startsAt`, or by `upkeep upgrade`). */
  windowId: number | null;
  cancelledAt: string | null;
  /** When the cancellation was told to the channels (only when the announcement had gone out). */
  cancelNoticeAt: string | null;
}

/** What is due for one scheduled maintenance. */
export type ScheduleAction =
  | { kind: 'announce'; schedule: ScheduledMaintenance }
  | { kind: 'remind'; schedule: ScheduledMaintenance }
  | { kind: 'open'; schedule: ScheduledMaintenance }
  | { kind: 'cancel-notice'; schedule: ScheduledMaintenance };

/** The limits of what can be scheduled. */
export const MAX_SCHEDULE_AHEAD_MS = 366 * 86_400_000;
export const MAX_WINDOW_MS = 7 * 86_400_000;
export const MAX_NOTE_LENGTH = 500;

const ms = (iso: string) => Date.parse(iso);

/**
 * What is due at `now` for each scheduled maintenance, and when the next thing falls due (null:
 * nothing more is planned). A maintenance whose end has passed gets nothing: announcing it or
 * opening its window then would only mislead. A reminder is skipped when the announcement itself
 * went out within the reminder's lead time (it would say the same a moment later).
 */
export function dueScheduleActions(schedules: readonly ScheduledMaintenance[], now: number): { actions: ScheduleAction[]; nextDueAt: number | null } {
  const actions: ScheduleAction[] = [];
  let nextDueAt: number | null = null;
  const later = (t: number) => {
    if (t > now && (nextDueAt === null || t < nextDueAt)) nextDueAt = t;
  };
  for (const s of schedules) {
    const start = ms(s.startsAt);
    const end = ms(s.endsAt);
    if (s.cancelledAt !== null) {
      if (s.announcedAt !== null && s.cancelNoticeAt === null && now < end) actions.push({ kind: 'cancel-notice', schedule: s });
      continue;
    }
    if (now >= end) continue;
    if (s.announcedAt === null) actions.push({ kind: 'announce', schedule: s });
    const remindAt = start - s.remindBeforeMs;
    const announcedAt = s.announcedAt === null ? now : ms(s.announcedAt);
    const wantsReminder = s.remindBeforeMs > 0 && s.remindedAt === null && announcedAt < remindAt;
    if (wantsReminder) {
      if (now >= remindAt && now < start) actions.push({ kind: 'remind', schedule: s });
      else later(remindAt);
    }
    if (s.windowId === null) {
      if (now >= start) actions.push({ kind: 'open', schedule: s });
      else later(start);
    }
  }
  return { actions, nextDueAt };
}

/** The message the channels get for an action (`id` is stable: the outbox sends each once). */
export function scheduleNotice(action: Exclude<ScheduleAction, { kind: 'open' }>, now: number): { id: string; title: string; text: string } {
  const s = action.schedule;
  const when = `${formatUtc(s.startsAt)} to ${formatUtc(s.endsAt)} (${formatSpan(ms(s.endsAt) - ms(s.startsAt))})`;
  const id = `maintenance-schedule-${s.id}-${action.kind}`;
  switch (action.kind) {
    case 'announce':
      return { id, title: `Maintenance scheduled: ${when}`, text: `${s.note}\nServices on this host may be unavailable during the window.` };
    case 'remind':
      return {
        id,
        title: `Maintenance starts at ${formatUtc(s.startsAt)} (in ${formatSpan(Math.max(0, ms(s.startsAt) - now))})`,
        text: `${s.note}\nWindow: ${when}.`,
      };
    case 'cancel-notice':
      return { id, title: `Maintenance cancelled: ${when}`, text: `The maintenance announced for this window will not take place.\n(It was: ${s.note})` };
  }
}

/** "2026-12-01 03:00 UTC". */
export function formatUtc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** "2h", "1h 30m", "45m", "2d". */
export function formatSpan(span: number): string {
  const minutes = Math.round(span / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : ''].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : '0m';
}

/** Fields of a local date and time (month 1-12). */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The host's time zone, as the caller knows it (core knows none): fields <-> instants. */
export interface TimeZone {
  /** The instant (ms) of local `f`; out-of-range fields roll over (day 32 is the next month's 1st), as Date's do. */
  toInstant(f: LocalDateTime): number;
  /** The local fields of instant `t`. */
  fields(t: number): LocalDateTime;
}

/**
 * `--at` as people type it, to an instant (ms): `2026-12-01T03:00Z` or `+01:00` (that instant),
 * `2026-12-01 03:00` (this host's local time), `03:00` (the next 03:00 local, today or tomorrow),
 * or `+2h` (from now). `tz` is the host's time zone (the CLI passes it; core knows none). Checks the result lies after `now` and at most a year ahead.
 * @throws UsageError saying what was wrong and how to write it.
 */
export function parseScheduleTime(value: string, now: number, tz: TimeZone, what = '--at'): number {
  const hint = { hint: 'write 2026-12-01T03:00Z, 2026-12-01 03:00 (local time), 03:00 (the next one) or +2h' };
  const v = value.trim();
  let t: number;
  const rel = /^\+(.+)$/.exec(v);
  const full = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2})?$/.exec(v);
  const clock = /^(\d{1,2}):(\d{2})$/.exec(v);
  if (rel) {
    t = now + parseDuration(rel[1]!, what);
  } else if (full) {
    const [, y, mo, d, h, mi, s, zone] = full;
    const f = { year: Number(y), month: Number(mo), day: Number(d), hour: Number(h), minute: Number(mi), second: Number(s ?? 0) };
    if (!validFields(f)) throw new UsageError(`${what} "${value}" is not a real date and time`, hint);
    t = zone ? Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${zone}`) : tz.toInstant(f);
  } else if (clock) {
    const hour = Number(clock[1]);
    const minute = Number(clock[2]);
    if (hour > 23 || minute > 59) throw new UsageError(`${what} "${value}" is not a time of day`, hint);
    // Today's hour:minute, or tomorrow's when today's has passed (the day after in local fields:
    // toInstant takes day 32 as the 1st of the next month, and a 23- or 25-hour day stays one day).
    const today = tz.fields(now);
    t = tz.toInstant({ ...today, hour, minute, second: 0 });
    if (t <= now) t = tz.toInstant({ ...today, day: today.day + 1, hour, minute, second: 0 });
  } else {
    throw new UsageError(`${what} "${value}" is not a time`, hint);
  }
  if (!Number.isFinite(t)) throw new UsageError(`${what} "${value}" is not a time`, hint);
  if (t <= now) throw new UsageError(`${what} ${new Date(t).toISOString()} is in the past`, { hint: 'schedule a time after now' });
  if (t - now > MAX_SCHEDULE_AHEAD_MS)
    throw new UsageError(`${what} ${new Date(t).toISOString()} is more than a year ahead`, { hint: 'schedule within a year' });
  return t;
}

function validFields(f: LocalDateTime): boolean {
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.hour > 23 || f.minute > 59 || f.second > 59) return false;
  const daysInMonth = new Date(Date.UTC(f.year, f.month, 0)).getUTCDate();
  return f.day <= daysInMonth;
}

/** A note as given, checked: one to MAX_NOTE_LENGTH characters, no control characters but newlines. */
export function checkNote(note: string): string {
  const n = note.trim();
  if (n === '') throw new UsageError('--note must say what the maintenance is (e.g. "kernel and Docker upgrade")');
  if (n.length > MAX_NOTE_LENGTH) throw new UsageError(`--note is ${n.length} characters; at most ${MAX_NOTE_LENGTH}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(n)) throw new UsageError('--note has control characters; write plain text');
  return n;
}
