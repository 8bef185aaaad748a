/**
 * depends_on read from a compose file, for projects whose containers carry no depends_on label
 * (compose v1 never writes one). Short form `depends_on: [silo]` means service_started; long form
 * `depends_on: {silo: {condition: service_healthy}}` keeps the condition.
 */
import { parseDocument } from 'yaml';
import type { Dependency, DependencyCondition } from './depends-on.js';

const CONDITIONS = new Set<DependencyCondition>(['service_started', 'service_healthy', 'service_completed_successfully']);

/** The dependencies of `service` in the compose file `text`; null when the file or service cannot be read. */
export function dependsOnFromComposeFile(text: string, service: string): Dependency[] | null {
  let services: unknown;
  try {
    const doc = parseDocument(text, { uniqueKeys: false });
    if (doc.errors.length > 0) return null;
    services = (doc.toJS({ maxAliasCount: 1000 }) as { services?: unknown } | null)?.services;
  } catch {
    return null;
  }
  if (services === null || typeof services !== 'object') return null;
  const svc = (services as Record<string, unknown>)[service];
  if (svc === null || typeof svc !== 'object') return null;
  const raw = (svc as { depends_on?: unknown }).depends_on;
  if (raw === undefined || raw === null) return [];
  if (Array.isArray(raw)) {
    return raw.filter((n): n is string => typeof n === 'string').map((name) => ({ on: 'service', name, condition: 'service_started' }));
  }
  if (typeof raw === 'object') {
    return Object.entries(raw as Record<string, unknown>).map(([name, v]) => {
      const c = (v as { condition?: unknown } | null)?.condition;
      const condition = typeof c === 'string' && CONDITIONS.has(c as DependencyCondition) ? (c as DependencyCondition) : 'service_started';
      return { on: 'service' as const, name, condition };
    });
  }
  return [];
}
