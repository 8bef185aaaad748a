/**
 * One system, on the incident's host (private real engine, docker-compose v1, `upkeep agent` as its
 * own process, a webhook receiver on loopback):
 *
 *  - with the agent running, `docker stop` of the v-pipe-scout worker: the agent records the
 *    operator's intent, and `status`, `diff`, `recover --dry-run`, `preflight` and `check` all say
 *    it is not desired (before, diff listed it as down and recover would have started it);
 *  - `upkeep want` makes it desired again and the agent brings it back;
 *  - `maintenance start`, then at once a crash of redis (SIGKILL from the host): healed, nothing
 *    delivered for it;
 *  - a daemon crash: the agent brings back what Docker does not;
 *  - `upkeep timeline --json` lists all of it in order, with times.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import { spawnAgent, type AgentProcess } from '../helpers/agent-process.js';
import { upkeep } from '../helpers/cli.js';
import { until, webhookReceiver, type WebhookReceiver } from '../helpers/webhook.js';
import { buildIncidentHost, type IncidentHost } from './incident-host.js';
import { PrivateEngine } from './private-engine.js';

const PLAN = new URL('../fixtures/apt/incident-plan.txt', import.meta.url).pathname;
const WORKER = 'v-pipe-scout_worker_1';
const REDIS = 'v-pipe-scout_redis_1';

let engine: PrivateEngine | null = null;
let root = '';
let hook: WebhookReceiver;
let host: IncidentHost;
let agent: AgentProcess | null = null;
let env: Record<string, string>;
let stateDir = '';

function startAgent(configPath: string): AgentProcess {
  return spawnAgent({ configPath, stateDir, dockerHost: engine!.dockerHost });
}

function timelineKinds(subject?: string): Array<{ kind: string; subject: string | null; at: string }> {
  const store = openStore({ stateDir, create: false, readOnly: true });
  try {
    return store.timeline(subject === undefined ? {} : { subject }).map((e) => ({ kind: e.kind, subject: e.subject, at: e.at }));
  } finally {
    store.close();
  }
}

async function json<T>(args: string[]): Promise<{ code: number; value: T; stderr: string }> {
  const r = await upkeep([...args, '--json', '--state-dir', stateDir], env);
  return { code: r.code, value: JSON.parse(r.stdout || 'null') as T, stderr: r.stderr };
}

describe('one system: the agent and every command agree, and the timeline records it', { concurrency: false }, () => {
  before(async (t) => {
    engine = await PrivateEngine.startOrSkip(t as never);
    if (!engine) return;
    root = mkdtempSync(join(tmpdir(), 'upk-one-system-'));
    stateDir = join(root, 'state');
    env = { DOCKER_HOST: engine.dockerHost };
    hook = await webhookReceiver();
    host = await buildIncidentHost(engine, root);
    await engine.docker('rm', '-f', host.stoppedOnPurpose);
    await engine.settle(500);
    const snap = await upkeep(['snapshot', '--note', 'before the test', '--state-dir', stateDir], env);
    assert.equal(snap.code, 0, snap.stderr);
    const configPath = join(root, 'upkeep.yml');
    writeFileSync(
      configPath,
      ['recovery: { grace: 1s, running_for: 1s }', 'alerts:', '  for: 0s', '  channels:', `    - { type: webhook, url: "${hook.url}" }`, ''].join('\n'),
      { mode: 0o600 },
    );
    agent = startAgent(configPath);
    await until('the agent reconciled', () => timelineKinds().some((e) => e.kind === 'engine-up' || e.kind === 'recovery'), 30_000);
  });

  after(async () => {
    if (agent) {
      agent.proc.kill('SIGTERM');
      await agent.exited;
      if (process.env.UPKEEP_TEST_LOG) writeFileSync(process.env.UPKEEP_TEST_LOG, agent.out.join('\n'));
    }
    hook?.server.close();
    await engine?.dispose();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('docker stop while the agent runs: status, diff, recover, preflight and check agree it is not desired', async (t) => {
    if (!engine) return t.skip('no engine');
    await engine.docker('stop', '-t', '1', WORKER);
    await until('the operator stop recorded', () => timelineKinds(WORKER).some((e) => e.kind === 'operator-stop'), 20_000);

    const status = await json<{ containers: Array<{ name: string; desired: string | null }>; notices: string[] }>(['status']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(status.value.containers.find((c) => c.name === WORKER)?.desired, 'operator-stopped');
    assert.ok(status.value.notices.some((n) => n.includes(`upkeep want ${WORKER}`)));

    const diff = await json<{ notRunning: Array<{ container: string }>; ignored: Array<{ container: string; reason: string }> }>(['diff']);
    assert.equal(diff.code, 0, `nothing desired is down: ${JSON.stringify(diff.value.notRunning)}`);
    assert.deepEqual(
      diff.value.ignored.filter((i) => i.container === WORKER).map((i) => i.reason),
      ['operator-stopped'],
    );

    const plan = await json<{ plan: { actions: Array<{ container: string }>; leave: Array<{ container: string; reason: string }> } }>(['recover', '--dry-run']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.deepEqual(plan.value.plan.actions, []);
    assert.ok(plan.value.plan.leave.some((l) => l.container === WORKER && l.reason === 'operator-stopped'));

    const pre = await json<{ alreadyDown: Array<{ name: string }>; stoppedOnPurpose?: Array<{ name: string }> }>([
      'preflight',
      '--no-download',
      '--plan',
      PLAN,
    ]);
    assert.ok(![0, 1, 3, 4].includes(pre.code) === false, pre.stderr);
    assert.deepEqual(
      (pre.value.alreadyDown ?? []).map((a) => a.name),
      [],
      'an operator stop is not "already down"',
    );
    assert.deepEqual(
      (pre.value.stoppedOnPurpose ?? []).map((a) => a.name),
      [WORKER],
    );

    const check = await json<{ status: { containers: Array<{ name: string; desired: string | null }> } }>(['check', '--no-preflight']);
    assert.equal(check.value.status.containers.find((c) => c.name === WORKER)?.desired, 'operator-stopped');
    assert.equal(await engine.isRunning(WORKER), false, 'nobody started it');
  });

  test('upkeep want: desired again, and the agent brings it back', async (t) => {
    if (!engine) return t.skip('no engine');
    const want = await upkeep(['want', WORKER, '--state-dir', stateDir], env);
    assert.equal(want.code, 0, want.stderr);
    assert.match(want.stdout, new RegExp(`Desired again: ${WORKER} \\(was stopped on purpose at `));
    await until('worker running again', () => engine!.isRunning(WORKER), 30_000);
    const diff = await json<{ notRunning: unknown[] }>(['diff']);
    assert.equal(diff.code, 0);
  });

  test('maintenance start, then at once a kill: healed, but no alert leaves', async (t) => {
    if (!engine) return t.skip('no engine');
    const sentBefore = hook.received.length;
    const start = await upkeep(['maintenance', 'start', '--for', '10m', '--state-dir', stateDir], env);
    assert.equal(start.code, 0, start.stderr);
    const t0 = Date.now();
    // A crash, not an operator's `docker kill` (which Docker flags as a manual stop): SIGKILL of
    // the container's main process from the host.
    const pid = Number((await engine.docker('inspect', '--format', '{{.State.Pid}}', REDIS)).trim());
    assert.ok(pid > 1, `redis has a process (${pid})`);
    process.kill(pid, 'SIGKILL');
    await until(
      'redis healed',
      async () => (await engine!.isRunning(REDIS)) && timelineKinds(REDIS).some((e) => e.kind === 'healed' && Date.parse(e.at) >= t0),
      30_000,
    );
    await until('the held alert recorded', () => timelineKinds().some((e) => e.kind === 'alert-held' && Date.parse(e.at) >= t0), 10_000);
    assert.deepEqual(
      hook.received.slice(sentBefore).map((r) => `${r.message.kind} ${r.message.title}`),
      [],
    );
    const stop = await upkeep(['maintenance', 'stop', '--state-dir', stateDir], env);
    assert.equal(stop.code, 0, stop.stderr);
  });

  test('a daemon crash: the agent brings everything back; the timeline has it all, in order', async (t) => {
    if (!engine) return t.skip('no engine');
    const t0 = Date.now();
    await engine.crash();
    await engine.start();
    await until(
      'every desired container running',
      async () => {
        for (const n of Object.keys(host.desired)) if (!(await engine!.isRunning(n))) return false;
        return true;
      },
      60_000,
    );
    await until('the recovery pass recorded', () => timelineKinds().some((e) => e.kind === 'recovery' && Date.parse(e.at) >= t0), 30_000);

    const r = await upkeep(['timeline', '--since', '1h', '--json', '--state-dir', stateDir], env);
    assert.equal(r.code, 0, r.stderr);
    const entries = (JSON.parse(r.stdout) as { entries: Array<{ at: string; kind: string; subject: string | null }> }).entries;
    const times = entries.map((e) => Date.parse(e.at));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      'oldest first',
    );
    const firstIndex = (kind: string, subject?: string) => entries.findIndex((e) => e.kind === kind && (subject === undefined || e.subject === subject));
    const order = [
      firstIndex('snapshot'),
      firstIndex('operator-stop', WORKER),
      firstIndex('want', WORKER),
      firstIndex('maintenance-start'),
      firstIndex('container-died', REDIS),
      firstIndex('healed', REDIS),
      firstIndex('maintenance-stop'),
      firstIndex('engine-down'),
      firstIndex('engine-up'),
      firstIndex('recovery'),
    ];
    assert.ok(
      order.every((i) => i >= 0),
      `every happening recorded: ${entries.map((e) => `${e.kind}:${e.subject}`).join(', ')}`,
    );
    // A recovery pass ran at agent start too: compare the later ones.
    const lastRecovery = entries
      .map((e, i) => (e.kind === 'recovery' ? i : -1))
      .filter((i) => i >= 0)
      .pop()!;
    assert.ok(lastRecovery > order[8]!, 'the recovery pass after the crash comes after the engine is back');
    assert.deepEqual(
      order.slice(0, 8),
      [...order.slice(0, 8)].sort((a, b) => a - b),
      `in order: ${entries.map((e) => `${e.kind}:${e.subject}`).join(', ')}`,
    );
  });
});
