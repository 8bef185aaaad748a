/** Durations as people type them: "500ms", "10s", "2m", "1h", "7d", or a bare number of seconds. */
import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration to milliseconds; `what` names the option in the error ("--grace"). */
export function parseDuration(value: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (!m) throw new UsageError(`${what} "${value}" is not a duration`, { hint: 'write it like 500ms, 10s, 2m, 1h or 7d' });
  return Math.round(Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1000));
}

/**
 * A point in time as people type it for --since/--until: a duration back from `now` ("2h", "7d"),
 * or a date/time ("2025-11-20", "2025-11-20T15:23", "2025-11-20 15:23:00Z"; without a zone: UTC).
 * Returns ISO 8601.
 */
export function parseTimePoint(value: string, what: string, now: number): string {
  if (/^\s*\d+(?:\.\d+)?\s*(ms|s|m|h|d)\s*$/.test(value)) return new Date(now - parseDuration(value, what)).toISOString();
  const m = /^\s*(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:?\d{2})?)?\s*$/.exec(value);
  const t = m ? Date.parse(`${m[1]}T${m[2] ?? '00:00'}${m[3] ?? 'Z'}`) : NaN;
  if (!Number.isFinite(t)) {
    throw new UsageError(`${what} "${value}" is neither a duration nor a date`, {
      hint: 'write a duration back from now (30m, 2h, 7d) or a date/time in UTC (2025-11-20 or 2025-11-20T15:23)',
    });
  }
  return new Date(t).toISOString();
}
