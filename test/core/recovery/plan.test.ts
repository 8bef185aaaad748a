import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpkeepError } from '../../../src/core/errors.js';
import { ForeignSnapshotError, planRecovery, type RecoveryAction } from '../../../src/core/recovery/plan.js';
import { actualOf, desiredOf, factsOf } from './fixtures.js';

const silo = desiredOf({ name: 'covid-silo', restart: 'unless-stopped', compose: { project: 'covid', service: 'silo' }, healthcheck: ['CMD', 'true'] });
const lapis = desiredOf({
  name: 'covid-lapis',
  restart: 'unless-stopped',
  compose: { project: 'covid', service: 'lapis', dependsOn: 'silo:service_healthy:false' },
});
const redis = desiredOf({ name: 'v-pipe-redis-1', compose: { project: 'v-pipe', service: 'redis' }, healthcheck: ['CMD', 'true'] });
const streamlit = desiredOf({
  name: 'v-pipe-streamlit-1',
  compose: { project: 'v-pipe', service: 'streamlit', dependsOn: 'redis:service_healthy:false,worker:service_started:false' },
});
const worker = desiredOf({ name: 'v-pipe-worker-1', compose: { project: 'v-pipe', service: 'worker', dependsOn: 'redis:service_started:false' } });
const k3d = desiredOf({ name: 'k3d-node', restart: 'unless-stopped' });

function byName(actions: RecoveryAction[]): Record<string, RecoveryAction> {
  return Object.fromEntries(actions.map((a) => [a.container, a]));
}

describe('planRecovery', () => {
  it('starts what exists, re-creates what was removed, leaves what runs, in dependency waves', () => {
    const desired = [silo, lapis, redis, streamlit, worker, k3d];
    const actual = [
      actualOf(silo, 'exited'),
      actualOf(lapis, 'exited'),
      actualOf(redis, 'exited'),
      actualOf(worker, 'created'),
      // streamlit was removed
      actualOf(k3d, 'running'),
    ];
    const plan = planRecovery(desired, actual);
    const a = byName(plan.actions);
    assert.equal(a['covid-silo']?.action, 'start');
    assert.equal(a['covid-lapis']?.action, 'start');
    assert.equal(a['v-pipe-redis-1']?.action, 'start');
    assert.equal(a['v-pipe-worker-1']?.action, 'start');
    assert.equal(a['v-pipe-streamlit-1']?.action, 'recreate-compose');
    assert.deepEqual(plan.waves, [['covid-silo', 'v-pipe-redis-1'], ['covid-lapis', 'v-pipe-worker-1'], ['v-pipe-streamlit-1']]);
    assert.deepEqual(
      plan.actions.map((x) => x.container),
      ['covid-silo', 'v-pipe-redis-1', 'covid-lapis', 'v-pipe-worker-1', 'v-pipe-streamlit-1'],
    );
    assert.deepEqual(a['covid-lapis']?.waitFor, [{ container: 'covid-silo', condition: 'service_healthy', until: 'healthy' }]);
    assert.deepEqual(a['v-pipe-streamlit-1']?.waitFor, [
      { container: 'v-pipe-redis-1', condition: 'service_healthy', until: 'healthy' },
      { container: 'v-pipe-worker-1', condition: 'service_started', until: 'running' },
    ]);
    assert.deepEqual(plan.leave, [{ container: 'k3d-node', reason: 'running', detail: 'running', id: k3d.id }]);
    assert.deepEqual(plan.summary, { desired: 6, running: 1, start: 4, recreate: 1, leave: 1 });
    assert.match(a['covid-silo']?.reason ?? '', /^exited \(137\) at 2025-11-20T15:00:00/);
    assert.match(a['v-pipe-worker-1']?.reason ?? '', /created, never started/);
    assert.deepEqual(plan.cycles, []);
  });

  it('builds the compose command from the saved project, files and service', () => {
    const web = desiredOf({
      name: 'shop-web-2',
      compose: { project: 'shop', service: 'web', number: 2, workingDir: '/srv/shop', files: ['/srv/shop/compose.yml', '/srv/shop/override.yml'] },
    });
    const plan = planRecovery([web], []);
    const action = plan.actions[0];
    assert.ok(action?.action === 'recreate-compose');
    assert.deepEqual(action.compose, {
      project: 'shop',
      service: 'web',
      workingDir: '/srv/shop',
      configFiles: ['/srv/shop/compose.yml', '/srv/shop/override.yml'],
      args: ['--project-name=shop', '--file=/srv/shop/compose.yml', '--file=/srv/shop/override.yml', 'up', '-d', '--no-deps', '--no-recreate', '--', 'web'],
      refused: null,
    });
  });

  // Issue "Trust", C4: labels are chosen by whoever created the container; none may become an option.
  const OUR_OPTIONS = ['up', '-d', '--no-deps', '--no-recreate'];
  /** Every word before `--` is one of ours or an `--opt=value` whose option is ours; the label values come after `--` or after `=`. */
  function assertNoLabelOption(args: string[], service: string): void {
    const end = args.indexOf('--');
    assert.ok(end >= 0, `a -- in ${JSON.stringify(args)}`);
    assert.deepEqual(args.slice(end + 1), [service], 'the service is the only operand, after --');
    for (const a of args.slice(0, end)) {
      assert.ok(OUR_OPTIONS.includes(a) || a.startsWith('--project-name=') || a.startsWith('--file='), `${JSON.stringify(a)} is not an option upkeep chose`);
    }
  }

  it('puts the service label after --, so that `--remove-orphans` is a service name, not an option', () => {
    for (const service of ['--remove-orphans', '-d', '--scale=web=0', '--', '-', 'web']) {
      const d = desiredOf({ name: `p-x-${service}`, compose: { project: 'p', service, workingDir: '/srv/p', files: ['/srv/p/compose.yml'] } });
      const action = planRecovery([d], []).actions[0];
      assert.ok(action?.action === 'recreate-compose');
      assert.equal(action.compose.refused, null);
      assertNoLabelOption(action.compose.args, service);
    }
  });

  it('passes config files as --file=PATH, a relative one as ./PATH (never an option, never - for stdin)', () => {
    const files = ['-', '--project-directory=/etc', '-f', 'docker-compose.yml', '/srv/p/-x.yml'];
    const d = desiredOf({ name: 'p_web_1', compose: { project: 'p', service: 'web', workingDir: '/srv/p', files } });
    const action = planRecovery([d], []).actions[0];
    assert.ok(action?.action === 'recreate-compose');
    assert.deepEqual(action.compose.args.slice(0, 6), [
      '--project-name=p',
      '--file=./-',
      '--file=./--project-directory=/etc',
      '--file=./-f',
      '--file=./docker-compose.yml',
      '--file=/srv/p/-x.yml',
    ]);
    assertNoLabelOption(action.compose.args, 'web');
  });

  it('refuses a project label that is not a compose project name, and builds no command line', () => {
    for (const project of ['--remove-orphans', '-p', '-', 'Shop', 'shop web', '_shop', 'shop;rm', '']) {
      const d = desiredOf({ name: `x-${project}`, compose: { project, service: 'web', workingDir: '/srv/x', files: ['/srv/x/compose.yml'] } });
      const action = planRecovery([d], []).actions[0];
      assert.ok(action?.action === 'recreate-compose', project);
      assert.deepEqual(action.compose.args, [], project);
      assert.equal(
        action.compose.refused,
        `refused: label value ${JSON.stringify(project)} (com.docker.compose.project) is not a compose project name ([a-z0-9][a-z0-9_-]*); not passed to compose`,
      );
    }
    for (const project of ['shop', 'v-pipe-scout', 'a_b-c', '0day']) {
      const d = desiredOf({ name: `x-${project}`, compose: { project, service: 'web', workingDir: '/srv/x', files: ['/srv/x/compose.yml'] } });
      const action = planRecovery([d], []).actions[0];
      assert.ok(action?.action === 'recreate-compose');
      assert.equal(action.compose.refused, null, project);
      assert.equal(action.compose.args[0], `--project-name=${project}`);
    }
  });

  it('does not use a relative working dir label as the directory to run compose in', () => {
    const d = desiredOf({ name: 'p_web_1', compose: { project: 'p', service: 'web', workingDir: '--help', files: ['docker-compose.yml'] } });
    const plan = planRecovery([d], []);
    assert.equal(plan.actions[0]?.action, 'recreate-engine');
  });

  it('re-creates a removed standalone container from its saved configuration', () => {
    const plan = planRecovery([k3d], []);
    assert.deepEqual(plan.actions, [
      {
        container: 'k3d-node',
        wave: 0,
        waitFor: [],
        action: 'recreate-engine',
        reason: 'removed: re-create it from the saved configuration',
        image: 'busybox:local',
        imageId: k3d.imageId,
      },
    ]);
  });

  it('falls back to the saved configuration when compose files cannot be located (v1 relative paths, no working dir)', () => {
    const old = desiredOf({ name: 'legacy_app_1', compose: { project: 'legacy', service: 'app', workingDir: null, files: ['docker-compose.yml'] } });
    const plan = planRecovery([old], []);
    assert.equal(plan.actions[0]?.action, 'recreate-engine');
    assert.match(plan.notes.join('\n'), /legacy_app_1 is compose-managed but its config files cannot be located/);
  });

  it('matches by compose project/service/number when the name changed (compose v1 -> v2 naming)', () => {
    const v1 = desiredOf({ name: 'shop_web_1', compose: { project: 'shop', service: 'web', number: 1 } });
    const renamedStopped = factsOf({ name: 'shop-web-1', state: 'exited', exitCode: 0, compose: { project: 'shop', service: 'web', number: 1 } });
    const plan = planRecovery([v1], [renamedStopped]);
    const action = plan.actions[0];
    assert.ok(action?.action === 'start');
    assert.equal(action.id, renamedStopped.id);
    assert.equal(action.actualName, 'shop-web-1');
    assert.match(action.reason, /found as shop-web-1 by compose identity/);

    const renamedRunning = factsOf({ name: 'shop-web-1', state: 'running', compose: { project: 'shop', service: 'web', number: 1 } });
    const plan2 = planRecovery([v1], [renamedRunning]);
    assert.deepEqual(plan2.actions, []);
    assert.equal(plan2.leave[0]?.reason, 'running-other-id');
    assert.match(plan2.leave[0]?.detail ?? '', /as shop-web-1, re-created since the snapshot/);
  });

  it('prefers the name over compose identity, and never matches a one-off container', () => {
    const web = desiredOf({ name: 'shop-web-1', compose: { project: 'shop', service: 'web', number: 1 } });
    const oneOff = factsOf({
      name: 'shop-web-run-1',
      state: 'running',
      compose: { project: 'shop', service: 'web', number: 1 },
      labels: { 'com.docker.compose.oneoff': 'True' },
    });
    const plan = planRecovery([web], [oneOff]);
    assert.equal(plan.actions[0]?.action, 'recreate-compose');
  });

  it('leaves running, re-created, restarting, paused, dead, job and forgotten containers, each with its reason', () => {
    const names = ['run', 'recreated', 'restarting', 'paused', 'dead', 'job', 'gone-for-good'];
    const d = Object.fromEntries(names.map((n) => [n, desiredOf({ name: n, labels: n === 'job' ? { 'upkeep.role': 'job' } : {} })]));
    const actual = [
      actualOf(d.run!, 'running'),
      factsOf({ name: 'recreated', state: 'running' }),
      actualOf(d.restarting!, 'restarting'),
      actualOf(d.paused!, 'paused'),
      actualOf(d.dead!, 'dead'),
      actualOf(d.job!, 'exited'),
      actualOf(d['gone-for-good']!, 'exited'),
    ];
    const plan = planRecovery(Object.values(d), actual, {
      forgotten: [
        { name: 'gone-for-good', at: '2025-11-20T16:00:00.000Z' },
        { name: 'not-in-snapshot', at: '2025-11-20T16:00:01.000Z' },
      ],
    });
    assert.deepEqual(plan.actions, []);
    assert.deepEqual(
      plan.leave.map((l) => [l.container, l.reason]),
      [
        ['dead', 'dead'],
        ['gone-for-good', 'forgotten'],
        ['job', 'job'],
        ['not-in-snapshot', 'forgotten'],
        ['paused', 'paused'],
        ['recreated', 'running-other-id'],
        ['restarting', 'restarting'],
        ['run', 'running'],
      ],
    );
    assert.match(plan.leave.find((l) => l.container === 'dead')?.detail ?? '', /docker rm dead/);
    assert.match(plan.leave.find((l) => l.container === 'paused')?.detail ?? '', /docker unpause paused/);
    assert.equal(plan.summary.running, 2);
  });

  it('waits for "running" when service_healthy names a dependency without a healthcheck', () => {
    const db = desiredOf({ name: 'db', compose: { project: 'p', service: 'db' } });
    const app = desiredOf({ name: 'app', compose: { project: 'p', service: 'app', dependsOn: 'db:service_healthy:false' } });
    const plan = planRecovery([db, app], [actualOf(db, 'exited'), actualOf(app, 'exited')]);
    assert.deepEqual(plan.actions.find((a) => a.container === 'app')?.waitFor, [{ container: 'db', condition: 'service_healthy', until: 'running' }]);
  });

  it('waits for a dependency that already runs, and uses upkeep.depends-on between standalone containers', () => {
    const silo2 = desiredOf({ name: 'silo', healthcheck: ['CMD', 'true'] });
    const lapis2 = desiredOf({ name: 'lapis', labels: { 'upkeep.depends-on': 'silo:service_healthy,nosuch' } });
    const plan = planRecovery([silo2, lapis2], [actualOf(silo2, 'running'), actualOf(lapis2, 'exited')]);
    assert.deepEqual(plan.actions[0]?.waitFor, [{ container: 'silo', condition: 'service_healthy', until: 'healthy' }]);
    assert.deepEqual(plan.notes, ['lapis depends on container "nosuch", which is not in the desired state: not waited for']);
  });

  it('notes dependencies on services outside the desired state (a forgotten one included)', () => {
    const app = desiredOf({ name: 'app', compose: { project: 'p', service: 'app', dependsOn: 'db:service_started:false' } });
    const db = desiredOf({ name: 'db', compose: { project: 'p', service: 'db' } });
    const plan = planRecovery([app, db], [], { forgotten: [{ name: 'db', at: 't' }] });
    assert.equal(plan.actions.length, 1);
    assert.deepEqual(plan.actions[0]?.waitFor, []);
    assert.match(plan.notes[0] ?? '', /app depends on service "db" of project p, which is not in the desired state/);
  });

  it('reports a dependency cycle instead of failing, and does not make its members wait for each other', () => {
    const a = desiredOf({ name: 'a', labels: { 'upkeep.depends-on': 'b' } });
    const b = desiredOf({ name: 'b', labels: { 'upkeep.depends-on': 'a' } });
    const c = desiredOf({ name: 'c', labels: { 'upkeep.depends-on': 'a' } });
    const plan = planRecovery([a, b, c], []);
    assert.deepEqual(plan.cycles, [['a', 'b']]);
    assert.deepEqual(plan.waves, [['a', 'b'], ['c']]);
    assert.deepEqual(plan.actions.find((x) => x.container === 'a')?.waitFor, []);
    assert.deepEqual(plan.actions.find((x) => x.container === 'c')?.waitFor, [{ container: 'a', condition: 'service_started', until: 'running' }]);
    assert.match(plan.notes.join('\n'), /dependency cycle a -> b -> a/);
  });

  it('scales: replicas of one service each get an action, and wait for all replicas of a dependency', () => {
    const api1 = desiredOf({ name: 'p-api-1', compose: { project: 'p', service: 'api', number: 1 } });
    const api2 = desiredOf({ name: 'p-api-2', compose: { project: 'p', service: 'api', number: 2 } });
    const lb = desiredOf({ name: 'p-lb-1', compose: { project: 'p', service: 'lb', dependsOn: 'api' } });
    const plan = planRecovery([api1, api2, lb], []);
    assert.deepEqual(plan.waves, [['p-api-1', 'p-api-2'], ['p-lb-1']]);
    assert.deepEqual(
      plan.actions.find((x) => x.container === 'p-lb-1')?.waitFor.map((w) => w.container),
      ['p-api-1', 'p-api-2'],
    );
  });

  it('refuses a desired state from another engine, unless told to accept it', () => {
    const run = (allowOtherHost?: boolean) =>
      planRecovery([k3d], [], { snapshotHost: { id: 'AAAA', name: 'old-box' }, engineHost: { id: 'BBBB', name: 'new-box' }, allowOtherHost });
    assert.throws(
      () => run(),
      (err: unknown) =>
        err instanceof ForeignSnapshotError &&
        err instanceof UpkeepError &&
        err.exitCode === 2 &&
        /old-box/.test(err.message) &&
        /new-box/.test(err.message) &&
        /upkeep snapshot/.test(err.hint ?? ''),
    );
    assert.equal(run(true).actions.length, 1);
    assert.equal(planRecovery([k3d], [], { snapshotHost: { id: 'AAAA', name: 'x' }, engineHost: { id: 'AAAA', name: 'renamed' } }).actions.length, 1);
  });

  it('plans nothing when everything desired runs', () => {
    const plan = planRecovery([silo, k3d], [actualOf(silo, 'running'), actualOf(k3d, 'running'), factsOf({ name: 'unrelated', state: 'exited' })]);
    assert.deepEqual(plan.actions, []);
    assert.deepEqual(plan.waves, []);
    assert.equal(plan.summary.running, 2);
  });
});

describe('planRecovery: k3d clusters', () => {
  const k3d = (name: string, role: string, cluster = 'loculus') =>
    desiredOf({ name, restart: 'unless-stopped', labels: { app: 'k3d', 'k3d.cluster': cluster, 'k3d.role': role } });

  it('starts servers, then agents, then the load balancer, each cluster on its own', () => {
    const nodes = [
      k3d('k3d-loculus-serverlb', 'loadbalancer'),
      k3d('k3d-loculus-agent-1', 'agent'),
      k3d('k3d-loculus-agent-0', 'agent'),
      k3d('k3d-loculus-server-0', 'server'),
      k3d('k3d-other-server-0', 'server', 'other'),
      k3d('k3d-other-serverlb', 'loadbalancer', 'other'),
    ];
    const plan = planRecovery(
      nodes,
      nodes.map((d) => actualOf(d, 'exited')),
    );
    assert.deepEqual(plan.waves, [
      ['k3d-loculus-server-0', 'k3d-other-server-0'],
      ['k3d-loculus-agent-0', 'k3d-loculus-agent-1', 'k3d-other-serverlb'],
      ['k3d-loculus-serverlb'],
    ]);
    const lb = plan.actions.find((a) => a.container === 'k3d-loculus-serverlb');
    assert.deepEqual(
      lb?.waitFor.map((w) => [w.container, w.until]),
      [
        ['k3d-loculus-agent-0', 'running'],
        ['k3d-loculus-agent-1', 'running'],
        ['k3d-loculus-server-0', 'running'],
      ],
    );
    assert.deepEqual(plan.cycles, []);
  });

  it('a running server is not started again; the stopped agent still follows it', () => {
    const server = k3d('k3d-loculus-server-0', 'server');
    const agent = k3d('k3d-loculus-agent-0', 'agent');
    const plan = planRecovery([server, agent], [actualOf(server, 'running'), actualOf(agent, 'exited')]);
    assert.deepEqual(plan.waves, [['k3d-loculus-agent-0']]);
    assert.deepEqual(
      plan.actions[0]?.waitFor.map((w) => w.container),
      ['k3d-loculus-server-0'],
    );
  });
});
