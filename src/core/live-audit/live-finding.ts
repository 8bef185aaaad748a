/**
 * The live audit: rules over the running engine (containers and daemon), not over files. Same shape
 * as the file rules (model: ESLint): one rule = one file in rules/ exporting `{ meta, check }`; a
 * rule reports a message id with data, and the message is made from the rule's `meta.messages`, so
 * that tests compare message ids and data, not prose. Findings name a container (or the daemon).
 */
import { isJobContainer as isJob } from '../job.js';
import type { ContainerFacts, DaemonFacts, RestartPolicy } from '../model.js';

export type LiveSeverity = 'error' | 'warning' | 'info';

export interface LiveFinding {
  ruleId: string;
  /** Which of the rule's messages (`meta.messages`). */
  messageId: string;
  /** The values the message was made with. */
  data: Record<string, string | number>;
  severity: LiveSeverity;
  /** Container name, or "daemon" for engine-wide findings. */
  subject: string;
  message: string;
  /** True when `--apply-live` can correct it (a restart policy update, no recreate). */
  applicable: boolean;
  docsUrl: string;
}

export interface LiveContext {
  daemon: DaemonFacts;
  containers: readonly ContainerFacts[];
  /** Names in the desired state (app/desired-state.ts), or null when there is none. */
  desired: ReadonlySet<string> | null;
  /** `systemctl is-enabled docker`: true/false, or null when systemd could not be asked. */
  dockerEnabledAtBoot: boolean | null;
  targetPolicy: RestartPolicy;
  /**
   * `--managed-by DIR`: the templates found there, and each running compose project's compose
   * files (read inside its working directory); absent or null without the option.
   */
  managed?: {
    dirs: readonly string[];
    templates: ReadonlyArray<{ path: string; text: string }>;
    projects: ReadonlyMap<string, ReadonlyArray<{ path: string; text: string }>>;
  } | null;
}

export interface LiveRuleMeta {
  /** kebab-case, also the name of its docs page (docs/rules/<id>.md). */
  id: string;
  docs: { description: string; url: string };
  /** Message templates by id; `{{name}}` is replaced by `data.name`. */
  messages: Record<string, string>;
}

/** What a live rule reports; the id, message and docs are added by auditLive. */
export interface LiveReportDescriptor {
  messageId: string;
  data?: Record<string, string | number>;
  severity: LiveSeverity;
  subject: string;
  applicable: boolean;
}

export interface LiveRuleContext extends LiveContext {
  report(descriptor: LiveReportDescriptor): void;
}

export interface LiveRule {
  meta: LiveRuleMeta;
  check(ctx: LiveRuleContext): void;
}

/** A message template with its data filled in; an unknown placeholder is left as written. */
export function formatLiveMessage(template: string, data: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => (Object.hasOwn(data, name) ? String(data[name]) : whole));
}

/** True for containers that run to completion: never given a restarting policy (core/job.ts). */
export const isJobContainer = isJob;
