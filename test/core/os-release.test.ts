/** os-release's PRETTY_NAME (core/os-release.ts): quoting, control characters, hostile lengths. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prettyNameOf } from '../../src/core/os-release.js';

describe('prettyNameOf', () => {
  it('reads quoted, single-quoted and bare values, with escapes; none or empty is null', () => {
    assert.equal(prettyNameOf('NAME=x\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'), 'Debian GNU/Linux 12 (bookworm)');
    assert.equal(prettyNameOf("PRETTY_NAME='Ubuntu 24.04.1 LTS'"), 'Ubuntu 24.04.1 LTS');
    assert.equal(prettyNameOf('  PRETTY_NAME = Alpine  '), 'Alpine');
    assert.equal(prettyNameOf('PRETTY_NAME="say \\"hi\\""'), 'say "hi"');
    assert.equal(prettyNameOf('PRETTY_NAMES="no"\nNAME=x'), null);
    assert.equal(prettyNameOf('PRETTY_NAME=""'), null);
    assert.equal(prettyNameOf('PRETTY_NAME="a\u0007b\u001b[31m"'), 'ab[31m');
  });
  // A hang guard, not a speed target: the old regex backtracked quadratically (about 2e10 steps
  // here: minutes); reading it in linear time takes milliseconds.
  it('a value of 200,000 spaces between two letters is read (no backtracking) and cut to 200 characters', { timeout: 10_000 }, () => {
    const v = prettyNameOf(`PRETTY_NAME="a${' '.repeat(200_000)}b"`);
    assert.equal(v?.length, 200);
    assert.ok(v?.startsWith('a '));
  });
});
