/**
 * The JSON documents of `upkeep diff --json` and `upkeep recover --json` (docs/recovery.md).
 * Built here, in one place, so that the documented shape is the printed shape. Neither carries an
 * environment value: plans, diffs and outcomes name containers, never their configuration.
 */
import type { DesiredDiff } from './diff.js';
import type { HostIdentity } from './desired-state.js';
import type { RecoveryResult } from './executor.js';
import { maskSecrets } from './mask-secrets.js';

/** Which desired state a document was computed from. */
export interface SnapshotRef {
  id: number | null;
  host: HostIdentity;
  takenAt: string;
  note: string | null;
}

/** `upkeep diff --json`. */
export interface DiffJson extends DesiredDiff {
  snapshot: SnapshotRef;
  engine: HostIdentity;
}

/** `upkeep recover --json` (also with --dry-run, where `outcomes` is empty and `dryRun` true). */
export interface RecoverJson extends RecoveryResult {
  snapshot: SnapshotRef;
  engine: HostIdentity;
  dryRun: boolean;
}

function ref(s: SnapshotRef): SnapshotRef {
  return { id: s.id, host: { id: s.host.id, name: s.host.name }, takenAt: s.takenAt, note: s.note };
}

/** The document `upkeep diff --json` prints. */
export function diffJson(snapshot: SnapshotRef, engine: HostIdentity, diff: DesiredDiff): DiffJson {
  return maskSecrets({ snapshot: ref(snapshot), engine: { ...engine }, ...diff });
}

/** The document `upkeep recover --json` prints. */
export function recoverJson(snapshot: SnapshotRef, engine: HostIdentity, result: RecoveryResult, dryRun = false): RecoverJson {
  return maskSecrets({ snapshot: ref(snapshot), engine: { ...engine }, dryRun, ...result });
}

/** The result `--dry-run` reports: the plan, nothing done, and what is not running now. */
export function dryRunResult(plan: RecoveryResult['plan'], notRunning: RecoveryResult['remaining']): RecoveryResult {
  return {
    plan,
    outcomes: [],
    remaining: notRunning,
    nothingToDo: plan.actions.length === 0,
    declined: false,
    engineWaitSeconds: 0,
    graceSeconds: 0,
    seconds: 0,
  };
}
