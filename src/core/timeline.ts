/**
 * The timeline's kinds: an open set (later work adds its own), named here so that writers and
 * readers (the maintenance report, the status page) agree. Each entry is `{at, kind, subject,
 * detail}`; `detail.message` is one sentence for people, the other detail fields are listed per kind.
 */
export const TIMELINE_KINDS = {
  // The engine and the host
  engineUp: 'engine-up', // subject host; detail { version, apiVersion }
  engineDown: 'engine-down', // subject host; detail { error }
  engineVersionChanged: 'engine-version-changed', // detail { from, to }
  boot: 'boot', // subject host; detail { bootId, previousBootId, bootTime }
  reboot: 'reboot', // `upkeep upgrade --reboot` asked for it; subject host; detail { run, window, bootId, why, command }
  // Containers (subject: container name)
  containerDied: 'container-died', // detail { exitCode, oomKilled, finishedAt }
  containerStarted: 'container-started', // detail { startedAt, by: 'docker' | 'upkeep' | 'operator' | 'unknown' }
  operatorStop: 'operator-stop', // detail { finishedAt }
  operatorStart: 'operator-start',
  want: 'want', // `upkeep want`: desired again
  forget: 'forget',
  healed: 'healed', // detail { attempts, seconds }
  healFailed: 'heal-failed', // detail { error }
  gaveUp: 'gave-up', // detail { deaths, windowSeconds }
  healingResumed: 'healing-resumed',
  restartedUnhealthy: 'restarted-unhealthy',
  unhealthy: 'unhealthy', // detail { check, detail } (`upkeep upgrade`'s verification adds source 'upgrade-verification', service, run)
  healthy: 'healthy',
  // What upkeep did
  recoveryStarted: 'recovery-started', // subject host; detail { trigger }
  recovery: 'recovery', // recovery pass done; detail { trigger, down, remaining, seconds, outcomes }
  recover: 'recover', // `upkeep recover` done; detail { outcomes }
  clusterVerified: 'cluster-verified', // subject the k3d cluster; detail { state, summary, nodesNotReady, podsNotReady, seconds }
  snapshot: 'snapshot', // detail { id, desired, note }
  fixApplied: 'fix-applied', // subject file; detail { rule, line }
  livePolicyChanged: 'live-policy-changed', // subject container; detail { from, to }
  preflight: 'preflight', // detail { verdict, packages, notBack, dockerRestarts, reboot }
  pageAction: 'page-action', // an action taken on the status page; subject the action (recover, maintenance-open, maintenance-close, alert-acknowledge); detail { action, peer, alert? }
  rehearsal: 'rehearsal', // `upkeep rehearse`; subject host; detail { aptExit, upgradeFailed, services, failures, conffiles, reboot, missed, wrong, upperBytes, seconds, exitCode }
  // Maintenance and apt
  maintenanceScheduled: 'maintenance-scheduled', // subject 'schedule'; detail the scheduled maintenance
  maintenanceCancelled: 'maintenance-cancelled', // detail the scheduled maintenance
  maintenanceStart: 'maintenance-start', // subject source; detail { id, endsAt, reason }
  maintenanceStop: 'maintenance-stop',
  aptStarted: 'apt-started', // detail { packages: [{ name, from, to }] }
  aptEnded: 'apt-ended', // detail { exitCode }
  upgradeStep: 'upgrade-step', // `upkeep upgrade`: subject the step; detail { run, step, status }
  // Alerts (subject: the alert key)
  alertFiring: 'alert-firing',
  alertResolved: 'alert-resolved',
  alertHeld: 'alert-held',
  alertDelivered: 'alert-delivered', // detail { channel, messageId }
  alertFailed: 'alert-failed', // detail { channel, messageId, error }
} as const;

export type TimelineKind = (typeof TIMELINE_KINDS)[keyof typeof TIMELINE_KINDS];
