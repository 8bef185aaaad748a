/** The live rules (one per file in rules/), and auditLive, which runs them. */
import { formatLiveMessage, type LiveContext, type LiveFinding, type LiveRule } from './live-finding.js';
import { daemonSettings } from './rules/daemon-settings.js';
import { desiredButManuallyStopped } from './rules/desired-manually-stopped.js';
import { k3dNodeRestartPolicy } from './rules/k3d-node-restart-policy.js';
import { dependencyWithoutHealthcheck } from './rules/live-dependency-healthcheck.js';
import { liveRestartPolicy } from './rules/live-restart-policy.js';
import { onFailureExhausted } from './rules/on-failure-exhausted.js';
import { unmanagedProject } from './rules/unmanaged-project.js';
import { compareText } from '../text-order.js';

export {
  daemonSettings,
  dependencyWithoutHealthcheck,
  desiredButManuallyStopped,
  k3dNodeRestartPolicy,
  liveRestartPolicy,
  onFailureExhausted,
  unmanagedProject,
};

export const LIVE_RULES: readonly LiveRule[] = [
  liveRestartPolicy,
  k3dNodeRestartPolicy,
  desiredButManuallyStopped,
  onFailureExhausted,
  dependencyWithoutHealthcheck,
  daemonSettings,
  unmanagedProject,
];

/** Runs every live rule; findings ordered by severity, then subject. A message id the rule does not declare is a bug: it throws. */
export function auditLive(ctx: LiveContext, rules: readonly LiveRule[] = LIVE_RULES): LiveFinding[] {
  const out: LiveFinding[] = [];
  for (const rule of rules) {
    rule.check({
      ...ctx,
      report(d) {
        const template = rule.meta.messages[d.messageId];
        if (template === undefined) throw new Error(`live rule ${rule.meta.id} reported an undeclared message id "${d.messageId}"`);
        const data = d.data ?? {};
        out.push({
          ruleId: rule.meta.id,
          messageId: d.messageId,
          data,
          severity: d.severity,
          subject: d.subject,
          message: formatLiveMessage(template, data),
          applicable: d.applicable,
          docsUrl: rule.meta.docs.url,
        });
      },
    });
  }
  const rank = { error: 0, warning: 1, info: 2 } as const;
  return out.sort((a, b) => rank[a.severity] - rank[b.severity] || compareText(a.subject, b.subject));
}
