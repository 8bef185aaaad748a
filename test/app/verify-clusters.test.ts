import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { clusterAccess, clustersInPlan, verificationLines, verifyClusters } from '../../src/app/verify-clusters.js';
import { planRecovery } from '../../src/core/recovery/plan.js';
import type { ClusterAccess, KubernetesReader } from '../../src/ports/kubernetes.js';
import { actualOf, desiredOf } from '../core/recovery/fixtures.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/k3d/${name}`, import.meta.url), 'utf8')) as { nodes: unknown; pods: unknown };

/** A virtual clock and a reader that answers from a script: an error, or a recorded state. */
function scripted(answers: Array<Error | { nodes: unknown; pods: unknown }>) {
  let now = 0;
  const seen: Array<{ access: ClusterAccess; at: number }> = [];
  const reader: KubernetesReader = {
    readClusterState(access) {
      seen.push({ access, at: now });
      const a = answers.length > 1 ? answers.shift()! : answers[0]!;
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    },
  };
  return { deps: { reader, now: () => now, sleep: async (ms: number) => void (now += ms) }, seen };
}

test('clusters in the plan: those whose node containers it acts on', () => {
  const node = (name: string, role: string, cluster: string) =>
    desiredOf({ name, restart: 'unless-stopped', labels: { 'k3d.cluster': cluster, 'k3d.role': role } });
  const desired = [node('k3d-a-server-0', 'server', 'a'), node('k3d-b-server-0', 'server', 'b'), desiredOf({ name: 'web' })];
  const plan = planRecovery(desired, [actualOf(desired[0]!, 'exited'), actualOf(desired[1]!, 'running'), actualOf(desired[2]!, 'exited')]);
  assert.deepEqual(clustersInPlan(plan, desired), ['a']);
});

test('access: the config entry, else the default kubeconfig and context k3d-NAME', () => {
  assert.deepEqual(clusterAccess('loculus', []), { cluster: 'loculus', kubeconfig: null, context: 'k3d-loculus' });
  assert.deepEqual(clusterAccess('loculus', [{ name: 'loculus', kubeconfig: '/k', context: null }]), {
    cluster: 'loculus',
    kubeconfig: '/k',
    context: 'k3d-loculus',
  });
});

test('polls until the cluster is ready (the API refuses at first, then pods come up)', async () => {
  const { deps, seen } = scripted([new Error('connection refused'), fixture('cluster-pods-stuck.json'), fixture('cluster-ready.json')]);
  const [v] = await verifyClusters(['loculus'], [], deps, { timeoutMs: 60_000, pollMs: 2000 });
  assert.equal(v?.state, 'ready');
  assert.equal(seen.length, 3);
  assert.equal(v?.seconds, 4);
  assert.deepEqual(verificationLines([v!]), ['cluster loculus (context k3d-loculus): ready after 4 s: 2 of 2 nodes Ready; 6 of 6 pods Ready or Completed']);
});

test('pods stuck until the timeout: listed by namespace/name/reason', async () => {
  const { deps } = scripted([fixture('cluster-pods-stuck.json')]);
  const [v] = await verifyClusters(['loculus'], [], deps, { timeoutMs: 10_000, pollMs: 2000 });
  assert.equal(v?.state, 'not-ready');
  assert.ok(v!.seconds <= 10);
  assert.deepEqual(
    v?.podsNotReady.map((p) => p.split(':')[0]),
    ['kube-system/metrics-server-5985cbc9d7-n2jv6', 'loculus/loculus-backend-7f9c6b8d5-hx2lq', 'loculus/loculus-website-6b7d9f5c4-p9zkt'],
  );
  assert.match(verificationLines([v!]).join('\n'), /NOT READY after .*\n {2}pod not ready: kube-system\/metrics-server-5985cbc9d7-n2jv6: CrashLoopBackOff/);
});

test('an API that never answers: unknown with the error, never ready', async () => {
  const { deps } = scripted([new Error('kubectl get nodes did not answer within 15 s')]);
  const [v] = await verifyClusters(['loculus'], [], deps, { timeoutMs: 5_000, pollMs: 2000 });
  assert.equal(v?.state, 'unknown');
  assert.equal(v?.error, 'kubectl get nodes did not answer within 15 s');
});
