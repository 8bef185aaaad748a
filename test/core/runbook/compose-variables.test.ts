/** Variable names from compose files and .env, never values; nothing from a file that is not compose. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { composeVariables, envFileNames, variableRefs } from '../../../src/core/runbook/compose-variables.js';

describe('variableRefs', () => {
  it('finds every form, skips $$ and nests into defaults', () => {
    assert.deepEqual(variableRefs('${A} ${B:-x} ${C-y} ${D:?no} ${E?no} ${F:+z} $G $$H ${I:-${J}} $1 $'), [
      { name: 'A', op: '' },
      { name: 'B', op: '-' },
      { name: 'C', op: '-' },
      { name: 'D', op: '?' },
      { name: 'E', op: '?' },
      { name: 'F', op: '+' },
      { name: 'G', op: '' },
      { name: 'I', op: '-' },
      { name: 'J', op: '' },
    ]);
  });
  it('stops at an unterminated ${', () => assert.deepEqual(variableRefs('$A ${B'), [{ name: 'A', op: '' }]));
});

describe('composeVariables', () => {
  it('merges the uses of a name', () => {
    const r = composeVariables('services:\n  a:\n    image: "x:${TAG:-1}"\n    environment: ["P=${TAG}", "Q=${REQ:?x}", "R=${OPT:+y}"]\n# ${IN_COMMENT}\n');
    assert.deepEqual(r, {
      ok: true,
      variables: [
        { name: 'OPT', hasDefault: false, required: false, onlyWhenSet: true },
        { name: 'REQ', hasDefault: false, required: true, onlyWhenSet: false },
        { name: 'TAG', hasDefault: true, required: false, onlyWhenSet: false },
      ],
    });
  });
  it('takes nothing from a file that is not compose (a shadow file named by a label)', () => {
    const shadow = 'root:$6$saltsalt$hashhashhash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n';
    const r = composeVariables(shadow);
    assert.equal(r.ok, false);
    assert.doesNotMatch(JSON.stringify(r), /salt|hash/);
  });
  it('says why for invalid YAML, without the text', () => {
    const r = composeVariables('services:\n  a: [unclosed ${SECRET_VALUE_X}\n');
    assert.equal(r.ok, false);
    assert.match((r as { why: string }).why, /^not valid YAML \(line \d+\)/);
    assert.doesNotMatch(JSON.stringify(r), /SECRET_VALUE_X/);
  });
});

describe('envFileNames', () => {
  it('lists names, never values', () => {
    assert.deepEqual(envFileNames('# c\nA=1\nexport B = two\n  C=\nnot a line\nD\n'), ['A', 'B', 'C']);
  });
});
