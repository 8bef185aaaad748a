import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareDebianVersions, parseDebianVersion, upstreamChange } from '../../../src/core/preflight/debian-version.js';

const sign = (n: number): number => Math.sign(n);

test('compareDebianVersions: tricky pairs, each checked both ways', () => {
  // [a, b, sign of a - b], every row verified by hand with `dpkg --compare-versions`.
  const table: Array<[string, string, -1 | 0 | 1]> = [
    ['1.0~rc1', '1.0', -1], // tilde sorts before the end of the string
    ['1.0~~', '1.0~', -1], // two tildes before one
    ['1.0~~a', '1.0~', -1],
    ['1.0', '1.0+b1', -1], // '+' after the end
    ['1.0', '1.0a', -1], // the end before a letter
    ['1.0a', '1.0+', -1], // letters before non-letters
    ['1.0a', '1.0.', -1],
    ['1.0Z', '1.0a', -1], // ASCII order among letters
    ['1.2', '1.10', -1], // numeric, not lexical
    ['000000000000000000001', '1', 0], // leading zeros do not count
    ['1.000000000000000000001', '1.1', 0],
    ['99999999999999999999999999999', '100000000000000000000000000000', -1], // beyond Number precision
    ['18446744073709551616', '18446744073709551615', 1], // 2^64 vs 2^64 - 1
    ['9007199254740993', '9007199254740992', 1], // 2^53 + 1: equal as Numbers
    ['1:0.1', '2.0', 1], // the epoch wins
    ['0:1.0', '1.0', 0], // epoch 0 is no epoch
    ['00001:1.0', '1:1.0', 0],
    ['+1:1.0', '1:1.0', 0], // dpkg reads the epoch with strtol, which takes a sign
    ['-0:1.0', '1.0', 0],
    ['1.0-1', '1.0', 1], // revision "1" > empty revision
    ['1.0-0', '1.0', 0], // empty revision equals "0"
    ['1.0-1~deb12u1', '1.0-1', -1],
    ['1.0-1+deb12u1', '1.0-1', 1],
    ['1.0-1-1', '1.0-1', 1], // the last hyphen separates the revision: upstream "1.0-1" > "1.0"
    ['1:2:3', '1:2:2', 1], // colons after the epoch belong to upstream
    ['2.36-9+deb12u10', '2.36-9+deb12u9', 1],
    ['1.1.1w-0+deb12u1', '3.0.17-1~deb12u2', -1],
    ['5:28.3.2-1~ubuntu.24.04~noble', '5:29.0.2-1~ubuntu.24.04~noble', -1],
    ['1.7.27-1', '2.1.5-1', -1],
    ['6.8.0-87.88', '6.8.0-88.89', -1],
    ['1:9.2p1-2+deb12u6', '1:9.2p1-2+deb12u10', -1],
    ['20.10.24+dfsg1-1+deb12u1+b6', '20.10.24+dfsg1-1+deb12u1+b10', -1],
    ['1.0~', '1.0-~', -1], // upstream "1.0~" < "1.0" decides before the revisions are looked at
    ['a', 'b', -1], // no leading digit: dpkg warns and still compares
  ];
  for (const [a, b, want] of table) {
    assert.equal(sign(compareDebianVersions(a, b)), want, `${a} vs ${b}`);
    assert.equal(sign(compareDebianVersions(b, a)), -want || 0, `${b} vs ${a}`);
  }
});

test('parseDebianVersion splits at the first colon and the last hyphen', () => {
  assert.deepEqual(parseDebianVersion('5:29.0.2-1~ubuntu.24.04~noble'), {
    ok: true,
    version: { epoch: 5, upstream: '29.0.2', revision: '1~ubuntu.24.04~noble' },
    warnings: [],
  });
  assert.deepEqual(parseDebianVersion('1:2:3-4-5'), {
    ok: true,
    version: { epoch: 1, upstream: '2:3-4', revision: '5' },
    warnings: [],
  });
  assert.deepEqual(parseDebianVersion(' 2.0 '), { ok: true, version: { epoch: 0, upstream: '2.0', revision: '' }, warnings: [] });
});

test('parseDebianVersion refuses what dpkg refuses and warns where dpkg warns', () => {
  const errors: Array<[string, string]> = [
    ['', 'version string is empty'],
    ['1 .0', 'version string has embedded spaces'],
    [':1.0', 'epoch in version is empty'],
    ['a:1.0', 'epoch in version is empty'], // strtol read no digit
    ['+:1.0', 'epoch in version is empty'],
    ['1a:1.0', 'epoch in version is not number'],
    ['-1:1.0', 'epoch in version is negative'],
    ['99999999999:1', 'epoch in version is too big'],
    ['2147483648:1', 'epoch in version is too big'],
    ['1:', 'nothing after colon in version number'],
    ['1.0-', 'revision number is empty'],
    ['-1', 'version number is empty'],
  ];
  for (const [text, error] of errors) assert.deepEqual(parseDebianVersion(text), { ok: false, error }, JSON.stringify(text));
  assert.deepEqual(parseDebianVersion('2147483647:1'), {
    ok: true,
    version: { epoch: 2147483647, upstream: '1', revision: '' },
    warnings: [],
  });
  const warned = parseDebianVersion('v1.0-1_2');
  assert.equal(warned.ok, true);
  if (warned.ok) assert.deepEqual(warned.warnings, ['upstream does not start with a digit', 'invalid character in revision']);
  assert.throws(() => compareDebianVersions('1.0-', '1.0'), /invalid Debian version "1.0-": revision number is empty/);
});

test('upstreamChange classifies the incident packages and the edge cases', () => {
  const table: Array<[string, string, ReturnType<typeof upstreamChange>]> = [
    ['1.7.27-1', '2.1.5-1', 'major'], // containerd.io in the incident
    ['5:28.3.2-1~ubuntu.24.04~noble', '5:29.0.2-1~ubuntu.24.04~noble', 'major'], // docker-ce
    ['1:1.0', '2:1.0', 'major'], // epoch change
    ['2.26.1-1', '2.27.0-1', 'minor'],
    ['1.6.20~ds1-1', '1.6.21~ds1-1', 'patch'],
    ['9.2p1-2', '9.3p1-1', 'minor'],
    ['1:9.2p1-2+deb12u6', '1:9.2p1-2+deb12u10', 'other'], // revision only
    ['6.8.0-87.88', '6.8.0-88.89', 'other'], // kernel ABI bump lives in the revision
    ['3.0.17', '3.0.17.1', 'other'], // a fourth number
    ['2.0', '2.0.1', 'patch'], // a patch number appears
    ['007.1', '7.1', 'none'], // equal for dpkg
    ['1.0-1', '1.0-0001', 'none'],
    ['2.1.5-1', '1.7.27-1', 'major'], // a downgrade is classified the same way
    ['abc', 'abd', 'other'], // no leading number
    ['100000000000000000000.1', '100000000000000000001.1', 'major'],
  ];
  for (const [a, b, want] of table) assert.equal(upstreamChange(a, b), want, `${a} -> ${b}`);
});
