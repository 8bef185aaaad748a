/** Durations as people type them: "500ms", "10s", "2m", "1h", or a bare number of seconds. */
import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a duration to milliseconds; `what` names the option in the error ("--grace"). */
export function parseDuration(value: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!m) throw new UsageError(`${what} "${value}" is not a duration`, { hint: 'write it like 500ms, 10s, 2m or 1h' });
  return Math.round(Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1000));
}
