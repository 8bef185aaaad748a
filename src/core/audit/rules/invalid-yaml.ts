/**
 * invalid-yaml: the file does not parse. Every parse error is a finding with its position; the other
 * rules skip the documents it affects and nothing in the file is fixed. See docs/rules/invalid-yaml.md.
 */
import { ruleDocsUrl, type AuditRule } from '../rule.js';

const ID = 'invalid-yaml';

export const invalidYamlRule: AuditRule = {
  meta: {
    id: ID,
    docs: { description: 'Files must be valid YAML (templates: once their Jinja is masked)', url: ruleDocsUrl(ID) },
    defaultSeverity: 'error',
    fixable: false,
  },
  check(ctx) {
    const template = ctx.file.source.jinja !== null;
    for (const problem of ctx.file.source.problems) {
      const note = template ? '; this is a template, read with its Jinja masked: Jinja in a place where YAML cannot hold a value may be the cause' : '';
      ctx.report({ severity: 'error', message: `${problem.message} (${problem.code})${note}`, range: problem.range });
    }
  },
};
