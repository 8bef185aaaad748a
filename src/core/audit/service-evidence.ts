/**
 * Is a compose service a long-running service or a one-off job? Only evidence counts:
 * - a job: labelled `upkeep.role=job` (or `x-upkeep: {role: job}`), or its container exited 0 by itself
 *   (exited, exit code 0, not stopped by hand, and a policy that would not have restarted it);
 * - long-running: `upkeep.role=service`, a running container of it, published ports, or a healthcheck.
 * An explicit restart policy other than `no` is evidence too; the restart-policy rule adds that one.
 */
import type { ContainerFacts } from '../model.js';
import type { ComposeService } from './compose-document.js';

export type ServiceKind =
  | { kind: 'job'; because: string }
  | { kind: 'long-running'; because: string }
  | { kind: 'unknown' };

/** The live containers of a service (by compose service label), `docker compose run` ones left out. */
export function liveContainersOf(service: ComposeService, live: readonly ContainerFacts[] | null): ContainerFacts[] {
  if (live === null || service.nameIsJinja) return [];
  return live.filter((c) => c.compose !== null && !c.compose.oneOff && c.compose.service === service.name);
}

/** Classifies a service from its file entry and its live containers. */
export function classifyService(service: ComposeService, containers: readonly ContainerFacts[]): ServiceKind {
  const role = service.role?.value.toLowerCase();
  if (role === 'job') return { kind: 'job', because: `${service.role?.declaredBy} is job` };
  if (role === 'service' || role === 'long-running') {
    return { kind: 'long-running', because: `${service.role?.declaredBy} is ${role}` };
  }
  const running = containers.find((c) => c.state === 'running' || c.state === 'restarting');
  if (running !== undefined) return { kind: 'long-running', because: `its container ${running.name} is running` };
  const finished = containers.find(
    (c) =>
      c.state === 'exited' &&
      c.exitCode === 0 &&
      c.manuallyStopped === false &&
      (c.restartPolicy.name === 'no' || c.restartPolicy.name === 'on-failure'),
  );
  if (finished !== undefined) return { kind: 'job', because: `its container ${finished.name} exited 0 by itself` };
  if (service.publishedPorts > 0) return { kind: 'long-running', because: 'it publishes ports' };
  if (service.healthcheck !== null && !service.healthcheck.disabled) {
    return { kind: 'long-running', because: 'it has a healthcheck' };
  }
  return { kind: 'unknown' };
}
