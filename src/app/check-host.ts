/**
 * `upkeep check`, the main job, as one use case: the status of every container (with the desired
 * state), the audit of the live containers and the compose files they come from, and, unless
 * skipped, the pending apt upgrade's one-line assessment. The engine is read once: status, the
 * audit's live part and the apt part's containers come from the same state.
 */
import { clusterRiskLines } from '../core/k3d/cluster.js';
import { hasRisk, statusVerdict, type StatusReport } from '../core/status-report.js';
import type { HostState } from '../ports/host.js';
import { auditHostState, type AuditDeps, type AuditReport } from './audit.js';
import { assessUpgradeSummary, type AssessUpgradeDeps, type UpgradeSummary } from './assess-upgrade.js';
import type { DesiredStateSource } from './desired-state.js';
import { hostStatus } from './host-status.js';

export interface CheckDeps {
  /** The state database for the desired state (null: none yet), and why it could not be opened. */
  desired: { store: DesiredStateSource | null; problem: string | null };
  audit: AuditDeps;
  /** Null: the apt part is skipped (--no-preflight). */
  upgrade: (() => Promise<AssessUpgradeDeps>) | null;
}

export interface CheckResult {
  status: StatusReport;
  audit: AuditReport;
  preflight: UpgradeSummary | null;
  /** Something would not come back, cannot be predicted, or the audit found errors. */
  risk: boolean;
  verdict: string;
  /** One line per k3d cluster that would not (or might not) come back: "cluster loculus: NOT BACK after a daemon crash (...)". */
  clusters: string[];
}

/**
 * `state` is the engine's state being read: the apt part starts first and needs it only at its end
 * (its deps' readHost), so apt's and dpkg's files are read while the engine answers.
 */
export async function checkHost(deps: CheckDeps, state: Promise<HostState>): Promise<CheckResult> {
  const preflightRun = deps.upgrade === null ? Promise.resolve(null) : deps.upgrade().then((d) => assessUpgradeSummary(d));
  preflightRun.catch(() => undefined); // awaited below; not an unhandled rejection if the engine's read fails first
  const host = await state;
  const status = hostStatus(host, deps.desired.store, deps.desired.problem);
  const audit = await auditHostState(deps.audit, host);
  const preflight = await preflightRun;
  return {
    status,
    audit,
    preflight,
    risk: hasRisk(status.summary) || audit.summary.errors > 0,
    verdict: statusVerdict(status.summary),
    clusters: clusterRiskLines(status.clusters),
  };
}
