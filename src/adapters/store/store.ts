/**
 * The store: upkeep's memory across reboots and outages. The interfaces are the ports in
 * src/ports/ (Store is all of them at once); openStore (sqlite-store.ts) gives the SQLite one.
 */
import { UpkeepError } from '../../core/errors.js';

export type { Store, StoreDiagnostics } from '../../ports/store.js';
export type { ForgetResult, SnapshotSummary, StoredSnapshot } from '../../ports/snapshots.js';
export type { NewTimelineEntry, TimelineEntry, TimelineQuery } from '../../ports/timeline.js';
export type { OutboxEntry } from '../../ports/alert-outbox.js';
export type { MaintenanceWindow } from '../../ports/maintenance.js';
export type { OperatorStop } from '../../ports/intent.js';

/** The state database is missing, unreadable, damaged, locked or from a newer upkeep. Exit 2. */
export class StoreError extends UpkeepError {}
