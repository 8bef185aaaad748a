/** daemon-settings: engine-wide: whether docker.service starts at boot, and live-restore. */
import type { LiveRule } from '../live-finding.js';

export const daemonSettings: LiveRule = {
  meta: {
    id: 'daemon-settings',
    docs: { description: 'live-restore and docker.service at boot', url: 'docs/rules/daemon-settings.md' },
    messages: {
      notEnabledAtBoot: 'docker.service is not enabled at boot: after a reboot no container starts (systemctl enable docker)',
      bootUnknown: 'whether docker.service starts at boot is unknown (systemd could not be asked)',
      liveRestore:
        'live-restore is on: containers survive daemon restarts within a patch release, but not a major upgrade (containerd 1.7 -> 2.x) nor a reboot',
    },
  },
  check(ctx) {
    if (ctx.dockerEnabledAtBoot === false) ctx.report({ messageId: 'notEnabledAtBoot', severity: 'error', subject: 'daemon', applicable: false });
    else if (ctx.dockerEnabledAtBoot === null) ctx.report({ messageId: 'bootUnknown', severity: 'info', subject: 'daemon', applicable: false });
    if (ctx.daemon.liveRestore) ctx.report({ messageId: 'liveRestore', severity: 'info', subject: 'daemon', applicable: false });
  },
};
