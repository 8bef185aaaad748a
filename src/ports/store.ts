/**
 * upkeep's persistent state as one object (adapters/store/sqlite-store.ts implements it). Code that
 * needs only part of it takes the narrower port: SnapshotRepository, IntentRepository,
 * TimelineRepository, AlertOutboxRepository, MaintenanceRepository, MaintenanceScheduleRepository, AgentStateRepository,
 * UpgradeJournalRepository, RollbackPlanSource.
 */
import type { AgentStateRepository } from './agent-state.js';
import type { AlertOutboxRepository } from './alert-outbox.js';
import type { IntentRepository } from './intent.js';
import type { MaintenanceRepository, MaintenanceScheduleRepository } from './maintenance.js';
import type { RollbackPlanSource } from './rollback.js';
import type { SnapshotRepository } from './snapshots.js';
import type { TimelineRepository } from './timeline.js';
import type { UpgradeJournalRepository } from './upgrade-journal.js';

/** What diagnostics() reports. */
export interface StoreDiagnostics {
  journalMode: string;
  foreignKeys: boolean;
  /** 2 = FULL. */
  synchronous: number;
  busyTimeoutMs: number;
  /** "ok", or SQLite's list of problems. */
  integrity: string;
  schemaVersion: number;
}

export interface Store
  extends
    SnapshotRepository,
    IntentRepository,
    TimelineRepository,
    AlertOutboxRepository,
    MaintenanceRepository,
    MaintenanceScheduleRepository,
    AgentStateRepository,
    UpgradeJournalRepository,
    RollbackPlanSource {
  /** The database file. */
  readonly path: string;
  readonly schemaVersion: number;
  /**
   * Runs `fn`'s writes as one transaction: one commit (one fsync with synchronous=FULL) for all of
   * them, all or none. Commits when `fn` returns, rolls back when it throws. A transaction inside
   * `fn` (a store method that uses its own) becomes part of this one. `fn` must not await: the
   * connection is shared by the agent's actors, and a write of another one would join it.
   */
  transaction<T>(fn: () => T): T;
  /** The connection's settings and SQLite's integrity check (reads the whole file). */
  diagnostics(): StoreDiagnostics;
  close(): void;
}
