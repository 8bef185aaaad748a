/** `upkeep audit --format sarif` through the real executable: valid against the official SARIF 2.1.0 schema. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import AjvDraft04 from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { upkeep } from '../helpers/cli.js';

const FIXTURES = join(import.meta.dirname, '../fixtures');

test('audit --format sarif over the compose fixtures is valid SARIF 2.1.0, and so is a log with no findings', async () => {
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false });
  addFormatsModule.default(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(join(FIXTURES, 'sarif/sarif-schema-2.1.0.json'), 'utf8')) as object);
  const inputs = readdirSync(join(FIXTURES, 'compose'))
    .filter((n) => !n.includes('.fixed.') && !n.endsWith('.findings.txt'))
    .map((n) => `test/fixtures/compose/${n}`);
  const r = await upkeep(['audit', '--no-live', '--format', 'sarif', ...inputs]);
  assert.equal(r.code, 1, r.stderr);
  const log = JSON.parse(r.stdout) as { runs: Array<{ results: Array<{ ruleId: string }> }> };
  assert.ok(log.runs[0]!.results.some((x) => x.ruleId === 'invalid-yaml'));
  assert.ok(validate(log), JSON.stringify(validate.errors, null, 1));

  const clean = await upkeep(['audit', '--no-live', '--format', 'sarif', 'test/fixtures/compose/not-compose.yml']);
  assert.equal(clean.code, 0, clean.stderr);
  const empty = JSON.parse(clean.stdout) as { runs: Array<{ results: unknown[] }> };
  assert.deepEqual(empty.runs[0]!.results, []);
  assert.ok(validate(empty), JSON.stringify(validate.errors, null, 1));
});
