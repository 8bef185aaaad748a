/**
 * Where the Docker engine is: DOCKER_HOST (unix:// or tcp://) or the default unix socket.
 */
import { UsageError } from './errors.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

export type DockerEndpoint = { kind: 'unix'; socketPath: string; display: string } | { kind: 'tcp'; baseUrl: string; display: string };

/** Parses a DOCKER_HOST value; undefined or empty means the default socket. */
export function parseDockerHost(value: string | undefined): DockerEndpoint {
  if (value === undefined || value.trim() === '') {
    return { kind: 'unix', socketPath: DEFAULT_DOCKER_SOCKET, display: `unix://${DEFAULT_DOCKER_SOCKET}` };
  }
  const v = value.trim();
  if (v.startsWith('unix://')) {
    const path = v.slice('unix://'.length);
    if (!path.startsWith('/')) {
      throw new UsageError(`DOCKER_HOST "${value}" is malformed: a unix socket needs an absolute path`, {
        hint: 'write it as unix:///var/run/docker.sock (three slashes)',
      });
    }
    return { kind: 'unix', socketPath: path, display: v };
  }
  if (v.startsWith('tcp://')) {
    let url: URL;
    try {
      url = new URL(`http://${v.slice('tcp://'.length)}`);
    } catch {
      throw new UsageError(`DOCKER_HOST "${value}" is malformed: expected tcp://HOST:PORT`, {
        hint: 'for example tcp://127.0.0.1:2375',
      });
    }
    if (url.hostname === '' || (url.pathname !== '/' && url.pathname !== '')) {
      throw new UsageError(`DOCKER_HOST "${value}" is malformed: expected tcp://HOST:PORT`, { hint: 'for example tcp://127.0.0.1:2375' });
    }
    const port = url.port === '' ? '2375' : url.port;
    return { kind: 'tcp', baseUrl: `http://${url.hostname}:${port}`, display: v };
  }
  const scheme = /^([a-z0-9+.-]+):\/\//i.exec(v)?.[1];
  throw new UsageError(
    scheme === undefined
      ? `DOCKER_HOST "${value}" is malformed: it needs a scheme, unix:// or tcp://`
      : `DOCKER_HOST scheme "${scheme}://" is not supported: upkeep speaks unix:// and tcp://`,
    { hint: 'unset DOCKER_HOST to use /var/run/docker.sock, or set it to unix:///path/to/docker.sock' },
  );
}
