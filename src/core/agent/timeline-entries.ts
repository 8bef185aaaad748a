/**
 * Timeline entries the agent writes around its actions, and the ones it reconstructs at start
 * for what happened while no agent ran. Pure: times come in as arguments.
 */
import type { ContainerFacts } from '../model.js';
import type { RecoveryResult } from '../recovery/executor.js';
import { TIMELINE_KINDS } from '../timeline.js';
import { describeExit } from './decide.js';
import type { RecoveryTrigger, StepEntry } from './reconcile-step.js';
import { compareText } from '../text-order.js';

const LABEL: Record<RecoveryTrigger, string> = {
  startup: 'after the agent started',
  daemon_restart: 'after the Docker engine came back',
  apt: 'after an apt run',
  manual: 'on request',
};

export function recoveryStartedEntry(trigger: RecoveryTrigger, host: string, desired: number, now: number): StepEntry {
  return {
    at: new Date(now).toISOString(),
    kind: TIMELINE_KINDS.recoveryStarted,
    subject: host,
    message: `recovery pass ${LABEL[trigger]}: ${desired} desired containers`,
    data: { trigger, desired },
    level: 'info',
  };
}

/** A one-off alert message (the recovery summary), as the agent's AlertManager queues it. */
export interface SummaryAlert {
  id: string;
  kind: 'summary';
  severity: 'critical' | 'warning' | 'info';
  subject: string;
  title: string;
  text: string;
  data?: Record<string, unknown>;
}

/** The 'recovery' entry of a finished (or failed) pass, and its one summary alert when something was down. */
export function recoverySummary(
  trigger: RecoveryTrigger,
  host: string,
  total: number,
  result: RecoveryResult | null,
  error: string | null,
  now: number,
): { entry: StepEntry; alert: SummaryAlert | null } {
  const label = LABEL[trigger];
  const at = new Date(now).toISOString();
  if (result === null) {
    return {
      entry: {
        at,
        kind: TIMELINE_KINDS.recovery,
        subject: host,
        message: `recovery ${label} failed: ${error ?? 'unknown error'}`,
        data: { trigger, error },
        level: 'error',
      },
      alert: null,
    };
  }
  const down = result.plan.actions.length;
  const complete = result.remaining.length === 0;
  const message =
    down === 0
      ? `${label}: all ${total} desired containers were running`
      : complete
        ? `${label}: ${down} of ${total} desired containers were down; all running again after ${result.seconds.toFixed(1)} s`
        : `${label}: ${down} of ${total} desired containers were down; ${result.remaining.length} still not running after ${result.seconds.toFixed(1)} s: ${result.remaining.map((r) => r.container).join(', ')}`;
  const entry: StepEntry = {
    at,
    kind: TIMELINE_KINDS.recovery,
    subject: host,
    message,
    data: {
      trigger,
      down,
      remaining: result.remaining.map((r) => r.container),
      seconds: result.seconds,
      outcomes: result.outcomes.map((o) => ({ container: o.container, outcome: o.outcome, seconds: o.seconds, attempts: o.attempts, error: o.error })),
    },
    level: 'info',
  };
  if (down === 0 && complete) return { entry, alert: null };
  return {
    entry,
    alert: {
      id: `recovery:${trigger}@${now}`,
      kind: 'summary',
      severity: complete ? 'info' : 'critical',
      subject: host,
      title: complete ? `Recovered ${down} container(s) ${label}` : `Recovery incomplete ${label}`,
      text: `${message}.\n${result.outcomes.map((o) => `${o.container}: ${o.outcome}${o.error ? ` (${o.error})` : ''} in ${o.seconds} s`).join('\n')}`,
      data: { trigger, down, remaining: result.remaining.map((r) => r.container) },
    },
  };
}

/** An entry rebuilt from what the engine still knows (written with reconstructed: true). */
export interface ReconstructedEntry {
  at: string;
  kind: string;
  subject: string | null;
  message: string;
  data: Record<string, unknown>;
}

/**
 * What happened while no agent ran: a boot (the boot id changed), and containers that died or
 * started after `aliveAt` (the agent's last sign of life), at their own times. Nothing at or before
 * `aliveAt` (the agent saw that itself); with no `aliveAt` (first start), only the boot.
 */
export function reconstructEntries(input: {
  previousBootId: string | null;
  aliveAt: number | null;
  boot: { id: string; bootTime: number | null } | null;
  host: string;
  containers: readonly ContainerFacts[];
  now: number;
}): ReconstructedEntry[] {
  const out: ReconstructedEntry[] = [];
  const { boot, aliveAt } = input;
  const booted = boot !== null && input.previousBootId !== null && boot.id !== input.previousBootId;
  if (booted) {
    const at = boot.bootTime ?? input.now;
    if (aliveAt === null || at > aliveAt) {
      out.push({
        at: new Date(at).toISOString(),
        kind: TIMELINE_KINDS.boot,
        subject: input.host,
        message: `${input.host} booted (while no agent ran)`,
        data: { bootId: boot.id, previousBootId: input.previousBootId, bootTime: boot.bootTime === null ? null : new Date(boot.bootTime).toISOString() },
      });
    }
  }
  if (aliveAt === null) return out;
  for (const c of input.containers) {
    const finished = c.finishedAt ? Date.parse(c.finishedAt) : NaN;
    const started = c.startedAt ? Date.parse(c.startedAt) : NaN;
    if (Number.isFinite(finished) && finished > aliveAt && finished <= input.now) {
      const how = c.state === 'running' ? 'stopped' : describeExit(c);
      out.push({
        at: new Date(finished).toISOString(),
        kind: TIMELINE_KINDS.containerDied,
        subject: c.name,
        message: `${c.name} ${how === 'stopped' ? 'stopped' : `stopped (${how})`} while no agent ran`,
        data: { exitCode: c.state === 'running' ? null : c.exitCode, oomKilled: null, finishedAt: c.finishedAt },
      });
    }
    if (Number.isFinite(started) && started > aliveAt && started <= input.now && c.state === 'running') {
      const by = booted ? 'docker' : 'unknown';
      out.push({
        at: new Date(started).toISOString(),
        kind: TIMELINE_KINDS.containerStarted,
        subject: c.name,
        message: `${c.name} started while no agent ran${booted ? ' (by Docker at boot)' : ''}`,
        data: { startedAt: c.startedAt, by },
      });
    }
  }
  return out.sort((a, b) => compareText(a.at, b.at));
}
