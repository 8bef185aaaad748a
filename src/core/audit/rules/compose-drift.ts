/**
 * compose-drift: the file says one restart policy, the live container of that service has another.
 * The file was edited (perhaps by `upkeep audit --fix`) but the container was never recreated, so the
 * edit protects nothing yet. See docs/rules/compose-drift.md.
 */
import { formatRestartPolicy } from '../../container-facts.js';
import type { RestartPolicy } from '../../model.js';
import type { ComposeService } from '../compose-document.js';
import { parseComposeRestart, parseDeployCondition, samePolicy } from '../restart-value.js';
import { ruleDocsUrl, type AuditRule } from '../rule.js';
import { liveContainersOf } from '../service-evidence.js';

const ID = 'compose-drift';

export const composeDriftRule: AuditRule = {
  meta: {
    id: ID,
    docs: {
      description: 'The restart policy of a running container must be the one its compose file says',
      url: ruleDocsUrl(ID),
    },
    defaultSeverity: 'error',
    fixable: false,
  },
  check(ctx) {
    if (ctx.live === null) return;
    for (const doc of ctx.file.documents) {
      for (const service of doc.services) {
        const containers = liveContainersOf(service, ctx.live);
        const expected = containers.length === 0 ? null : policiesInFile(service);
        if (expected === null) continue;
        const range = service.restart[0]?.valueRange ?? service.keyRange;
        const says = expected.map(formatRestartPolicy).join(' (or, under docker compose v2, ') + (expected.length > 1 ? ')' : '');
        for (const c of containers) {
          if (expected.some((p) => samePolicy(p, c.restartPolicy))) continue;
          ctx.report({
            severity: 'error',
            message: `file says ${says}, container "${c.name}" has "${formatRestartPolicy(c.restartPolicy)}": recreate it (docker compose up -d ${service.name}) or run upkeep audit --fix --apply-live`,
            range,
          });
        }
      }
    }
  },
};

/**
 * The policies a container made from this file may have: from `restart` (no key means "no"), and from
 * `deploy.restart_policy`, which docker compose v2 applies instead. Null when the file does not say
 * (Jinja, template branches, an unknown value).
 */
function policiesInFile(service: ComposeService): RestartPolicy[] | null {
  const settings = service.restart;
  if (settings.length > 1 || settings.some((s) => s.jinja || s.conditional !== null)) return null;
  const written = settings[0];
  const fromRestart =
    written === undefined ? { name: 'no' as const, maximumRetryCount: 0 } : written.value === null ? null : parseComposeRestart(written.value);
  if (fromRestart === null) return null;
  const deploy = service.deployRestartPolicy;
  const fromDeploy = deploy?.condition == null ? null : parseDeployCondition(deploy.condition, deploy.maxAttempts);
  return fromDeploy === null || samePolicy(fromDeploy, fromRestart) ? [fromRestart] : [fromRestart, fromDeploy];
}
