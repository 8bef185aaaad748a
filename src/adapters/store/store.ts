/**
 * The store: upkeep's memory across reboots and outages. The interfaces are the ports in
 * src/ports/ (Store is all of them at once); openStore (sqlite-store.ts) gives the SQLite one.
 */
import { UpkeepError } from '../../core/errors.js';
import type { HostIdentity } from '../../core/recovery/desired-state.js';
import { ForeignSnapshotError } from '../../core/recovery/plan.js';
import type { Store } from '../../ports/store.js';
import type { StoredSnapshot } from '../../ports/snapshots.js';

export type { Store, StoreDiagnostics } from '../../ports/store.js';
export type { ForgetResult, SnapshotSummary, StoredSnapshot } from '../../ports/snapshots.js';
export type { NewTimelineEntry, TimelineEntry, TimelineQuery } from '../../ports/timeline.js';
export type { OutboxEntry } from '../../ports/alert-outbox.js';
export type { MaintenanceWindow } from '../../ports/maintenance.js';
export type { OperatorStop } from '../../ports/intent.js';

/** The state database is missing, unreadable, damaged, locked or from a newer upkeep. Exit 2. */
export class StoreError extends UpkeepError {}

/**
 * The desired state for `recover` and `diff`: this engine's newest snapshot. Throws StoreError
 * when there is none, and ForeignSnapshotError when the store only has other engines' snapshots
 * (unless `allowOtherHost`, which takes the newest of any host).
 */
export function requireDesiredState(store: Store, engineHost: HostIdentity, opts: { allowOtherHost?: boolean } = {}): StoredSnapshot {
  const own = store.latestSnapshot(engineHost.id);
  if (own !== null) return own;
  const newest = store.listSnapshots({ limit: 1 })[0];
  if (newest === undefined) {
    throw new StoreError(`no snapshot in ${store.path} yet: upkeep does not know what should run`, {
      hint: 'take one with `upkeep snapshot` while everything runs (before maintenance)',
    });
  }
  if (opts.allowOtherHost) return store.getSnapshot(newest.id) as StoredSnapshot;
  throw new ForeignSnapshotError(
    `the snapshots in ${store.path} were taken on host "${newest.host.name}" (engine ID ${newest.host.id}), not on this engine "${engineHost.name}" (engine ID ${engineHost.id})`,
    {
      hint: "take a snapshot on this host with `upkeep snapshot`, or point --state-dir at this host's state; if Docker was reinstalled here (a new engine ID), take a new snapshot",
    },
  );
}
