/**
 * healthcheck-for-dependency: a service that others depend on should have a healthcheck, and must have
 * one when they wait for it with `condition: service_healthy`. See docs/rules/healthcheck-for-dependency.md.
 */
import type { ComposeService } from '../compose-document.js';
import { ruleDocsUrl, type AuditRule } from '../rule.js';
import { liveContainersOf } from '../service-evidence.js';

const ID = 'healthcheck-for-dependency';

export const healthcheckForDependencyRule: AuditRule = {
  meta: {
    id: ID,
    docs: {
      description: 'Services that others depend on must have a healthcheck',
      url: ruleDocsUrl(ID),
    },
    defaultSeverity: 'warning',
    fixable: false,
  },
  check(ctx) {
    for (const doc of ctx.file.documents) {
      const byName = new Map<string, ComposeService>(doc.services.filter((s) => !s.nameIsJinja).map((s) => [s.name, s]));
      const waiters = new Map<string, { healthy: string[]; other: string[] }>();
      for (const s of doc.services) {
        for (const dep of s.dependsOn) {
          const entry = waiters.get(dep.service) ?? { healthy: [], other: [] };
          (dep.condition === 'service_healthy' ? entry.healthy : entry.other).push(s.name);
          waiters.set(dep.service, entry);
        }
      }
      for (const [name, { healthy, other }] of waiters) {
        const service = byName.get(name);
        if (service === undefined || (service.healthcheck !== null && !service.healthcheck.disabled)) continue;
        if (liveContainersOf(service, ctx.live).some((c) => c.health !== null)) continue;
        const lacks = service.healthcheck === null ? 'has no healthcheck' : 'has its healthcheck disabled';
        if (healthy.length > 0) {
          ctx.report({
            severity: 'error',
            message: `service "${name}" ${lacks}, but ${quoteList(healthy)} ${healthy.length === 1 ? 'waits' : 'wait'} for it with condition: service_healthy: docker compose cannot start ${healthy.length === 1 ? 'it' : 'them'} unless the image defines a HEALTHCHECK; add a healthcheck`,
            range: service.keyRange,
          });
        } else {
          ctx.report({
            severity: 'warning',
            message: `service "${name}" ${lacks}, but ${quoteList(other)} ${other.length === 1 ? 'depends' : 'depend'} on it: without one they cannot wait until it is ready (condition: service_healthy), and at boot Docker starts containers in no particular order`,
            range: service.keyRange,
          });
        }
      }
    }
  },
};

function quoteList(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}
