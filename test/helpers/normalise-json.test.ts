import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normaliseJson } from './normalise-json.js';

const ID = 'cf123c54860a95df3dffead638f10312474280d2fbb9952fd373685e834f5c35';

test("times become <time>, except Docker's zero time", () => {
  assert.deepEqual(
    normaliseJson({
      at: '2026-11-29T10:11:12.123Z',
      nano: '2026-11-29T10:11:12.123456789Z',
      offset: '2026-11-29T10:11:12+01:00',
      zero: '0001-01-01T00:00:00Z',
      in: 'exited (137) at 2026-11-29T10:11:12Z',
    }),
    { at: '<time>', nano: '<time>', offset: '<time>', zero: '0001-01-01T00:00:00Z', in: 'exited (137) at <time>' },
  );
});

test('full ids and the short form of an id seen in the same value become <id>; other hex stays', () => {
  assert.deepEqual(normaliseJson({ id: ID, line: `container ${ID.slice(0, 12)} started`, other: 'deadbeefcafe', image: `sha256:${ID}` }), {
    id: '<id>',
    line: 'container <id> started',
    other: 'deadbeefcafe',
    image: 'sha256:<id>',
  });
});

test('literals are replaced longest first, exact values only as a whole string', () => {
  const ctx = {
    literals: [
      ['/tmp/upk-a', '<root>'],
      ['/tmp/upk-a/state', '<state>'],
    ] as const,
    exact: [['vm', '<hostname>']] as const,
  };
  assert.deepEqual(normaliseJson({ dir: '/tmp/upk-a/state/x', root: '/tmp/upk-a', name: 'vm', text: 'vm on vmware' }, ctx), {
    dir: '<state>/x',
    root: '<root>',
    name: '<hostname>',
    text: 'vm on vmware',
  });
});

test('ports: whole number tokens in strings; JSON numbers are left alone', () => {
  const ctx = { ports: { silo: 23456 } };
  assert.deepEqual(normaliseJson({ url: 'http://127.0.0.1:23456/', longer: '1234567', port: 23456, near: '234567' }, ctx), {
    url: 'http://127.0.0.1:<port:silo>/',
    longer: '1234567',
    port: 23456,
    near: '234567',
  });
});

test('keys: the value is replaced at any depth, null stays null; key order and array order are kept', () => {
  const input = { z: 1, seconds: 1.3, a: [{ readyAfterSeconds: 2, b: 3 }, { readyAfterSeconds: null }] };
  const out = normaliseJson(input, { keys: { seconds: '<seconds>', readyAfterSeconds: '<seconds>' } });
  assert.deepEqual(out, { z: 1, seconds: '<seconds>', a: [{ readyAfterSeconds: '<seconds>', b: 3 }, { readyAfterSeconds: null }] });
  assert.deepEqual(Object.keys(out as object), ['z', 'seconds', 'a']);
  assert.deepEqual(input.seconds, 1.3, 'the input is not changed');
});
