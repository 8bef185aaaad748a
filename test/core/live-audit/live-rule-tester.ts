/**
 * A RuleTester for live rules (model: ESLint's): `valid` contexts give no finding; each `invalid`
 * context gives exactly the expected findings, in order, compared by message id, subject, severity,
 * applicability and (when given) data, never by the message's prose.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LiveContext, LiveRule, LiveSeverity } from '../../../src/core/live-audit/live-finding.js';
import { auditLive } from '../../../src/core/live-audit/rules.js';
import { daemon } from '../../helpers/facts.js';

export interface LiveCase {
  name: string;
  ctx: Partial<LiveContext>;
}

export interface ExpectedLiveFinding {
  messageId: string;
  subject: string;
  severity?: LiveSeverity;
  applicable?: boolean;
  data?: Record<string, string | number>;
}

export interface LiveRuleTests {
  valid: LiveCase[];
  invalid: Array<LiveCase & { errors: ExpectedLiveFinding[] }>;
}

const ALWAYS = { name: 'always', maximumRetryCount: 0 } as const;

function contextOf(c: LiveCase): LiveContext {
  return { daemon: daemon(), containers: [], desired: null, dockerEnabledAtBoot: true, targetPolicy: ALWAYS, ...c.ctx };
}

export function runLiveRuleTests(rule: LiveRule, tests: LiveRuleTests): void {
  describe(rule.meta.id, () => {
    for (const c of tests.valid) {
      it(`valid: ${c.name}`, () =>
        assert.deepEqual(
          auditLive(contextOf(c), [rule]).map((f) => `${f.subject} ${f.messageId}`),
          [],
        ));
    }
    for (const c of tests.invalid) {
      it(`invalid: ${c.name}`, () => {
        const found = auditLive(contextOf(c), [rule]);
        assert.deepEqual(
          found.map((f) => ({ messageId: f.messageId, subject: f.subject })),
          c.errors.map((e) => ({ messageId: e.messageId, subject: e.subject })),
        );
        c.errors.forEach((e, i) => {
          const f = found[i]!;
          assert.ok(Object.hasOwn(rule.meta.messages, f.messageId), `message id ${f.messageId} is declared`);
          assert.doesNotMatch(f.message, /\{\{/, 'every placeholder is filled');
          if (e.severity !== undefined) assert.equal(f.severity, e.severity);
          if (e.applicable !== undefined) assert.equal(f.applicable, e.applicable);
          if (e.data !== undefined) assert.deepEqual(f.data, e.data);
        });
      });
    }
  });
}
