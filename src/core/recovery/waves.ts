/**
 * Start order from a dependency graph: waves (Kahn's topological sort), where everything in one
 * wave can start in parallel once every earlier wave is ready.
 *
 * A cycle never stops recovery: the graph is first condensed into its strongly connected
 * components (Tarjan); a component of several nodes (or a node that depends on itself) is a cycle,
 * reported, and its members share one wave with the edges between them ignored.
 */
import { compareText } from '../text-order.js';

/** The order: waves of node names (each sorted), the cycles found, and each node's wave. */
export interface WaveOrder {
  waves: string[][];
  cycles: string[][];
  waveOf: Map<string, number>;
  /** Each node's component: nodes in one cycle share one id; the executor never waits inside one. */
  componentOf: Map<string, number>;
}

/**
 * Orders `nodes` so that each comes after everything it depends on. `dependsOn(n)` lists the
 * nodes `n` depends on; names that are not in `nodes` are ignored.
 */
export function orderInWaves(nodes: readonly string[], dependsOn: (node: string) => readonly string[]): WaveOrder {
  const names = [...new Set(nodes)].sort();
  const known = new Set(names);
  const deps = new Map<string, string[]>();
  for (const n of names) deps.set(n, [...new Set(dependsOn(n).filter((d) => known.has(d)))].sort());

  const componentOf = stronglyConnected(names, deps);
  const members = new Map<number, string[]>();
  for (const n of names) {
    const c = componentOf.get(n) as number;
    members.set(c, [...(members.get(c) ?? []), n]);
  }

  // Kahn over the condensed graph: a component's indegree counts the other components it waits for.
  const waitsFor = new Map<number, Set<number>>();
  const dependants = new Map<number, Set<number>>();
  for (const c of members.keys()) {
    waitsFor.set(c, new Set());
    dependants.set(c, new Set());
  }
  for (const n of names) {
    const cn = componentOf.get(n) as number;
    for (const d of deps.get(n) ?? []) {
      const cd = componentOf.get(d) as number;
      if (cd === cn) continue;
      waitsFor.get(cn)?.add(cd);
      dependants.get(cd)?.add(cn);
    }
  }
  const indegree = new Map<number, number>();
  for (const [c, set] of waitsFor) indegree.set(c, set.size);

  const waves: string[][] = [];
  const waveOf = new Map<string, number>();
  let ready = [...members.keys()].filter((c) => indegree.get(c) === 0);
  while (ready.length > 0) {
    const wave = ready.flatMap((c) => members.get(c) ?? []).sort();
    for (const n of wave) waveOf.set(n, waves.length);
    waves.push(wave);
    const next: number[] = [];
    for (const c of ready) {
      for (const d of dependants.get(c) ?? []) {
        const left = (indegree.get(d) ?? 0) - 1;
        indegree.set(d, left);
        if (left === 0) next.push(d);
      }
    }
    ready = next;
  }

  const cycles = [...members.entries()]
    .filter(([, ms]) => ms.length > 1 || (deps.get(ms[0] as string) ?? []).includes(ms[0] as string))
    .map(([, ms]) => [...ms].sort())
    .sort((a, b) => compareText(a[0] as string, b[0] as string));
  return { waves, cycles, waveOf, componentOf };
}

/** Tarjan's algorithm, iterative (no recursion limit on long chains). Component ids are arbitrary. */
function stronglyConnected(names: readonly string[], deps: ReadonlyMap<string, readonly string[]>): Map<string, number> {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const component = new Map<string, number>();
  let counter = 0;
  let components = 0;

  for (const root of names) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; next: number }> = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter);
    counter++;
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { node: string; next: number };
      const edges = deps.get(frame.node) ?? [];
      if (frame.next < edges.length) {
        const w = edges[frame.next] as string;
        frame.next++;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter);
          counter++;
          stack.push(w);
          onStack.add(w);
          work.push({ node: w, next: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.node, Math.min(low.get(frame.node) as number, index.get(w) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node) as number, low.get(frame.node) as number));
      if (low.get(frame.node) === index.get(frame.node)) {
        let w: string | undefined;
        do {
          w = stack.pop() as string;
          onStack.delete(w);
          component.set(w, components);
        } while (w !== frame.node);
        components++;
      }
    }
  }
  return component;
}
