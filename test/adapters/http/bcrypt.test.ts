/**
 * bcrypt (src/adapters/http/bcrypt.ts, bcryptjs) against hashes made by libxcrypt (Python's crypt module, the crypt(3)
 * that Debian's own tools use): the expected values below were produced by it, and one more is
 * made at run time with a random salt when python3's crypt module is there.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { bcryptVerify, bcryptWithSetting, isBcryptHash, loadBcrypt } from '../../../src/adapters/http/bcrypt.js';
import { bcryptHash } from '../../helpers/alertmanager.js';

before(() => loadBcrypt());

const VECTORS: Array<[string, string]> = [
  // OpenBSD's own test vector.
  ['U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
  ['', '$2b$04$abcdefghijklmnopqrstuubyCG3zY1GIXMyxfivm.ClDiInHzxjiq'],
  // Passwords are cut at 72 bytes: 80 and 72 x's hash alike.
  ['x'.repeat(80), '$2b$04$abcdefghijklmnopqrstuubzadhGtS2zEF.gu0yd0opP6cVzb.e0i'],
  ['x'.repeat(72), '$2b$04$abcdefghijklmnopqrstuubzadhGtS2zEF.gu0yd0opP6cVzb.e0i'],
  // UTF-8, and the $2y$ prefix htpasswd writes.
  ['pässwörd✓', '$2y$06$abcdefghijklmnopqrstuuXbKzE8TwXPuRo4bcmooFCGV29JlWZf6'],
];

test('bcrypt: the hashes libxcrypt makes, and wrong passwords refused', () => {
  for (const [pw, hash] of VECTORS) {
    assert.equal(bcryptWithSetting(pw, hash), hash, JSON.stringify(pw));
    assert.equal(bcryptVerify(pw, hash), true);
    assert.equal(bcryptVerify(`${pw}!`.slice(0, 71) + (pw.length >= 72 ? 'y' : ''), hash), false);
  }
  assert.equal(bcryptVerify('x'.repeat(71), VECTORS[3]![1]), false);
});

test('bcrypt: a hash made now with a random salt (python3 crypt) verifies; malformed hashes do not', (t) => {
  let made: string;
  try {
    made = bcryptHash('s3cret-pw');
  } catch {
    return t.skip('python3 with the crypt module is not available');
  }
  assert.equal(bcryptVerify('s3cret-pw', made), true);
  assert.equal(bcryptVerify('s3cret-px', made), false);
  for (const bad of [
    '',
    'plaintext',
    '$2b$03$abcdefghijklmnopqrstuubyCG3zY1GIXMyxfivm.ClDiInHzxjiq',
    '$2x$04$abcdefghijklmnopqrstuubyCG3zY1GIXMyxfivm.ClDiInHzxjiq',
    `${made}x`,
    '$1$salt$hash',
  ]) {
    assert.equal(isBcryptHash(bad), false, bad);
    assert.equal(bcryptVerify('s3cret-pw', bad), false, bad);
  }
});
