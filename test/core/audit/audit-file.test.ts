import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auditFile, fixFile } from '../../../src/core/audit/audit-file.js';
import { ruleDocsUrl, type AuditRule } from '../../../src/core/audit/rule.js';
import { ALL_RULES } from '../../../src/core/audit/rules/all-rules.js';
import { sarifReport } from '../../../src/core/audit/sarif-report.js';

const compose = 'services:\n  web:\n    image: nginx\n    ports: [80]\n  db:\n    image: pg\n    restart: unless-stopped\n';

describe('auditFile', () => {
  it('returns located findings, ordered by position, with their fixes', () => {
    const audit = auditFile({ path: 'srv/docker-compose.yml', text: compose });
    assert.deepEqual(audit.findings[1], {
      ruleId: 'restart-policy',
      severity: 'error',
      message:
        'service "db" uses unless-stopped: it does not come back after a daemon crash, nor after a docker stop followed by a daemon restart (fix: always)',
      fixable: true,
      suggestion: null,
      docsUrl: 'docs/rules/restart-policy.md',
      path: 'srv/docker-compose.yml',
      line: 7,
      column: 14,
      endLine: 7,
      endColumn: 28,
    });
    assert.deepEqual(
      audit.findings.map((f) => `${f.line}:${f.column}`),
      ['2:3', '7:14'],
    );
    assert.deepEqual(
      audit.fixes.map((f) => f.fix.text),
      ['    restart: always\n', 'always'],
    );
    assert.equal(audit.isCompose, true);
    assert.deepEqual(audit.parseErrors, []);
  });

  it('applies per-rule severities from the project config, and turns rules off', () => {
    const lowered = auditFile({ path: 'c.yml', text: compose }, { severities: { 'restart-policy': 'warning' } });
    assert.deepEqual(
      lowered.findings.map((f) => f.severity),
      ['warning', 'warning'],
    );
    const off = auditFile({ path: 'c.yml', text: compose }, { severities: { 'restart-policy': 'off' } });
    assert.deepEqual(off.findings, []);
    assert.deepEqual(off.fixes, []);
  });

  it('reports parse errors as findings and offers no fix in such a file', () => {
    const text = 'services:\n  web:\n    image: x\n    ports: [80]\n---\na: [\n';
    const audit = auditFile({ path: 'c.yml', text });
    assert.deepEqual(
      audit.findings.map((f) => [f.ruleId, f.line, f.fixable]),
      [
        ['restart-policy', 2, false],
        ['invalid-yaml', 7, false],
      ],
    );
    assert.deepEqual(audit.fixes, []);
    assert.equal(audit.parseErrors.length, 1);
    assert.equal(fixFile({ path: 'c.yml', text }).output, text);
  });

  it('treats a file as a template by its name, or when told', () => {
    const text = 'services:\n  web:\n    image: "{{ image }}"\n    restart: {{ policy }}\n';
    assert.deepEqual(
      auditFile({ path: 'c.yml.j2', text }).findings.map((f) => f.ruleId),
      ['restart-policy'],
    );
    assert.deepEqual(
      auditFile({ path: 'c.yml', text }, { template: true }).findings.map((f) => f.ruleId),
      ['restart-policy'],
    );
    assert.deepEqual(
      auditFile({ path: 'c.yml', text }).findings.map((f) => f.ruleId),
      ['restart-policy'],
    );
    assert.equal(auditFile({ path: 'c.yml', text }).findings[0]?.message.includes('Jinja'), false);
  });

  it('ignores files that are not compose files', () => {
    const audit = auditFile({ path: 'playbook.yml', text: '- hosts: all\n  tasks: []\n' });
    assert.deepEqual(audit, { findings: [], fixes: [], parseErrors: [], isCompose: false });
  });
});

describe('fixFile', () => {
  it('applies the fixes and says which', () => {
    const fixed = fixFile({ path: 'c.yml', text: compose });
    assert.equal(fixed.output, 'services:\n  web:\n    restart: always\n    image: nginx\n    ports: [80]\n  db:\n    image: pg\n    restart: always\n');
    assert.deepEqual(
      fixed.applied.map((f) => f.line),
      [2, 7],
    );
    assert.deepEqual([fixed.skipped, fixed.refused], [[], []]);
  });

  it('turns a fix that fails verification into an error finding and changes nothing', () => {
    const careless: AuditRule = {
      meta: { id: 'careless', docs: { description: 'test', url: ruleDocsUrl('careless') }, defaultSeverity: 'warning', fixable: true },
      check(ctx) {
        const start = ctx.file.source.text.indexOf('nginx');
        ctx.report({
          severity: 'warning',
          message: 'image is not pinned',
          range: [start, start + 5],
          fix: { range: [start, start + 5], text: 'nginx:1.27', changes: [{ document: 0, path: ['services', 'web', 'restart'], value: 'always' }] },
        });
      },
    };
    const fixed = fixFile({ path: 'c.yml', text: compose }, { rules: [careless] });
    assert.equal(fixed.output, compose);
    assert.deepEqual(fixed.applied, []);
    assert.deepEqual(
      fixed.refused.map((f) => [f.ruleId, f.severity, f.fixable, f.line, f.column, f.message]),
      [['careless', 'error', false, 3, 12, 'image is not pinned: fix refused, it would also change services.web.image; nothing was changed there']],
    );
  });
});

describe('sarifReport', () => {
  it('makes a SARIF 2.1.0 log with every rule and one result per finding', () => {
    const { findings } = auditFile({ path: 'roles/x/templates/docker compose.yml.j2', text: 'services:\n  web:\n    restart: "no"\n    ports: [80]\n' });
    const log = sarifReport(findings, ALL_RULES, { name: 'upkeep', version: '0.1.0', docsBaseUri: 'https://example.org/upkeep/' }) as {
      version: string;
      runs: { tool: { driver: { rules: { id: string; helpUri: string; defaultConfiguration: { level: string } }[] } }; results: Record<string, unknown>[] }[];
    };
    assert.equal(log.version, '2.1.0');
    const run = log.runs[0];
    assert.deepEqual(
      run?.tool.driver.rules.map((r) => r.id),
      ['invalid-yaml', 'restart-policy', 'compose-drift', 'healthcheck-for-dependency', 'file-skipped'],
    );
    assert.equal(run?.tool.driver.rules[1]?.helpUri, 'https://example.org/upkeep/docs/rules/restart-policy.md');
    assert.equal(run?.tool.driver.rules[3]?.defaultConfiguration.level, 'warning');
    assert.deepEqual(run?.results, [
      {
        ruleId: 'restart-policy',
        ruleIndex: 1,
        level: 'error',
        message: { text: findings[0]?.message },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: 'roles/x/templates/docker%20compose.yml.j2' },
              region: { startLine: 3, startColumn: 14, endLine: 3, endColumn: 18 },
            },
          },
        ],
      },
    ]);
  });
});
