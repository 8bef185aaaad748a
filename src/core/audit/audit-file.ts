/**
 * The audit of one compose file or Ansible template: what `upkeep audit` calls per file.
 * read (the caller) -> auditFile (pure: findings and planned fixes, as data) -> fixFile (pure: the new
 * text, verified) -> the caller writes it, or prints `unifiedDiff` for `--fix-dry-run`.
 */
import type { ContainerFacts, RestartPolicy } from '../model.js';
import { parseComposeFile, type ComposeFile } from './compose-document.js';
import { disableDirectives, isDisabled } from './disable-directives.js';
import { compareFindings, locateFinding, type Finding } from './finding.js';
import { applyFixes } from './fixer.js';
import type { AuditRule, Fix, Severity } from './rule.js';
import { ALL_RULES } from './rules/all-rules.js';
import { isJinjaTemplatePath, type ParseProblem, type SourceFile } from './yaml-source.js';

export interface AuditOptions {
  /** The policy fixes write: `always` unless the operator chose another (`--restart-policy`). */
  targetPolicy?: RestartPolicy;
  /** Per-rule severity from the project's config: every finding of that rule gets it; `off` silences the rule. */
  severities?: Readonly<Record<string, Severity | 'off'>>;
  /** The rules to run; all of them by default. */
  rules?: readonly AuditRule[];
  /** Read the file as a Jinja template; by default when its name ends in .j2, .jinja or .jinja2. */
  template?: boolean;
  /**
   * How scripts of the scanned repository run this file (core/audit/compose-invocations.ts): service
   * name -> the evidence that it is a one-off job, as a clause for messages.
   */
  jobRuns?: ReadonlyMap<string, string>;
}

/** A finding with the fix `--fix` would apply for it. */
export interface PlannedFix {
  finding: Finding;
  fix: Fix;
}

export interface FileAudit {
  /** Every finding, ordered by position; parse errors are `invalid-yaml` findings. */
  findings: Finding[];
  /** The fixes of the fixable findings (none when the file has parse errors). */
  fixes: PlannedFix[];
  parseErrors: ParseProblem[];
  /** False when no document of the file is a compose document (such files are otherwise ignored). */
  isCompose: boolean;
}

export interface FileFix {
  /** The fixed text; the input itself when nothing was applied. */
  output: string;
  applied: Finding[];
  /** Overlapping another fix: run again to apply them. */
  skipped: Finding[];
  /** Fixes that failed verification, as error findings saying why; nothing of them was applied. */
  refused: Finding[];
}

const NO_RUNS: ReadonlyMap<string, string> = new Map();
const ALWAYS: RestartPolicy = { name: 'always', maximumRetryCount: 0 };

/**
 * Parses `file` the way auditFile does: parsing is most of an audit's work and does not depend on the
 * live containers, so a caller may parse while it still waits for them and pass the result on.
 */
export function parseForAudit(file: SourceFile, options: AuditOptions = {}): ComposeFile {
  return parseComposeFile(file, templateFlag(file, options));
}

/**
 * Audits one file. `live`: containers of the compose project(s) made from this file, when known.
 * `parsed`: what parseForAudit(file, options) gave, when the caller parsed it already.
 */
export function auditFile(
  file: SourceFile,
  options: AuditOptions = {},
  live: readonly ContainerFacts[] | null = null,
  parsed: ComposeFile = parseForAudit(file, options),
): FileAudit {
  const source = parsed.source;
  const directives = disableDirectives(source);
  const canFix = source.problems.length === 0;
  const entries: PlannedFix[] = [];
  const findings: Finding[] = [];
  for (const rule of options.rules ?? ALL_RULES) {
    const configured = options.severities?.[rule.meta.id];
    if (configured === 'off') continue;
    rule.check({
      file: parsed,
      options: { targetPolicy: options.targetPolicy ?? ALWAYS },
      live,
      jobRuns: options.jobRuns ?? NO_RUNS,
      report(d) {
        const fix = canFix ? d.fix : undefined;
        const finding = locateFinding(
          source,
          {
            ruleId: rule.meta.id,
            severity: configured ?? d.severity,
            message: d.message,
            fixable: fix !== undefined,
            suggestion: d.suggestion ?? null,
            docsUrl: rule.meta.docs.url,
          },
          d.range,
        );
        if (isDisabled(directives, finding.ruleId, finding.line)) return;
        findings.push(finding);
        if (fix !== undefined) entries.push({ finding, fix });
      },
    });
  }
  findings.sort(compareFindings);
  return { findings, fixes: entries, parseErrors: source.problems, isCompose: parsed.documents.length > 0 };
}

/** Audits one file and applies every fix that is safe; see fixer.ts for what "safe" is. */
export function fixFile(
  file: SourceFile,
  options: AuditOptions = {},
  live: readonly ContainerFacts[] | null = null,
  parsed: ComposeFile = parseForAudit(file, options),
): FileFix {
  const audit = auditFile(file, options, live, parsed);
  const outcome = applyFixes(
    file,
    templateFlag(file, options),
    audit.fixes.map((f) => ({ id: f.finding, fix: f.fix })),
  );
  return {
    output: outcome.output,
    applied: outcome.applied,
    skipped: outcome.skipped,
    refused: outcome.refused.map(({ id, reason }) => ({
      ...id,
      severity: 'error',
      fixable: false,
      message: `${id.message}: fix refused, ${reason}; nothing was changed there`,
    })),
  };
}

function templateFlag(file: SourceFile, options: AuditOptions): boolean {
  return options.template ?? isJinjaTemplatePath(file.path);
}
