/**
 * k3d-node-restart-policy: a running k3d node container (labels k3d.cluster and k3d.role) whose
 * restart policy does not bring it back after a daemon crash or a reboot. k3d creates its nodes
 * with `unless-stopped` and has no option for another policy (docs/audit.md), so after a daemon
 * crash the whole cluster stays down. The fix is the live one (`--apply-live`); the finding says
 * that nodes k3d creates later get k3d's default again.
 */
import { formatRestartPolicy } from '../../container-facts.js';
import { k3dNodeOf } from '../../k3d/cluster.js';
import { willComeBack } from '../../restart-semantics.js';
import type { LiveRule } from '../live-finding.js';

export const k3dNodeRestartPolicy: LiveRule = {
  meta: {
    id: 'k3d-node-restart-policy',
    docs: {
      description: 'k3d node containers whose restart policy leaves the cluster down after a daemon crash or a reboot',
      url: 'docs/rules/k3d-node-restart-policy.md',
    },
    messages: {
      notBack:
        'k3d cluster {{cluster}}: its {{role}} node has restart policy "{{policy}}", so the cluster does not come back after {{events}} ({{reason}}); fix: `upkeep audit --apply-live` sets {{target}} on its node containers (nodes k3d creates later start with k3d\'s unless-stopped again: run it after `k3d node create` or a re-created cluster)',
    },
  },
  check(ctx) {
    for (const c of ctx.containers) {
      const k = k3dNodeOf(c.labels);
      if (k === null || c.state !== 'running') continue;
      const reboot = willComeBack(c, ctx.daemon, 'reboot');
      const crash = willComeBack(c, ctx.daemon, 'daemon-crash');
      const bad = [reboot.outcome === 'not-back' ? 'a reboot' : null, crash.outcome === 'not-back' ? 'a daemon crash' : null].filter(Boolean);
      if (bad.length === 0) continue;
      ctx.report({
        messageId: 'notBack',
        data: {
          cluster: k.cluster,
          role: k.role,
          policy: formatRestartPolicy(c.restartPolicy),
          events: bad.join(' or '),
          reason: (reboot.outcome === 'not-back' ? reboot : crash).reason,
          target: formatRestartPolicy(ctx.targetPolicy),
        },
        severity: 'error',
        subject: c.name,
        applicable: true,
      });
    }
  },
};
