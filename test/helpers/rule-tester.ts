/**
 * RuleTester (model: ESLint's): a rule's behaviour as tables of `valid` and `invalid` cases, each one a
 * node:test test. For an invalid case the findings must match in order (rule, line, column, and the
 * message or severity when given), and the text after `--fix` must equal `output` exactly (`null`: the
 * case has no fix), must parse again, and must be stable: fixing it again changes nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerFacts } from '../../src/core/model.js';
import { auditFile, fixFile, type AuditOptions } from '../../src/core/audit/audit-file.js';
import type { Finding } from '../../src/core/audit/finding.js';
import type { AuditRule, Severity } from '../../src/core/audit/rule.js';
import { parseYamlSource } from '../../src/core/audit/yaml-source.js';

export interface RuleTestCase {
  /** The test's title; by default the first lines of `code`. */
  name?: string;
  code: string;
  /** Default `docker-compose.yml`; a `.j2` name makes it a template. */
  filename?: string;
  options?: Omit<AuditOptions, 'rules'>;
  live?: ContainerFacts[];
}

export interface ExpectedFinding {
  /** Default: the rule under test. */
  ruleId?: string;
  line: number;
  column: number;
  message?: string | RegExp;
  severity?: Severity;
}

export interface InvalidRuleTestCase extends RuleTestCase {
  errors: ExpectedFinding[];
  /** The whole text after `--fix`, or null when nothing is fixed. */
  output: string | null;
}

export interface RuleTests {
  valid: (RuleTestCase | string)[];
  invalid: InvalidRuleTestCase[];
}

/** Registers one node:test suite for `rule` with a test per case. */
export function runRuleTests(rule: AuditRule, tests: RuleTests): void {
  describe(rule.meta.id, () => {
    describe('valid', () => {
      tests.valid.forEach((raw, i) => {
        const c = typeof raw === 'string' ? { code: raw } : raw;
        it(title(c, i), () => {
          const { findings } = auditFile(fileOf(c), { ...c.options, rules: [rule] }, c.live ?? null);
          assert.deepEqual(findings.map(show), []);
        });
      });
    });
    describe('invalid', () => {
      tests.invalid.forEach((c, i) => {
        it(title(c, i), () => {
          const file = fileOf(c);
          const options = { ...c.options, rules: [rule] };
          const live = c.live ?? null;
          const { findings } = auditFile(file, options, live);
          assert.equal(findings.length, c.errors.length, `expected ${c.errors.length} finding(s), got:\n${findings.map(show).join('\n')}`);
          c.errors.forEach((expected, j) => assertFinding(findings[j] as Finding, expected, rule.meta.id));

          const fixed = fixFile(file, options, live);
          assert.deepEqual(fixed.refused.map(show), [], 'a fix was refused by the fixer');
          if (c.output === null) {
            assert.equal(fixed.output, c.code, 'expected no fix');
            return;
          }
          assert.notEqual(c.output, c.code, 'output equals code: use output: null for a case without a fix');
          assert.equal(fixed.output, c.output);
          const reparsed = parseYamlSource({ path: file.path, text: fixed.output }, options.template);
          assert.deepEqual(reparsed.problems, [], 'the fixed output does not parse');
          if (fixed.skipped.length === 0) {
            assert.equal(fixFile({ path: file.path, text: fixed.output }, options, live).output, fixed.output, 'fixing again changes the output');
          }
        });
      });
    });
  });
}

function assertFinding(actual: Finding, expected: ExpectedFinding, ruleId: string): void {
  const where = show(actual);
  assert.equal(actual.ruleId, expected.ruleId ?? ruleId, where);
  assert.equal(actual.line, expected.line, `line of ${where}`);
  assert.equal(actual.column, expected.column, `column of ${where}`);
  if (expected.severity !== undefined) assert.equal(actual.severity, expected.severity, `severity of ${where}`);
  if (typeof expected.message === 'string') assert.equal(actual.message, expected.message);
  else if (expected.message !== undefined) assert.match(actual.message, expected.message);
}

function fileOf(c: RuleTestCase): { path: string; text: string } {
  return { path: c.filename ?? 'docker-compose.yml', text: c.code };
}

function title(c: RuleTestCase, i: number): string {
  return (
    c.name ??
    `#${i + 1}: ${c.code
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '')
      .slice(0, 3)
      .join(' | ')}`
  );
}

function show(f: Finding): string {
  return `${f.line}:${f.column} ${f.severity} ${f.ruleId} ${f.message}`;
}
