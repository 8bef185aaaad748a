/** Snapshots: every one kept (history); the newest of a host is the base of its desired state. */
import type { ForgottenEntry, HostIdentity, Snapshot } from '../core/recovery/desired-state.js';

/** A saved snapshot without its containers' configurations. */
export interface SnapshotSummary {
  id: number;
  host: HostIdentity;
  takenAt: string;
  note: string | null;
  containerCount: number;
  /** Container names, sorted. */
  names: string[];
}

/** A snapshot read back: `containers` excludes the names forgotten since, listed in `forgotten`. */
export interface StoredSnapshot extends Snapshot {
  id: number;
  forgotten: ForgottenEntry[];
}

/** What `upkeep forget` did. */
export interface ForgetResult {
  at: string;
  /** Names removed from the desired state. */
  forgotten: string[];
  /** Names that were not in any host's desired state (nothing recorded for them). */
  notDesired: string[];
}

export interface SnapshotRepository {
  /** Saves a whole snapshot in one transaction (never a partial one) and returns its summary. */
  saveSnapshot(snapshot: Snapshot): SnapshotSummary;
  /** The newest snapshot of host `hostId` minus the names forgotten since; null if none. */
  latestSnapshot(hostId: string): StoredSnapshot | null;
  /** One snapshot by id (forgotten names applied as for latestSnapshot), or null. */
  getSnapshot(id: number): StoredSnapshot | null;
  /** Newest first. */
  listSnapshots(opts?: { hostId?: string; limit?: number }): SnapshotSummary[];
  /** Removes names from the desired state (as of now: a later snapshot that includes them makes them desired again). */
  forget(names: readonly string[]): ForgetResult;
  /** Takes back `forget` of `names` (the ones forgotten since their host's newest snapshot); returns the names it restored. */
  unforget(names: readonly string[]): string[];
  listForgotten(): ForgottenEntry[];
}
