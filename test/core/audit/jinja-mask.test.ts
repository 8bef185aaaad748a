import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { blocksAround, jinjaAt, maskJinja } from '../../../src/core/audit/jinja-mask.js';

/** Every character outside the constructs is unchanged, and the length is the same. */
function assertOffsetsKept(text: string): ReturnType<typeof maskJinja> {
  const mask = maskJinja(text);
  assert.equal(mask.masked.length, text.length);
  let at = 0;
  for (const c of mask.constructs) {
    assert.equal(mask.masked.slice(at, c.range[0]), text.slice(at, c.range[0]));
    at = c.range[1];
  }
  assert.equal(mask.masked.slice(at), text.slice(at));
  return mask;
}

describe('maskJinja', () => {
  it('masks a value as a same-length plain scalar', () => {
    const mask = assertOffsetsKept('restart: {{ policy }}\n');
    assert.equal(mask.masked, 'restart: __j0________\n');
    assert.deepEqual(mask.constructs, [{ kind: 'expression', range: [9, 21], keyword: null, maskedAs: 'scalar' }]);
    assert.deepEqual(parse(mask.masked), { restart: '__j0________' });
  });

  it('numbers placeholders so that masked keys stay distinct', () => {
    const mask = assertOffsetsKept('{{ a }}: 1\n{{ b }}: 2\n');
    assert.deepEqual(parse(mask.masked), { __j0___: 1, __j1___: 2 });
  });

  it('masks whole-line statements, and whole-line expressions, as comments', () => {
    const text = '{% if x %}\nk: v\n  {{ block | to_nice_yaml }}\n{% endif %}\n';
    const mask = assertOffsetsKept(text);
    assert.equal(mask.masked, '#_________\nk: v\n  #_________________________\n#__________\n');
    assert.deepEqual(parse(mask.masked), { k: 'v' });
  });

  it('masks a statement or comment at the end of a line after whitespace as a comment', () => {
    const mask = assertOffsetsKept('k: v  {# why #}\nl: w {% endif %}\n');
    assert.equal(mask.masked, 'k: v  #________\nl: w #__________\n');
    assert.deepEqual(
      mask.constructs.map((c) => c.maskedAs),
      ['comment', 'comment'],
    );
  });

  it('masks Jinja glued to a value as part of the scalar', () => {
    const mask = assertOffsetsKept('k: v{# why #}\n');
    assert.equal(mask.masked, 'k: v__j0_____\n');
  });

  it('masks Jinja inside quoted strings and in the middle of plain scalars', () => {
    const text = 'image: "{{ repo }}:{{ tag }}"\nvol: {{ dir }}/data:/data\n';
    const mask = assertOffsetsKept(text);
    assert.deepEqual(parse(mask.masked), { image: '__j0______:__j1_____', vol: '__j2_____/data:/data' });
  });

  it('masks a multi-line construct on one line, keeping every offset', () => {
    const text = 'cmd: {{ a |\n  b }}\nnext: 1\n{% if\n  x %}\nlast: 2\n';
    const mask = assertOffsetsKept(text);
    assert.equal(mask.masked, 'cmd: __j0_________\nnext: 1\n#___________\nlast: 2\n');
    assert.deepEqual(parse(mask.masked), { cmd: '__j0_________', next: 1, last: 2 });
  });

  it('keeps several constructs on one Jinja-only line in one comment', () => {
    const mask = assertOffsetsKept('{% if a %}{{ b }}{# c #}\nk: v\n');
    assert.equal(mask.masked, '#_______________________\nk: v\n');
  });

  it('does not end an expression at a }} inside a string literal', () => {
    const mask = assertOffsetsKept('k: {{ "}}" ~ x }}\n');
    assert.deepEqual(
      mask.constructs.map((c) => c.range),
      [[3, 17]],
    );
  });

  it('reads the keyword of statements with whitespace control', () => {
    const mask = maskJinja('{%- if a -%}\n{%+ for x in y %}\n{% endfor %}\n{% endif %}\n');
    assert.deepEqual(
      mask.constructs.map((c) => c.keyword),
      ['if', 'for', 'endfor', 'endif'],
    );
  });

  it('leaves {% raw %} content unmasked', () => {
    const text = 'a: {% raw %}{{ literal }}{% endraw %}\n';
    const mask = assertOffsetsKept(text);
    assert.deepEqual(
      mask.constructs.map((c) => c.keyword),
      ['raw', 'endraw'],
    );
    assert.equal(mask.masked.slice(12, 25), '{{ literal }}');
  });

  it('leaves an unterminated construct as it is', () => {
    const mask = assertOffsetsKept('a: {{ b\n');
    assert.deepEqual(mask.constructs, []);
    assert.equal(mask.masked, 'a: {{ b\n');
  });

  it('reports if and for blocks; elif and else do not close them', () => {
    const text = '{% if a %}\nx: 1\n{% elif b %}\n{% for i in c %}\ny: 2\n{% endfor %}\n{% else %}\n{% endif %}\nz: 3\n';
    const mask = maskJinja(text);
    const ifEnd = text.indexOf('{% endif %}') + '{% endif %}'.length;
    const forStart = text.indexOf('{% for');
    const forEnd = text.indexOf('{% endfor %}') + '{% endfor %}'.length;
    assert.deepEqual(
      mask.blocks.map((b) => [b.kind, b.range, b.closed]),
      [
        ['if', [0, ifEnd], true],
        ['for', [forStart, forEnd], true],
      ],
    );
    const y = text.indexOf('y: 2');
    assert.deepEqual(
      blocksAround(mask, y).map((b) => b.kind),
      ['if', 'for'],
    );
    assert.deepEqual(
      blocksAround(mask, text.indexOf('x: 1')).map((b) => b.kind),
      ['if'],
    );
    assert.deepEqual(blocksAround(mask, text.indexOf('z: 3')), []);
    assert.deepEqual(blocksAround(mask, 0), [], 'the opening tag itself is not inside its block');
  });

  it('reports an unclosed block up to the end of the text', () => {
    const text = '{% if a %}\nx: 1\n';
    assert.deepEqual(
      maskJinja(text).blocks.map((b) => [b.range, b.closed]),
      [[[0, text.length], false]],
    );
  });

  it('closes blocks left open inside a matching end tag', () => {
    const text = '{% for a in b %}{% if c %}{% endfor %}';
    assert.deepEqual(
      maskJinja(text).blocks.map((b) => [b.kind, b.range, b.closed]),
      [
        ['for', [0, text.length], true],
        ['if', [16, text.length], false],
      ],
    );
  });

  it('finds the construct at a range, and an insertion point strictly inside one', () => {
    const mask = maskJinja('k: {{ v }}\n');
    assert.equal(jinjaAt(mask, [3, 10])?.kind, 'expression');
    assert.equal(jinjaAt(mask, [0, 3]), null);
    assert.equal(jinjaAt(mask, [5, 5])?.kind, 'expression');
    assert.equal(jinjaAt(mask, [3, 3]), null);
    assert.equal(jinjaAt(mask, [10, 10]), null);
  });
});
