/**
 * upkeep's persistent state as one object (adapters/store/sqlite-store.ts implements it). Code that
 * needs only part of it takes the narrower port: SnapshotRepository, IntentRepository,
 * TimelineRepository, AlertOutboxRepository, MaintenanceRepository, AgentStateRepository,
 * UpgradeJournalRepository.
 */
import type { AgentStateRepository } from './agent-state.js';
import type { AlertOutboxRepository } from './alert-outbox.js';
import type { IntentRepository } from './intent.js';
import type { MaintenanceRepository } from './maintenance.js';
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
    AgentStateRepository,
    UpgradeJournalRepository {
  /** The database file. */
  readonly path: string;
  readonly schemaVersion: number;
  /** The connection's settings and SQLite's integrity check (reads the whole file). */
  diagnostics(): StoreDiagnostics;
  close(): void;
}
