/**
 * The agent verifies the k3d clusters whose node containers its recovery pass started (the whole
 * agent on the fake engine and virtual time, a real SQLite store; the Kubernetes API is a FAKE
 * reader here, in the shape kubectl -o json gives: test/engine/k3d-agent.test.ts does the same
 * with the real kubectl against the stand-in API server). A daemon crash leaves the unless-stopped
 * nodes down; the pass starts them; pods stuck: a `cluster-verified` entry and one alert listing
 * them by namespace/name/reason, in the report's "needs a human"; ready later: said once.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { makeReport } from '../../src/app/report.js';
import type { ClusterAccess, KubernetesReader } from '../../src/ports/kubernetes.js';
import { cleanup, startFakeAgent, testConfig } from '../helpers/fake-agent.js';
import { FakeDocker } from '../helpers/fake-docker.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

const FIXTURES = new URL('../fixtures/k3d/', import.meta.url);
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

class FakeReader implements KubernetesReader {
  reads: ClusterAccess[] = [];
  state: 'ready' | 'stuck' | 'refused' = 'stuck';
  async readClusterState(access: ClusterAccess): Promise<{ nodes: unknown; pods: unknown }> {
    this.reads.push(access);
    if (this.state === 'refused') throw new Error('The connection to the server 127.0.0.1:6443 was refused');
    const f = fixture(this.state === 'ready' ? 'cluster-ready.json' : 'cluster-pods-stuck.json') as { nodes: unknown; pods: unknown };
    return { nodes: f.nodes, pods: f.pods };
  }
}

describe('the agent verifies k3d clusters after its recovery pass', () => {
  it('a daemon crash: nodes started, the cluster verified; stuck pods alerted once with their reasons, in the report; ready again said once', async () => {
    const clock = new VirtualClock();
    const docker = new FakeDocker(clock);
    for (const [name, role] of [
      ['k3d-loculus-server-0', 'server'],
      ['k3d-loculus-agent-0', 'agent'],
      ['k3d-loculus-serverlb', 'loadbalancer'],
    ] as const)
      docker.add({ name, policy: 'unless-stopped', labels: { app: 'k3d', 'k3d.cluster': 'loculus', 'k3d.role': role } });
    docker.add({ name: 'web', policy: 'always' });
    const reader = new FakeReader();
    const config = testConfig((c) => (c.clusters = [{ name: 'loculus', kubeconfig: '/etc/upkeep/loculus.yaml', context: null }]));
    const a = await startFakeAgent({ clock, docker, config, kubernetes: reader, clusterVerifyMs: 20_000 });
    try {
      assert.equal(reader.reads.length, 0, 'nothing recovered yet: nothing verified');
      docker.crashDaemon(2_000);
      await a.until('the nodes running again', () => ['k3d-loculus-server-0', 'k3d-loculus-agent-0', 'k3d-loculus-serverlb'].every((n) => docker.isRunning(n)));
      const entry = await a.until('the verification', () => a.store.timeline({ kind: 'cluster-verified' })[0], 60_000);
      assert.equal(entry.subject, 'loculus');
      assert.deepEqual(reader.reads[0], { cluster: 'loculus', kubeconfig: '/etc/upkeep/loculus.yaml', context: 'k3d-loculus' });
      assert.ok(reader.reads.length > 1, 'polled until the timeout');
      const detail = entry.detail as unknown as { state: string; podsNotReady: string[] };
      assert.equal(detail.state, 'not-ready');
      const alert = await a.until('the alert', () => a.channel.sent.find((m) => m.subject === 'cluster loculus'));
      assert.match(alert.title, /^k3d cluster loculus NOT READY [\d.]+ s after the recovery$/);
      for (const p of detail.podsNotReady) assert.ok(alert.text.includes(p), `${p} in the alert`);
      assert.match(alert.text, /pod not ready: kube-system\/metrics-server-5985cbc9d7-n2jv6: CrashLoopBackOff/);

      const report = makeReport(a.store, { since: new Date(clock.now() - 3_600_000).toISOString(), until: new Date(clock.now()).toISOString() }, clock.now());
      assert.ok(
        report.needsHuman.some((l) =>
          l.startsWith('k3d cluster loculus: not ready after the recovery; pods not ready: kube-system/metrics-server-5985cbc9d7-n2jv6: CrashLoopBackOff'),
        ),
        report.needsHuman.join('\n'),
      );

      // The next crash: the pods are ready this time; said once, and the report no longer lists it.
      reader.state = 'ready';
      docker.crashDaemon(2_000);
      const again = await a.until('ready again', () => a.channel.sent.find((m) => m.subject === 'cluster loculus' && /ready again/.test(m.title)), 120_000);
      assert.equal(again.title, 'k3d cluster loculus is ready again');
      assert.equal(a.channel.sent.filter((m) => m.subject === 'cluster loculus').length, 2);
      const after = makeReport(a.store, { since: new Date(clock.now() - 3_600_000).toISOString(), until: new Date(clock.now()).toISOString() }, clock.now());
      assert.ok(!after.needsHuman.some((l) => l.includes('k3d cluster loculus')), after.needsHuman.join('\n'));
    } finally {
      await a.stop().catch(() => undefined);
      cleanup(a);
    }
  });

  it('a recovery that starts no k3d node verifies nothing', async () => {
    const clock = new VirtualClock();
    const docker = new FakeDocker(clock);
    docker.add({ name: 'web', policy: 'no' });
    const reader = new FakeReader();
    const a = await startFakeAgent({ clock, docker, kubernetes: reader });
    try {
      docker.crashDaemon(2_000);
      await a.until('web running again', () => docker.isRunning('web') && a.kinds().includes('recovery'));
      await clock.pass(30_000);
      assert.deepEqual(reader.reads, []);
      assert.deepEqual(a.store.timeline({ kind: 'cluster-verified' }), []);
    } finally {
      await a.stop().catch(() => undefined);
      cleanup(a);
    }
  });
});
