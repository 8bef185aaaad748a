/**
 * The status page's timeline filter (pure): query-string values -> a timeline query, the same
 * forms `upkeep timeline` takes (`since`/`until`: 30m, 2h, 7d or a UTC date/time; `kind`: names,
 * comma-separated, "alert-*" for a prefix; `subject`; `limit`). A bad value is an error naming it.
 */
import { parseTimePoint } from '../duration.js';
import { UsageError } from '../errors.js';

export interface TimelineFilter {
  since: string;
  until: string | null;
  kinds: string[];
  subject: string | null;
  limit: number;
}

export const DEFAULT_TIMELINE_LIMIT = 500;
const MAX_LIMIT = 5_000;

/** `get(name)` reads one query parameter (absent: undefined or null). Throws UsageError on a bad value. */
export function parseTimelineFilter(get: (name: string) => string | null | undefined, now: number): TimelineFilter {
  const val = (name: string): string | null => {
    const v = get(name);
    return v === undefined || v === null || v.trim() === '' ? null : v.trim();
  };
  const since = parseTimePoint(val('since') ?? '24h', 'since', now);
  const untilText = val('until');
  const until = untilText === null ? null : parseTimePoint(untilText, 'until', now);
  const kinds = (val('kind') ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => /^[a-z0-9-]+\*?$/.test(k));
  const limitText = val('limit');
  const limit = limitText === null ? DEFAULT_TIMELINE_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`limit "${limitText}" must be a whole number of 1 or more`);
  return { since, until, kinds, subject: val('subject'), limit: Math.min(limit, MAX_LIMIT) };
}
