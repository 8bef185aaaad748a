/**
 * Reading the timeline (`upkeep timeline`, the maintenance report, the status page) and keeping it
 * bounded (the agent prunes what is older than the retention).
 */
import type { TimelineEntry, TimelineQuery, TimelineRepository } from '../ports/timeline.js';

/** The default retention: 90 days (config `timeline.retention`). */
export const DEFAULT_TIMELINE_RETENTION_MS = 90 * 86_400_000;

/** The entries of `query`, oldest first, in the stable public shape (no store ids). */
export function readTimeline(store: Pick<TimelineRepository, 'timeline'>, query: TimelineQuery): Array<Omit<TimelineEntry, 'id'>> {
  return store.timeline(query).map(({ at, kind, subject, detail }) => ({ at, kind, subject, detail }));
}

/** Deletes entries older than `retentionMs` before `now`; returns how many. */
export function pruneTimeline(store: Pick<TimelineRepository, 'pruneTimeline'>, now: number, retentionMs = DEFAULT_TIMELINE_RETENTION_MS): number {
  return store.pruneTimeline(new Date(now - retentionMs).toISOString());
}
