/**
 * The status page's overview, shaped (pure): the host report (core/status-report.ts) and the
 * agent's verdict per desired container, grouped by compose project, k3d cluster or standalone,
 * the worst group first and the worst service first inside each. Never holds a container's
 * environment (StatusReport has none).
 */
import { formatRestartPolicy } from '../container-facts.js';
import type { Outcome } from '../model.js';
import type { StatusEntry, StatusReport } from '../status-report.js';
import { compareText } from '../text-order.js';

/** The agent's word on one desired container (the controller's status row). */
export interface AgentVerdictRow {
  name: string;
  verdict: string;
  detail: string | null;
  desired?: boolean;
  since?: string;
}

/** How bad a service is: the order of the page, worst first. */
export type Severity = 'down' | 'unhealthy' | 'at-risk' | 'ok' | 'stopped';
const RANK: Record<Severity, number> = { down: 4, unhealthy: 3, 'at-risk': 2, ok: 1, stopped: 0 };

export interface OverviewService {
  name: string;
  /** compose service, or the k3d node role, or null. */
  role: string | null;
  image: string;
  state: string;
  health: string | null;
  restartPolicy: string;
  desired: string | null;
  /** The agent's verdict ("running", "heal", "backoff", "gave-up", ...) when it watches this container. */
  verdict: string | null;
  verdictDetail: string | null;
  since: string | null;
  comesBack: { daemonRestart: Outcome; daemonCrash: Outcome; reboot: Outcome };
  /** Why it would not come back (the first reason that is not "back"), or null. */
  riskReason: string | null;
  severity: Severity;
}

export interface OverviewGroup {
  kind: 'compose' | 'k3d' | 'standalone';
  /** The project or cluster name; "standalone" for the rest. */
  name: string;
  severity: Severity;
  running: number;
  total: number;
  services: OverviewService[];
}

export interface OverviewCounts {
  total: number;
  running: number;
  down: number;
  unhealthy: number;
  atRisk: number;
}

/** The service rows of `report`, grouped and ordered; `rows` the agent's verdicts (may be empty). */
export function overviewGroups(report: StatusReport, rows: readonly AgentVerdictRow[]): OverviewGroup[] {
  const byName = new Map(rows.map((r) => [r.name, r]));
  const clusterOf = new Map<string, { cluster: string; role: string }>();
  for (const c of report.clusters) for (const n of c.nodes) clusterOf.set(n.name, { cluster: c.name, role: n.role });
  const groups = new Map<string, OverviewGroup>();
  for (const e of report.containers) {
    const k = clusterOf.get(e.name);
    const kind: OverviewGroup['kind'] = k ? 'k3d' : e.compose ? 'compose' : 'standalone';
    const name = k ? k.cluster : (e.compose?.project ?? 'standalone');
    const key = `${kind}:${name}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { kind, name, severity: 'stopped', running: 0, total: 0, services: [] }));
    const s = serviceOf(e, byName.get(e.name) ?? null, k?.role ?? e.compose?.service ?? null);
    g.services.push(s);
    g.total++;
    if (e.state === 'running' || e.state === 'restarting') g.running++;
  }
  const out = [...groups.values()];
  for (const g of out) {
    g.services.sort((a, b) => RANK[b.severity] - RANK[a.severity] || compareText(a.name, b.name));
    g.severity = g.services[0]?.severity ?? 'stopped';
  }
  const kindOrder = { compose: 0, k3d: 1, standalone: 2 };
  return out.sort((a, b) => RANK[b.severity] - RANK[a.severity] || kindOrder[a.kind] - kindOrder[b.kind] || compareText(a.name, b.name));
}

function serviceOf(e: StatusEntry, row: AgentVerdictRow | null, role: string | null): OverviewService {
  const running = e.state === 'running' || e.state === 'restarting';
  const outcomes = [e.comesBack.daemonRestart, e.comesBack.daemonCrash, e.comesBack.reboot];
  const risky = outcomes.find((p) => p.outcome !== 'back') ?? null;
  const wanted = e.desired === 'desired' || (e.desired === null && row !== null);
  let severity: Severity;
  if (!running) severity = wanted ? 'down' : 'stopped';
  else if (e.health?.status === 'unhealthy') severity = 'unhealthy';
  else if (risky !== null) severity = 'at-risk';
  else severity = 'ok';
  return {
    name: e.name,
    role,
    image: e.image,
    state: e.state === 'exited' ? `exited (${e.exitCode ?? '?'})` : e.state,
    health: e.health?.status ?? null,
    restartPolicy: formatRestartPolicy(e.restartPolicy),
    desired: e.desired,
    verdict: row?.verdict ?? null,
    verdictDetail: row?.detail ?? null,
    since: row?.since ?? null,
    comesBack: { daemonRestart: e.comesBack.daemonRestart.outcome, daemonCrash: e.comesBack.daemonCrash.outcome, reboot: e.comesBack.reboot.outcome },
    riskReason: running && risky !== null ? risky.reason : null,
    severity,
  };
}

/** The totals over every group. */
export function overviewCounts(groups: readonly OverviewGroup[]): OverviewCounts {
  const all = groups.flatMap((g) => g.services);
  return {
    total: all.length,
    running: groups.reduce((n, g) => n + g.running, 0),
    down: all.filter((s) => s.severity === 'down').length,
    unhealthy: all.filter((s) => s.severity === 'unhealthy').length,
    atRisk: all.filter((s) => s.severity === 'at-risk').length,
  };
}
