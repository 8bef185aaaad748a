/**
 * The timeline: an append-only record of what happened on the host and what upkeep did, written by
 * every part (CLI commands, the agent, the apt hook). Its JSON shape is stable:
 * `{at, kind, subject, detail}` (see docs/timeline.md); kinds are an open set (core/timeline.ts).
 */

/** One entry as read back. */
export interface TimelineEntry {
  id: number;
  /** ISO 8601, when it happened (not when it was written, for reconstructed entries). */
  at: string;
  kind: string;
  /** The container, project, host or window it is about; null when it is about nothing in particular. */
  subject: string | null;
  /** `message` is one sentence for people; the other fields are the kind's own data. */
  detail: TimelineDetail;
}

export interface TimelineDetail {
  message: string;
  /** True when the agent rebuilt it afterwards from what the engine still knew (not seen live). */
  reconstructed?: boolean;
  [field: string]: unknown;
}

/** A timeline entry to append. */
export interface NewTimelineEntry {
  /** Defaults to the store's clock. */
  at?: string;
  kind: string;
  subject?: string | null;
  message: string;
  /** The kind's own fields (JSON values), merged into `detail`. */
  data?: unknown;
  reconstructed?: boolean;
}

export interface TimelineQuery {
  /** Inclusive, ISO 8601. */
  since?: string;
  /** Exclusive, ISO 8601. */
  until?: string;
  /** Only this kind (exact name). */
  kind?: string;
  /** Only these kinds (exact names, or a prefix ending in "*": "alert-*"). */
  kinds?: readonly string[];
  subject?: string;
  /** The newest N (still returned oldest first). */
  limit?: number;
}

export interface TimelineRepository {
  appendTimeline(entry: NewTimelineEntry): TimelineEntry;
  /** Oldest first. */
  timeline(query?: TimelineQuery): TimelineEntry[];
  /** Deletes entries older than `before` (ISO); returns how many. */
  pruneTimeline(before: string): number;
}
