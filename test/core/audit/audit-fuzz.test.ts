// Fuzz test: random mutations of the compose fixtures (byte flips, truncation, inserted Jinja,
// deleted and repeated spans), read as plain YAML and as templates. The audit never throws, and a
// file --fix changes still parses.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { auditFile, fixFile } from '../../../src/core/audit/audit-file.js';
import { parseYamlSource } from '../../../src/core/audit/yaml-source.js';
import { liveContainer } from './live-container.js';
import { prng, type Random } from '../../helpers/prng.js';

const DIR = join(import.meta.dirname, '../../fixtures/compose');
const seeds = readdirSync(DIR)
  .filter((n) => !n.endsWith('.findings.txt'))
  .sort()
  .map((n) => readFileSync(join(DIR, n), 'utf8'));

const CHARS = ['{', '}', '%', '#', ':', '-', '\n', '\r', '"', "'", '&', '*', '<', '!', '|', '>', '\t', ' ', '\uFEFF', '[', ']', ',', '?', 'x', '0'];
const JINJA = ['{{ x }}', '{% if a %}', '{% endif %}', '{% for i in l %}', '{% endfor %}', '{# c #}', '{{', '}}', '{%', '%}', '{{ "}}" }}', '{% raw %}'];

function mutate(r: Random, text: string): string {
  let out = text;
  const steps = 1 + Math.floor(r() * 4);
  for (let s = 0; s < steps; s++) {
    const at = Math.floor(r() * (out.length + 1));
    const kind = Math.floor(r() * 5);
    if (kind === 0) out = out.slice(0, at) + (CHARS[Math.floor(r() * CHARS.length)] ?? '') + out.slice(at + 1);
    else if (kind === 1) out = out.slice(0, at);
    else if (kind === 2) out = out.slice(0, at) + (JINJA[Math.floor(r() * JINJA.length)] ?? '') + out.slice(at);
    else if (kind === 3) out = out.slice(0, at) + out.slice(at + Math.floor(r() * 20));
    else out = out.slice(0, at) + out.slice(Math.max(0, at - 30), at) + out.slice(at);
  }
  return out;
}

describe('audit fuzz', () => {
  it('never throws on mutated fixtures, and --fix output always parses', () => {
    const random = prng(4242);
    const live = [
      liveContainer('web'),
      liveContainer('db', { state: 'exited', exitCode: 0 }),
      liveContainer('silo', { health: { status: 'healthy', failingStreak: 0 } }),
    ];
    let fixedFiles = 0;
    for (let round = 0; round < 1500; round++) {
      const text = mutate(random, seeds[round % seeds.length] ?? '');
      for (const path of ['docker-compose.yml', 'docker-compose.yml.j2']) {
        const context = `round ${round} (${path}): ${JSON.stringify(text)}`;
        try {
          auditFile({ path, text }, {}, round % 2 === 0 ? live : null);
          const fixed = fixFile({ path, text });
          if (fixed.output !== text) {
            fixedFiles++;
            assert.deepEqual(parseYamlSource({ path, text: fixed.output }).problems, [], context);
          }
        } catch (err) {
          assert.fail(`${context}\n${err instanceof Error ? err.stack : String(err)}`);
        }
      }
    }
    assert.ok(fixedFiles > 100, `only ${fixedFiles} mutated files were fixed`);
  });
});
