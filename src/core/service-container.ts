/**
 * The container a configured service names (config `services[].name`): a container name as it is,
 * or a compose `project/service`, resolved to its running container (else any container of it; else
 * the name as given). The agent's health checks and `upkeep upgrade`'s verification both use it.
 */
import type { ContainerFacts } from './model.js';

export function containerForService(service: string, containers: readonly Pick<ContainerFacts, 'name' | 'compose' | 'state'>[]): string {
  const slash = service.indexOf('/');
  if (slash < 0) return service;
  const [project, svc] = [service.slice(0, slash), service.slice(slash + 1)];
  const hit =
    containers.find((c) => c.compose?.project === project && c.compose.service === svc && c.state === 'running') ??
    containers.find((c) => c.compose?.project === project && c.compose.service === svc);
  return hit?.name ?? service;
}
