/**
 * The status of the host: every container and whether it comes back after a daemon restart, a
 * daemon crash and a reboot (core/status-report.ts), marked with what the desired state says of
 * it. The desired state is optional here: without a state directory or a snapshot, status still
 * answers, with a note.
 */
import { buildStatusReport, type StatusReport } from '../core/status-report.js';
import type { HostState } from '../ports/host.js';
import { loadDesiredState, type DesiredStateSource } from './desired-state.js';

/** `store` null: no state directory to read (said in a note only when `storeProblem` is given). */
export function hostStatus(state: HostState, store: DesiredStateSource | null, storeProblem: string | null = null): StatusReport {
  const notices: string[] = [];
  if (state.flagsUnreadable !== null) notices.push(`whether a container was stopped by hand is unknown: ${state.flagsUnreadable}`);
  if (storeProblem !== null) notices.push(`the desired state is not shown: ${storeProblem}`);
  let desired = null;
  if (store !== null) {
    const r = loadDesiredState(store, state.host);
    if (r.ok) {
      desired = r.state;
      if (r.note !== null) notices.push(r.note);
    } else if (r.problem.kind === 'foreign-host') notices.push(`the desired state is not shown: ${r.problem.error.message}`);
  }
  return buildStatusReport(state.daemon, state.containers, notices, desired);
}
