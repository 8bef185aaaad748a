import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeJinja } from '../../../src/core/export/ansible-role.js';
import { templateProduces } from '../../../src/core/audit/template-produces.js';

test('templateProduces: literal text in order, expressions for one line, blocks for anything', () => {
  const file = 'services:\n  redis:\n    image: "redis:7.2"\n    restart: always\n';
  assert.equal(templateProduces('services:\n  redis:\n    image: "redis:{{ redis_version }}"\n    restart: always\n', file), true);
  assert.equal(templateProduces('services:\n  redis:\n    image: "redis:{{ v }}"\n    restart: "no"\n', file), false);
  assert.equal(templateProduces('services:\n{% for s in services %}  {{ s }}:\n{% endfor %}', file), true);
  assert.equal(templateProduces('{# only a comment #}{{ x }}', file), false, 'no literal text: produces nothing');
  assert.equal(templateProduces('services:\n  web:\n', file), false);
  // upkeep export's escaped templates produce exactly their file, trailing newline or not.
  const jinjaish = 'services:\n  a:\n    labels: { note: "{{ not jinja }} {% raw %}" }\n';
  assert.equal(templateProduces(escapeJinja(jinjaish), jinjaish), true);
  assert.equal(templateProduces(escapeJinja(jinjaish), `${jinjaish}\n\n`), true);
  assert.equal(templateProduces(escapeJinja(jinjaish), jinjaish.replace('a:', 'b:')), false);
  // An expression's text stays on its line; the last literal ends the file; a literal after a block tag is tried at each place.
  assert.equal(templateProduces('a{{ x }}b{% if y %}c', 'a\nbc'), false);
  assert.equal(templateProduces('a{{ x }}b{% if y %}c', 'axxb\nbc'), true);
  assert.equal(templateProduces('a{% if y %}b{{ x }}c', 'abcc'), true);
  assert.equal(templateProduces('a{% if y %}b{{ x }}c{% if y %}d', 'ab\nbcd'), true);
  assert.equal(templateProduces('a{% if y %}b{{ x }}c{% if y %}d', 'ab\ncd'), false);
});

/** The pattern as a regular expression, the way it was once matched: the reference on small inputs. */
function reference(template: string, text: string): boolean {
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let source = '';
  let literal = false;
  let at = 0;
  for (const m of template.matchAll(/\{\{([\s\S]*?)\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\}/g)) {
    const before = template.slice(at, m.index);
    source += escape(before);
    literal ||= before.trim() !== '';
    at = m.index + m[0].length;
    if (m[0].startsWith('{#')) continue;
    if (m[0].startsWith('{%')) source += '[\\s\\S]*?';
    else {
      const q = /^\s*'([^'\\]*)'\s*$/.exec(m[1] ?? '');
      source += q ? escape(q[1]!) : '[^\\n]*?';
      literal ||= q !== null && q[1]!.trim() !== '';
    }
  }
  source += escape(template.slice(at));
  literal ||= template.slice(at).trim() !== '';
  return literal && new RegExp(`^${source.replace(/\s*$/, '')}\\s*$`).test(text);
}

test('templateProduces decides what the regular expression did, on many small templates and files', () => {
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const tags = ['a', 'b', 'ab', '\n', ' ', '{{ x }}', '{% if y %}', "{{ 'a' }}", "{{ '' }}", '{# c #}'];
  const chars = ['a', 'b', '\n', ' '];
  let produced = 0;
  for (let i = 0; i < 10_000; i++) {
    const template = Array.from({ length: 1 + rnd(7) }, () => tags[rnd(tags.length)]).join('');
    const noise = (): string => Array.from({ length: rnd(4) }, () => chars[rnd(chars.length)]).join('');
    // Half the files are the template rendered with random text in its gaps (newlines included): near misses.
    const text =
      rnd(2) === 0
        ? Array.from({ length: rnd(12) }, () => chars[rnd(chars.length)]).join('')
        : template.replace(/\{\{ x \}\}|\{% if y %\}/g, noise).replace(/\{\{ '(a?)' \}\}|\{# c #\}/g, '$1');
    const want = reference(template, text);
    produced += want ? 1 : 0;
    assert.equal(templateProduces(template, text), want, JSON.stringify({ template, text }));
  }
  assert.ok(produced > 400, `${produced} of the cases match: the comparison tests both answers`);
});

test('templateProduces: a template of many blocks against a large file it does not produce, in milliseconds', () => {
  const lines = ['services:'];
  for (let i = 0; i < 40; i++) lines.push(`  svc${i}:`, `    image: "img${i}:1.0"`, '    restart: always', '    environment:', `      A: "${i}"`);
  const file = `${lines.join('\n')}\n`;
  const block = '{% if x %}\n    image: {{ i }}\n    restart: {{ r }}\n{% endif %}\n';
  // With a regular expression of lazy gaps, 3 blocks took 16 s and 5 would not finish.
  for (const n of [3, 5, 8]) {
    const started = performance.now();
    assert.equal(templateProduces(`services:\n${block.repeat(n)}  nothere:\n    image: x\n`, file), false, `${n} blocks`);
    assert.equal(templateProduces(`services:\n${block.repeat(n)}{% endfor %}`, file), true, `${n} blocks, produced`);
    const ms = performance.now() - started;
    assert.ok(ms < 200, `${n} blocks: ${ms.toFixed(0)} ms`);
  }
});
