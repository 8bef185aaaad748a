/**
 * The operator's word on the desired state: `upkeep forget NAME` (no longer desired, for good) and
 * `upkeep want NAME` (desired again: takes back an operator stop the agent recorded, and a forget
 * since the newest snapshot). Both are recorded in the timeline.
 */
import { TIMELINE_KINDS } from '../core/timeline.js';
import type { IntentRepository, OperatorStop } from '../ports/intent.js';
import type { ForgetResult, SnapshotRepository } from '../ports/snapshots.js';
import type { TimelineRepository } from '../ports/timeline.js';

export type IntentStore = Pick<SnapshotRepository, 'forget' | 'unforget' | 'listSnapshots'> & IntentRepository & Pick<TimelineRepository, 'appendTimeline'>;

export interface WantResult {
  /** Names desired again, with what was taken back. */
  wanted: Array<{ name: string; operatorStop: OperatorStop | null; unforgotten: boolean }>;
  /** Names that were desired already (nothing to take back). */
  alreadyDesired: string[];
  /** Names in no host's newest snapshot: upkeep cannot bring them back (take a snapshot while they run). */
  unknown: string[];
}

export function forgetContainers(store: IntentStore, names: readonly string[]): ForgetResult {
  const res = store.forget(names);
  // A forgotten container is not "stopped on purpose" any more: it is not desired at all.
  for (const name of res.forgotten) store.clearOperatorStop(name);
  if (res.forgotten.length > 0) {
    store.appendTimeline({
      kind: TIMELINE_KINDS.forget,
      subject: res.forgotten.join(','),
      message: `forgotten (no longer desired): ${res.forgotten.join(', ')}`,
      data: { names: res.forgotten },
    });
  }
  return res;
}

export function wantContainers(store: IntentStore, names: readonly string[]): WantResult {
  // In each host's newest snapshot (newest first: the first of each host).
  const newestOfHost = new Map<string, readonly string[]>();
  for (const s of store.listSnapshots({ limit: 200 })) if (!newestOfHost.has(s.host.id)) newestOfHost.set(s.host.id, s.names);
  const known = new Set([...newestOfHost.values()].flat());
  const unforgotten = new Set(store.unforget(names));
  const result: WantResult = { wanted: [], alreadyDesired: [], unknown: [] };
  for (const name of [...new Set(names)]) {
    const stop = store.clearOperatorStop(name);
    if (stop !== null || unforgotten.has(name)) {
      result.wanted.push({ name, operatorStop: stop, unforgotten: unforgotten.has(name) });
      store.appendTimeline({
        kind: TIMELINE_KINDS.want,
        subject: name,
        message: `${name} is desired again (upkeep want)${stop ? `: it was stopped on purpose at ${stop.at}` : ''}${unforgotten.has(name) ? ': it was forgotten' : ''}`,
        data: { operatorStop: stop, unforgotten: unforgotten.has(name) },
      });
    } else if (known.has(name)) result.alreadyDesired.push(name);
    else result.unknown.push(name);
  }
  return result;
}
