import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../../src/core/errors.js';
import { buildSnapshot, desiredContainerProblem, effectiveHealthcheck, toCreateConfig, type Snapshot } from '../../../src/core/recovery/desired-state.js';
import { desiredOf, inspectOf, pairOf } from './fixtures.js';

const host = { id: 'ENGINE-A', name: 'covid-host' };
const takenAt = '2025-11-20T15:22:00.000Z';

describe('buildSnapshot', () => {
  it('takes running containers and leaves out jobs, compose one-offs, stopped and paused ones, with reasons', () => {
    const { snapshot, excluded } = buildSnapshot(
      [
        pairOf({ name: 'covid-silo', restart: 'unless-stopped', compose: { project: 'covid', service: 'silo' } }),
        pairOf({ name: 'v-pipe-redis-1', state: 'restarting', compose: { project: 'v-pipe', service: 'redis' } }),
        pairOf({ name: 'nightly-import', labels: { 'upkeep.role': 'job' } }),
        pairOf({ name: 'covid-run-1', compose: { project: 'covid', service: 'silo' }, labels: { 'com.docker.compose.oneoff': 'True' } }),
        pairOf({ name: 'batch', state: 'exited', exitCode: 0 }),
        pairOf({ name: 'frozen', state: 'paused' }),
      ],
      { host, takenAt },
    );
    assert.deepEqual(
      snapshot.containers.map((c) => c.name),
      ['covid-silo', 'v-pipe-redis-1'],
    );
    assert.deepEqual(
      excluded.map((e) => [e.name, e.reason]),
      [
        ['batch', 'not-running'],
        ['covid-run-1', 'compose-one-off'],
        ['frozen', 'paused'],
        ['nightly-import', 'job'],
      ],
    );
    assert.match(excluded[0]?.detail ?? '', /exited \(0\)/);
    assert.deepEqual(snapshot.host, host);
    assert.equal(snapshot.takenAt, takenAt);
    assert.ok(snapshot.containers.every((c) => c.desired === true));
  });

  it('records identity, image, compose identity with depends_on conditions, policy and healthcheck', () => {
    const { snapshot } = buildSnapshot(
      [
        pairOf({
          name: 'v-pipe-streamlit-1',
          restart: 'on-failure:3',
          healthcheck: ['CMD', 'wget', '-q', 'http://127.0.0.1:8501/'],
          compose: {
            project: 'v-pipe',
            service: 'streamlit',
            number: 1,
            workingDir: '/srv/v-pipe',
            files: ['/srv/v-pipe/compose.yml', '/srv/v-pipe/compose.prod.yml'],
            dependsOn: 'redis:service_healthy:false,worker:service_started:true,init:service_completed_successfully:false',
          },
          labels: { 'upkeep.depends-on': 'covid-silo:service_healthy' },
        }),
      ],
      { host, takenAt },
    );
    const c = snapshot.containers[0];
    assert.ok(c);
    assert.equal(c.name, 'v-pipe-streamlit-1');
    assert.equal(c.image, 'busybox:local');
    assert.match(c.imageId, /^sha256:/);
    assert.deepEqual(c.restartPolicy, { name: 'on-failure', maximumRetryCount: 3 });
    assert.deepEqual(c.healthcheck?.Test, ['CMD', 'wget', '-q', 'http://127.0.0.1:8501/']);
    assert.deepEqual(c.compose, {
      project: 'v-pipe',
      service: 'streamlit',
      containerNumber: 1,
      workingDir: '/srv/v-pipe',
      configFiles: ['/srv/v-pipe/compose.yml', '/srv/v-pipe/compose.prod.yml'],
      dependsOn: [
        { on: 'service', name: 'redis', condition: 'service_healthy' },
        { on: 'service', name: 'worker', condition: 'service_started' },
        { on: 'service', name: 'init', condition: 'service_completed_successfully' },
      ],
    });
    assert.deepEqual(c.dependsOn, [{ on: 'container', name: 'covid-silo', condition: 'service_healthy' }]);
  });

  it('with --only, takes the selected project or name from what runs and carries the rest over from the previous snapshot', () => {
    const previous: Snapshot = {
      host,
      takenAt: '2025-11-19T00:00:00.000Z',
      note: null,
      containers: [desiredOf({ name: 'k3d-node', restart: 'unless-stopped' }), desiredOf({ name: 'covid-old', compose: { project: 'covid', service: 'old' } })],
    };
    const built = buildSnapshot(
      [
        pairOf({ name: 'covid-silo', compose: { project: 'covid', service: 'silo' } }),
        pairOf({ name: 'covid-lapis', compose: { project: 'covid', service: 'lapis' } }),
        pairOf({ name: 'other', restart: 'always' }),
      ],
      { host, takenAt, only: ['covid'], previous },
    );
    assert.deepEqual(
      built.snapshot.containers.map((c) => c.name),
      ['covid-lapis', 'covid-silo', 'k3d-node'],
    );
    assert.deepEqual(built.carriedOver, ['k3d-node']);
    assert.deepEqual(built.excluded, []);
  });

  it('rejects an --only that matches nothing, naming it', () => {
    assert.throws(
      () => buildSnapshot([pairOf({ name: 'a' })], { host, takenAt, only: ['a', 'nosuch'] }),
      (err: unknown) => err instanceof UsageError && /nosuch/.test(err.message) && err.hint !== undefined,
    );
  });
});

describe('toCreateConfig', () => {
  it('keeps what POST /containers/create needs and drops what the daemon generates', () => {
    const inspect = inspectOf({
      name: 'web',
      env: ['PATH=/bin', 'DB_PASSWORD=hunter2'],
      cmd: ['httpd', '-f', '-p', '127.0.0.1:8080'],
      restart: 'unless-stopped',
      healthcheck: ['CMD-SHELL', 'wget -q -O- http://127.0.0.1:8080/'],
      config: { User: '1000:1000', WorkingDir: '/www', ExposedPorts: { '8080/tcp': {} }, StopTimeout: 1, Entrypoint: ['/bin/busybox'] },
      hostConfig: {
        NetworkMode: 'host',
        Binds: ['/srv/web:/www:ro'],
        Mounts: [{ Type: 'bind', Source: '/srv/conf', Target: '/conf' }],
        PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] },
        Links: ['/db:/web/database'],
        Init: true,
        Memory: 0,
        CapAdd: ['NET_ADMIN'],
      },
    });
    const cfg = toCreateConfig(inspect);
    assert.equal(cfg.Image, 'busybox:local');
    assert.deepEqual(cfg.Cmd, ['httpd', '-f', '-p', '127.0.0.1:8080']);
    assert.deepEqual(cfg.Entrypoint, ['/bin/busybox']);
    assert.deepEqual(cfg.Env, ['PATH=/bin', 'DB_PASSWORD=hunter2']);
    assert.equal(cfg.User, '1000:1000');
    assert.equal(cfg.WorkingDir, '/www');
    assert.deepEqual(cfg.ExposedPorts, { '8080/tcp': {} });
    assert.equal(cfg.StopSignal, 'SIGTERM');
    assert.equal(cfg.StopTimeout, 1);
    assert.deepEqual(cfg.Healthcheck?.Test, ['CMD-SHELL', 'wget -q -O- http://127.0.0.1:8080/']);
    assert.equal(cfg.Hostname, undefined, 'the generated hostname (short id) is not pinned');
    assert.deepEqual(cfg.HostConfig.Binds, ['/srv/web:/www:ro']);
    assert.deepEqual(cfg.HostConfig.Mounts, [{ Type: 'bind', Source: '/srv/conf', Target: '/conf' }]);
    assert.deepEqual(cfg.HostConfig.PortBindings, { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] });
    assert.equal(cfg.HostConfig.NetworkMode, 'host');
    assert.deepEqual(cfg.HostConfig.RestartPolicy, { Name: 'unless-stopped', MaximumRetryCount: 0 });
    assert.deepEqual(cfg.HostConfig.Links, ['db:database']);
    assert.deepEqual(cfg.HostConfig.CapAdd, ['NET_ADMIN']);
    assert.equal(cfg.HostConfig.Init, true);
    assert.equal(cfg.HostConfig.Memory, undefined, 'zero limits are the default and left out');
    assert.equal(cfg.HostConfig.Privileged, undefined);
    assert.equal(cfg.HostConfig.MaskedPaths, undefined, 'daemon defaults are not frozen into the config');
    assert.equal(cfg.NetworkingConfig, undefined);
  });

  it('keeps a chosen hostname and a user-defined network endpoint, without the short-id alias', () => {
    const id = 'f'.repeat(64);
    const inspect = inspectOf({
      name: 'api',
      id,
      config: { Hostname: 'api.internal' },
      hostConfig: { NetworkMode: 'backend' },
      networks: {
        backend: { Aliases: ['api', id.slice(0, 12)], IPAMConfig: { IPv4Address: '10.5.0.9' } },
        monitoring: { Aliases: ['api-metrics'], IPAMConfig: null },
      },
    });
    const cfg = toCreateConfig(inspect);
    assert.equal(cfg.Hostname, 'api.internal');
    assert.deepEqual(cfg.NetworkingConfig, { EndpointsConfig: { backend: { Aliases: ['api'], IPAMConfig: { IPv4Address: '10.5.0.9' } } } });
    const d = desiredOf({
      name: 'api',
      id,
      hostConfig: { NetworkMode: 'backend' },
      networks: { backend: { Aliases: ['api'] }, monitoring: { Aliases: ['api-metrics', id.slice(0, 12)] } },
    });
    assert.deepEqual(d.extraNetworks, [{ network: 'monitoring', endpoint: { Aliases: ['api-metrics'] } }]);
  });
});

describe('effectiveHealthcheck and desiredContainerProblem', () => {
  it('treats a disabled or empty healthcheck as none', () => {
    assert.equal(effectiveHealthcheck({ Test: ['NONE'] }), null);
    assert.equal(effectiveHealthcheck({ Test: [] }), null);
    assert.equal(effectiveHealthcheck(undefined), null);
    assert.deepEqual(effectiveHealthcheck({ Test: ['CMD', 'true'], Retries: 2 }), { Test: ['CMD', 'true'], Retries: 2 });
  });

  it('accepts what buildSnapshot writes (through JSON) and names what is wrong otherwise', () => {
    const d = desiredOf({ name: 'x', compose: { project: 'p', service: 's' } });
    assert.equal(desiredContainerProblem(JSON.parse(JSON.stringify(d))), null);
    assert.equal(desiredContainerProblem(null), 'not an object');
    assert.match(desiredContainerProblem({ ...d, createConfig: {} }) ?? '', /createConfig/);
    assert.match(desiredContainerProblem({ ...d, name: 3 }) ?? '', /"name"/);
    assert.match(desiredContainerProblem({ ...d, compose: { project: 'p' } }) ?? '', /compose/);
  });
});
