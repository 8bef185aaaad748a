/**
 * A k3d cluster on the private engine: node containers with k3d's real labels (app=k3d,
 * k3d.cluster, k3d.role; busybox, --network none, unless-stopped as k3d creates them), a daemon
 * crash, then `upkeep status`/`check` show the cluster as one unit that is not back, and `upkeep
 * recover` starts its nodes in order (servers, agents, the load balancer: read from the engine's
 * StartedAt) and verifies the cluster through its Kubernetes API with the real kubectl; and with
 * the agent running (bin/upkeep agent, a webhook on loopback): after a daemon crash the agent starts
 * the nodes in order, verifies the cluster, and alerts the pods that stay not ready.
 *
 * The Kubernetes API is a STAND-IN (test/engine/k3d-stand-in.ts): no API server can run on these
 * machines. It serves recorded-shape nodes and pods on loopback; k3d-stand-in.test.ts checks it with
 * the same real kubectl.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawnAgent } from '../helpers/agent-process.js';
import { upkeep } from '../helpers/cli.js';
import { until, webhookReceiver } from '../helpers/webhook.js';
import { KubernetesStandIn, realKubectl } from './k3d-stand-in.js';
import { PrivateEngine } from './private-engine.js';

const NODES = [
  { name: 'k3d-loculus-serverlb', role: 'loadbalancer' },
  { name: 'k3d-loculus-agent-0', role: 'agent' },
  { name: 'k3d-loculus-server-0', role: 'server' },
] as const;

let engine: PrivateEngine | null = null;
let standIn: KubernetesStandIn | null = null;
let dir = '';
let env: Record<string, string> = {};
let config = '';

async function startedAt(name: string): Promise<number> {
  return Date.parse(await engine!.docker('inspect', '--format', '{{.State.StartedAt}}', name));
}

async function crashAndStart(): Promise<void> {
  await engine!.crash();
  await engine!.start();
  await engine!.settle();
  for (const n of NODES) assert.equal((await engine!.inspect(n.name)).State.Running, false, `${n.name} is down after the crash (unless-stopped)`);
}

describe('k3d cluster: crash, status, ordered recovery, verification (Kubernetes API stand-in)', { timeout: 300_000 }, () => {
  before(async (t) => {
    const kubectl = realKubectl();
    if (kubectl === null) {
      const message = 'REAL KUBECTL NOT AVAILABLE, k3d engine test skipped: run scripts/kubectl.sh';
      if (process.env.UPKEEP_REQUIRE_ENGINE === '1') throw new Error(`${message} (UPKEEP_REQUIRE_ENGINE=1)`);
      process.stderr.write(`\n!!! ${message}\n\n`);
      return; // engine stays null: each test skips itself
    }
    engine = await PrivateEngine.startOrSkip(t as never);
    if (engine === null) return;
    dir = mkdtempSync(join(tmpdir(), 'upk-k3d-'));
    standIn = new KubernetesStandIn();
    await standIn.start();
    const kubeconfig = standIn.writeKubeconfig(dir);
    config = join(dir, 'upkeep.yml');
    writeFileSync(config, `clusters:\n  loculus:\n    kubeconfig: ${kubeconfig}\n`, { mode: 0o600 });
    env = { DOCKER_HOST: engine.dockerHost, UPKEEP_STATE_DIR: join(dir, 'state'), UPKEEP_KUBECTL: kubectl, HOME: dir };
    for (const n of NODES) {
      await engine.run(n.name, {
        flags: [
          '--restart',
          'unless-stopped',
          '--label',
          'app=k3d',
          '--label',
          'k3d.cluster=loculus',
          '--label',
          `k3d.role=${n.role}`,
          '--label',
          'k3d.version=v5.8.3',
        ],
      });
    }
    const snap = await upkeep(['snapshot', '--state-dir', env.UPKEEP_STATE_DIR!], env);
    assert.equal(snap.code, 0, snap.stderr);
  });
  after(async () => {
    await standIn?.stop();
    await engine?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('status and check: the cluster is one unit, NOT BACK after a daemon crash', async (t) => {
    if (engine === null) return t.skip('no engine');
    const status = await upkeep(['status', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    const [cluster] = JSON.parse(status.stdout).clusters;
    assert.equal(cluster.name, 'loculus');
    assert.equal(cluster.state, 'running');
    assert.deepEqual(
      cluster.nodes.map((n: { role: string; name: string }) => `${n.role} ${n.name}`),
      ['server k3d-loculus-server-0', 'agent k3d-loculus-agent-0', 'loadbalancer k3d-loculus-serverlb'],
    );
    assert.equal(cluster.comesBack.daemonCrash.outcome, 'not-back');
    assert.equal(cluster.comesBack.reboot.outcome, 'back');
    const check = await upkeep(['check', '--json', '--no-preflight'], env);
    assert.equal(check.code, 1);
    assert.match(JSON.parse(check.stdout).clusters[0], /^cluster loculus: NOT BACK after a daemon crash \(all 3 node containers are unless-stopped: /);
    const text = await upkeep(['check', '--no-preflight'], env);
    assert.match(text.stdout, /^cluster loculus: NOT BACK after a daemon crash \(all 3 node containers are unless-stopped: /m);
    assert.match(
      text.stdout,
      /k3d clusters \(servers, then agents, then the load balancer\):\ncluster loculus \(3 of 3 nodes running\): NOT BACK after a daemon crash/,
    );
  });

  test('after a daemon crash: down; recover starts servers, agents, load balancer in order; the cluster verifies ready', async (t) => {
    if (engine === null) return t.skip('no engine');
    await crashAndStart();
    const status = await upkeep(['status'], env);
    assert.match(status.stdout, /cluster loculus \(0 of 3 nodes running\): DOWN: /);
    standIn!.state = 'ready';
    const r = await upkeep(['recover', '--yes', '--running-for', '1s', '--cluster-timeout', '20s', '--config', config], env);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const server = await startedAt('k3d-loculus-server-0');
    const agent = await startedAt('k3d-loculus-agent-0');
    const lb = await startedAt('k3d-loculus-serverlb');
    assert.ok(agent >= server + 1000, `agent ${agent} at least 1 s after the server ${server}`);
    assert.ok(lb >= agent + 1000, `load balancer ${lb} at least 1 s after the agent ${agent}`);
    assert.match(
      r.stdout,
      /^cluster loculus \(context k3d-loculus, \S+kubeconfig\.yaml\): ready after [\d.]+ s: 2 of 2 nodes Ready; 6 of 6 pods Ready or Completed$/m,
    );
  });

  test('pods stuck after the recovery: listed by namespace/name/reason, exit 1; --json has them too', async (t) => {
    if (engine === null) return t.skip('no engine');
    await crashAndStart();
    standIn!.state = 'pods-stuck';
    const r = await upkeep(['recover', '--yes', '--json', '--running-for', '1s', '--cluster-timeout', '3s', '--config', config], env);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.remaining, []);
    const [v] = out.clusters;
    assert.equal(v.state, 'not-ready');
    assert.deepEqual(v.podsNotReady, [
      'kube-system/metrics-server-5985cbc9d7-n2jv6: CrashLoopBackOff',
      'loculus/loculus-backend-7f9c6b8d5-hx2lq: Pending: ContainerCreating',
      'loculus/loculus-website-6b7d9f5c4-p9zkt: Pending: Unschedulable: 0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    ]);
    // And in text, after the next crash: the same list under the cluster's line.
    await crashAndStart();
    const text = await upkeep(['recover', '--yes', '--running-for', '1s', '--cluster-timeout', '3s', '--config', config], env);
    assert.equal(text.code, 1);
    assert.match(
      text.stdout,
      /cluster loculus \(context k3d-loculus, \S+\): NOT READY after [\d.]+ s: 2 of 2 nodes Ready; 4 of 7 pods Ready or Completed\n {2}pod not ready: kube-system\/metrics-server-5985cbc9d7-n2jv6: CrashLoopBackOff\n/,
    );
  });

  test('the agent running across a daemon crash: nodes back in order, the cluster verified, stuck pods alerted with their reasons', async (t) => {
    if (engine === null) return t.skip('no engine');
    const hook = await webhookReceiver();
    const agentConfig = join(dir, 'agent.yml');
    writeFileSync(
      agentConfig,
      [
        'recovery: { running_for: 1s, cluster_timeout: 5s }',
        'alerts:',
        '  channels:',
        `    - { type: webhook, url: "${hook.url}" }`,
        'clusters:',
        '  loculus:',
        `    kubeconfig: ${join(dir, 'kubeconfig.yaml')}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    standIn!.state = 'pods-stuck';
    const agent = spawnAgent({
      configPath: agentConfig,
      stateDir: env.UPKEEP_STATE_DIR!,
      dockerHost: engine.dockerHost,
      env: { UPKEEP_KUBECTL: env.UPKEEP_KUBECTL!, HOME: dir },
    });
    try {
      // The crash only once the agent has reconciled (its /healthz is ok): a crash before it has seen
      // the engine looks, at its start, like containers the operator stopped (the new daemon flags
      // the killed ones manually stopped), which it rightly leaves alone.
      const listening = await until('the agent listening', () => agent.out.find((l) => l.includes('metrics and status listening')) ?? null, 30_000);
      const address = (JSON.parse(listening) as { address: string }).address;
      await until(
        'the agent reconciled',
        async () =>
          (
            await fetch(`http://${address}/healthz`).then(
              (r) => r.json() as Promise<{ ok: boolean }>,
              () => ({ ok: false }),
            )
          ).ok,
        30_000,
      );
      const before = Date.now();
      await engine.crash();
      await engine.start();
      const alert = await until('the cluster alert', () => hook.received.find((r) => r.message.subject === 'cluster loculus')?.message ?? null, 90_000).catch(
        (err: Error) => {
          throw new Error(
            `${err.message}\nwebhook got: ${hook.received.map((r) => r.message.title).join(' | ')}\nthe agent's last lines:\n${agent.out.slice(-30).join('\n')}`,
          );
        },
      );
      const server = await startedAt('k3d-loculus-server-0');
      const agentNode = await startedAt('k3d-loculus-agent-0');
      const lb = await startedAt('k3d-loculus-serverlb');
      assert.ok(server > before && agentNode >= server + 1000 && lb >= agentNode + 1000, `order: server ${server}, agent ${agentNode}, lb ${lb}`);
      assert.match(alert.title, /^k3d cluster loculus NOT READY [\d.]+ s after the recovery$/);
      assert.match(alert.text, /pod not ready: kube-system\/metrics-server-5985cbc9d7-n2jv6: CrashLoopBackOff/);
      assert.match(alert.text, /pod not ready: loculus\/loculus-backend-7f9c6b8d5-hx2lq: Pending: ContainerCreating/);
      const timeline = await upkeep(['timeline', '--kind', 'cluster-verified', '--json'], env);
      assert.match(timeline.stdout, /k3d cluster loculus: NOT READY/);
    } finally {
      agent.proc.kill('SIGTERM');
      await agent.exited;
      await hook.close();
    }
  });
});
