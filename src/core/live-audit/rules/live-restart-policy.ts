/** live-restart-policy: a running long-running container whose policy does not bring it back after a crash or reboot. */
import { formatRestartPolicy } from '../../container-facts.js';
import { isJobContainer } from '../../job.js';
import { k3dNodeOf } from '../../k3d/cluster.js';
import { willComeBack } from '../../restart-semantics.js';
import type { LiveRule } from '../live-finding.js';

export const liveRestartPolicy: LiveRule = {
  meta: {
    id: 'live-restart-policy',
    docs: { description: 'running containers whose restart policy does not survive a daemon crash or a reboot', url: 'docs/rules/live-restart-policy.md' },
    messages: { notBack: 'restart policy "{{policy}}": it does not come back after {{events}} ({{reason}}); fix: {{target}}' },
  },
  check(ctx) {
    for (const c of ctx.containers) {
      // A k3d node gets k3d-node-restart-policy's finding instead (the same fix, said of its cluster).
      if (c.state !== 'running' || isJobContainer(c) || k3dNodeOf(c.labels) !== null) continue;
      const reboot = willComeBack(c, ctx.daemon, 'reboot');
      const crash = willComeBack(c, ctx.daemon, 'daemon-crash');
      const bad = [reboot.outcome === 'not-back' ? 'a reboot' : null, crash.outcome === 'not-back' ? 'a daemon crash' : null].filter(Boolean);
      if (bad.length === 0) continue;
      const reason = (reboot.outcome === 'not-back' ? reboot : crash).reason;
      ctx.report({
        messageId: 'notBack',
        data: { policy: formatRestartPolicy(c.restartPolicy), events: bad.join(' or '), reason, target: formatRestartPolicy(ctx.targetPolicy) },
        severity: 'error',
        subject: c.name,
        applicable: true,
      });
    }
  },
};
