/**
 * A finding as the CLI prints it: text grouped by file (`line:col  severity  rule  message`), JSON, or
 * SARIF 2.1.0 (see sarif-report.ts). Positions are 1-based; `endColumn` is the column just after the
 * last character, as SARIF counts it.
 */
import type { Severity } from './rule.js';
import type { SourceRange } from './source-range.js';
import { positionAt, type YamlSource } from './yaml-source.js';
import { compareText } from '../text-order.js';

export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  path: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** True when `upkeep audit --fix` can correct it. */
  fixable: boolean;
  /** A next step for a person, when there is no automatic fix; else null. */
  suggestion: string | null;
  /** The rule's docs page, relative to the repository root. */
  docsUrl: string;
}

/** Locates a reported range in `source`. */
export function locateFinding(source: YamlSource, fields: Omit<Finding, 'path' | 'line' | 'column' | 'endLine' | 'endColumn'>, range: SourceRange): Finding {
  const start = positionAt(source, range[0]);
  const end = positionAt(source, Math.max(range[0], range[1]));
  return { ...fields, path: source.path, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
}

/** Orders findings by position, then rule id: the order the text output shows them in. */
export function compareFindings(a: Finding, b: Finding): number {
  return a.line - b.line || a.column - b.column || compareText(a.ruleId, b.ruleId);
}
