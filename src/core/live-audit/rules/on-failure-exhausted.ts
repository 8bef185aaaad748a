/** on-failure-exhausted: on-failure:N that has used its N retries stays down for good. */
import type { LiveRule } from '../live-finding.js';

export const onFailureExhausted: LiveRule = {
  meta: {
    id: 'on-failure-exhausted',
    docs: { description: 'on-failure:N containers that used up their retries', url: 'docs/rules/on-failure-exhausted.md' },
    messages: { exhausted: 'on-failure:{{max}} has used all its retries (RestartCount {{count}}): Docker will not restart it again until it is re-created' },
  },
  check(ctx) {
    for (const c of ctx.containers) {
      const max = c.restartPolicy.maximumRetryCount;
      if (c.restartPolicy.name !== 'on-failure' || max === 0 || c.restartCount < max) continue;
      ctx.report({
        messageId: 'exhausted',
        data: { max, count: c.restartCount },
        severity: c.state === 'running' ? 'warning' : 'error',
        subject: c.name,
        applicable: true,
      });
    }
  },
};
