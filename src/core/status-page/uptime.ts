/**
 * A container's state history as uptime bars (pure): from its timeline entries (oldest first) and
 * whether it runs now, the fraction of each bucket it was up, for 24 h, 7 d and 90 d. Before its
 * first entry in a span it is taken to have been as the first entry found it before (a `died`
 * first means it ran before); with no entry at all, as it is now.
 */
import { TIMELINE_KINDS } from '../timeline.js';

const UP_KINDS: ReadonlySet<string> = new Set([TIMELINE_KINDS.containerStarted, TIMELINE_KINDS.healed, TIMELINE_KINDS.operatorStart]);
const DOWN_KINDS: ReadonlySet<string> = new Set([TIMELINE_KINDS.containerDied, TIMELINE_KINDS.operatorStop, TIMELINE_KINDS.gaveUp]);

export interface UptimeSpan {
  /** "24h", "7d", "90d". */
  label: string;
  spanMs: number;
  bucketMs: number;
}

export const UPTIME_SPANS: readonly UptimeSpan[] = [
  { label: '24h', spanMs: 86_400_000, bucketMs: 3_600_000 },
  { label: '7d', spanMs: 7 * 86_400_000, bucketMs: 6 * 3_600_000 },
  { label: '90d', spanMs: 90 * 86_400_000, bucketMs: 86_400_000 },
];

export interface UptimeBar {
  label: string;
  /** Up fraction over the whole span, 0..1. */
  uptime: number;
  /** Oldest first: [start ISO, up fraction 0..1]. */
  buckets: Array<{ start: string; up: number }>;
}

/** Whether the entry says the container went up (true), down (false), or neither (null). */
export function upEffect(kind: string): boolean | null {
  if (UP_KINDS.has(kind)) return true;
  if (DOWN_KINDS.has(kind)) return false;
  return null;
}

/** The bars of one container; `entries` its timeline entries over at least the longest span, oldest first. */
export function uptimeBars(entries: ReadonlyArray<{ at: string; kind: string }>, upNow: boolean, now: number, spans = UPTIME_SPANS): UptimeBar[] {
  const changes = entries
    .map((e) => ({ t: Date.parse(e.at), up: upEffect(e.kind) }))
    .filter((c): c is { t: number; up: boolean } => c.up !== null && Number.isFinite(c.t) && c.t <= now);
  return spans.map((span) => {
    const from = now - span.spanMs;
    const inside = changes.filter((c) => c.t >= from);
    const before = changes.filter((c) => c.t < from).pop();
    let state = before ? before.up : inside.length > 0 ? !inside[0]!.up : upNow;
    const intervals: Array<[number, number]> = [];
    let upSince: number | null = state ? from : null;
    for (const c of inside) {
      if (c.up && !state) upSince = c.t;
      if (!c.up && state && upSince !== null) intervals.push([upSince, c.t]);
      state = c.up;
    }
    if (state && upSince !== null) intervals.push([upSince, now]);
    const upIn = (a: number, b: number) => intervals.reduce((n, [s, e]) => n + Math.max(0, Math.min(b, e) - Math.max(a, s)), 0);
    const buckets: UptimeBar['buckets'] = [];
    for (let start = from; start < now; start += span.bucketMs) {
      const end = Math.min(now, start + span.bucketMs);
      buckets.push({ start: new Date(start).toISOString(), up: round(upIn(start, end) / (end - start)) });
    }
    return { label: span.label, uptime: round(upIn(from, now) / span.spanMs), buckets };
  });
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
