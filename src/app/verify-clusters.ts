/**
 * After a recovery, are the k3d clusters it touched healthy again? For each one, read its nodes and
 * pods through its Kubernetes API (the reader port) until every node is Ready and every pod Ready
 * or Completed, or the timeout passes; then say what is still not ready. The clock is handed in.
 */
import { k3dNodeOf } from '../core/k3d/cluster.js';
import { clusterHealth, podsNotReady, type Readiness } from '../core/k3d/verify.js';
import type { ClusterConfig } from '../core/config/types.js';
import type { DesiredContainer } from '../core/recovery/desired-state.js';
import type { RecoveryPlan } from '../core/recovery/plan.js';
import type { ClusterAccess, KubernetesReader } from '../ports/kubernetes.js';

export interface ClusterVerification {
  cluster: string;
  context: string;
  /** null: the client's default kubeconfig. */
  kubeconfig: string | null;
  /** `unknown` also when the API could not be read (then `error` says why). */
  state: Readiness;
  /** "2 of 2 nodes Ready; 5 of 7 pods Ready or Completed", or null when never read. */
  summary: string | null;
  nodesNotReady: string[];
  /** "namespace/name: reason". */
  podsNotReady: string[];
  /** The last read's error (timeout, refused, no kubectl), or problems with the answer. */
  error: string | null;
  seconds: number;
}

export interface VerifyClustersDeps {
  reader: KubernetesReader;
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The k3d clusters whose node containers the plan acts on, by name. */
export function clustersInPlan(plan: RecoveryPlan, desired: readonly DesiredContainer[]): string[] {
  const acted = new Set(plan.actions.map((a) => a.container));
  const names = new Set<string>();
  for (const d of desired) {
    const k = k3dNodeOf(d.createConfig.Labels ?? {});
    if (k !== null && acted.has(d.name)) names.add(k.cluster);
  }
  return [...names].sort();
}

/** How to reach `cluster`: its `clusters:` entry in the config, else kubectl's default and context k3d-NAME. */
export function clusterAccess(cluster: string, configured: readonly ClusterConfig[]): ClusterAccess {
  const c = configured.find((x) => x.name === cluster);
  return { cluster, kubeconfig: c?.kubeconfig ?? null, context: c?.context ?? `k3d-${cluster}` };
}

/** Verifies each cluster in turn, polling every `pollMs` until it is ready or `timeoutMs` passed (for all of them). */
export async function verifyClusters(
  clusters: readonly string[],
  configured: readonly ClusterConfig[],
  deps: VerifyClustersDeps,
  opts: { timeoutMs: number; pollMs?: number },
): Promise<ClusterVerification[]> {
  const start = deps.now();
  const deadline = start + opts.timeoutMs;
  const out: ClusterVerification[] = [];
  for (const cluster of clusters) {
    const access = clusterAccess(cluster, configured);
    let last: ClusterVerification = { ...base(access), state: 'unknown', summary: null, nodesNotReady: [], podsNotReady: [], error: 'not read', seconds: 0 };
    for (;;) {
      const left = deadline - deps.now();
      try {
        const { nodes, pods } = await deps.reader.readClusterState(access, Math.max(1000, Math.min(left, 15_000)));
        const h = clusterHealth(nodes, pods);
        last = {
          ...base(access),
          state: h.state,
          summary: h.summary,
          nodesNotReady: h.nodes.filter((n) => n.state !== 'ready').map((n) => `${n.name}: ${n.reason ?? n.state}`),
          podsNotReady: podsNotReady(h),
          error: h.problems.length ? h.problems.join('; ') : null,
          seconds: 0,
        };
      } catch (err) {
        last = { ...last, state: 'unknown', error: (err as Error).message };
      }
      if (last.state === 'ready' || deps.now() + (opts.pollMs ?? 2000) > deadline) break;
      await deps.sleep(opts.pollMs ?? 2000);
    }
    out.push({ ...last, seconds: Math.round((deps.now() - start) / 100) / 10 });
  }
  return out;
}

function base(access: ClusterAccess): Pick<ClusterVerification, 'cluster' | 'context' | 'kubeconfig'> {
  return { cluster: access.cluster, context: access.context, kubeconfig: access.kubeconfig };
}

/** Lines for people: "cluster loculus (context k3d-loculus): ready: 2 of 2 nodes Ready; ...", then what is not. */
export function verificationLines(v: readonly ClusterVerification[]): string[] {
  const lines: string[] = [];
  for (const c of v) {
    const state = c.state === 'ready' ? 'ready' : c.state === 'not-ready' ? 'NOT READY' : 'UNKNOWN';
    lines.push(
      `cluster ${c.cluster} (context ${c.context}${c.kubeconfig ? `, ${c.kubeconfig}` : ''}): ${state} after ${c.seconds} s${c.summary ? `: ${c.summary}` : ''}`,
    );
    for (const n of c.nodesNotReady) lines.push(`  node not ready: ${n}`);
    for (const p of c.podsNotReady) lines.push(`  pod not ready: ${p}`);
    if (c.error !== null && c.state !== 'ready') lines.push(`  ${c.error}`);
  }
  return lines;
}

/**
 * What the agent says of a verification after its recovery pass: one message per cluster that is
 * not ready (or could not be read), and one for a cluster that is ready again after such a message
 * (`reported`: the clusters reported not ready before, updated in place). A ready cluster that was
 * never reported says nothing: the recovery pass's own summary covers it.
 */
export function verificationNotices(
  v: readonly ClusterVerification[],
  reported: Set<string>,
  at: string,
): Array<{ id: string; severity: 'warning' | 'info'; subject: string; title: string; text: string; data: Record<string, unknown> }> {
  const out = [];
  for (const c of v) {
    const subject = `cluster ${c.cluster}`;
    const data = { cluster: c.cluster, state: c.state, nodesNotReady: c.nodesNotReady, podsNotReady: c.podsNotReady };
    if (c.state === 'ready') {
      if (!reported.delete(c.cluster)) continue;
      out.push({
        id: `cluster-ready:${c.cluster}:${at}`,
        severity: 'info' as const,
        subject,
        title: `k3d cluster ${c.cluster} is ready again`,
        text: c.summary ?? 'ready',
        data,
      });
      continue;
    }
    reported.add(c.cluster);
    const what = c.state === 'not-ready' ? 'NOT READY' : 'could not be verified';
    out.push({
      id: `cluster-not-ready:${c.cluster}:${at}`,
      severity: 'warning' as const,
      subject,
      title: `k3d cluster ${c.cluster} ${what} ${c.seconds} s after the recovery`,
      text:
        verificationLines([c])
          .slice(1)
          .map((l) => l.trim())
          .join('\n') ||
        (c.summary ?? c.error ?? 'no detail'),
      data,
    });
  }
  return out;
}
