/**
 * The audit's per-project config (`./.upkeep.yml` or `--config FILE`) and `--restart-policy`, parsed
 * and checked. Pure: the caller reads the file.
 */
import { parse as parseYaml } from 'yaml';
import { toRestartPolicy } from '../container-facts.js';
import { UsageError } from '../errors.js';
import type { RestartPolicy } from '../model.js';
import type { Severity } from './rule.js';

export interface AuditConfig {
  severities: Record<string, Severity | 'off'>;
  restartPolicy: string | null;
  /** The file it came from, or null when there was none. */
  path: string | null;
}

export const NO_AUDIT_CONFIG: AuditConfig = { severities: {}, restartPolicy: null, path: null };

/** Parses --restart-policy: always | unless-stopped | on-failure[:N]. */
export function parseTargetPolicy(value: string): RestartPolicy {
  const m = /^(always|unless-stopped|on-failure)(?::(\d+))?$/.exec(value.trim());
  if (!m || (m[2] !== undefined && m[1] !== 'on-failure')) {
    throw new UsageError(`--restart-policy "${value}" is not a policy upkeep writes`, { hint: 'use always (the default), unless-stopped, or on-failure:N' });
  }
  return toRestartPolicy({ Name: m[1]!, MaximumRetryCount: m[2] === undefined ? 0 : Number(m[2]) });
}

/** `audit: { severities: { rule-id: error|warning|info|off }, restartPolicy: always }`; `knownRules`: the rule ids. */
export function parseAuditConfig(text: string, path: string, knownRules: readonly string[]): AuditConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new UsageError(`${path}: ${(err as Error).message}`, { hint: 'fix the YAML of the audit config' });
  }
  const audit = (doc as { audit?: { severities?: unknown; restartPolicy?: unknown } } | null)?.audit ?? {};
  const severities: Record<string, Severity | 'off'> = {};
  const known = new Set(knownRules);
  for (const [id, level] of Object.entries((audit.severities ?? {}) as Record<string, unknown>)) {
    if (!known.has(id)) throw new UsageError(`${path}: audit.severities: unknown rule "${id}"`, { hint: `known rules: ${[...known].join(', ')}` });
    if (level !== 'error' && level !== 'warning' && level !== 'info' && level !== 'off') {
      throw new UsageError(`${path}: audit.severities.${id}: "${String(level)}" is not error, warning, info or off`);
    }
    severities[id] = level;
  }
  return { severities, restartPolicy: typeof audit.restartPolicy === 'string' ? audit.restartPolicy : null, path };
}
