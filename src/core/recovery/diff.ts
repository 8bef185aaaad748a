/**
 * `upkeep diff`: what should run and does not, with the reason and what `upkeep recover` would do.
 * Built from the planner, so that diff and recover always agree.
 */
import type { ContainerFacts } from '../model.js';
import type { DesiredContainer } from './desired-state.js';
import { matchActual } from './match.js';
import { planRecovery, type LeaveReason, type PlanOptions, type RecoveryAction } from './plan.js';
import { compareText } from '../text-order.js';

/** One desired container that is not running. */
export interface DiffEntry {
  container: string;
  /** "project/service" for compose-managed containers. */
  compose: string | null;
  /** The state now, or "missing" when the container has been removed. */
  state: ContainerFacts['state'] | 'missing';
  exitCode: number | null;
  finishedAt: string | null;
  /** The container found now (null when missing). */
  id: string | null;
  /** What `upkeep recover` would do: an action, or "leave" (paused, dead, restarting: see reason). */
  wouldDo: RecoveryAction['action'] | 'leave';
  reason: string;
}

/** A desired (or forgotten) container that diff does not count, and why. */
export interface IgnoredEntry {
  container: string;
  reason: Extract<LeaveReason, 'job' | 'forgotten' | 'operator-stopped'>;
  detail: string;
}

/** The diff: plain data, printed as is by `upkeep diff --json`. */
export interface DesiredDiff {
  summary: { desired: number; running: number; notRunning: number; ignored: number };
  notRunning: DiffEntry[];
  /** Names of the desired containers that run now. */
  running: string[];
  ignored: IgnoredEntry[];
  notes: string[];
}

/** Compares the desired state with the containers that exist now. Throws ForeignSnapshotError like planRecovery. */
export function diffDesired(desired: readonly DesiredContainer[], actual: readonly ContainerFacts[], opts: PlanOptions = {}): DesiredDiff {
  const plan = planRecovery(desired, actual, opts);
  const matches = matchActual(desired, actual);
  const byName = new Map(desired.map((d) => [d.name, d]));
  const entry = (name: string, wouldDo: DiffEntry['wouldDo'], reason: string): DiffEntry => {
    const a = matches.get(name)?.actual ?? null;
    const d = byName.get(name);
    return {
      container: name,
      compose: d?.compose ? `${d.compose.project}/${d.compose.service}` : null,
      state: a?.state ?? 'missing',
      exitCode: a?.exitCode ?? null,
      finishedAt: a?.finishedAt ?? null,
      id: a?.id ?? null,
      wouldDo,
      reason,
    };
  };
  const notRunning: DiffEntry[] = plan.actions.map((a) => entry(a.container, a.action, a.reason));
  const running: string[] = [];
  const ignored: IgnoredEntry[] = [];
  for (const l of plan.leave) {
    if (l.reason === 'running' || l.reason === 'running-other-id') running.push(l.container);
    else if (l.reason === 'job' || l.reason === 'forgotten' || l.reason === 'operator-stopped')
      ignored.push({ container: l.container, reason: l.reason, detail: l.detail });
    else notRunning.push(entry(l.container, 'leave', l.detail));
  }
  notRunning.sort((x, y) => compareText(x.container, y.container));
  running.sort();
  return {
    summary: { desired: desired.length, running: running.length, notRunning: notRunning.length, ignored: ignored.length },
    notRunning,
    running,
    ignored,
    notes: plan.notes,
  };
}
