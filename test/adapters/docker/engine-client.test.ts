/** The Engine API client against a real (private) dockerd, and its errors against real sockets. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EngineClient } from '../../../src/adapters/docker/engine-client.js';
import { readHostState } from '../../../src/adapters/docker/host-state.js';
import { parseDockerHost } from '../../../src/core/docker-host.js';
import type { EngineEvent } from '../../../src/core/engine-types.js';
import { DockerApiError, DockerUnavailableError } from '../../../src/core/errors.js';
import { PrivateEngine, sleep } from '../../engine/private-engine.js';

describe('EngineClient on a private engine', { timeout: 120_000 }, () => {
  let engine: PrivateEngine | null = null;
  let client: EngineClient;

  before(async (t) => {
    engine = await PrivateEngine.startOrSkip(t as never);
    if (engine) client = new EngineClient(parseDockerHost(engine.dockerHost));
  });
  after(async () => {
    await client?.close();
    await engine?.dispose();
  });

  test('negotiates the API version and reads version and info', async (t) => {
    if (!engine) return t.skip('no engine');
    const { apiVersion } = await client.ping();
    assert.match(apiVersion, /^1\.\d+$/);
    assert.equal(await client.apiVersion(), apiVersion, 'this engine is older than the client: its version is used');
    const info = await client.info();
    assert.equal(info.DockerRootDir, engine.dataRoot);
    assert.equal(info.LiveRestoreEnabled, false);
    assert.match((await client.version()).Version, /\d+\.\d+/);
  });

  test('start, stop, restart, update, create, remove with their status codes', async (t) => {
    if (!engine) return t.skip('no engine');
    const id = await engine.run('ec-web', { flags: ['--restart', 'no'] });
    assert.equal(await client.startContainer(id), 'already-running');
    assert.equal(await client.stopContainer(id, 1), 'stopped');
    assert.equal(await client.stopContainer(id, 1), 'already-stopped');
    assert.equal(await client.startContainer(id), 'started');
    await client.updateRestartPolicy(id, { name: 'on-failure', maximumRetryCount: 4 });
    const inspected = await client.inspectContainer(id);
    assert.deepEqual(inspected.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 4 });
    await client.restartContainer(id, 1);
    assert.equal((await client.inspectContainer(id)).State.Running, true);

    const created = await client.createContainer('ec-created', {
      Image: 'upkeep-test/busybox:latest',
      Cmd: ['sleep', '1000'],
      HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'always' } },
    });
    assert.equal(await client.startContainer(created.id), 'started');
    const listed = await client.listContainers({ all: true });
    assert.ok(listed.some((c) => c.Id === created.id && c.Names[0] === '/ec-created'));
    await client.removeContainer(created.id, { force: true });
    await assert.rejects(
      client.inspectContainer(created.id),
      (err: unknown) => err instanceof DockerApiError && err.status === 404 && /no such container/.test(err.message),
    );
    await assert.rejects(client.startContainer('does-not-exist'), (err: unknown) => err instanceof DockerApiError && err.status === 404);
  });

  test('host state reads the manually-stopped flag from config.v2.json', async (t) => {
    if (!engine) return t.skip('no engine');
    await engine.run('ec-flag', { flags: ['--restart', 'unless-stopped'] });
    let state = await readHostState(client);
    assert.equal(state.flagsUnreadable, null);
    assert.equal(state.containers.find((c) => c.name === 'ec-flag')!.manuallyStopped, false);
    await engine.docker('stop', 'ec-flag');
    state = await readHostState(client);
    const c = state.containers.find((x) => x.name === 'ec-flag')!;
    assert.equal(c.manuallyStopped, true);
    assert.equal(c.startedBefore, true);
    assert.equal(c.exitCode, 137);
  });

  test('the event stream delivers a die event and ends cleanly when the daemon goes away', async (t) => {
    if (!engine) return t.skip('no engine');
    const id = await engine.run('ec-events', { flags: ['--restart', 'no'] });
    const seen: EngineEvent[] = [];
    const done = (async () => {
      for await (const ev of client.events({ filters: { type: ['container'] } })) seen.push(ev);
      return 'ended';
    })();
    await sleep(300);
    await engine.docker('kill', id);
    const deadline = Date.now() + 10_000;
    while (!seen.some((e) => e.Action === 'die' && e.Actor.ID === id) && Date.now() < deadline) await sleep(50);
    assert.ok(
      seen.some((e) => e.Action === 'die' && e.Actor.ID === id && e.Actor.Attributes.name === 'ec-events'),
      'die event received',
    );
    await engine.crash();
    assert.equal(await Promise.race([done, sleep(10_000).then(() => 'still open')]), 'ended');
    await engine.start();
    await client.close();
    client = new EngineClient(parseDockerHost(engine.dockerHost));
    assert.ok((await client.ping()).apiVersion);
  });

  test('an aborted event stream ends without an error', async (t) => {
    if (!engine) return t.skip('no engine');
    const ac = new AbortController();
    const done = (async () => {
      for await (const _ of client.events({ signal: ac.signal })) void _;
      return 'ended';
    })();
    await sleep(200);
    ac.abort();
    assert.equal(await done, 'ended');
  });
});

describe('EngineClient errors say what to do', () => {
  test('no socket -> is docker running?', async () => {
    const c = new EngineClient(parseDockerHost('unix:///nonexistent/docker.sock'));
    await assert.rejects(
      c.ping(),
      (err: unknown) =>
        err instanceof DockerUnavailableError &&
        /no Docker socket at \/nonexistent\/docker.sock/.test(err.message) &&
        /systemctl status docker/.test(err.hint ?? ''),
    );
    await c.close();
  });

  test('a socket file with no daemon behind it -> connection refused message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'upk-sock-'));
    const sock = join(dir, 'docker.sock');
    // A bound but never listening socket: connect() gets ECONNREFUSED.
    execFileSync('python3', ['-c', `import socket; s=socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(sock)})`]);
    const c = new EngineClient(parseDockerHost(`unix://${sock}`));
    try {
      await assert.rejects(c.ping(), (err: unknown) => err instanceof DockerUnavailableError && /exists but no daemon answers/.test(err.message));
    } finally {
      await c.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('permission denied on the socket -> run as root or join the docker group', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to run a child as nobody');
    const dir = mkdtempSync(join(tmpdir(), 'upk-perm-'));
    const sock = join(dir, 'docker.sock');
    execFileSync('python3', [
      '-c',
      `import socket,os; s=socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(sock)}); s.listen(1); os.chmod(${JSON.stringify(sock)}, 0o600)`,
    ]);
    execFileSync('chmod', ['755', dir]);
    try {
      // The real entry, as an unprivileged user (nobody), against a root-only socket.
      const script = `import('${new URL('../../../src/adapters/docker/engine-client.ts', import.meta.url).pathname}').then(async (m) => { const c = new m.EngineClient({ kind: 'unix', socketPath: ${JSON.stringify(sock)}, display: 'x' }); try { await c.ping(); } catch (e) { console.log(e.message + ' | ' + e.hint); } await c.close(); })`;
      const out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', '-e', script], {
        encoding: 'utf8',
        cwd: process.cwd(),
      });
      assert.match(out, /permission denied on the Docker socket .* \| run as root \(sudo upkeep \.\.\.\) or add the user to the docker group/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
