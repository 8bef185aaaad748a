import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DockerUnavailableError } from '../../../src/core/errors.js';
import type { DesiredContainer } from '../../../src/core/recovery/desired-state.js';
import { executeRecovery, type RecoverOptions, type RecoveryProgress, type RecoveryResult } from '../../../src/core/recovery/executor.js';
import { ForeignSnapshotError } from '../../../src/core/recovery/plan.js';
import { FakeHost, T0 } from './fake-engine.js';
import { desiredOf } from './fixtures.js';

const BASE: RecoverOptions = { random: () => 0, pollMs: 500, runningForMs: 5000, readyTimeoutMs: 60_000 };

function recover(host: FakeHost, desired: DesiredContainer[], opts: RecoverOptions = {}): Promise<RecoveryResult> {
  for (const d of desired) host.templates.set(d.name, d);
  return host.clock.drive(executeRecovery(desired, host, { ...BASE, ...opts }));
}

function outcome(r: RecoveryResult, name: string) {
  const o = r.outcomes.find((x) => x.container === name);
  assert.ok(o, `no outcome for ${name}`);
  return o;
}

/** The incident's host: two compose projects with health-gated dependencies, a k3d node, a job, a forgotten one. */
function incident() {
  const silo = desiredOf({ name: 'covid-silo', restart: 'unless-stopped', compose: { project: 'covid', service: 'silo' }, healthcheck: ['CMD', 'true'] });
  const lapis = desiredOf({
    name: 'covid-lapis',
    restart: 'unless-stopped',
    compose: { project: 'covid', service: 'lapis', dependsOn: 'silo:service_healthy:false' },
  });
  const redis = desiredOf({ name: 'v-pipe-redis-1', compose: { project: 'v-pipe', service: 'redis' }, healthcheck: ['CMD', 'true'] });
  const worker = desiredOf({ name: 'v-pipe-worker-1', compose: { project: 'v-pipe', service: 'worker', dependsOn: 'redis:service_started:false' } });
  const streamlit = desiredOf({
    name: 'v-pipe-streamlit-1',
    compose: { project: 'v-pipe', service: 'streamlit', dependsOn: 'redis:service_healthy:false,worker:service_started:false' },
  });
  const k3d = desiredOf({ name: 'k3d-node', restart: 'unless-stopped' });
  const job = desiredOf({ name: 'nightly-job', labels: { 'upkeep.role': 'job' } });
  const stopped = desiredOf({ name: 'stopped-on-purpose' });
  const host = new FakeHost();
  host.add(silo, 'exited', { healthyAfterMs: 3000 });
  host.add(lapis, 'exited');
  host.add(redis, 'exited', { healthyAfterMs: 2000 });
  host.add(worker, 'exited');
  // streamlit was removed
  host.add(k3d, 'running');
  host.add(job, 'exited');
  host.add(stopped, 'exited');
  const desired = [silo, lapis, redis, worker, streamlit, k3d, job];
  return { host, desired, forgotten: [{ name: 'stopped-on-purpose', at: '2025-11-20T15:30:00.000Z' }] };
}

describe('executeRecovery', () => {
  it('brings every desired container back in dependency order, after its dependencies are ready; a second run does nothing', async () => {
    const { host, desired, forgotten } = incident();
    const r = await recover(host, desired, { forgotten });

    assert.deepEqual(host.runningNames(), ['covid-lapis', 'covid-silo', 'k3d-node', 'v-pipe-redis-1', 'v-pipe-streamlit-1', 'v-pipe-worker-1']);
    assert.deepEqual(r.remaining, []);
    assert.equal(r.nothingToDo, false);
    assert.deepEqual(
      r.outcomes.map((o) => [o.container, o.action, o.outcome, o.attempts]),
      [
        ['covid-silo', 'start', 'started', 1],
        ['v-pipe-redis-1', 'start', 'started', 1],
        ['covid-lapis', 'start', 'started', 1],
        ['v-pipe-worker-1', 'start', 'started', 1],
        ['v-pipe-streamlit-1', 'recreate-compose', 'recreated', 1],
      ],
    );
    // Dependants started only once what they wait for was ready.
    const at = (n: string) => host.startedAt(n) as number;
    assert.ok(at('covid-lapis') >= at('covid-silo') + 3000, 'lapis after silo is healthy');
    assert.ok(at('v-pipe-worker-1') >= at('v-pipe-redis-1') + 5000, 'worker after redis ran 5 s (service_started)');
    assert.ok(at('v-pipe-streamlit-1') >= at('v-pipe-redis-1') + 2000, 'streamlit after redis is healthy');
    assert.ok(at('v-pipe-streamlit-1') >= at('v-pipe-worker-1') + 5000, 'streamlit after worker ran 5 s');
    assert.equal(outcome(r, 'covid-silo').readyAfterSeconds, 3);
    assert.equal(outcome(r, 'covid-lapis').waitedSeconds, 3);
    // The job and the forgotten container were not started.
    assert.equal(host.byName('nightly-job')?.state, 'exited');
    assert.equal(host.byName('stopped-on-purpose')?.state, 'exited');
    assert.deepEqual(
      r.plan.leave.map((l) => [l.container, l.reason]),
      [
        ['k3d-node', 'running'],
        ['nightly-job', 'job'],
        ['stopped-on-purpose', 'forgotten'],
      ],
    );
    const compose = host.log.find((l) => l.op === 'compose-up');
    assert.equal(compose?.detail, '--project-name=v-pipe --file=/srv/v-pipe/docker-compose.yml up -d --no-deps --no-recreate -- streamlit');

    const logLength = host.log.length;
    const again = await recover(host, desired, { forgotten });
    assert.equal(again.nothingToDo, true);
    assert.deepEqual(again.outcomes, []);
    assert.deepEqual(again.remaining, []);
    assert.equal(host.log.length, logLength, 'the second run changed nothing');
  });

  it('retries a failed start with backoff: fails twice (port still held), then starts', async () => {
    const web = desiredOf({ name: 'web' });
    const host = new FakeHost();
    host.add(web, 'exited', { failStarts: 2 });
    const events: RecoveryProgress[] = [];
    const r = await recover(host, [web], { onProgress: (e) => events.push(e) });
    const o = outcome(r, 'web');
    assert.equal(o.outcome, 'started');
    assert.equal(o.attempts, 3);
    assert.equal(o.seconds, 1.5, 'waited 0.5 s then 1 s');
    assert.equal(o.error, undefined);
    assert.equal(host.log.filter((l) => l.op === 'start-failed').length, 2);
    assert.deepEqual(host.runningNames(), ['web']);
    assert.deepEqual(r.remaining, []);
    const retries = events.filter((e) => e.type === 'retry');
    assert.equal(retries.length, 2);
    assert.match(retries[0]?.type === 'retry' ? retries[0].error : '', /port is already allocated/);
  });

  it('reports a start that keeps failing as failed, with the last error, and does not start its dependants', async () => {
    const db = desiredOf({ name: 'db' });
    const app = desiredOf({ name: 'app', labels: { 'upkeep.depends-on': 'db' } });
    const host = new FakeHost();
    host.add(db, 'exited', { failStarts: 100, startError: 'error mounting "/srv/db" to rootfs: no such file or directory' });
    host.add(app, 'exited');
    const r = await recover(host, [db, app]);
    const o = outcome(r, 'db');
    assert.equal(o.outcome, 'failed');
    assert.equal(o.attempts, 6);
    assert.match(o.error ?? '', /no such file or directory/);
    const a = outcome(r, 'app');
    assert.equal(a.outcome, 'skipped');
    assert.equal(a.attempts, 0);
    assert.match(a.error ?? '', /not started: dependency db was not started \(error mounting/);
    assert.deepEqual(host.runningNames(), []);
    assert.deepEqual(
      r.remaining.map((x) => [x.container, x.wouldDo]),
      [
        ['app', 'start'],
        ['db', 'start'],
      ],
    );
  });

  it('a dependency that never gets healthy: its dependants (and theirs) are reported as not started, with the reason', async () => {
    const redis = desiredOf({ name: 'redis', healthcheck: ['CMD', 'redis-cli', 'ping'] });
    const web = desiredOf({ name: 'web', labels: { 'upkeep.depends-on': 'redis:service_healthy' } });
    const proxy = desiredOf({ name: 'proxy', labels: { 'upkeep.depends-on': 'web' } });
    const other = desiredOf({ name: 'other' });
    const host = new FakeHost();
    host.add(redis, 'exited', { neverHealthy: true });
    host.add(web, 'exited');
    host.add(proxy, 'exited');
    host.add(other, 'exited');
    const r = await recover(host, [redis, web, proxy, other], { readyTimeoutMs: 30_000 });
    const rd = outcome(r, 'redis');
    assert.equal(rd.outcome, 'started');
    assert.match(rd.notReady ?? '', /did not become healthy within 30 s \(last: is unhealthy\)/);
    const w = outcome(r, 'web');
    assert.equal(w.outcome, 'skipped');
    assert.match(w.error ?? '', /^not started: dependency redis did not become healthy within 30 s/);
    assert.equal(w.waitedSeconds, 30);
    const p = outcome(r, 'proxy');
    assert.equal(p.outcome, 'skipped');
    assert.match(p.error ?? '', /dependency web was not started/);
    assert.equal(outcome(r, 'other').outcome, 'started', 'independent containers are not held up');
    assert.deepEqual(host.runningNames(), ['other', 'redis']);
    assert.deepEqual(
      r.remaining.map((x) => x.container),
      ['proxy', 'web'],
    );
  });

  it('a container that exits right after each start is retried, then reported failed', async () => {
    const flaky = desiredOf({ name: 'flaky' });
    const host = new FakeHost();
    host.add(flaky, 'exited', { exitAfterMs: 0 });
    const r = await recover(host, [flaky]);
    const o = outcome(r, 'flaky');
    assert.equal(o.outcome, 'failed');
    assert.equal(o.attempts, 6);
    assert.equal(o.error, 'it stopped right after the start: exited (1)');
    assert.equal(host.byName('flaky')?.starts, 6);
    assert.deepEqual(
      r.remaining.map((x) => x.container),
      ['flaky'],
    );
  });

  it('a dependency that exits after starting fails its dependants fast, without waiting for the timeout', async () => {
    const db = desiredOf({ name: 'db' });
    const app = desiredOf({ name: 'app', labels: { 'upkeep.depends-on': 'db' } });
    const host = new FakeHost();
    host.add(db, 'exited', { exitAfterMs: 1500 });
    host.add(app, 'exited');
    const r = await recover(host, [db, app]);
    assert.equal(outcome(r, 'db').outcome, 'started');
    const a = outcome(r, 'app');
    assert.equal(a.outcome, 'skipped');
    assert.match(a.error ?? '', /dependency db exited \(1\) and nothing restarts it/);
    assert.ok((a.waitedSeconds ?? 99) <= 2);
  });

  it('re-creates a removed standalone container from its saved configuration (env included), with its extra networks', async () => {
    const api = desiredOf({
      name: 'api',
      env: ['API_TOKEN=s3cret'],
      hostConfig: { NetworkMode: 'backend', Binds: ['/srv/api:/data'] },
      networks: { backend: { Aliases: ['api'] }, metrics: { Aliases: ['api-m'] } },
    });
    const host = new FakeHost();
    const requests: unknown[] = [];
    const createAndStart = host.createAndStart.bind(host);
    host.createAndStart = (req) => {
      requests.push(structuredClone(req));
      return createAndStart(req);
    };
    const r = await recover(host, [api]);
    const o = outcome(r, 'api');
    assert.equal(o.outcome, 'recreated');
    assert.equal(o.action, 'recreate-engine');
    assert.notEqual(o.id, api.id);
    assert.deepEqual(requests, [{ name: 'api', config: api.createConfig, extraNetworks: [{ network: 'metrics', endpoint: { Aliases: ['api-m'] } }] }]);
    assert.deepEqual(api.createConfig.Env, ['API_TOKEN=s3cret']);
    assert.deepEqual(host.runningNames(), ['api']);
    assert.deepEqual(r.remaining, []);
  });

  it('a re-created container whose start failed (mount not there yet) is started, not created twice', async () => {
    const api = desiredOf({ name: 'api' });
    const host = new FakeHost();
    host.behaviourOnCreate.set('api', { failStarts: 1 });
    const r = await recover(host, [api]);
    const o = outcome(r, 'api');
    assert.equal(o.outcome, 'recreated');
    assert.equal(o.attempts, 2);
    assert.equal(host.log.filter((l) => l.op === 'create').length, 1);
    assert.deepEqual(host.runningNames(), ['api']);
  });

  it('level-based retries: a container removed between plan and start is re-created; one Docker started meanwhile is left running', async () => {
    const gone = desiredOf({ name: 'gone' });
    const raced = desiredOf({ name: 'raced' });
    const host = new FakeHost();
    host.add(gone, 'exited');
    host.add(raced, 'exited');
    const start = host.start.bind(host);
    const tricked = new Set<string>();
    host.start = async (id) => {
      const c = host.containers.get(id);
      if (c && !tricked.has(c.name)) {
        tricked.add(c.name);
        if (c.name === 'gone') host.remove('gone');
        if (c.name === 'raced') {
          c.state = 'running';
          c.startedAt = host.now();
          throw new Error('container is already being started');
        }
      }
      return start(id);
    };
    const r = await recover(host, [gone, raced]);
    const g = outcome(r, 'gone');
    assert.deepEqual([g.outcome, g.attempts], ['recreated', 2]);
    assert.equal(
      host.log
        .filter((l) => l.op === 'create')
        .map((l) => l.name)
        .join(),
      'gone',
    );
    const rc = outcome(r, 'raced');
    assert.deepEqual([rc.outcome, rc.attempts, rc.note], ['started', 2, 'already running: Docker started it meanwhile']);
    assert.deepEqual(host.runningNames(), ['gone', 'raced']);
    assert.deepEqual(r.remaining, []);
  });

  it('runs compose once for several removed replicas of one service', async () => {
    const a1 = desiredOf({ name: 'p-api-1', compose: { project: 'p', service: 'api', number: 1 } });
    const a2 = desiredOf({ name: 'p-api-2', compose: { project: 'p', service: 'api', number: 2 } });
    const host = new FakeHost();
    const r = await recover(host, [a1, a2]);
    assert.deepEqual(
      r.outcomes.map((o) => [o.container, o.outcome]),
      [
        ['p-api-1', 'recreated'],
        ['p-api-2', 'recreated'],
      ],
    );
    assert.equal(host.log.filter((l) => l.op === 'compose-up').length, 1);
    assert.deepEqual(host.runningNames(), ['p-api-1', 'p-api-2']);
  });

  it('waits for an engine that answers late, and says so', async () => {
    const web = desiredOf({ name: 'web' });
    const host = new FakeHost();
    host.add(web, 'exited');
    host.answersFrom = T0 + 3000;
    const events: RecoveryProgress[] = [];
    const r = await recover(host, [web], { onProgress: (e) => events.push(e) });
    assert.equal(r.engineWaitSeconds, 3);
    assert.ok(events.some((e) => e.type === 'engine-waiting'));
    assert.deepEqual(host.runningNames(), ['web']);
  });

  it('gives up on an engine that does not answer (refusing or hanging), having changed nothing', async () => {
    for (const hang of [false, true]) {
      const web = desiredOf({ name: 'web' });
      const host = new FakeHost();
      host.add(web, 'exited');
      host.answersFrom = T0 + 3_600_000;
      host.hangs = hang;
      await assert.rejects(
        recover(host, [web], { engineWaitMs: 10_000 }),
        (err: unknown) => err instanceof DockerUnavailableError && /did not answer within 10 s/.test(err.message) && /nothing was changed/.test(err.hint ?? ''),
      );
      assert.equal(host.now() - T0 <= 12_000, true);
      assert.deepEqual(host.log, []);
      assert.equal(host.byName('web')?.state, 'exited');
    }
  });

  it('refuses a desired state from another engine, having changed nothing', async () => {
    const web = desiredOf({ name: 'web' });
    const host = new FakeHost();
    host.add(web, 'exited');
    await assert.rejects(recover(host, [web], { snapshotHost: { id: 'OTHER', name: 'old-box' } }), ForeignSnapshotError);
    assert.deepEqual(host.log, []);
    const r = await recover(host, [web], { snapshotHost: { id: 'OTHER', name: 'old-box' }, allowOtherHost: true });
    assert.equal(outcome(r, 'web').outcome, 'started');
  });

  it('with a grace period, lets Docker bring back what it restarts itself, then plans what is left', async () => {
    const k3d = desiredOf({ name: 'k3d-node', restart: 'unless-stopped' });
    const web = desiredOf({ name: 'web' });
    const host = new FakeHost();
    host.add(k3d, 'exited');
    host.add(web, 'exited');
    host.dockerStartsAt('k3d-node', T0 + 4000);
    const r = await recover(host, [k3d, web], { graceMs: 10_000 });
    assert.equal(r.graceSeconds, 10);
    assert.deepEqual(
      r.plan.actions.map((a) => a.container),
      ['web'],
    );
    assert.deepEqual(
      r.plan.leave.map((l) => [l.container, l.reason]),
      [['k3d-node', 'running']],
    );
    assert.equal(
      host.log
        .filter((l) => l.op === 'start')
        .map((l) => l.name)
        .join(),
      'web',
    );
    assert.deepEqual(host.runningNames(), ['k3d-node', 'web']);
  });

  it('bounds parallelism: 20 independent starts of 1 s with 4 at a time take 5 s', async () => {
    const desired = Array.from({ length: 20 }, (_, i) => desiredOf({ name: `svc-${String(i).padStart(2, '0')}` }));
    const host = new FakeHost();
    for (const d of desired) host.add(d, 'exited', { startTakesMs: 1000 });
    const r = await recover(host, desired, { concurrency: 4 });
    assert.equal(host.maxInFlight, 4);
    assert.equal(r.seconds, 5);
    assert.equal(r.outcomes.filter((o) => o.outcome === 'started').length, 20);
    assert.equal(host.runningNames().length, 20);
  });

  it('does nothing when the confirmation is declined', async () => {
    const web = desiredOf({ name: 'web' });
    const host = new FakeHost();
    host.add(web, 'exited');
    let asked = 0;
    const r = await recover(host, [web], {
      confirm: async (plan) => {
        asked += plan.actions.length;
        return false;
      },
    });
    assert.equal(asked, 1);
    assert.equal(r.declined, true);
    assert.deepEqual(r.outcomes, []);
    assert.deepEqual(
      r.remaining.map((x) => x.container),
      ['web'],
    );
    assert.deepEqual(host.log, []);
  });

  it('on interruption, stops starting: what had not started is reported as skipped', async () => {
    const db = desiredOf({ name: 'db' });
    const app = desiredOf({ name: 'app', labels: { 'upkeep.depends-on': 'db' } });
    const host = new FakeHost();
    host.add(db, 'exited');
    host.add(app, 'exited');
    const controller = new AbortController();
    host.clock.at(T0 + 1000, () => controller.abort());
    const r = await recover(host, [db, app], { signal: controller.signal });
    assert.equal(outcome(r, 'db').outcome, 'started');
    const a = outcome(r, 'app');
    assert.equal(a.outcome, 'skipped');
    assert.match(a.error ?? '', /interrupted/);
    assert.equal(host.byName('app')?.state, 'exited');
  });

  it('with waitReadyAll, reports when each started container became ready', async () => {
    const a = desiredOf({ name: 'a', healthcheck: ['CMD', 'true'] });
    const b = desiredOf({ name: 'b' });
    const host = new FakeHost();
    host.add(a, 'exited', { healthyAfterMs: 6000 });
    host.add(b, 'exited');
    const r = await recover(host, [a, b], { waitReadyAll: true });
    assert.equal(outcome(r, 'a').readyAfterSeconds, 6);
    assert.equal(outcome(r, 'b').readyAfterSeconds, 5);
    assert.ok(r.seconds >= 6);
  });
});

describe('a failure retrying cannot fix', () => {
  it('is not retried: one attempt, failed at once with its reason (a plain failure is retried)', async () => {
    const { PermanentRecoveryError } = await import('../../../src/core/recovery/executor.js');
    const web = desiredOf({ name: 'web', restart: 'no' });
    const api = desiredOf({ name: 'api', restart: 'no' });
    const host = new FakeHost();
    host.add(web, 'exited');
    host.add(api, 'exited');
    host.start = async (id: string) => {
      throw id === web.id ? new PermanentRecoveryError('refused: label value "--x" is not a compose project name') : new Error('port is already allocated');
    };
    const r = await recover(host, [web, api]);
    assert.deepEqual(
      [outcome(r, 'web').outcome, outcome(r, 'web').attempts, outcome(r, 'web').error],
      ['failed', 1, 'refused: label value "--x" is not a compose project name'],
    );
    assert.ok(outcome(r, 'api').attempts > 1, 'a plain failure is retried');
  });
});

describe('executeRecovery: a k3d cluster after a daemon crash', () => {
  it('starts its servers, then its agents (after the servers ran 5 s), then the load balancer', async () => {
    const node = (name: string, role: string) =>
      desiredOf({ name, restart: 'unless-stopped', labels: { app: 'k3d', 'k3d.cluster': 'loculus', 'k3d.role': role } });
    const desired = [node('k3d-loculus-serverlb', 'loadbalancer'), node('k3d-loculus-agent-0', 'agent'), node('k3d-loculus-server-0', 'server')];
    const host = new FakeHost();
    for (const d of desired) host.add(d, 'exited');
    const r = await recover(host, desired);
    assert.deepEqual(r.remaining, []);
    const at = (n: string) => host.startedAt(n) as number;
    assert.ok(at('k3d-loculus-agent-0') >= at('k3d-loculus-server-0') + 5000, 'agent after the server ran 5 s');
    assert.ok(at('k3d-loculus-serverlb') >= at('k3d-loculus-agent-0') + 5000, 'load balancer after the agent ran 5 s');
  });
});
