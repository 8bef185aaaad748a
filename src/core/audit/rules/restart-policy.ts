/**
 * restart-policy: a service whose restart policy does not bring it back after the events of the restart
 * table (docs/restart-semantics.md): a daemon restart or reboot, a `docker stop` followed by a daemon restart, a daemon
 * crash. See docs/rules/restart-policy.md for the table, the cases and when there is no fix.
 */
import { formatRestartPolicy } from '../../container-facts.js';
import type { RestartPolicy } from '../../model.js';
import type { ComposeDocument, ComposeService, RestartSetting } from '../compose-document.js';
import { parseComposeRestart, parseDeployCondition } from '../restart-value.js';
import { ruleDocsUrl, type AuditRule, type Fix, type ReportDescriptor, type RuleContext } from '../rule.js';
import { classifyService, liveContainersOf, type ServiceKind } from '../service-evidence.js';
import { positionAt } from '../yaml-source.js';

const ID = 'restart-policy';
const NEVER_BACK = 'Docker never starts it again after a daemon restart, a crash or a reboot';

export const restartPolicyRule: AuditRule = {
  meta: {
    id: ID,
    docs: {
      description: 'Services must have a restart policy that brings them back after a daemon restart, a reboot and a daemon crash',
      url: ruleDocsUrl(ID),
    },
    defaultSeverity: 'error',
    fixable: true,
  },
  check(ctx) {
    for (const doc of ctx.file.documents) {
      for (const service of doc.services) for (const d of decide(ctx, doc, service, true)) ctx.report(d);
    }
  },
};

/** Everything the rule reports for one service. `checkSharers` is false when asked on behalf of another service. */
function decide(ctx: RuleContext, doc: ComposeDocument, service: ComposeService, checkSharers: boolean): ReportDescriptor[] {
  const kind = classifyService(service, liveContainersOf(service, ctx.live), doc.services, ctx.jobRuns?.get(service.name) ?? null);
  const out: ReportDescriptor[] = [];
  if (service.deployRestartPolicy !== null && kind.kind !== 'job') out.push(...deployFindings(ctx, service));
  if (service.restart.length === 0) out.push(...missingRestart(ctx, doc, service, kind));
  for (const setting of service.restart) out.push(...settingFindings(ctx, doc, service, kind, setting, checkSharers));
  return out;
}

function settingFindings(
  ctx: RuleContext,
  doc: ComposeDocument,
  service: ComposeService,
  kind: ServiceKind,
  setting: RestartSetting,
  checkSharers: boolean,
): ReportDescriptor[] {
  const target = formatRestartPolicy(ctx.options.targetPolicy);
  const name = service.name;
  const range = setting.valueRange;
  if (setting.jinja) {
    if (kind.kind === 'job') return [];
    const written = ctx.file.source.text.slice(range[0], range[1]);
    return [
      {
        severity: 'warning',
        message: `restart of service "${name}" is produced by Jinja (${written}): upkeep cannot tell what it renders to; make sure it renders to ${target} (not fixed automatically)`,
        range,
      },
    ];
  }
  const policy = setting.value === null ? null : parseComposeRestart(setting.value);
  if (policy === null) {
    return [
      {
        severity: 'error',
        message: `restart of service "${name}" is ${setting.value === null ? 'empty' : JSON.stringify(setting.value)}, which is not a restart policy Docker accepts (no, always, unless-stopped, on-failure[:N])`,
        range,
        suggestion: `set restart: ${target}`,
      },
    ];
  }
  if (kind.kind === 'job') {
    if (policy.name !== 'always' && policy.name !== 'unless-stopped') return [];
    return [
      {
        severity: 'warning',
        message: `service "${name}" is a one-off job (${kind.because}), but restart: ${policy.name} starts it again every time it finishes: use "no" or on-failure`,
        range,
      },
    ];
  }
  const weakness = weaknessOf(policy, ctx.options.targetPolicy);
  if (weakness === null) return [];
  if (policy.name === 'no' && kind.kind === 'unknown') {
    const bare = setting.style === 'plain' ? ' (quote it as "no" if it stays: YAML 1.1 readers such as docker-compose 1.x read a bare no as false)' : '';
    return [{ severity: 'warning', message: `${noEvidenceMessage(name, 'has restart: "no"', target)}${bare}`, range, suggestion: `restart: ${target}` }];
  }
  const blocked = weakness.fixable ? whyNoReplacement(ctx, doc, service, setting, checkSharers) : 'on-failure may be deliberate';
  const from = setting.inheritedFrom === null ? '' : ` (from the anchor &${setting.inheritedFrom.anchor})`;
  const subject = policy.name === 'no' ? `has restart: no${from}: ${NEVER_BACK}` : `uses ${formatRestartPolicy(policy)}${from}: ${weakness.why}`;
  const because = policy.name === 'no' && kind.kind === 'long-running' ? `; ${kind.because}` : '';
  if (blocked !== null) {
    return [
      {
        severity: weakness.severity,
        message: `service "${name}" ${subject}${because} (not fixed automatically: ${blocked})`,
        range,
        suggestion: `set restart: ${target}`,
      },
    ];
  }
  return [
    {
      severity: weakness.severity,
      message: `service "${name}" ${subject}${because} (fix: ${target})`,
      range,
      fix: replacementFix(doc, setting, target),
    },
  ];
}

interface Weakness {
  severity: 'error' | 'warning';
  why: string;
  fixable: boolean;
}

/** How `policy` falls short of `target` in the restart table, or null when it does not. */
function weaknessOf(policy: RestartPolicy, target: RestartPolicy): Weakness | null {
  switch (policy.name) {
    case 'always':
      return null;
    case 'no':
      return { severity: 'error', why: NEVER_BACK, fixable: true };
    case 'unless-stopped':
      return target.name === 'unless-stopped'
        ? null
        : {
            severity: 'error',
            why: 'it does not come back after a daemon crash, nor after a docker stop followed by a daemon restart',
            fixable: true,
          };
    case 'on-failure': {
      if (target.name === 'on-failure') return null;
      const limit = policy.maximumRetryCount > 0 ? `, and after ${policy.maximumRetryCount} failed restarts it stays down for good` : '';
      return {
        severity: 'warning',
        why: `after a daemon restart or a reboot it comes back only if its process exits non-zero when stopped${limit}`,
        fixable: false,
      };
    }
  }
}

function missingRestart(ctx: RuleContext, doc: ComposeDocument, service: ComposeService, kind: ServiceKind): ReportDescriptor[] {
  const target = formatRestartPolicy(ctx.options.targetPolicy);
  const name = service.name;
  const range = service.keyRange;
  const ext = service.extends;
  if (ext !== null) {
    const base = ext.file === null ? doc.services.find((s) => s.name === ext.service) : undefined;
    if (base === undefined) {
      const where = ext.file === null ? 'which is not in this file' : `from ${ext.file}`;
      return [
        {
          severity: 'info',
          message: `service "${name}" has no restart key; it extends "${ext.service}" ${where}, which may set one: audit that service`,
          range,
        },
      ];
    }
    if (inheritsRestart(doc, base, new Set([name]))) return [];
  }
  if (kind.kind === 'job') return [];
  const deploy = service.deployRestartPolicy;
  const deployPolicy = deploy?.condition == null ? null : parseDeployCondition(deploy.condition, deploy.maxAttempts);
  if (deployPolicy !== null && weaknessOf(deployPolicy, ctx.options.targetPolicy) === null) {
    return [
      withInsertion(service, doc, target, {
        severity: 'warning',
        message: `service "${name}" has no restart key: docker compose v2 applies deploy.restart_policy (condition: ${deploy?.condition}), but docker-compose 1.x ignores it without --compatibility`,
        range,
      }),
    ];
  }
  if (kind.kind === 'unknown') {
    return [{ severity: 'warning', message: noEvidenceMessage(name, 'has no restart policy', target), range, suggestion: `restart: ${target}` }];
  }
  return [
    withInsertion(service, doc, target, {
      severity: 'error',
      message: `service "${name}" has no restart policy, so ${NEVER_BACK}; ${kind.because}`,
      range,
    }),
  ];
}

/** True when `service`, through its `extends` chain in this file, has a restart key. */
function inheritsRestart(doc: ComposeDocument, service: ComposeService, seen: Set<string>): boolean {
  if (service.restart.length > 0) return true;
  const ext = service.extends;
  if (ext === null || ext.file !== null || seen.has(service.name)) return false;
  seen.add(service.name);
  const base = doc.services.find((s) => s.name === ext.service);
  return base !== undefined && inheritsRestart(doc, base, seen);
}

function withInsertion(service: ComposeService, doc: ComposeDocument, target: string, d: ReportDescriptor): ReportDescriptor {
  const at = service.insertion;
  if (!at.possible) return { ...d, message: `${d.message} (not fixed automatically: ${at.reason})`, suggestion: `add restart: ${target}` };
  return {
    ...d,
    message: `${d.message} (fix: add restart: ${target})`,
    fix: {
      range: [at.offset, at.offset],
      text: `${at.prefix}restart: ${target}${at.suffix}`,
      changes: [{ document: doc.index, path: [...service.path, 'restart'], value: target }],
    },
  };
}

function noEvidenceMessage(name: string, what: string, target: string): string {
  return (
    `service "${name}" ${what}, and nothing says whether it is a long-running service or a one-off job ` +
    `(no upkeep.role label, no running or finished container, no ports, no healthcheck, no service waiting for it to complete, no job-like name or command): ` +
    `if it is a job, label it upkeep.role=job; if it is a service, label it upkeep.role=service and --fix adds restart: ${target} (or set it yourself)`
  );
}

function deployFindings(ctx: RuleContext, service: ComposeService): ReportDescriptor[] {
  const deploy = service.deployRestartPolicy;
  if (deploy === null) return [];
  const want = ctx.options.targetPolicy.name === 'on-failure' ? 'on-failure' : 'any';
  const prefix = `deploy.restart_policy of service "${service.name}"`;
  if (deploy.condition === null) {
    return [
      {
        severity: 'info',
        message: `${prefix} has no condition; docker compose v2 applies deploy.restart_policy in place of restart, so state it: condition: ${want}`,
        range: deploy.range,
      },
    ];
  }
  const range = deploy.conditionRange ?? deploy.range;
  const policy = parseDeployCondition(deploy.condition, deploy.maxAttempts);
  if (policy === null) {
    return [
      {
        severity: 'error',
        message: `${prefix} has condition ${JSON.stringify(deploy.condition)}, which is not one of none, on-failure, any`,
        range,
      },
    ];
  }
  const weakness = weaknessOf(policy, ctx.options.targetPolicy);
  if (weakness === null) return [];
  return [
    {
      severity: weakness.severity,
      message: `${prefix} (condition: ${deploy.condition}) overrides restart under docker compose v2: ${weakness.why}; set condition: ${want} (not fixed automatically: the same setting also drives swarm)`,
      range,
    },
  ];
}

/** Why the value of `setting` cannot be replaced safely, or null when it can. */
function whyNoReplacement(ctx: RuleContext, doc: ComposeDocument, service: ComposeService, setting: RestartSetting, checkSharers: boolean): string | null {
  const source = ctx.file.source;
  if (setting.conditional !== null) {
    const line = positionAt(source, setting.conditional.open[0]).line;
    return `it is inside the {% ${setting.conditional.kind} %} at line ${line}, so it holds in some renderings of the template only`;
  }
  if (setting.style === 'block') return 'it is written as a block scalar';
  if (!doc.occurrencesComplete) return 'aliases nest too deep to tell what an edit would change';
  if (setting.inheritedFrom === null || !checkSharers) return null;

  const anchor = `&${setting.inheritedFrom.anchor}`;
  const mine = replacementFix(doc, setting, formatRestartPolicy(ctx.options.targetPolicy));
  for (const path of setting.occurrences) {
    const [top, serviceKey, key] = path;
    if (top !== 'services') {
      if (typeof top === 'string' && top.startsWith('x-')) continue;
      return `it comes from the anchor ${anchor}, which is also used outside services`;
    }
    const other = doc.services.find((s) => s.path[1] === serviceKey);
    if (path.length !== 3 || key !== 'restart' || other === undefined) {
      return `it comes from the anchor ${anchor}, which is also used elsewhere in services`;
    }
    if (other === service) continue;
    if (decide(ctx, doc, other, false).some((d) => d.fix !== undefined && sameFix(d.fix, mine))) continue;
    const otherKind = classifyService(other, liveContainersOf(other, ctx.live), doc.services, ctx.jobRuns?.get(other.name) ?? null);
    return otherKind.kind === 'job'
      ? `it comes from the anchor ${anchor}, which the one-off job "${other.name}" uses too`
      : `it comes from the anchor ${anchor}, which service "${other.name}" uses too, and that service would not get the same fix (see its own finding)`;
  }
  return null;
}

function replacementFix(doc: ComposeDocument, setting: RestartSetting, target: string): Fix {
  const quote = setting.style === 'double' ? '"' : setting.style === 'single' ? "'" : '';
  return {
    range: setting.valueRange,
    text: `${quote}${target}${quote}`,
    changes: setting.occurrences.map((path) => ({ document: doc.index, path, value: target })),
  };
}

function sameFix(a: Fix, b: Fix): boolean {
  return a.range[0] === b.range[0] && a.range[1] === b.range[1] && a.text === b.text;
}
