import assert from 'node:assert/strict';
import { test } from 'node:test';
import { composeIdentity, parseDaemonOnlyFlags, parseDependsOnLabel, toContainerFacts, toRestartPolicy } from '../../src/core/container-facts.js';
import type { EngineContainerInspect } from '../../src/core/engine-types.js';

function inspect(over: Partial<EngineContainerInspect> = {}): EngineContainerInspect {
  return {
    Id: 'c'.repeat(64),
    Name: '/covid-lapis',
    Image: 'sha256:abc',
    Created: '2025-11-01T00:00:00Z',
    RestartCount: 0,
    State: {
      Status: 'exited',
      Running: false,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: 0,
      ExitCode: 137,
      Error: '',
      StartedAt: '2025-11-20T15:00:00Z',
      FinishedAt: '0001-01-01T00:00:00Z',
    },
    Config: {
      Image: 'cornelius/lapis:latest',
      Labels: {
        'com.docker.compose.project': 'covid',
        'com.docker.compose.service': 'lapisOpen',
        'com.docker.compose.container-number': '1',
        'com.docker.compose.project.working_dir': '/opt/srsilo/tools',
        'com.docker.compose.project.config_files': '/opt/srsilo/tools/docker-compose.yml',
        'com.docker.compose.depends_on': 'silo:service_healthy:false,redis:service_started:true',
      },
    },
    HostConfig: { RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 }, AutoRemove: false },
    ...over,
  } as EngineContainerInspect;
}

test('restart policy normalisation', () => {
  assert.deepEqual(toRestartPolicy({ Name: '' }), { name: 'no', maximumRetryCount: 0 });
  assert.deepEqual(toRestartPolicy(undefined), { name: 'no', maximumRetryCount: 0 });
  assert.deepEqual(toRestartPolicy({ Name: 'on-failure', MaximumRetryCount: 3 }), { name: 'on-failure', maximumRetryCount: 3 });
  assert.deepEqual(toRestartPolicy({ Name: 'always', MaximumRetryCount: 3 }), { name: 'always', maximumRetryCount: 0 });
});

test('compose labels and depends_on', () => {
  assert.deepEqual(parseDependsOnLabel('silo:service_healthy:false,redis:service_started:true'), ['silo', 'redis']);
  assert.deepEqual(parseDependsOnLabel(''), []);
  assert.equal(composeIdentity({}), null);
  const id = composeIdentity(inspect().Config.Labels!)!;
  assert.deepEqual(id, {
    project: 'covid',
    service: 'lapisOpen',
    containerNumber: 1,
    workingDir: '/opt/srsilo/tools',
    configFiles: ['/opt/srsilo/tools/docker-compose.yml'],
    dependsOn: ['silo', 'redis'],
    oneOff: false,
  });
});

test('inspect -> facts', () => {
  const f = toContainerFacts(inspect(), { manuallyStopped: true, startedBefore: true });
  assert.equal(f.name, 'covid-lapis');
  assert.equal(f.state, 'exited');
  assert.equal(f.exitCode, 137);
  assert.equal(f.finishedAt, null, 'the zero time is no time');
  assert.equal(f.manuallyStopped, true);
  assert.equal(f.compose?.service, 'lapisOpen');
  assert.equal(f.health, null);
  const running = toContainerFacts(
    inspect({ State: { ...inspect().State, Status: 'running', Running: true, Health: { Status: 'healthy', FailingStreak: 0 } } }),
    { manuallyStopped: null, startedBefore: null },
  );
  assert.equal(running.exitCode, null, 'a running container has no exit code yet');
  assert.deepEqual(running.health, { status: 'healthy', failingStreak: 0 });
});

test('config.v2.json flags', () => {
  assert.deepEqual(parseDaemonOnlyFlags('{"HasBeenManuallyStopped":true,"HasBeenStartedBefore":true,"State":{}}'), {
    manuallyStopped: true,
    startedBefore: true,
  });
  assert.deepEqual(parseDaemonOnlyFlags('{}'), { manuallyStopped: false, startedBefore: false });
  assert.throws(() => parseDaemonOnlyFlags('not json'));
});
