/**
 * k3d clusters as units: k3d runs each Kubernetes node as a container, labelled with the cluster's
 * name (`k3d.cluster`) and the node's role (`k3d.role`: server, agent, loadbalancer; k3d's
 * pkg/types/types.go, LabelClusterName and LabelRole). A cluster is as good as its worst node:
 * the nodes' restart-semantics verdicts are aggregated into one per event (not-back beats unknown
 * beats back), and recovery starts servers, then agents, then the load balancer.
 *
 * Pure: labels and status entries in, data out.
 */
import type { Outcome, Prediction, RestartPolicy } from '../model.js';
import { compareText } from '../text-order.js';

/** k3d's labels on its node containers. */
export const K3D_LABEL = { cluster: 'k3d.cluster', role: 'k3d.role' } as const;

/** The roles of a cluster's own nodes, in start order (a registry is shared by clusters: not a node). */
export const K3D_ROLES = ['server', 'agent', 'loadbalancer'] as const;
export type K3dRole = (typeof K3D_ROLES)[number];

/** The cluster and role of a k3d node container, or null when its labels do not make it one. */
export function k3dNodeOf(labels: Readonly<Record<string, string>> | undefined): { cluster: string; role: K3dRole } | null {
  const cluster = labels?.[K3D_LABEL.cluster]?.trim() ?? '';
  const role = labels?.[K3D_LABEL.role]?.trim() ?? '';
  if (cluster === '' || !(K3D_ROLES as readonly string[]).includes(role)) return null;
  return { cluster, role: role as K3dRole };
}

/**
 * The start-order dependencies among k3d node containers: an agent waits for its cluster's servers,
 * the load balancer for its servers and agents (k3d's own `cluster start` order). `nodes` are
 * container names with their labels; the answer maps a name to the names it waits for.
 */
export function k3dStartDependencies(nodes: ReadonlyArray<{ name: string; labels: Readonly<Record<string, string>> }>): Map<string, string[]> {
  const byCluster = new Map<string, Array<{ name: string; role: K3dRole }>>();
  for (const n of nodes) {
    const k = k3dNodeOf(n.labels);
    if (k === null) continue;
    byCluster.set(k.cluster, [...(byCluster.get(k.cluster) ?? []), { name: n.name, role: k.role }]);
  }
  const out = new Map<string, string[]>();
  for (const members of byCluster.values()) {
    for (const m of members) {
      const rank = K3D_ROLES.indexOf(m.role);
      out.set(
        m.name,
        members
          .filter((o) => K3D_ROLES.indexOf(o.role) < rank)
          .map((o) => o.name)
          .sort(),
      );
    }
  }
  return out;
}

/** The events a cluster verdict is given for (the status report's keys). */
export type ClusterEventKey = 'daemonRestart' | 'daemonCrash' | 'reboot' | 'afterManualStop';
const EVENT_KEYS: readonly ClusterEventKey[] = ['daemonRestart', 'daemonCrash', 'reboot', 'afterManualStop'];
const EVENT_WORDS: Record<ClusterEventKey, string> = {
  daemonRestart: 'a daemon restart',
  daemonCrash: 'a daemon crash',
  reboot: 'a reboot',
  afterManualStop: 'a docker stop and a daemon restart',
};

/** What a cluster needs of each node: the status report's entry, narrowed. */
export interface ClusterNodeInput {
  name: string;
  labels: Readonly<Record<string, string>>;
  state: string;
  restartPolicy: RestartPolicy;
  comesBack: Record<ClusterEventKey, Prediction>;
}

export interface ClusterNode {
  name: string;
  role: K3dRole;
  state: string;
  /** "unless-stopped", "always", "on-failure:3", "no". */
  restartPolicy: string;
  comesBack: Record<ClusterEventKey, Prediction>;
}

/** One k3d cluster as a unit. */
export interface ClusterStatus {
  name: string;
  /** "running": every node runs; "partial": some do; "down": none. */
  state: 'running' | 'partial' | 'down';
  running: number;
  total: number;
  /** In start order: servers, agents, load balancer; by name within a role. */
  nodes: ClusterNode[];
  /**
   * Per event, the worst verdict of the nodes that run now (of every node when none runs):
   * not-back beats unknown beats back; the reason names the nodes and says why.
   */
  comesBack: Record<ClusterEventKey, Prediction>;
}

function policyText(p: RestartPolicy): string {
  return p.name === 'on-failure' && p.maximumRetryCount > 0 ? `on-failure:${p.maximumRetryCount}` : p.name;
}

const RANK: Record<Outcome, number> = { back: 0, unknown: 1, 'not-back': 2 };

/** The cluster's verdict for one event: the worst node's outcome, and which nodes and why. */
export function aggregateNodeVerdicts(nodes: ReadonlyArray<{ name: string; restartPolicy: string; prediction: Prediction }>): Prediction {
  if (nodes.length === 0) return { outcome: 'unknown', reason: 'the cluster has no node containers' };
  const worst = nodes.reduce((w, n) => (RANK[n.prediction.outcome] > RANK[w] ? n.prediction.outcome : w), 'back' as Outcome);
  const these = nodes.filter((n) => n.prediction.outcome === worst);
  const policies = [...new Set(these.map((n) => n.restartPolicy))];
  // "unless-stopped: after a daemon crash ..." reads "are unless-stopped: after a daemon crash ...".
  const reasons = [
    ...new Set(
      these.map((n) =>
        policies.length === 1 && n.prediction.reason.startsWith(`${n.restartPolicy}: `)
          ? n.prediction.reason.slice(n.restartPolicy.length + 2)
          : n.prediction.reason,
      ),
    ),
  ];
  const all = these.length === nodes.length;
  const who = all ? (nodes.length === 1 ? 'its node container' : `all ${nodes.length} node containers`) : these.map((n) => n.name).join(', ');
  const verb = these.length === 1 && !all ? 'is' : 'are';
  return { outcome: worst, reason: `${who} ${verb} ${policies.join('/')}: ${reasons.join('; ')}` };
}

/** Groups the k3d node containers of a status report into clusters, by name. */
export function clustersOf(entries: readonly ClusterNodeInput[]): ClusterStatus[] {
  const byCluster = new Map<string, ClusterNode[]>();
  for (const e of entries) {
    const k = k3dNodeOf(e.labels);
    if (k === null) continue;
    const node: ClusterNode = { name: e.name, role: k.role, state: e.state, restartPolicy: policyText(e.restartPolicy), comesBack: e.comesBack };
    byCluster.set(k.cluster, [...(byCluster.get(k.cluster) ?? []), node]);
  }
  return [...byCluster.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([name, unsorted]) => {
      const nodes = [...unsorted].sort((a, b) => K3D_ROLES.indexOf(a.role) - K3D_ROLES.indexOf(b.role) || compareText(a.name, b.name));
      const up = nodes.filter((n) => n.state === 'running' || n.state === 'restarting');
      const judged = up.length > 0 ? up : nodes;
      const comesBack = Object.fromEntries(
        EVENT_KEYS.map((k) => [k, aggregateNodeVerdicts(judged.map((n) => ({ name: n.name, restartPolicy: n.restartPolicy, prediction: n.comesBack[k] })))]),
      ) as Record<ClusterEventKey, Prediction>;
      return {
        name,
        state: up.length === nodes.length ? 'running' : up.length === 0 ? 'down' : 'partial',
        running: up.length,
        total: nodes.length,
        nodes,
        comesBack,
      };
    });
}

/**
 * Lines for people, one per cluster: "cluster loculus (3 of 3 nodes running): NOT BACK after a daemon
 * crash (all 3 node containers are unless-stopped: ...)", then its nodes in start order.
 */
export function clusterLines(clusters: readonly ClusterStatus[]): string[] {
  const lines: string[] = [];
  for (const c of clusters) {
    const head = `cluster ${c.name} (${c.running} of ${c.total} node${c.total === 1 ? '' : 's'} running)`;
    const verdicts: string[] = [];
    if (c.state === 'down') verdicts.push('DOWN: none of its node containers runs; `upkeep recover` starts them in order');
    else if (c.state === 'partial')
      verdicts.push(
        `PARTIAL: ${c.nodes
          .filter((n) => n.state !== 'running')
          .map((n) => n.name)
          .join(', ')} not running`,
      );
    const bad = EVENT_KEYS.filter((k) => k !== 'afterManualStop' && c.comesBack[k].outcome !== 'back');
    const byReason = new Map<string, ClusterEventKey[]>();
    for (const k of bad)
      byReason.set(`${c.comesBack[k].outcome}\u0000${c.comesBack[k].reason}`, [
        ...(byReason.get(`${c.comesBack[k].outcome}\u0000${c.comesBack[k].reason}`) ?? []),
        k,
      ]);
    for (const [key, events] of byReason) {
      const [outcome, reason] = key.split('\u0000') as [Outcome, string];
      const words = events.map((e) => EVENT_WORDS[e]).join(' or ');
      verdicts.push(`${outcome === 'not-back' ? 'NOT BACK' : 'UNKNOWN'} after ${words} (${reason})`);
    }
    if (verdicts.length === 0) verdicts.push('back after a daemon restart, a daemon crash and a reboot');
    lines.push(`${head}: ${verdicts.join('; ')}`);
    for (const n of c.nodes) {
      const short = EVENT_KEYS.filter((k) => k !== 'afterManualStop')
        .map(
          (k) =>
            `${EVENT_WORDS[k].replace(/^a /, '')} ${n.comesBack[k].outcome === 'back' ? 'back' : n.comesBack[k].outcome === 'not-back' ? 'NOT BACK' : 'UNKNOWN'}`,
        )
        .join(', ');
      lines.push(`  ${n.role.padEnd(12)} ${n.name}  ${n.state}, ${n.restartPolicy}: ${short}`);
    }
  }
  return lines;
}

/** One line per cluster that would not (or might not) come back, for check's verdict; empty when none. */
export function clusterRiskLines(clusters: readonly ClusterStatus[]): string[] {
  const out: string[] = [];
  for (const c of clusters) {
    const bad = (['daemonRestart', 'daemonCrash', 'reboot'] as const).filter((k) => c.comesBack[k].outcome !== 'back');
    if (c.state !== 'running' || bad.length === 0) continue;
    const notBack = bad.filter((k) => c.comesBack[k].outcome === 'not-back');
    const first = c.comesBack[notBack[0] ?? (bad[0] as ClusterEventKey)];
    const words = (notBack.length > 0 ? notBack : bad).map((k) => EVENT_WORDS[k]).join(' or ');
    out.push(`cluster ${c.name}: ${notBack.length > 0 ? 'NOT BACK' : 'UNKNOWN'} after ${words} (${first.reason})`);
  }
  return out;
}
