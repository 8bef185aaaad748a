/** live-dependency-healthcheck: a service others depend on (compose depends_on label) without a healthcheck. */
import type { LiveRule } from '../live-finding.js';

export const dependencyWithoutHealthcheck: LiveRule = {
  meta: {
    id: 'live-dependency-healthcheck',
    docs: { description: 'containers other services depend on, without a healthcheck', url: 'docs/rules/live-dependency-healthcheck.md' },
    messages: { noHealthcheck: '{{dependant}} depends on {{dependency}}, which has no healthcheck: dependants can only wait for it to be running, not ready' },
  },
  check(ctx) {
    const byService = new Map(ctx.containers.filter((c) => c.compose).map((c) => [`${c.compose!.project}/${c.compose!.service}`, c]));
    const reported = new Set<string>();
    for (const c of ctx.containers) {
      for (const dep of c.compose?.dependsOn ?? []) {
        const key = `${c.compose!.project}/${dep}`;
        const target = byService.get(key);
        if (!target || target.health !== null || reported.has(key)) continue;
        reported.add(key);
        ctx.report({
          messageId: 'noHealthcheck',
          data: { dependant: c.compose!.service, dependency: dep },
          severity: 'warning',
          subject: target.name,
          applicable: false,
        });
      }
    }
  },
};
