/**
 * This host's time zone (the TZ environment variable, else /etc/localtime, as Node reads it), in
 * the shape core/maintenance-schedule.ts takes: core itself never reads the time zone.
 */
import type { TimeZone } from '../core/maintenance-schedule.js';

export const hostTimeZone: TimeZone = {
  toInstant: (f) => new Date(f.year, f.month - 1, f.day, f.hour, f.minute, f.second).getTime(),
  fields: (t) => {
    const d = new Date(t);
    return { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: d.getHours(), minute: d.getMinutes(), second: d.getSeconds() };
  },
};

/** "Tue 2026-12-01 04:00 CET": an instant in this host's local time, with the zone's name. */
export function localTimeLine(t: number): string {
  const d = new Date(t);
  const zone = new Intl.DateTimeFormat('en-GB', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getDay()];
  return `${day} ${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}${zone ? ` ${zone}` : ''}`;
}
