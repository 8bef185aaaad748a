/** Builds the Docker engine client the commands use, from DOCKER_HOST or the default socket. */
import { EngineClient, type DockerEngine } from '../adapters/docker/engine-client.js';
import { parseDockerHost } from '../core/docker-host.js';
import type { Io } from './io.js';

export function engineFromEnv(io: Io): DockerEngine {
  return new EngineClient(parseDockerHost(io.env.DOCKER_HOST));
}

/** Runs `fn` with a client and always closes it, so the process can exit. */
export async function withEngine<T>(io: Io, fn: (engine: DockerEngine) => Promise<T>): Promise<T> {
  const engine = engineFromEnv(io);
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}
