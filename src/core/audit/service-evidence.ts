/**
 * Is a compose service a long-running service or a one-off job? Only evidence counts (the job
 * evidence itself is in core/job.ts, shared with the live rules), in this order:
 * 1. declared: `upkeep.role=job|service` (label, or `x-upkeep: {role: ...}`);
 * 2. another service of the file depends on it with `condition: service_completed_successfully`: a job;
 * 3. live: a running (or restarting) container of it: long-running; one that exited 0 by itself: a job;
 * 4. published ports or a healthcheck: long-running;
 * 5. a script of the scanned repository runs it to completion (`docker compose run SERVICE`,
 *    `up --abort-on-container-exit` / `--exit-code-from SERVICE`; core/audit/compose-invocations.ts): a job;
 *    only here, after the long-running evidence, since `docker compose run --rm web manage.py migrate`
 *    runs a one-off command in a service that is long-running otherwise;
 * 6. a job-like name or command (`migrate`, `init`, `backup`, ...): a job.
 * An explicit restart policy other than `no` is evidence too; the restart-policy rule adds that one.
 * Without any of these the answer is `unknown`, never a guess.
 */
import { declaredRole, exitedZeroByItself, jobLikeCommand, jobLikeName } from '../job.js';
import type { ContainerFacts } from '../model.js';
import type { ComposeService } from './compose-document.js';

export type ServiceKind = { kind: 'job'; because: string } | { kind: 'long-running'; because: string } | { kind: 'unknown' };

/** The live containers of a service (by compose service label), `docker compose run` ones left out. */
export function liveContainersOf(service: ComposeService, live: readonly ContainerFacts[] | null): ContainerFacts[] {
  if (live === null || service.nameIsJinja) return [];
  return live.filter((c) => c.compose !== null && !c.compose.oneOff && c.compose.service === service.name);
}

/**
 * Classifies a service from its file entry, the other services of its document (`siblings`, for
 * depends_on conditions), its live containers and `runBy`: how a script runs it to completion, when one does.
 */
export function classifyService(
  service: ComposeService,
  containers: readonly ContainerFacts[],
  siblings: readonly ComposeService[] = [],
  runBy: string | null = null,
): ServiceKind {
  const role = declaredRole(service.role?.value);
  if (role === 'job') return { kind: 'job', because: `${service.role?.declaredBy} is job` };
  if (role === 'service') return { kind: 'long-running', because: `${service.role?.declaredBy} is ${service.role?.value.trim().toLowerCase()}` };
  const waiter = siblings.find((s) => s !== service && s.dependsOn.some((d) => d.service === service.name && d.condition === 'service_completed_successfully'));
  if (waiter !== undefined)
    return { kind: 'job', because: `service "${waiter.name}" waits for it to complete (depends_on condition: service_completed_successfully)` };
  const running = containers.find((c) => c.state === 'running' || c.state === 'restarting');
  if (running !== undefined) return { kind: 'long-running', because: `its container ${running.name} is running` };
  for (const c of containers) {
    const finished = exitedZeroByItself(c);
    if (finished !== null) return { kind: 'job', because: finished };
  }
  if (service.publishedPorts > 0) return { kind: 'long-running', because: 'it publishes ports' };
  if (service.healthcheck !== null && !service.healthcheck.disabled) return { kind: 'long-running', because: 'it has a healthcheck' };
  if (runBy !== null && !service.nameIsJinja) return { kind: 'job', because: runBy };
  const looks = (service.nameIsJinja ? null : jobLikeName(service.name)) ?? jobLikeCommand(service.command);
  if (looks !== null) return { kind: 'job', because: looks };
  return { kind: 'unknown' };
}
