/**
 * The audit's rule contract (model: ESLint). One rule is one file exporting `{ meta, check }`. A rule
 * reads the parsed file and reports findings; a fix is data (a source range and its new text, plus the
 * change it means), applied later by the one fixer, never by the rule.
 */
import type { ContainerFacts, RestartPolicy } from '../model.js';
import type { ComposeFile } from './compose-document.js';
import type { JsPath } from './node-occurrences.js';
import type { SourceRange } from './source-range.js';

export type Severity = 'error' | 'warning' | 'info';

export interface RuleMeta {
  /** kebab-case, also the name of its docs page. */
  id: string;
  docs: { description: string; url: string };
  defaultSeverity: Severity;
  /** True when some of its findings carry a fix. */
  fixable: boolean;
}

/** What a fix means: after it, document `document` of the file has `value` at `path` (as `toJS()` sees it). */
export interface IntendedChange {
  document: number;
  path: JsPath;
  value: unknown;
}

/**
 * A fix: replace `range` of the original text with `text`. `changes` lists every value the fix changes;
 * the fixer refuses it if the re-parsed file differs from the original anywhere else.
 */
export interface Fix {
  range: SourceRange;
  text: string;
  changes: IntendedChange[];
}

/** What a rule reports; the rule's id is added by the framework. */
export interface ReportDescriptor {
  severity: Severity;
  message: string;
  range: SourceRange;
  fix?: Fix;
  /** A next step for a person when there is no safe automatic fix. */
  suggestion?: string;
}

/** Rule options: the restart policy `--fix` writes (`always` unless the operator chose another). */
export interface RuleOptions {
  targetPolicy: RestartPolicy;
}

export interface RuleContext {
  file: ComposeFile;
  options: RuleOptions;
  /**
   * Live containers of the compose project(s) made from this file (matched by the caller through the
   * compose labels), or null when the engine was not asked.
   */
  live: readonly ContainerFacts[] | null;
  /** How scripts of the scanned repository run this file: service name -> why it is a one-off job (empty when none). */
  jobRuns?: ReadonlyMap<string, string>;
  report(descriptor: ReportDescriptor): void;
}

export interface AuditRule {
  meta: RuleMeta;
  check(ctx: RuleContext): void;
}

/** The docs page of a rule id, relative to the repository root. */
export function ruleDocsUrl(id: string): string {
  return `docs/rules/${id}.md`;
}
