/**
 * Is a Kubernetes cluster healthy after a recovery? Its nodes Ready, and every pod Ready or
 * Completed, read from the API's NodeList and PodList (`kubectl get nodes -o json`, `kubectl get
 * pods -A -o json`). The JSON comes from outside and is parsed defensively: anything that is not
 * the expected shape is "unknown" with a reason, never "ready".
 *
 * Pure: JSON values in, a verdict out.
 */

export type Readiness = 'ready' | 'not-ready' | 'unknown';

export interface NodeHealth {
  name: string;
  state: Readiness;
  /** Why not ready or unknown (the Ready condition's reason and message); null when ready. */
  reason: string | null;
}

export interface PodHealth {
  namespace: string;
  name: string;
  /** `completed`: phase Succeeded (a finished job's pod), which counts as healthy. */
  state: Readiness | 'completed';
  /** e.g. "CrashLoopBackOff", "ImagePullBackOff", "Unschedulable: 0/1 nodes are available"; null when ready or completed. */
  reason: string | null;
}

/** The cluster's health: the worst of its nodes and pods (not-ready beats unknown beats ready). */
export interface ClusterHealth {
  state: Readiness;
  /** One sentence: "2 of 2 nodes Ready; 11 of 13 pods Ready or Completed". */
  summary: string;
  nodes: NodeHealth[];
  pods: PodHealth[];
  /** Problems with the answer itself (not a list, an item without a name): they make the state unknown. */
  problems: string[];
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** Printable text from the outside: control characters out, at most 200 characters. */
function clean(s: string): string {
  const out = Array.from(s, (ch) => (/[\p{Cc}\p{Cf}]/u.test(ch) ? ' ' : ch)).join('');
  return out.length > 200 ? `${out.slice(0, 199)}…` : out;
}

function listItems(v: unknown, kind: string, problems: string[]): unknown[] | null {
  const o = obj(v);
  if (o === null || !Array.isArray(o['items'])) {
    problems.push(`the ${kind} answer is not a ${kind} list`);
    return null;
  }
  if (o['kind'] !== undefined && o['kind'] !== kind && o['kind'] !== 'List') problems.push(`the ${kind} answer is of kind ${clean(String(o['kind']))}`);
  return o['items'] as unknown[];
}

function conditionOf(status: Json | null, type: string): Json | null {
  const conditions = status?.['conditions'];
  if (!Array.isArray(conditions)) return null;
  return (conditions.map(obj).find((c) => c !== null && c['type'] === type) ?? null) as Json | null;
}

function conditionReason(c: Json | null): string | null {
  if (c === null) return null;
  const parts = [str(c['reason']), str(c['message'])].filter((p): p is string => p !== null);
  return parts.length ? clean(parts.join(': ')) : null;
}

/** Each node's readiness from its Ready condition; null (with a problem) when the answer is not a NodeList. */
export function nodesHealth(nodeList: unknown, problems: string[]): NodeHealth[] | null {
  const items = listItems(nodeList, 'NodeList', problems);
  if (items === null) return null;
  return items.map((item, i): NodeHealth => {
    const o = obj(item);
    const name = str(obj(o?.['metadata'])?.['name']);
    if (o === null || name === null) return { name: `#${i}`, state: 'unknown', reason: 'an item without a name' };
    const ready = conditionOf(obj(o['status']), 'Ready');
    if (ready === null) return { name: clean(name), state: 'unknown', reason: 'no Ready condition' };
    if (ready['status'] === 'True') return { name: clean(name), state: 'ready', reason: null };
    if (ready['status'] === 'False') return { name: clean(name), state: 'not-ready', reason: conditionReason(ready) ?? 'Ready is False' };
    return { name: clean(name), state: 'unknown', reason: conditionReason(ready) ?? `Ready is ${clean(String(ready['status']))}` };
  });
}

/** Why a pod's containers are not ready: the first waiting or terminated container's reason. */
function containerReason(status: Json): string | null {
  for (const key of ['initContainerStatuses', 'containerStatuses']) {
    const list = status[key];
    if (!Array.isArray(list)) continue;
    for (const cs of list.map(obj)) {
      if (cs === null || cs['ready'] === true) continue;
      const state = obj(cs['state']);
      const waiting = obj(state?.['waiting']);
      const terminated = obj(state?.['terminated']);
      const r = str(waiting?.['reason']) ?? str(terminated?.['reason']);
      if (r !== null && !(key === 'initContainerStatuses' && r === 'Completed')) return clean(r);
    }
  }
  return null;
}

/** Each pod's state: Running and Ready, Succeeded (completed), or not with the reason; null when not a PodList. */
export function podsHealth(podList: unknown, problems: string[]): PodHealth[] | null {
  const items = listItems(podList, 'PodList', problems);
  if (items === null) return null;
  return items.map((item, i): PodHealth => {
    const o = obj(item);
    const meta = obj(o?.['metadata']);
    const name = str(meta?.['name']);
    const namespace = str(meta?.['namespace']) ?? '?';
    if (o === null || name === null) return { namespace: clean(namespace), name: `#${i}`, state: 'unknown', reason: 'an item without a name' };
    const status = obj(o['status']);
    const phase = str(status?.['phase']);
    const base = { namespace: clean(namespace), name: clean(name) };
    if (status === null || phase === null) return { ...base, state: 'unknown', reason: 'no phase' };
    if (phase === 'Succeeded') return { ...base, state: 'completed', reason: null };
    if (phase === 'Failed') return { ...base, state: 'not-ready', reason: clean(str(status['reason']) ?? containerReason(status) ?? 'Failed') };
    if (phase === 'Pending') {
      const scheduled = conditionOf(status, 'PodScheduled');
      const why = scheduled?.['status'] === 'False' ? conditionReason(scheduled) : containerReason(status);
      return { ...base, state: 'not-ready', reason: `Pending${why ? `: ${why}` : ''}` };
    }
    if (phase === 'Running') {
      const ready = conditionOf(status, 'Ready');
      if (ready?.['status'] === 'True') return { ...base, state: 'ready', reason: null };
      if (ready?.['status'] === 'False')
        return { ...base, state: 'not-ready', reason: containerReason(status) ?? conditionReason(ready) ?? 'Running, not Ready' };
      return { ...base, state: 'unknown', reason: 'Running without a Ready condition' };
    }
    return { ...base, state: 'unknown', reason: `phase ${clean(phase)}` };
  });
}

/** The cluster's health from the two answers (each the parsed JSON, whatever it holds). */
export function clusterHealth(nodeList: unknown, podList: unknown): ClusterHealth {
  const problems: string[] = [];
  const nodes = nodesHealth(nodeList, problems);
  const pods = podsHealth(podList, problems);
  if (nodes !== null && nodes.length === 0) problems.push('the cluster lists no node');
  const all: Array<Readiness | 'completed'> = [...(nodes ?? []).map((n) => n.state), ...(pods ?? []).map((p) => p.state)];
  const state: Readiness = all.includes('not-ready') ? 'not-ready' : problems.length > 0 || all.includes('unknown') ? 'unknown' : 'ready';
  const readyNodes = (nodes ?? []).filter((n) => n.state === 'ready').length;
  const okPods = (pods ?? []).filter((p) => p.state === 'ready' || p.state === 'completed').length;
  const summary = [
    nodes === null ? 'nodes unknown' : `${readyNodes} of ${nodes.length} node${nodes.length === 1 ? '' : 's'} Ready`,
    pods === null ? 'pods unknown' : `${okPods} of ${pods.length} pod${pods.length === 1 ? '' : 's'} Ready or Completed`,
  ].join('; ');
  return { state, summary, nodes: nodes ?? [], pods: pods ?? [], problems };
}

/** "namespace/name: reason" for each pod that is not Ready or Completed (unknown ones included). */
export function podsNotReady(h: ClusterHealth): string[] {
  return h.pods.filter((p) => p.state === 'not-ready' || p.state === 'unknown').map((p) => `${p.namespace}/${p.name}: ${p.reason ?? p.state}`);
}
