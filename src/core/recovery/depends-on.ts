/**
 * Start-order dependencies between desired containers, read from labels.
 *
 * - Compose v2 writes `com.docker.compose.depends_on` as "redis:service_healthy:false,db:service_started:true"
 *   (service, condition, restart); older v2 releases wrote names only. Names are services of the
 *   same project.
 * - upkeep's own `upkeep.depends-on` label does the same for containers that compose does not
 *   manage: "covid-silo:service_healthy,other" (container names, condition optional).
 */

/** The conditions compose knows; upkeep waits for `service_healthy` and treats the others as "running". */
export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

/** One dependency: a compose service of the same project, or a container by name. */
export interface Dependency {
  on: 'service' | 'container';
  name: string;
  condition: DependencyCondition;
}

const CONDITIONS: readonly DependencyCondition[] = ['service_started', 'service_healthy', 'service_completed_successfully'];

/** Reads "name[:condition[:restart]]" lists; unknown or missing conditions mean service_started. */
function parseList(value: string | undefined, on: Dependency['on']): Dependency[] {
  if (value === undefined || value.trim() === '') return [];
  const seen = new Set<string>();
  const out: Dependency[] = [];
  for (const part of value.split(',')) {
    const [rawName, rawCondition] = part.split(':');
    const name = rawName?.trim() ?? '';
    if (name === '' || seen.has(name)) continue;
    seen.add(name);
    const c = rawCondition?.trim() ?? '';
    const condition = (CONDITIONS as readonly string[]).includes(c) ? (c as DependencyCondition) : 'service_started';
    out.push({ on, name, condition });
  }
  return out;
}

/** Parses compose v2's `com.docker.compose.depends_on` label (services of the same project). */
export function parseComposeDependsOn(value: string | undefined): Dependency[] {
  return parseList(value, 'service');
}

/** Parses upkeep's `upkeep.depends-on` label (container names). */
export function parseUpkeepDependsOn(value: string | undefined): Dependency[] {
  return parseList(value, 'container');
}
