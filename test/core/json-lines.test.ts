import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JsonLineSplitter } from '../../src/core/json-lines.js';

const enc = (s: string) => new TextEncoder().encode(s);

test('whole lines in one chunk', () => {
  const s = new JsonLineSplitter();
  assert.deepEqual(s.push(enc('{"a":1}\n{"a":2}\n')), [{ a: 1 }, { a: 2 }]);
  assert.deepEqual(s.end(), []);
});

test('a line split across chunks at every offset gives the same values', () => {
  const text = '{"Type":"container","Action":"die","Actor":{"ID":"x","Attributes":{"name":"wéb"}}}\n{"b":2}\n';
  const bytes = enc(text);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const s = new JsonLineSplitter();
    const got = [...s.push(bytes.slice(0, cut)), ...s.push(bytes.slice(cut)), ...s.end()];
    assert.equal(got.length, 2, `cut at ${cut}`);
    assert.equal((got[0] as { Actor: { Attributes: { name: string } } }).Actor.Attributes.name, 'wéb', `cut at ${cut} (inside a multi-byte character)`);
  }
});

test('byte-by-byte feeding, blank lines and CRLF', () => {
  const s = new JsonLineSplitter();
  const out: unknown[] = [];
  for (const b of enc('\n{"a":1}\r\n\n{"a":2}')) out.push(...s.push(new Uint8Array([b])));
  out.push(...s.end());
  assert.deepEqual(out, [{ a: 1 }, { a: 2 }]);
});

test('a malformed line throws a SyntaxError that quotes it', () => {
  const s = new JsonLineSplitter();
  assert.throws(() => s.push('{"a":\n'), /malformed JSON line in event stream: \{"a":/);
});
