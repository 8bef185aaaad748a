/** A health check's short id: its type ("http", "tcp", "docker"), numbered by position when a service has several of one type. */
import type { HealthCheckSpec } from './types.js';

export function checkIdOf(spec: Pick<HealthCheckSpec, 'type'>, index: number, all: readonly Pick<HealthCheckSpec, 'type'>[]): string {
  const same = all.filter((s) => s.type === spec.type).length;
  return same > 1 ? `${spec.type}${index + 1}` : spec.type;
}
