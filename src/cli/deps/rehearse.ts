/**
 * The "rehearse an upgrade" use case on this machine (app/rehearse.ts): preflight's dependencies
 * (the engine from DOCKER_HOST, the store of the state directory), the sandbox of
 * adapters/rehearse. Shared by `upkeep rehearse` and `upkeep upgrade --rehearse`.
 */
import { homedir, hostname } from 'node:os';
import { rehearse, type Rehearsal, type RehearseRequest } from '../../app/rehearse.js';
import { rehearsalSandbox } from '../../adapters/rehearse/sandbox.js';
import type { Io } from '../io.js';
import { engineHostReader, localAssessDeps } from './upgrade.js';

export async function rehearseHere(
  io: Io,
  opts: { stateDir?: string; cacheDir?: string; onProgress?: (line: string) => void },
  request: Omit<RehearseRequest, 'hostName'>,
): Promise<Rehearsal> {
  const deps = await localAssessDeps({
    env: io.env,
    isRoot: true,
    home: homedir(),
    ...(opts.stateDir === undefined ? {} : { stateDir: opts.stateDir }),
    ...(opts.cacheDir === undefined ? {} : { cacheDir: opts.cacheDir }),
    readHost: engineHostReader(io),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  return rehearse({ ...deps, sandbox: rehearsalSandbox({ env: io.env }) }, { ...request, hostName: hostname() });
}
