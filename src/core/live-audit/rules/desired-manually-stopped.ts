/** desired-manually-stopped: a desired container that Docker has flagged as manually stopped: a restart policy will not help. */
import type { LiveRule } from '../live-finding.js';

export const desiredButManuallyStopped: LiveRule = {
  meta: {
    id: 'desired-manually-stopped',
    docs: { description: 'containers in the desired state that are stopped and flagged manually stopped', url: 'docs/rules/desired-manually-stopped.md' },
    messages: {
      manuallyStopped:
        'desired (in the snapshot) but stopped and flagged manually stopped: {{why}}; run `upkeep recover`, or `upkeep forget` it if it was stopped on purpose',
    },
  },
  check(ctx) {
    if (ctx.desired === null) return;
    for (const c of ctx.containers) {
      if (c.state === 'running' || !ctx.desired.has(c.name) || c.manuallyStopped !== true) continue;
      ctx.report({
        messageId: 'manuallyStopped',
        severity: 'warning',
        subject: c.name,
        applicable: false,
        data: { policy: c.restartPolicy.name, why: whyNotStarted(c.restartPolicy.name) },
      });
    }
  },
};

/** What Docker does with a manually stopped container at its next start, by policy (docs/restart-semantics.md). */
function whyNotStarted(policy: string): string {
  switch (policy) {
    case 'unless-stopped':
      return 'unless-stopped will never start it again';
    case 'always':
      return 'Docker starts it again only at its next daemon start (restart policy "always")';
    case 'on-failure':
      return 'on-failure starts it again only at a daemon start, and only after a non-zero exit';
    default:
      return 'restart policy "no": Docker never starts it';
  }
}
