import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interpolateString, interpolateTree } from '../../../src/core/config/interpolate.js';

const env = { A: 'alpha', EMPTY: '' };

test('${NAME}, ${NAME:-default} and $${ escapes', () => {
  assert.equal(interpolateString('x-${A}-y', env).value, 'x-alpha-y');
  assert.equal(interpolateString('${B:-beta}', env).value, 'beta');
  assert.equal(interpolateString('${A:-beta}', env).value, 'alpha');
  assert.equal(interpolateString('${EMPTY:-fallback}', env).value, 'fallback', 'empty counts as unset with :- (as in compose)');
  assert.equal(interpolateString('${EMPTY}', env).value, '');
  assert.equal(interpolateString('${B:-}', env).value, '');
  assert.equal(interpolateString('$${A} and $$ and $A', env).value, '${A} and $$ and $A');
  assert.deepEqual(interpolateString('no refs', env), { value: 'no refs', substituted: [], problems: [] });
});

test('an unset variable without default, a bad name and an unclosed ${ are problems', () => {
  assert.deepEqual(interpolateString('${NOPE}', env).problems, ['environment variable NOPE is not set (set it, or write ${NOPE:-default})']);
  assert.match(interpolateString('${1A}', env).problems[0] ?? '', /"\$\{1A\}" is not a variable reference/);
  assert.match(interpolateString('abc ${A', env).problems[0] ?? '', /without a closing/);
});

test('interpolateTree touches string values only, records where and what it substituted', () => {
  const r = interpolateTree({ '${A}': 'v ${A}', n: 5, list: ['${B:-b}', true], deep: { x: '${NOPE}' } }, env);
  assert.deepEqual(r.value, { '${A}': 'v alpha', n: 5, list: ['b', true], deep: { x: '' } });
  assert.deepEqual(r.issues, [{ path: ['deep', 'x'], message: 'environment variable NOPE is not set (set it, or write ${NOPE:-default})' }]);
  assert.deepEqual(r.paths, [['${A}'], ['list', 0]]);
  assert.deepEqual([...r.sensitive].sort(), ['alpha', 'b', 'v alpha']);
});
