/**
 * The agent's alerts as data: which alert keys exist ("engine", "down:NAME", "crashloop:NAME",
 * "check:SERVICE/ID"), when each is active, and what its messages say. The state machine
 * (alert-state.ts) decides when a message is due; the agent's AlertManager steps it and queues the
 * message. Pure: texts are built from the arguments only.
 */
import type { AlertRule } from './alert-state.js';

export type Severity = 'info' | 'warning' | 'critical';

/** What to say when an alert fires or resolves. */
export interface AlertContent {
  severity: Severity;
  subject: string;
  title: string;
  text: string;
  data?: Record<string, unknown>;
}

/** What the builders may read besides their own arguments, when a message is due. */
export interface AlertContext {
  now: number;
  /** The last log lines fetched for a container (crash loops), by name. */
  lastLogs: ReadonlyMap<string, string>;
}

export type AlertKind = 'firing' | 'reminder' | 'resolved';

/** One alert's condition as evaluated now, with the builder of its messages. */
export interface AlertCondition {
  key: string;
  rule: AlertRule;
  active: boolean;
  content: (kind: AlertKind, firingSince: number | null, ctx: AlertContext) => AlertContent;
  /**
   * Evaluated after the step's actions ran, because its message uses what they fetched (a crash
   * loop's last log lines). Every other alert is evaluated before them: a `down` alert leaves
   * before the heal's start, not after it.
   */
  afterActions?: true;
}

/** The Docker engine does not answer. */
export function engineAlert(host: string, down: boolean, rule: AlertRule): AlertCondition {
  return {
    key: 'engine',
    rule,
    active: down,
    content: (kind, since) =>
      kind === 'resolved'
        ? {
            severity: 'critical',
            subject: host,
            title: 'Docker engine answers again',
            text: `The Docker engine on ${host} answers again${since ? ` (down since ${new Date(since).toISOString()})` : ''}.`,
          }
        : {
            severity: 'critical',
            subject: host,
            title: 'Docker engine not answering',
            text: `The Docker engine on ${host} does not answer: no container can be watched or healed. Check \`systemctl status docker\`.`,
          },
  };
}

/** Why a desired container is down, as the agent judged it. */
export type DownVerdict = 'heal' | 'backoff' | 'gave-up' | 'not-healed';

/** A desired container should run and does not. */
export function downAlert(
  name: string,
  down: { verdict: DownVerdict; reason: string } | null,
  rule: AlertRule,
  compose: { project: string; service: string } | null = null,
): AlertCondition {
  const ids = compose ? { project: compose.project, service: compose.service } : {};
  return {
    key: `down:${name}`,
    rule,
    active: down !== null,
    content: (kind, since, ctx) => {
      if (kind === 'resolved') {
        const took = since !== null ? ` after ${((ctx.now - since) / 1000).toFixed(1)} s` : '';
        return {
          severity: 'critical',
          subject: name,
          title: `${name} is running again`,
          text: `${name} runs again${took}.`,
          data: { container: name, ...ids },
        };
      }
      const v = down?.verdict ?? 'heal';
      const what =
        v === 'heal'
          ? 'upkeep is starting it again'
          : v === 'backoff'
            ? 'upkeep retries with backoff'
            : v === 'gave-up'
              ? 'upkeep gave up healing it (crash loop)'
              : 'heal: never: upkeep does not start it';
      return {
        severity: 'critical',
        subject: name,
        title: `${name} is down`,
        text: `${name} should run but does not: ${down?.reason ?? ''}; ${what}.`,
        data: { container: name, verdict: v, ...ids },
      };
    },
  };
}

/** upkeep gave up healing a crash-looping container; `reason` names the deaths. */
export function crashLoopAlert(name: string, gaveUp: { reason: string } | null, repeatMs: number): AlertCondition {
  return {
    key: `crashloop:${name}`,
    rule: { forMs: 0, repeatMs },
    active: gaveUp !== null,
    afterActions: true,
    content: (kind, _since, ctx) => {
      if (kind === 'resolved')
        return {
          severity: 'warning',
          subject: name,
          title: `${name} is stable again`,
          text: `${name} has run without dying for a whole window: upkeep heals it again.`,
        };
      const logs = ctx.lastLogs.get(name);
      return {
        severity: 'critical',
        subject: name,
        title: `Giving up on ${name}`,
        text: `giving up on ${gaveUp?.reason ?? name}${logs ? `\nlast log lines:\n${logs}` : ''}`,
      };
    },
  };
}

/** An alert of a container that left the desired state (forgotten, stopped by the operator) closes. */
export function noLongerDesiredAlert(key: string, rule: AlertRule): AlertCondition {
  const name = key.slice(key.indexOf(':') + 1);
  return {
    key,
    rule,
    active: false,
    content: () => ({ severity: 'info', subject: name, title: `${name} is no longer desired`, text: `${name} left the desired state; its alert is closed.` }),
  };
}

/** A configured health check failed `failures` times in a row (and passes again). */
export function checkAlert(
  check: { service: string; id: string; failing: boolean; consecutive: number; lastDetail: string; restarts: boolean },
  rule: AlertRule,
): AlertCondition {
  const { service, id } = check;
  return {
    key: `check:${service}/${id}`,
    rule,
    active: check.failing,
    content: (kind) =>
      kind === 'resolved'
        ? {
            severity: 'warning',
            subject: service,
            title: `${service}: ${id} check passes again`,
            text: `${service}: the ${id} check passes again (${check.lastDetail}).`,
          }
        : {
            severity: 'critical',
            subject: service,
            title: `${service}: ${id} check failing`,
            text: `${service}: the ${id} check failed ${-check.consecutive} times in a row: ${check.lastDetail}${check.restarts ? '; upkeep restarts it (on_unhealthy: restart)' : ''}.`,
          },
  };
}
