/**
 * The desired state, read one way by every command and by the agent (one authority, one error
 * rule): this engine's newest snapshot, minus `upkeep forget`, minus the operator's stops
 * (core/recovery/desired-state.ts: desiredStateOf).
 *
 * Another engine ID's snapshot is taken as this host's only when Docker was upgraded across 23 here
 * (core/recovery/plan.ts engineUpgradedHere: the same host name, the ID's old form before and the
 * new one now), and said in `note`; any other foreign ID needs --allow-other-host.
 *
 * The error rule: `loadDesiredState` never throws for a missing or foreign desired state; it says
 * why in `problem`. Commands that cannot work without one (diff, recover) call
 * `requireDesiredState`, which throws that problem as an error with its hint; the others (status,
 * preflight, audit, check, the agent) go on and show the problem as a note.
 */
import { UpkeepError } from '../core/errors.js';
import { desiredStateOf, type DesiredState, type HostIdentity } from '../core/recovery/desired-state.js';
import { engineUpgradedHere, ForeignSnapshotError } from '../core/recovery/plan.js';
import type { IntentRepository } from '../ports/intent.js';
import type { SnapshotRepository } from '../ports/snapshots.js';

export type DesiredStateSource = Pick<SnapshotRepository, 'latestSnapshot' | 'listSnapshots' | 'getSnapshot'> &
  Pick<IntentRepository, 'operatorStops'> & { readonly path: string };

/** No desired state to work from, and why. */
export interface DesiredStateProblem {
  kind: 'no-snapshot' | 'foreign-host';
  /** The error to throw or show: message and hint. */
  error: UpkeepError;
}

/** `note`: said when the snapshot is another engine ID's taken as this host's (Docker upgraded across 23). */
export type DesiredStateResult = { ok: true; state: DesiredState; note: string | null } | { ok: false; problem: DesiredStateProblem };

export interface DesiredStateOptions {
  /** Take the newest snapshot of any engine when this one has none (Docker reinstalled: a new engine ID). */
  allowOtherHost?: boolean;
}

/** The desired state of the engine `host` (see the file comment). */
export function loadDesiredState(store: DesiredStateSource, host: HostIdentity, opts: DesiredStateOptions = {}): DesiredStateResult {
  let snapshot = store.latestSnapshot(host.id);
  let note: string | null = null;
  if (snapshot === null) {
    const newest = store.listSnapshots({ limit: 1 })[0];
    if (newest === undefined) {
      return {
        ok: false,
        problem: {
          kind: 'no-snapshot',
          error: new UpkeepError(`no snapshot in ${store.path} yet: upkeep does not know what should run`, {
            hint: 'take one with `upkeep snapshot` while everything runs (before maintenance)',
          }),
        },
      };
    }
    note = engineUpgradedHere(newest.host, host);
    if (note === null && !opts.allowOtherHost) {
      return {
        ok: false,
        problem: {
          kind: 'foreign-host',
          error: new ForeignSnapshotError(
            `the snapshots in ${store.path} were taken on host "${newest.host.name}" (engine ID ${newest.host.id}), not on this engine "${host.name}" (engine ID ${host.id})`,
            {
              hint: "take a snapshot on this host with `upkeep snapshot`, or point --state-dir at this host's state; if Docker was reinstalled here (a new engine ID), take a new snapshot or pass --allow-other-host",
            },
          ),
        },
      };
    }
    snapshot = store.getSnapshot(newest.id);
    if (snapshot === null) throw new UpkeepError(`snapshot ${newest.id} vanished from ${store.path} while it was read`);
  }
  return { ok: true, state: desiredStateOf(snapshot, store.operatorStops()), note };
}

/** The desired state, or the reason there is none thrown as an error (exit 2, with its hint). */
export function requireDesiredState(store: DesiredStateSource, host: HostIdentity, opts: DesiredStateOptions = {}): DesiredState {
  const r = loadDesiredState(store, host, opts);
  if (!r.ok) throw r.problem.error;
  return r.state;
}
