/**
 * The live rules. Each is small; they share this file because each is a few lines over the same
 * context (the file rules in src/core/audit/rules/ are one per file because they carry fixes).
 */
import { formatRestartPolicy } from '../container-facts.js';
import { willComeBack } from '../restart-semantics.js';
import { isJobContainer, type LiveContext, type LiveFinding, type LiveRule } from './live-finding.js';

/** A running long-running container whose policy does not bring it back after a crash or reboot. */
export const liveRestartPolicy: LiveRule = {
  id: 'live-restart-policy',
  description: 'running containers whose restart policy does not survive a daemon crash or a reboot',
  check(ctx, report) {
    for (const c of ctx.containers) {
      if (c.state !== 'running' || isJobContainer(c)) continue;
      const reboot = willComeBack(c, ctx.daemon, 'reboot');
      const crash = willComeBack(c, ctx.daemon, 'daemon-crash');
      const bad = [reboot.outcome === 'not-back' ? 'a reboot' : null, crash.outcome === 'not-back' ? 'a daemon crash' : null].filter(Boolean);
      if (bad.length === 0) continue;
      const reason = (reboot.outcome === 'not-back' ? reboot : crash).reason;
      report({
        severity: 'error',
        subject: c.name,
        message: `restart policy "${formatRestartPolicy(c.restartPolicy)}": it does not come back after ${bad.join(' or ')} (${reason}); fix: ${formatRestartPolicy(ctx.targetPolicy)}`,
        applicable: true,
      });
    }
  },
};

/** A desired container that Docker has flagged as manually stopped: a restart policy will not help. */
export const desiredButManuallyStopped: LiveRule = {
  id: 'desired-manually-stopped',
  description: 'containers in the desired state that are stopped and flagged manually stopped',
  check(ctx, report) {
    if (ctx.desired === null) return;
    for (const c of ctx.containers) {
      if (c.state === 'running' || !ctx.desired.has(c.name) || c.manuallyStopped !== true) continue;
      report({
        severity: 'warning',
        subject: c.name,
        message: 'desired (in the snapshot) but stopped and flagged manually stopped: unless-stopped will never start it; run `upkeep recover`, or `upkeep forget` it if it was stopped on purpose',
        applicable: false,
      });
    }
  },
};

/** on-failure:N that has used its N retries stays down for good. */
export const onFailureExhausted: LiveRule = {
  id: 'on-failure-exhausted',
  description: 'on-failure:N containers that used up their retries',
  check(ctx, report) {
    for (const c of ctx.containers) {
      const max = c.restartPolicy.maximumRetryCount;
      if (c.restartPolicy.name !== 'on-failure' || max === 0 || c.restartCount < max) continue;
      report({
        severity: c.state === 'running' ? 'warning' : 'error',
        subject: c.name,
        message: `on-failure:${max} has used all its retries (RestartCount ${c.restartCount}): Docker will not restart it again until it is re-created`,
        applicable: true,
      });
    }
  },
};

/** A service others depend on (compose depends_on label) without a healthcheck. */
export const dependencyWithoutHealthcheck: LiveRule = {
  id: 'live-dependency-healthcheck',
  description: 'containers other services depend on, without a healthcheck',
  check(ctx, report) {
    const byService = new Map(ctx.containers.filter((c) => c.compose).map((c) => [`${c.compose!.project}/${c.compose!.service}`, c]));
    const reported = new Set<string>();
    for (const c of ctx.containers) {
      for (const dep of c.compose?.dependsOn ?? []) {
        const key = `${c.compose!.project}/${dep}`;
        const target = byService.get(key);
        if (!target || target.health !== null || reported.has(key)) continue;
        reported.add(key);
        report({
          severity: 'warning',
          subject: target.name,
          message: `${c.compose!.service} depends on ${dep}, which has no healthcheck: dependants can only wait for it to be running, not ready`,
          applicable: false,
        });
      }
    }
  },
};

/** Engine-wide: live-restore, and whether docker.service starts at boot. */
export const daemonSettings: LiveRule = {
  id: 'daemon-settings',
  description: 'live-restore and docker.service at boot',
  check(ctx, report) {
    if (ctx.dockerEnabledAtBoot === false) {
      report({ severity: 'error', subject: 'daemon', message: 'docker.service is not enabled at boot: after a reboot no container starts (systemctl enable docker)', applicable: false });
    } else if (ctx.dockerEnabledAtBoot === null) {
      report({ severity: 'info', subject: 'daemon', message: 'whether docker.service starts at boot is unknown (systemd could not be asked)', applicable: false });
    }
    if (ctx.daemon.liveRestore) {
      report({
        severity: 'info',
        subject: 'daemon',
        message: 'live-restore is on: containers survive daemon restarts within a patch release, but not a major upgrade (containerd 1.7 -> 2.x) nor a reboot',
        applicable: false,
      });
    }
  },
};

export const LIVE_RULES: readonly LiveRule[] = [liveRestartPolicy, desiredButManuallyStopped, onFailureExhausted, dependencyWithoutHealthcheck, daemonSettings];

/** Runs every live rule; findings ordered by severity, then subject. */
export function auditLive(ctx: LiveContext, rules: readonly LiveRule[] = LIVE_RULES): LiveFinding[] {
  const out: LiveFinding[] = [];
  for (const rule of rules) {
    rule.check(ctx, (f) => out.push({ ...f, ruleId: rule.id, docsUrl: `docs/rules/${rule.id}.md` }));
  }
  const rank = { error: 0, warning: 1, info: 2 } as const;
  return out.sort((a, b) => rank[a.severity] - rank[b.severity] || a.subject.localeCompare(b.subject));
}
