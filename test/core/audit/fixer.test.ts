import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyFixes } from '../../../src/core/audit/fixer.js';
import type { Fix } from '../../../src/core/audit/rule.js';

const file = (text: string) => ({ path: 'docker-compose.yml', text });

/** A fix that replaces `old` (first occurrence) in `text`, meaning `path` becomes `value`. */
function replace(text: string, old: string, text2: string, path: string[], value: unknown, document = 0): Fix {
  const start = text.indexOf(old);
  assert.ok(start >= 0);
  return { range: [start, start + old.length], text: text2, changes: [{ document, path, value }] };
}

describe('applyFixes', () => {
  const text = 'services:\n  a:\n    restart: "no"\n  b:\n    restart: unless-stopped\n';

  it('applies non-overlapping fixes and keeps every other byte', () => {
    const out = applyFixes(file(text), false, [
      { id: 'b', fix: replace(text, 'unless-stopped', 'always', ['services', 'b', 'restart'], 'always') },
      { id: 'a', fix: replace(text, '"no"', '"always"', ['services', 'a', 'restart'], 'always') },
    ]);
    assert.deepEqual(out, {
      output: 'services:\n  a:\n    restart: "always"\n  b:\n    restart: always\n',
      applied: ['a', 'b'],
      skipped: [],
      refused: [],
    });
  });

  it('skips a fix that overlaps one already taken, and two insertions at one offset', () => {
    const at = text.indexOf('  b:');
    const insertion = (id: string): { id: string; fix: Fix } => ({
      id,
      fix: { range: [at, at], text: '  c: {}\n', changes: [{ document: 0, path: ['services', 'c'], value: {} }] },
    });
    const out = applyFixes(file(text), false, [
      { id: 'whole', fix: replace(text, '"no"', '"always"', ['services', 'a', 'restart'], 'always') },
      { id: 'inner', fix: replace(text, 'no', 'always', ['services', 'a', 'restart'], 'always') },
      insertion('first'),
      { id: 'second', fix: { range: [at, at], text: '  d: {}\n', changes: [{ document: 0, path: ['services', 'd'], value: {} }] } },
    ]);
    assert.equal(out.output, 'services:\n  a:\n    restart: "always"\n  c: {}\n  b:\n    restart: unless-stopped\n');
    assert.deepEqual(out.applied, ['whole', 'first']);
    assert.deepEqual(out.skipped, ['inner', 'second']);
  });

  it('applies identical fixes once, for all who asked', () => {
    const fix = replace(text, 'unless-stopped', 'always', ['services', 'b', 'restart'], 'always');
    const out = applyFixes(file(text), false, [
      { id: 1, fix },
      { id: 2, fix: { ...fix, changes: [] } },
    ]);
    assert.equal(out.output, 'services:\n  a:\n    restart: "no"\n  b:\n    restart: always\n');
    assert.deepEqual(out.applied, [1, 2]);
  });

  it('refuses a fix that changes anything it does not declare', () => {
    const broad = replace(text, '"no"\n  b:', '"always"\n  c:', ['services', 'a', 'restart'], 'always');
    const out = applyFixes(file(text), false, [{ id: 'x', fix: broad }]);
    assert.equal(out.output, text);
    assert.deepEqual(out.refused, [{ id: 'x', reason: 'it would also change services.b' }]);
  });

  it('refuses a fix whose result is not the declared value', () => {
    const wrong = replace(text, '"no"', 'on-failure', ['services', 'a', 'restart'], 'always');
    assert.deepEqual(applyFixes(file(text), false, [{ id: 'x', fix: wrong }]).refused, [
      { id: 'x', reason: 'it would make services.a.restart "on-failure", not "always"' },
    ]);
    const silent = replace(text, '"no"', '"no" ', ['services', 'a', 'restart'], 'always');
    assert.deepEqual(applyFixes(file(text), false, [{ id: 'y', fix: silent }]).refused, [
      { id: 'y', reason: 'it would make services.a.restart "no", not "always"' },
    ]);
  });

  it('refuses an inserted line that lands under the wrong key', () => {
    const t = 'services:\n  a:\n    labels:\n      x: "1"\n    image: i\n';
    const at = t.indexOf('    image');
    const fix: Fix = { range: [at, at], text: '      restart: always\n', changes: [{ document: 0, path: ['services', 'a', 'restart'], value: 'always' }] };
    assert.deepEqual(applyFixes(file(t), false, [{ id: 'x', fix }]).refused, [{ id: 'x', reason: 'it would also change services.a.labels.restart' }]);
  });

  it('refuses a fix that breaks the YAML, saying where', () => {
    const fix = replace(text, '"no"', '"always', ['services', 'a', 'restart'], 'always');
    const [refusal] = applyFixes(file(text), false, [{ id: 'x', fix }]).refused;
    assert.match(refusal?.reason ?? '', /^it would not parse: .* at line \d+, column \d+$/);
  });

  it('refuses every fix of a file that does not parse', () => {
    const broken = 'services:\n  a:\n   b: 1\n  c: [\n';
    const out = applyFixes(file(broken), false, [{ id: 'x', fix: { range: [0, 0], text: '#', changes: [] } }]);
    assert.equal(out.output, broken);
    assert.equal(out.refused.length, 1);
    assert.match(out.refused[0]?.reason ?? '', /^the file cannot be verified after a fix: it would not parse/);
  });

  it('verifies a fix in the right document of a multi-document file', () => {
    const t = 'restart: "no"\n---\nservices:\n  a:\n    restart: "no"\n';
    const start = t.lastIndexOf('"no"');
    const fix = (document: number): Fix => ({
      range: [start, start + 4],
      text: 'always',
      changes: [{ document, path: ['services', 'a', 'restart'], value: 'always' }],
    });
    assert.deepEqual(applyFixes(file(t), false, [{ id: 'right', fix: fix(1) }]).applied, ['right']);
    assert.deepEqual(applyFixes(file(t), false, [{ id: 'wrong', fix: fix(0) }]).refused, [
      { id: 'wrong', reason: 'it would also change services.a.restart (document 2)' },
    ]);
  });

  it('verifies templates on their masked text and leaves the Jinja as it was', () => {
    const t = 'services:\n  {{ name }}:\n    image: "{{ image }}"\n    restart: unless-stopped\n';
    const fix = replace(t, 'unless-stopped', 'always', ['services', '__j0______', 'restart'], 'always');
    const out = applyFixes({ path: 'c.yml.j2', text: t }, true, [{ id: 'x', fix }]);
    assert.deepEqual(out.refused, []);
    assert.equal(out.output, 'services:\n  {{ name }}:\n    image: "{{ image }}"\n    restart: always\n');
  });
});
