/**
 * The Kubernetes API STAND-IN (test/engine/k3d-stand-in.ts; no real API server can run here) is
 * checked with the REAL kubectl, Debian bookworm's kubernetes-client unpacked by scripts/kubectl.sh:
 * `kubectl get nodes`, `kubectl get pods -A` and `kubectl get pods -A -o json` succeed and show the
 * recorded state, so the stand-in speaks what real clients expect, and upkeep's reader (kubectl
 * -o json, src/adapters/kubernetes/kubectl.ts) reads it as recorded.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test, type TestContext } from 'node:test';
import { KubectlReader } from '../../src/adapters/kubernetes/kubectl.js';
import { clusterHealth, podsNotReady } from '../../src/core/k3d/verify.js';
import { KubernetesStandIn, realKubectl } from './k3d-stand-in.js';

const exec = promisify(execFile);
const kubectl = realKubectl();
let standIn: KubernetesStandIn;
let dir = '';
let kubeconfig = '';

function needKubectl(t: TestContext): string | null {
  if (kubectl !== null) return kubectl;
  const message = 'REAL KUBECTL NOT AVAILABLE, stand-in check skipped: run scripts/kubectl.sh';
  if (process.env.UPKEEP_REQUIRE_ENGINE === '1') throw new Error(`${message} (UPKEEP_REQUIRE_ENGINE=1)`);
  process.stderr.write(`\n!!! ${message}\n\n`);
  t.skip(message);
  return null;
}

async function run(bin: string, ...args: string[]): Promise<string> {
  // HOME elsewhere: the machine's own ~/.kube/config is never read.
  const { stdout } = await exec(bin, [`--kubeconfig=${kubeconfig}`, '--request-timeout=5s', ...args], { timeout: 20_000, env: { ...process.env, HOME: dir } });
  return stdout;
}

describe('the Kubernetes API stand-in, checked with the real kubectl', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'upk-k3d-'));
    standIn = new KubernetesStandIn();
    await standIn.start();
    kubeconfig = standIn.writeKubeconfig(dir);
  });
  after(async () => {
    await standIn.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("kubectl version: the real client is bookworm's 1.20", async (t) => {
    const bin = needKubectl(t);
    if (bin === null) return;
    const { stdout } = await exec(bin, ['version', '--client', '--short']);
    assert.match(stdout, /Client Version: v1\.20\./);
  });

  test('kubectl get nodes / get pods -A show the recorded ready state', async (t) => {
    const bin = needKubectl(t);
    if (bin === null) return;
    standIn.state = 'ready';
    const nodes = await run(bin, 'get', 'nodes');
    assert.match(nodes, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\n/);
    assert.match(nodes, /k3d-loculus-server-0\s+Ready\s+control-plane,master\s+\S+\s+v1\.31\.5\+k3s1/);
    assert.match(nodes, /k3d-loculus-agent-0\s+Ready\s+<none>/);
    const pods = await run(bin, 'get', 'pods', '-A');
    assert.match(pods, /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    assert.match(pods, /kube-system\s+helm-install-traefik-crd-fk6zd\s+0\/1\s+Completed/);
    assert.match(pods, /loculus\s+loculus-backend-7f9c6b8d5-hx2lq\s+1\/1\s+Running/);
    // kubectl discovered the API the way it does against a real server.
    assert.ok(['/api', '/apis', '/api/v1/nodes', '/api/v1/pods'].every((p) => standIn.requests.some((r) => r.path === p)));
  });

  test('kubectl get pods -A -o json: the recorded stuck pods, read by upkeep as not ready', async (t) => {
    const bin = needKubectl(t);
    if (bin === null) return;
    standIn.state = 'pods-stuck';
    const pods = JSON.parse(await run(bin, 'get', 'pods', '-A', '-o', 'json'));
    const nodes = JSON.parse(await run(bin, 'get', 'nodes', '-o', 'json'));
    assert.equal(pods.items.length, 7);
    assert.equal(nodes.items.length, 2);
    assert.match(await run(bin, 'get', 'pods', '-A'), /kube-system\s+metrics-server-5985cbc9d7-n2jv6\s+0\/1\s+CrashLoopBackOff\s+3/);
    const h = clusterHealth(nodes, pods);
    assert.equal(h.state, 'not-ready');
    assert.deepEqual(
      podsNotReady(h).map((p) => p.split(':')[0]),
      ['kube-system/metrics-server-5985cbc9d7-n2jv6', 'loculus/loculus-backend-7f9c6b8d5-hx2lq', 'loculus/loculus-website-6b7d9f5c4-p9zkt'],
    );
  });

  test("upkeep's kubectl reader: the recorded state; a down API is an error with kubectl's words", async (t) => {
    const bin = needKubectl(t);
    if (bin === null) return;
    const reader = new KubectlReader(bin, { ...process.env, HOME: dir });
    standIn.state = 'ready';
    const access = { cluster: 'loculus', kubeconfig, context: 'k3d-loculus' };
    const state = await reader.readClusterState(access, 10_000);
    assert.equal(clusterHealth(state.nodes, state.pods).state, 'ready');
    standIn.state = 'down';
    await assert.rejects(reader.readClusterState(access, 5_000), /kubectl get nodes \(context k3d-loculus\) failed: /);
    await assert.rejects(reader.readClusterState({ ...access, context: 'k3d-nosuch' }, 5_000), /context k3d-nosuch/);
    await assert.rejects(new KubectlReader('/nonexistent/kubectl').readClusterState(access, 5_000), /not found: install kubectl/);
  });
});
