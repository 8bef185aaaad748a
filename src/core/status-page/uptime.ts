/**
 * A container's state history as uptime bars (pure): from its timeline entries (oldest first) and
 * what the engine says of it now, the fraction of each bucket it was up, for 24 h, 7 d and 90 d.
 *
 * Only what is known counts. From each up/down entry on, the container is as that entry says
 * until the next one. The engine adds its current state since `since` (State.StartedAt of a
 * running container, FinishedAt of a stopped one). After the last entry its state holds until
 * `since`, or until now when it agrees with the current state; when it does not (an event the
 * agent missed, at an unknown time), the time since is "no data". Before the first entry, and
 * without any entry or `since`: "no data". No data counts neither up nor down: `up` is the up
 * fraction of the time with data, `data` the fraction of the time that has data.
 */
import { TIMELINE_KINDS } from '../timeline.js';

const UP_KINDS: ReadonlySet<string> = new Set([TIMELINE_KINDS.containerStarted, TIMELINE_KINDS.healed, TIMELINE_KINDS.operatorStart]);
const DOWN_KINDS: ReadonlySet<string> = new Set([TIMELINE_KINDS.containerDied, TIMELINE_KINDS.operatorStop, TIMELINE_KINDS.gaveUp]);

/** The timeline kinds that say a container went up or down. */
export const UPTIME_KINDS: readonly string[] = [...UP_KINDS, ...DOWN_KINDS];

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
  /** Up fraction of the time with data over the whole span, 0..1; null: no data in the span. */
  uptime: number | null;
  /** The fraction of the span with data, 0..1. */
  data: number;
  /** Oldest first: the bucket's start, its up fraction of the time with data (null: none), its data fraction. */
  buckets: Array<{ start: string; up: number | null; data: number }>;
}

/** What the engine says of the container now. */
export interface CurrentState {
  up: boolean;
  /** Since when it is so (ms): State.StartedAt when up, FinishedAt when down; null unknown. */
  since: number | null;
}

/** Whether the entry says the container went up (true), down (false), or neither (null). */
export function upEffect(kind: string): boolean | null {
  if (UP_KINDS.has(kind)) return true;
  if (DOWN_KINDS.has(kind)) return false;
  return null;
}

type Segment = [start: number, end: number, up: boolean];

/** The known stretches of time, from the entries and the current state. */
function knownSegments(entries: ReadonlyArray<{ at: string; kind: string }>, current: CurrentState, now: number): Segment[] {
  const changes = entries
    .map((e) => ({ t: Date.parse(e.at), up: upEffect(e.kind) }))
    .filter((c): c is { t: number; up: boolean } => c.up !== null && Number.isFinite(c.t) && c.t <= now)
    .sort((a, b) => a.t - b.t);
  const since = current.since !== null && Number.isFinite(current.since) ? Math.min(current.since, now) : null;
  const out: Segment[] = [];
  for (let i = 0; i < changes.length - 1; i++) out.push([changes[i]!.t, changes[i + 1]!.t, changes[i]!.up]);
  const last = changes[changes.length - 1];
  if (last === undefined) {
    if (since !== null) out.push([since, now, current.up]);
  } else if (since !== null && since > last.t) {
    out.push([last.t, since, last.up], [since, now, current.up]);
  } else if (last.up === current.up) {
    out.push([last.t, now, last.up]);
  }
  return out.filter(([s, e]) => e > s);
}

/** The bars of one container; `entries` its up/down timeline entries over at least the longest span (and the last one before it). */
export function uptimeBars(entries: ReadonlyArray<{ at: string; kind: string }>, current: CurrentState, now: number, spans = UPTIME_SPANS): UptimeBar[] {
  const segments = knownSegments(entries, current, now);
  const measure = (a: number, b: number) => {
    let up = 0;
    let known = 0;
    for (const [s, e, isUp] of segments) {
      const d = Math.max(0, Math.min(b, e) - Math.max(a, s));
      known += d;
      if (isUp) up += d;
    }
    return { up: known > 0 ? round(up / known) : null, data: round(known / (b - a)) };
  };
  return spans.map((span) => {
    const from = now - span.spanMs;
    const buckets: UptimeBar['buckets'] = [];
    for (let start = from; start < now; start += span.bucketMs) {
      buckets.push({ start: new Date(start).toISOString(), ...measure(start, Math.min(now, start + span.bucketMs)) });
    }
    const all = measure(from, now);
    return { label: span.label, uptime: all.up, data: all.data, buckets };
  });
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
