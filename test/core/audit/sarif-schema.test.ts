// The SARIF that `upkeep audit --format sarif` prints must be valid against the official SARIF
// 2.1.0 JSON schema (test/fixtures/sarif/, OASIS, draft-04), which GitHub code scanning expects.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import AjvDraft04 from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { auditFile, fixFile } from '../../../src/core/audit/audit-file.js';
import type { Finding } from '../../../src/core/audit/finding.js';
import { ALL_RULES } from '../../../src/core/audit/rules/all-rules.js';
import { sarifReport, type SarifTool } from '../../../src/core/audit/sarif-report.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const schema = JSON.parse(readFileSync(join(FIXTURES, 'sarif/sarif-schema-2.1.0.json'), 'utf8')) as Record<string, unknown>;

// Both packages are CommonJS with `exports.default`: under NodeNext the default import is the module.
const Ajv = AjvDraft04.default;
const addFormats = addFormatsModule.default;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

function schemaErrors(log: unknown): string[] {
  return validate(log) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

const TOOL: SarifTool = { name: 'upkeep', version: '0.1.0' };
const composeDir = join(FIXTURES, 'compose');
const inputs = readdirSync(composeDir)
  .filter((n) => !n.includes('.fixed.') && !n.endsWith('.findings.txt'))
  .sort();

/** What the CLI passes to sarifReport for one audit: every file's findings, paths as shown. */
function findingsOf(names: string[], dirShown: string): Finding[] {
  return names.flatMap((n) => auditFile({ path: `${dirShown}/${n}`, text: readFileSync(join(composeDir, n), 'utf8') }).findings);
}

describe('SARIF output against the official SARIF 2.1.0 schema', () => {
  it('the schema is the official one and the validator rejects a broken log (negative control)', () => {
    assert.equal(schema.id, 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json');
    const good = sarifReport(findingsOf(['restart-no.yml'], 'test/fixtures/compose'), ALL_RULES, TOOL) as {
      version: string;
      runs: Array<{ tool: { driver: Record<string, unknown> }; results: Array<Record<string, any>> }>;
    };
    assert.deepEqual(schemaErrors(good), []);
    assert.ok(good.runs[0]!.results.length > 0);

    const broken: Array<[string, (log: any) => void]> = [
      ['version 2.0.0', (log) => (log.version = '2.0.0')],
      ['no runs', (log) => delete log.runs],
      ['a driver without a name', (log) => delete log.runs[0].tool.driver.name],
      ['level "fatal"', (log) => (log.runs[0].results[0].level = 'fatal')],
      ['startLine 0', (log) => (log.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0)],
      ['a message without text or id', (log) => (log.runs[0].results[0].message = {})],
      ['an unknown property on the log', (log) => (log.extra = true)],
      ['a string ruleIndex', (log) => (log.runs[0].results[0].ruleIndex = '1')],
    ];
    for (const [what, breakIt] of broken) {
      const log = structuredClone(good);
      breakIt(log);
      assert.notDeepEqual(schemaErrors(log), [], `${what} should be invalid`);
    }
  });

  it('every compose fixture together (many findings, invalid-yaml among them) is valid', () => {
    const findings = findingsOf(inputs, 'test/fixtures/compose');
    assert.ok(findings.length >= 20, `only ${findings.length} findings`);
    assert.ok(
      findings.some((f) => f.ruleId === 'invalid-yaml'),
      'an invalid-yaml finding',
    );
    assert.ok(new Set(findings.map((f) => f.severity)).size >= 2, 'several severities');
    const log = sarifReport(findings, ALL_RULES, TOOL) as { runs: Array<{ results: unknown[] }> };
    assert.equal(log.runs[0]!.results.length, findings.length);
    assert.deepEqual(schemaErrors(log), []);
  });

  for (const name of inputs) {
    it(`${name}: its findings, and what remains after --fix, are valid`, () => {
      const text = readFileSync(join(composeDir, name), 'utf8');
      const source = { path: `roles/x/templates/${name}`, text };
      assert.deepEqual(schemaErrors(sarifReport(auditFile(source).findings, ALL_RULES, TOOL)), []);
      const fixed = fixFile(source);
      const remaining = auditFile({ path: source.path, text: fixed.output }).findings;
      assert.deepEqual(schemaErrors(sarifReport([...remaining, ...fixed.refused], ALL_RULES, TOOL)), []);
    });
  }

  it('no findings is a valid log with an empty results array', () => {
    const log = sarifReport([], ALL_RULES, TOOL) as { runs: Array<{ results: unknown[] }> };
    assert.deepEqual(log.runs[0]!.results, []);
    assert.deepEqual(schemaErrors(log), []);
  });

  it('with project and docs URLs, odd file names, absolute paths and an unreadable file', () => {
    const tool: SarifTool = { ...TOOL, informationUri: 'https://example.org/upkeep', docsBaseUri: 'https://example.org/upkeep/' };
    const odd = auditFile({ path: 'srv/my stack/[prod] #1/docker-compose {{ env }}.yml.j2', text: 'services:\n  web:\n    restart: "no"\n    ports: [80]\n' });
    const absolute = auditFile({ path: '/srv/äpp/compose.yml', text: 'services:\n  db:\n    image: pg\n    restart: unless-stopped\n' });
    const unreadable: Finding = {
      ruleId: 'invalid-yaml',
      severity: 'error',
      message: 'cannot read the file: EACCES: permission denied',
      path: 'locked.yml',
      line: 1,
      column: 1,
      endLine: 1,
      endColumn: 1,
      fixable: false,
      suggestion: null,
      docsUrl: 'docs/rules/invalid-yaml.md',
    };
    const findings = [...odd.findings, ...absolute.findings, unreadable];
    assert.equal(findings.length, 3);
    assert.deepEqual(schemaErrors(sarifReport(findings, ALL_RULES, tool)), []);
  });
});
