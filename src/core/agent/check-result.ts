/**
 * What one health-check result means for the agent (pure): the check's alert condition, a
 * timeline entry when the check turns failing or passing, and whether to ask for a restart
 * (`on_unhealthy: restart`: when the check turns failing, and again after every further
 * `failures` failed probes in a row; the reconcile step applies the crash-loop limit).
 */
import { checkAlert, type AlertCondition } from '../alerts/agent-alerts.js';
import type { AlertRule } from '../alerts/alert-state.js';
import { TIMELINE_KINDS } from '../timeline.js';
import type { StepEntry } from './reconcile-step.js';

/** What the agent keeps per check between results. */
export interface CheckTrack {
  passing: boolean | null;
  /** When the first probe of the current group of `failures` failed probes began. */
  groupStart: number | null;
}

export const NEW_CHECK: CheckTrack = { passing: null, groupStart: null };

export interface CheckResultInput {
  service: string;
  id: string;
  failures: number;
  restarts: boolean;
  status: { passing: boolean | null; consecutive: number; lastDetail: string };
  result: { ok: boolean; seconds: number };
  now: number;
  rule: AlertRule;
}

export interface CheckResultOutcome {
  track: CheckTrack;
  alert: AlertCondition | null;
  entry: StepEntry | null;
  /** Ask the next reconcile to restart the service's container (with why and since when it fails). */
  restart: { why: string; failingSince: number } | null;
}

export function onCheckResult(prev: CheckTrack, input: CheckResultInput): CheckResultOutcome {
  const { service, id, status, result, now } = input;
  if (status.passing === null) return { track: prev, alert: null, entry: null, restart: null };
  const failing = status.passing === false;
  const alert = checkAlert({ service, id, failing, consecutive: status.consecutive, lastDetail: status.lastDetail, restarts: input.restarts }, input.rule);
  let entry: StepEntry | null = null;
  if (prev.passing !== status.passing && !(prev.passing === null && status.passing)) {
    entry = failing
      ? {
          kind: TIMELINE_KINDS.unhealthy,
          subject: service,
          message: `${service}: the ${id} check failed ${-status.consecutive} times in a row: ${status.lastDetail}`,
          data: { check: id, detail: status.lastDetail },
          level: 'warn',
        }
      : {
          kind: TIMELINE_KINDS.healthy,
          subject: service,
          message: `${service}: the ${id} check passes again (${status.lastDetail})`,
          data: { check: id, detail: status.lastDetail },
          level: 'info',
        };
  }
  let groupStart = prev.groupStart;
  let restart: CheckResultOutcome['restart'] = null;
  if (input.restarts && !result.ok) {
    const n = -status.consecutive;
    if (n % input.failures === 1 % input.failures) groupStart = now - result.seconds * 1000;
    if (failing && n % input.failures === 0)
      restart = { why: `the ${id} check failed ${n} times in a row: ${status.lastDetail}`, failingSince: groupStart ?? 0 };
  }
  return { track: { passing: status.passing, groupStart }, alert, entry, restart };
}
