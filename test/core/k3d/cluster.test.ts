import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterLines, clusterRiskLines, k3dNodeOf, k3dStartDependencies } from '../../../src/core/k3d/cluster.js';
import type { RestartPolicyName } from '../../../src/core/model.js';
import { buildStatusReport } from '../../../src/core/status-report.js';
import { container, daemon } from '../../helpers/facts.js';

/** A node container with k3d's real labels (k3d pkg/types/types.go: app=k3d, k3d.cluster, k3d.role). */
function node(
  name: string,
  role: string,
  over: { policy?: RestartPolicyName; state?: 'running' | 'exited'; manuallyStopped?: boolean | null; cluster?: string } = {},
) {
  return container({
    name,
    state: over.state ?? 'running',
    exitCode: over.state === 'exited' ? 137 : null,
    manuallyStopped: over.manuallyStopped === undefined ? false : over.manuallyStopped,
    restartPolicy: { name: over.policy ?? 'unless-stopped', maximumRetryCount: 0 },
    labels: { app: 'k3d', 'k3d.cluster': over.cluster ?? 'loculus', 'k3d.role': role },
  });
}

const loculus = [
  node('k3d-loculus-serverlb', 'loadbalancer'),
  node('k3d-loculus-agent-0', 'agent'),
  node('k3d-loculus-server-0', 'server'),
  container({ name: 'plain', restartPolicy: { name: 'always', maximumRetryCount: 0 } }),
];

test('k3dNodeOf reads k3d.cluster and k3d.role; a registry or an unknown role is not a node', () => {
  assert.deepEqual(k3dNodeOf({ 'k3d.cluster': 'loculus', 'k3d.role': 'server' }), { cluster: 'loculus', role: 'server' });
  assert.equal(k3dNodeOf({ 'k3d.cluster': 'loculus', 'k3d.role': 'registry' }), null);
  assert.equal(k3dNodeOf({ 'k3d.role': 'server' }), null);
  assert.equal(k3dNodeOf({ 'k3d.cluster': ' ', 'k3d.role': 'agent' }), null);
  assert.equal(k3dNodeOf(undefined), null);
});

test('a cluster of unless-stopped nodes is one unit: NOT BACK after a daemon crash, nodes in start order', () => {
  const r = buildStatusReport(daemon(), loculus);
  assert.equal(r.clusters.length, 1);
  const c = r.clusters[0]!;
  assert.equal(c.name, 'loculus');
  assert.equal(c.state, 'running');
  assert.deepEqual(
    c.nodes.map((n) => [n.role, n.name]),
    [
      ['server', 'k3d-loculus-server-0'],
      ['agent', 'k3d-loculus-agent-0'],
      ['loadbalancer', 'k3d-loculus-serverlb'],
    ],
  );
  assert.equal(c.comesBack.daemonRestart.outcome, 'back');
  assert.equal(c.comesBack.reboot.outcome, 'back');
  assert.equal(c.comesBack.daemonCrash.outcome, 'not-back');
  assert.match(c.comesBack.daemonCrash.reason, /^all 3 node containers are unless-stopped: after a daemon crash/);
  const [line] = clusterRiskLines(r.clusters);
  assert.match(line!, /^cluster loculus: NOT BACK after a daemon crash \(all 3 node containers are unless-stopped: /);
  assert.match(clusterLines(r.clusters)[0]!, /^cluster loculus \(3 of 3 nodes running\): NOT BACK after a daemon crash/);
});

test('the worst node wins; unknown stays unknown with its reason; names the nodes concerned', () => {
  const r = buildStatusReport(daemon(), [
    node('k3d-a-server-0', 'server', { policy: 'always', cluster: 'a' }),
    node('k3d-a-agent-0', 'agent', { policy: 'no', cluster: 'a' }),
    node('k3d-b-server-0', 'server', { policy: 'unless-stopped', manuallyStopped: null, cluster: 'b' }),
    node('k3d-c-server-0', 'server', { policy: 'always', cluster: 'c' }),
    node('k3d-d-server-0', 'server', { policy: 'always', cluster: 'd' }),
    node('k3d-d-agent-0', 'agent', { policy: 'on-failure', cluster: 'd' }),
  ]);
  const [a, b, c, d] = r.clusters;
  // on-failure after a graceful stop depends on the exit code, which cannot be known beforehand.
  assert.equal(d!.comesBack.daemonRestart.outcome, 'unknown');
  assert.match(d!.comesBack.daemonRestart.reason, /^k3d-d-agent-0 is on-failure: /);
  assert.match(clusterRiskLines([d!])[0]!, /^cluster d: UNKNOWN after a daemon restart or a daemon crash or a reboot \(k3d-d-agent-0 is on-failure: /);
  assert.equal(a!.comesBack.reboot.outcome, 'not-back');
  assert.match(a!.comesBack.reboot.reason, /^k3d-a-agent-0 is no: /);
  assert.equal(b!.comesBack.daemonCrash.outcome, 'not-back');
  assert.equal(c!.comesBack.daemonCrash.outcome, 'back');
  assert.deepEqual(clusterRiskLines([c!]), []);
  assert.match(clusterLines([c!])[0]!, /back after a daemon restart, a daemon crash and a reboot$/);
});

test('a cluster whose nodes are all down after a crash says DOWN', () => {
  const r = buildStatusReport(daemon(), [
    node('k3d-loculus-server-0', 'server', { state: 'exited', manuallyStopped: true }),
    node('k3d-loculus-serverlb', 'loadbalancer', { state: 'exited', manuallyStopped: true }),
  ]);
  const c = r.clusters[0]!;
  assert.equal(c.state, 'down');
  assert.equal(c.running, 0);
  assert.match(clusterLines(r.clusters)[0]!, /^cluster loculus \(0 of 2 nodes running\): DOWN: /);
  assert.deepEqual(clusterRiskLines(r.clusters), []);
});

test('start order: agents wait for servers, the load balancer for both, per cluster', () => {
  const deps = k3dStartDependencies([
    { name: 'lb', labels: { 'k3d.cluster': 'x', 'k3d.role': 'loadbalancer' } },
    { name: 's1', labels: { 'k3d.cluster': 'x', 'k3d.role': 'server' } },
    { name: 's0', labels: { 'k3d.cluster': 'x', 'k3d.role': 'server' } },
    { name: 'a0', labels: { 'k3d.cluster': 'x', 'k3d.role': 'agent' } },
    { name: 'other-s', labels: { 'k3d.cluster': 'y', 'k3d.role': 'server' } },
    { name: 'reg', labels: { 'k3d.cluster': 'x', 'k3d.role': 'registry' } },
  ]);
  assert.deepEqual(Object.fromEntries(deps), { lb: ['a0', 's0', 's1'], s1: [], s0: [], a0: ['s0', 's1'], 'other-s': [] });
});
