/**
 * Acceptance of `upkeep snapshot` / `diff` / `recover`: the incident's host, rebuilt on a private
 * engine, through four events. For each: what Docker alone brings back (the baseline), then
 * `upkeep recover --yes`; every desired container must run and answer HTTP, the job and the
 * forgotten container must not be started, dependants must start only after their dependency is
 * healthy, and a second recover must do nothing.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EngineClient } from '../../src/adapters/docker/engine-client.js';
import { parseDockerHost } from '../../src/core/docker-host.js';
import type { EngineEvent } from '../../src/core/engine-types.js';
import { upkeep } from '../helpers/cli.js';
import { answersHttp, buildIncidentHost, type IncidentHost } from './incident-host.js';
import { PrivateEngine, sleep, type EngineGeneration } from './private-engine.js';

interface InspectState {
  Running: boolean;
  StartedAt: string;
  Health?: { Status: string };
}

let engine: PrivateEngine | null = null;
const roots: string[] = [];
const baselines: Record<string, string[]> = {};

async function state(name: string): Promise<InspectState> {
  return JSON.parse(await engine!.docker('inspect', '--format', '{{json .State}}', name)) as InspectState;
}

type Prepared = { host: IncidentHost; env: Record<string, string>; stateArgs: string[] };

/** The host the previous scenario left, when it passed: every scenario ends with the state it checks. */
let prepared: Prepared | null = null;

/**
 * The host for the next scenario. Each scenario ends by checking the state the next one starts
 * from (every desired container running and answering, the job and the forgotten container not
 * running, a second recover with nothing to do), and Docker's own bookkeeping is reset by those
 * starts (a `start` clears the "stopped by hand" mark), so a host that passed that check is reused
 * with its snapshot: about 8 s per scenario per engine. Anything else (the first scenario, or one
 * after a failed scenario) builds the host from scratch.
 */
async function prepare(): Promise<Prepared> {
  const reuse = prepared;
  prepared = null;
  if (reuse && (await inEndState(reuse.host))) return reuse;
  return build();
}

async function inEndState(host: IncidentHost): Promise<boolean> {
  for (const [name, port] of Object.entries(host.desired)) {
    const s = await state(name).catch(() => null);
    if (!s?.Running) return false;
    if (port !== null && !(await answersHttp(port, 0))) return false;
  }
  for (const name of [host.job, host.stoppedOnPurpose]) if ((await state(name).catch(() => null))?.Running !== false) return false;
  return true;
}

/** Builds the host, snapshots it, then stops and forgets the scratch container. */
async function build(): Promise<Prepared> {
  await engine!.removeAllContainers();
  const root = mkdtempSync(join(tmpdir(), 'upk-incident-'));
  roots.push(root);
  const host = await buildIncidentHost(engine!, root);
  const env = { DOCKER_HOST: engine!.dockerHost };
  const stateArgs = ['--state-dir', join(root, 'state')];
  await engine!.settle(500);
  const snap = await upkeep(['snapshot', '--json', ...stateArgs], env);
  assert.equal(snap.code, 0, snap.stderr);
  const snapJson = JSON.parse(snap.stdout) as { desired: string[]; excluded: Array<{ name: string; reason: string }> };
  assert.deepEqual(snapJson.desired.sort(), [...Object.keys(host.desired), host.stoppedOnPurpose].sort());
  assert.deepEqual(
    snapJson.excluded.map((e) => [e.name, e.reason]),
    [[host.job, 'job']],
  );
  await engine!.docker('stop', host.stoppedOnPurpose);
  const forget = await upkeep(['forget', host.stoppedOnPurpose, ...stateArgs], env);
  assert.equal(forget.code, 0, forget.stderr);
  return { host, env, stateArgs };
}

async function runningDesired(host: IncidentHost): Promise<string[]> {
  const out: string[] = [];
  for (const n of Object.keys(host.desired)) if ((await state(n).catch(() => null))?.Running) out.push(n);
  return out.sort();
}

/** Recovers, then checks the end state the issue asks for. */
async function recoverAndCheck(
  scenario: string,
  prep: Prepared,
  opts: { expectActions: boolean; onEngineEvent?: (ev: EngineEvent) => void },
): Promise<Array<{ container: string; outcome: string; attempts: number }>> {
  const { host, env, stateArgs } = prep;
  baselines[scenario] = await runningDesired(host);

  const diff = await upkeep(['diff', '--json', ...stateArgs], env);
  const diffJson = JSON.parse(diff.stdout) as { summary: { notRunning: number }; ignored: Array<{ container: string }> };
  assert.equal(diff.code, diffJson.summary.notRunning > 0 ? 1 : 0);
  assert.deepEqual(
    diffJson.ignored.map((i) => i.container),
    [host.stoppedOnPurpose],
  );

  // The Engine's own events during the recovery: when each container started and first turned
  // healthy (the health log keeps only 5 entries, too few on a slow machine).
  const client = new EngineClient(parseDockerHost(engine!.dockerHost));
  const watching = new AbortController();
  const events: EngineEvent[] = [];
  const collecting = (async () => {
    for await (const ev of client.events({ since: Date.now() / 1000, filters: { type: ['container'] }, signal: watching.signal })) {
      events.push(ev);
      opts.onEngineEvent?.(ev);
    }
  })();
  const r = await upkeep(['recover', '--yes', '--json', '--running-for', '1s', ...stateArgs], env);
  assert.equal(r.code, 0, `${scenario}: recover exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  const result = JSON.parse(r.stdout) as {
    nothingToDo: boolean;
    remaining: unknown[];
    outcomes: Array<{ container: string; outcome: string; attempts: number }>;
    plan: { actions: Array<{ container: string; waitFor: Array<{ container: string; until: string }> }> };
  };
  assert.equal(result.remaining.length, 0);
  if (opts.expectActions) assert.equal(result.nothingToDo, false, `${scenario}: Docker alone should have left something down`);
  for (const o of result.outcomes) assert.match(o.outcome, /^(started|recreated)$/, `${scenario}: ${o.container} ${o.outcome}`);

  // Every desired container runs and answers.
  for (const [name, port] of Object.entries(host.desired)) {
    assert.equal((await state(name)).Running, true, `${scenario}: ${name} runs`);
    if (port !== null) assert.equal(await answersHttp(port), true, `${scenario}: ${name} answers HTTP on 127.0.0.1:${port}`);
  }
  // The job and the forgotten container were not started.
  assert.equal((await state(host.job)).Running, false, `${scenario}: the job was not started`);
  assert.equal((await state(host.stoppedOnPurpose)).Running, false, `${scenario}: the forgotten container was not started`);

  // Dependants that upkeep started waited for their dependency's first passing health check.
  watching.abort();
  await collecting;
  await client.close();
  const at = (name: string, action: string) => events.find((e) => e.Actor.Attributes.name === name && e.Action === action)?.timeNano;
  for (const a of result.plan.actions) {
    const started = at(a.container, 'start');
    assert.ok(started !== undefined, `${scenario}: a start event for ${a.container}`);
    for (const w of a.waitFor.filter((x) => x.until === 'healthy')) {
      const healthy = at(w.container, 'health_status: healthy');
      if (healthy === undefined) {
        // Not healthy during the recovery: then it must have been running (and healthy) before it.
        assert.equal(at(w.container, 'start'), undefined, `${scenario}: ${w.container} started during the recovery but never turned healthy`);
        continue;
      }
      const ms = (started - healthy) / 1e6;
      assert.ok(ms >= -50, `${scenario}: ${a.container} started ${ms.toFixed(0)} ms after ${w.container} was first healthy`);
    }
  }

  // A second recover does nothing, and says so.
  const again = await upkeep(['recover', '--yes', ...stateArgs], env);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /Nothing to do: every desired container runs/);
  prepared = prep;
  return result.outcomes;
}

/** Registers the incident's scenarios on `generation`'s engine (recovery-incident*.test.ts). */
export function describeIncident(generation: EngineGeneration): void {
  describe(`the incident, reproduced and recovered (${generation} engine)`, { timeout: 600_000 }, () => {
    before(async (t) => {
      engine = await PrivateEngine.startOrSkip(t as never, [], { engine: generation });
    });
    after(async () => {
      if (Object.keys(baselines).length) {
        process.stdout.write(
          `# Docker alone brought back (of 6 desired):\n${Object.entries(baselines)
            .map(([s, b]) => `#   ${s}: ${b.length} (${b.join(', ')})`)
            .join('\n')}\n`,
        );
      }
      await engine?.dispose();
      for (const r of roots) rmSync(r, { recursive: true, force: true });
    });

    test('graceful daemon restart', async (t) => {
      if (!engine) return t.skip('no engine');
      const prep = await prepare();
      await engine.restart();
      await engine.settle();
      await recoverAndCheck('graceful daemon restart', prep, { expectActions: true });
      // Docker alone: the unless-stopped ones came back; the v-pipe stack (no policy) did not.
      assert.deepEqual(baselines['graceful daemon restart'], ['k3d-loculus-server-0', 'srsilo_lapisOpen_1', 'srsilo_silo_1']);
    });

    test('daemon SIGKILL, then start', async (t) => {
      if (!engine) return t.skip('no engine');
      const prep = await prepare();
      await engine.crash();
      await engine.start();
      await engine.settle();
      await recoverAndCheck('daemon SIGKILL', prep, { expectActions: true });
      assert.deepEqual(baselines['daemon SIGKILL'], [], 'after a crash, Docker brings back none of them (unless-stopped counts the kill as a manual stop)');
    });

    test('docker stop of one service, then daemon restart', async (t) => {
      if (!engine) return t.skip('no engine');
      const prep = await prepare();
      await engine.docker('stop', 'srsilo_lapisOpen_1');
      await engine.restart();
      await engine.settle();
      await recoverAndCheck('docker stop, then daemon restart', prep, { expectActions: true });
      assert.deepEqual(baselines['docker stop, then daemon restart'], ['k3d-loculus-server-0', 'srsilo_silo_1']);
    });

    test('a bind-mounted directory missing at daemon start, there a second into the recovery', async (t) => {
      if (!engine) return t.skip('no engine');
      const prep = await prepare();
      await engine.stop();
      rmSync(prep.host.siloDataDir, { recursive: true, force: true });
      await engine.start();
      await engine.settle();
      // The mount source comes back (a slow network filesystem, a late disk) while upkeep recovers:
      // 1 s after upkeep's first start of anything (silo is in the same first wave, so its first
      // attempt has failed by then). Tied to upkeep's own progress, not to a timer started before
      // it: on a loaded machine a timer let silo's first attempt succeed.
      let appears: Promise<void> | null = null;
      const outcomes = await recoverAndCheck('bind mount missing at start', prep, {
        expectActions: true,
        onEngineEvent: (ev) => {
          if (appears === null && ev.Action === 'start') appears = sleep(1000).then(() => void mkdirSync(prep.host.siloDataDir, { recursive: true }));
        },
      });
      await appears;
      assert.ok(!baselines['bind mount missing at start']!.includes('srsilo_silo_1'), 'Docker did not start silo, and never retried');
      const silo = outcomes.find((o) => o.container === 'srsilo_silo_1');
      assert.ok(silo && silo.attempts >= 2, `upkeep retried silo until its mount was there (${JSON.stringify(silo)})`);
    });

    test('removed containers: compose services re-created by compose, standalone ones from the saved configuration', async (t) => {
      if (!engine) return t.skip('no engine');
      const prep = await prepare();
      const oldIds = { redis: (await engine.inspect('v-pipe-scout_redis_1')).Id, k3d: (await engine.inspect('k3d-loculus-server-0')).Id };
      await engine.docker('rm', '-f', 'v-pipe-scout_redis_1', 'k3d-loculus-server-0');
      const dry = await upkeep(['recover', '--dry-run', ...prep.stateArgs], prep.env);
      assert.equal(dry.code, 1, dry.stderr);
      assert.match(dry.stdout, /re-create \(compose\)\s+v-pipe-scout_redis_1/);
      assert.match(dry.stdout, /re-create \(saved config\)\s+k3d-loculus-server-0/);
      assert.equal((await engine.docker('ps', '-aq', '--filter', 'name=k3d-loculus')).trim(), '', 'dry run changed nothing');
      const outcomes = await recoverAndCheck('removed containers', prep, { expectActions: true });
      assert.deepEqual(
        outcomes
          .filter((o) => o.outcome === 'recreated')
          .map((o) => o.container)
          .sort(),
        ['k3d-loculus-server-0', 'v-pipe-scout_redis_1'],
      );
      const k3d = JSON.parse(await engine.docker('inspect', 'k3d-loculus-server-0'))[0];
      assert.notEqual(k3d.Id, oldIds.k3d);
      assert.deepEqual(k3d.HostConfig.RestartPolicy, { Name: 'unless-stopped', MaximumRetryCount: 0 });
      assert.equal(k3d.HostConfig.NetworkMode, 'host');
      const redis = JSON.parse(await engine.docker('inspect', 'v-pipe-scout_redis_1'))[0];
      assert.notEqual(redis.Id, oldIds.redis);
      assert.equal(redis.Config.Labels['com.docker.compose.project'], 'v-pipe-scout');
    });
  });
}
