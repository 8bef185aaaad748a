// Every compose fixture in test/fixtures/compose is audited and fixed; the findings must equal
// NAME.findings.txt and the fixed text must equal NAME.fixed.EXT byte for byte.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { auditFile, fixFile } from '../../../src/core/audit/audit-file.js';
import { parseYamlSource } from '../../../src/core/audit/yaml-source.js';

const DIR = join(import.meta.dirname, '../../fixtures/compose');

function expectedNames(name: string): { findings: string; fixed: string } {
  const dot = name.indexOf('.');
  return { findings: `${name.slice(0, dot)}.findings.txt`, fixed: `${name.slice(0, dot)}.fixed${name.slice(dot)}` };
}

const inputs = readdirSync(DIR)
  .filter((n) => !n.includes('.fixed.') && !n.endsWith('.findings.txt'))
  .sort();

describe('compose fixtures', () => {
  it('has the fixtures the issue asks for', () => {
    assert.ok(inputs.length >= 15, `only ${inputs.length} fixtures`);
  });

  for (const name of inputs) {
    it(name, () => {
      const text = readFileSync(join(DIR, name), 'utf8');
      const expected = expectedNames(name);
      const { findings } = auditFile({ path: name, text });
      const shown = findings.map((f) => `${f.line}:${f.column}  ${f.severity}  ${f.ruleId}  ${f.message}\n`).join('');
      assert.equal(shown, readFileSync(join(DIR, expected.findings), 'utf8'));

      const fixed = fixFile({ path: name, text });
      assert.deepEqual([fixed.refused, fixed.skipped], [[], []]);
      assert.ok(Buffer.from(fixed.output, 'utf8').equals(readFileSync(join(DIR, expected.fixed))), `${expected.fixed} differs`);
      if (fixed.applied.length > 0) {
        assert.deepEqual(parseYamlSource({ path: name, text: fixed.output }).problems, []);
        assert.equal(fixFile({ path: name, text: fixed.output }).output, fixed.output, 'a second --fix changes nothing');
      }
    });
  }
});
