import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { clusterHealth, podsNotReady } from '../../../src/core/k3d/verify.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/k3d/${name}`, import.meta.url), 'utf8')) as { nodes: unknown; pods: unknown };

test('a healthy cluster: nodes Ready, pods Ready or Completed (a finished helm-install job)', () => {
  const { nodes, pods } = fixture('cluster-ready.json');
  const h = clusterHealth(nodes, pods);
  assert.equal(h.state, 'ready');
  assert.equal(h.summary, '2 of 2 nodes Ready; 6 of 6 pods Ready or Completed');
  assert.equal(h.pods.find((p) => p.name.startsWith('helm-install'))?.state, 'completed');
  assert.deepEqual(podsNotReady(h), []);
});

test('stuck pods are listed by namespace/name with the reason', () => {
  const { nodes, pods } = fixture('cluster-pods-stuck.json');
  const h = clusterHealth(nodes, pods);
  assert.equal(h.state, 'not-ready');
  assert.equal(h.summary, '2 of 2 nodes Ready; 4 of 7 pods Ready or Completed');
  assert.deepEqual(podsNotReady(h), [
    'kube-system/metrics-server-5985cbc9d7-n2jv6: CrashLoopBackOff',
    'loculus/loculus-backend-7f9c6b8d5-hx2lq: Pending: ContainerCreating',
    'loculus/loculus-website-6b7d9f5c4-p9zkt: Pending: Unschedulable: 0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
  ]);
});

test('a node whose Ready condition is Unknown or False', () => {
  const { nodes, pods } = fixture('cluster-ready.json');
  const n = structuredClone(nodes) as { items: Array<{ status: { conditions: Array<{ type: string; status: string }> } }> };
  n.items[1]!.status.conditions.find((c) => c.type === 'Ready')!.status = 'Unknown';
  assert.equal(clusterHealth(n, pods).state, 'unknown');
  n.items[1]!.status.conditions.find((c) => c.type === 'Ready')!.status = 'False';
  const h = clusterHealth(n, pods);
  assert.equal(h.state, 'not-ready');
  assert.equal(h.nodes[1]?.state, 'not-ready');
});

test('hostile or malformed answers are unknown, never ready', () => {
  const { nodes, pods } = fixture('cluster-ready.json');
  const hostile: unknown[] = [
    null,
    'ready',
    42,
    [],
    {},
    { items: 'all' },
    { kind: 'Status', status: 'Failure', message: 'Unauthorized', items: [] },
    { items: [null] },
    { items: [{ metadata: { name: 'x' } }] },
    { items: [{ metadata: { name: 'x' }, status: { conditions: 'Ready' } }] },
    { items: [{ metadata: { name: 'x' }, status: { conditions: [{ type: 'Ready', status: true }] } }] },
    { items: [{ metadata: { name: { toString: 'x' } }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }] },
  ];
  for (const bad of hostile) {
    assert.notEqual(clusterHealth(bad, pods).state, 'ready', `nodes ${JSON.stringify(bad)}`);
    assert.notEqual(clusterHealth(nodes, bad).state, 'ready', `pods ${JSON.stringify(bad)}`);
  }
  // An empty pod list is fine (a cluster with no workloads); an empty node list is not.
  assert.equal(clusterHealth(nodes, { kind: 'PodList', items: [] }).state, 'ready');
  assert.equal(clusterHealth({ kind: 'NodeList', items: [] }, { kind: 'PodList', items: [] }).state, 'unknown');
  // A pod with an odd phase, or Running without conditions, is unknown; control characters are removed.
  const odd = clusterHealth(nodes, {
    items: [
      { metadata: { namespace: 'ns', name: 'a\u001b[31m' }, status: { phase: 'Exploded' } },
      { metadata: { namespace: 'ns', name: 'b' }, status: { phase: 'Running' } },
    ],
  });
  assert.equal(odd.state, 'unknown');
  assert.deepEqual(podsNotReady(odd), ['ns/a [31m: phase Exploded', 'ns/b: Running without a Ready condition']);
});
