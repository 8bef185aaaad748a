import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unifiedDiff } from '../../../src/core/audit/unified-diff.js';
import { prng } from '../../helpers/prng.js';

/** Applies a unified diff made by unifiedDiff to `before`: an independent check that it is correct. */
function applyPatch(before: string, patch: string): string {
  const old = before.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const lines = patch.match(/[^\n]*\n/g) ?? [];
  const out: string[] = [];
  let at = 0;
  let i = 2;
  while (i < lines.length) {
    const header = /^@@ -(\d+),(\d+) \+\d+,\d+ @@\n$/.exec(lines[i] ?? '');
    assert.ok(header, `hunk header expected: ${lines[i]}`);
    const start = Number(header[1]) - (Number(header[2]) === 0 ? 0 : 1);
    while (at < start) out.push(old[at++] as string);
    i++;
    while (i < lines.length && !(lines[i] as string).startsWith('@@')) {
      const line = lines[i] as string;
      const body = lines[i + 1] === '\\ No newline at end of file\n' ? line.slice(1, -1) : line.slice(1);
      if (line[0] === ' ' || line[0] === '-') {
        assert.equal(old[at], body, 'context or removed line must match');
        at++;
      }
      if (line[0] === ' ' || line[0] === '+') out.push(body);
      i += lines[i + 1] === '\\ No newline at end of file\n' ? 2 : 1;
    }
  }
  while (at < old.length) out.push(old[at++] as string);
  return out.join('');
}

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    assert.equal(unifiedDiff('a.yml', 'x\n', 'x\n'), '');
  });

  it('shows a change with three lines of context', () => {
    const before = '1\n2\n3\n4\n5\n6\n7\n8\n';
    const after = '1\n2\n3\n4\nfive\n6\n7\n8\n';
    assert.equal(unifiedDiff('dir/a.yml', before, after), '--- a/dir/a.yml\n+++ b/dir/a.yml\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n');
  });

  it('shows an inserted line, as --fix adds restart', () => {
    const before = 'services:\n  web:\n    image: x\n';
    const after = 'services:\n  web:\n    restart: always\n    image: x\n';
    assert.equal(unifiedDiff('c.yml', before, after), '--- a/c.yml\n+++ b/c.yml\n@@ -1,3 +1,4 @@\n services:\n   web:\n+    restart: always\n     image: x\n');
  });

  it('makes separate hunks for distant changes and one hunk for close ones', () => {
    const lines = Array.from({ length: 20 }, (_, i) => `l${i}\n`);
    const far = [...lines];
    far[1] = 'x\n';
    far[18] = 'y\n';
    assert.equal((unifiedDiff('f', lines.join(''), far.join('')).match(/^@@/gm) ?? []).length, 2);
    const near = [...lines];
    near[5] = 'x\n';
    near[11] = 'y\n';
    assert.equal((unifiedDiff('f', lines.join(''), near.join('')).match(/^@@/gm) ?? []).length, 1);
  });

  it('marks a last line without a newline, and keeps CR of CRLF lines', () => {
    assert.equal(
      unifiedDiff('f', 'a\r\nb', 'a\r\nc'),
      '--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\r\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n',
    );
  });

  it('counts an empty side as line 0', () => {
    assert.equal(unifiedDiff('f', '', 'a\n'), '--- a/f\n+++ b/f\n@@ -0,0 +1,1 @@\n+a\n');
    assert.equal(unifiedDiff('f', 'a\n', ''), '--- a/f\n+++ b/f\n@@ -1,1 +0,0 @@\n-a\n');
  });

  it('applies back to the new text, for random edits', () => {
    const random = prng(7);
    for (let round = 0; round < 300; round++) {
      const before = Array.from({ length: Math.floor(random() * 30) }, () => `v${Math.floor(random() * 6)}\n`);
      const after = before.flatMap((line) => {
        const r = random();
        if (r < 0.1) return [];
        if (r < 0.2) return [line, `new${Math.floor(random() * 3)}\n`];
        if (r < 0.3) return [`changed${Math.floor(random() * 3)}\n`];
        return [line];
      });
      const b = before.join('');
      const a = after.join('') + (random() < 0.2 ? 'tail' : '');
      const patch = unifiedDiff('f', b, a);
      if (a === b) assert.equal(patch, '');
      else assert.equal(applyPatch(b, patch), a, `round ${round}`);
    }
  });
});
