import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDockerHost } from '../../src/core/docker-host.js';
import { UsageError } from '../../src/core/errors.js';

test('default and unix sockets', () => {
  assert.deepEqual(parseDockerHost(undefined), { kind: 'unix', socketPath: '/var/run/docker.sock', display: 'unix:///var/run/docker.sock' });
  assert.deepEqual(parseDockerHost(''), parseDockerHost(undefined));
  assert.equal((parseDockerHost('unix:///tmp/x/docker.sock') as { socketPath: string }).socketPath, '/tmp/x/docker.sock');
});

test('tcp with and without a port', () => {
  assert.deepEqual(parseDockerHost('tcp://127.0.0.1:2376'), { kind: 'tcp', baseUrl: 'http://127.0.0.1:2376', display: 'tcp://127.0.0.1:2376' });
  assert.equal((parseDockerHost('tcp://localhost') as { baseUrl: string }).baseUrl, 'http://localhost:2375');
});

test('malformed values are usage errors that say what to write', () => {
  const bad: Array<[string, RegExp]> = [
    ['foo', /needs a scheme/],
    ['unix://relative.sock', /absolute path/],
    ['ssh://me@host', /"ssh:\/\/" is not supported/],
    ['tcp://', /expected tcp:\/\/HOST:PORT/],
    ['tcp://host:2375/path', /expected tcp:\/\/HOST:PORT/],
  ];
  for (const [value, message] of bad) {
    assert.throws(
      () => parseDockerHost(value),
      (err: unknown) => err instanceof UsageError && message.test(err.message) && err.hint !== undefined,
      value,
    );
  }
});
