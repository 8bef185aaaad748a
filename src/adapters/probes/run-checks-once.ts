/**
 * The configured health checks run once each, with their own timeouts (ports/health-checks.ts):
 * `upkeep upgrade`'s verification. The same probes as the agent's (probes.ts); a compose
 * `project/service` resolves to its container in the state just read.
 */
import { checkIdOf } from '../../core/config/check-id.js';
import type { ServiceConfig } from '../../core/config/types.js';
import { containerForService } from '../../core/service-container.js';
import type { HealthCheckResult } from '../../core/upgrade/routine.js';
import type { RunHealthChecks } from '../../ports/health-checks.js';
import type { DockerEngine } from '../docker/engine-client.js';
import { dockerHealthProbe, httpProbe, tcpProbe } from './probes.js';

export function checksRunner(services: readonly ServiceConfig[], engine: DockerEngine): RunHealthChecks {
  return async (state) => {
    const runs = services.flatMap((svc) =>
      svc.checks.map(async (spec, i): Promise<HealthCheckResult> => {
        const container = containerForService(svc.name, state.containers);
        const r =
          spec.type === 'http'
            ? await httpProbe(spec.url, { status: spec.status, bodyContains: spec.bodyContains }, spec.timeoutMs)
            : spec.type === 'tcp'
              ? await tcpProbe(spec.host, spec.port, spec.timeoutMs)
              : await withTimeout(dockerHealthProbe(engine, container), spec.timeoutMs);
        return { service: svc.name, container, check: checkIdOf(spec, i, svc.checks), ok: r.ok, detail: r.detail };
      }),
    );
    return Promise.all(runs);
  };
}

/** The Docker HEALTHCHECK probe has no timeout of its own: the check's timeout bounds it. */
async function withTimeout(p: Promise<{ ok: boolean; detail: string }>, ms: number): Promise<{ ok: boolean; detail: string }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ ok: boolean; detail: string }>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: 'timed out' }), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
