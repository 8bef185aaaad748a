/** desired-manually-stopped: a desired container that Docker has flagged as manually stopped: a restart policy will not help. */
import type { LiveRule } from '../live-finding.js';

export const desiredButManuallyStopped: LiveRule = {
  meta: {
    id: 'desired-manually-stopped',
    docs: { description: 'containers in the desired state that are stopped and flagged manually stopped', url: 'docs/rules/desired-manually-stopped.md' },
    messages: {
      manuallyStopped:
        'desired (in the snapshot) but stopped and flagged manually stopped: unless-stopped will never start it; run `upkeep recover`, or `upkeep forget` it if it was stopped on purpose',
    },
  },
  check(ctx) {
    if (ctx.desired === null) return;
    for (const c of ctx.containers) {
      if (c.state === 'running' || !ctx.desired.has(c.name) || c.manuallyStopped !== true) continue;
      ctx.report({ messageId: 'manuallyStopped', severity: 'warning', subject: c.name, applicable: false });
    }
  },
};
