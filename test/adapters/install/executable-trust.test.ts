/**
 * `install --bin`: root runs that file from the unit and the apt hook, so it and every directory
 * above it must be root's and writable by nobody else (as root: real files, real modes).
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { executableTrustProblems } from '../../../src/adapters/install/read-install.js';

const isRoot = process.getuid?.() === 0;
// /run is root's, 0755, on every machine of this kind; /tmp is world-writable (sticky) and must fail.
const root = isRoot ? mkdtempSync('/run/upkeep-trust-') : '';
after(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('executableTrustProblems', { skip: !isRoot && 'needs root (chown, a root-owned directory)' }, () => {
  it('a root-owned 0755 file in root-owned 0755 directories: no problem; through a symlink too', async () => {
    chmodSync(root, 0o755);
    const bin = join(root, 'upkeep');
    writeFileSync(bin, '#!/bin/sh\n', { mode: 0o755 });
    assert.deepEqual(await executableTrustProblems(bin), []);
    symlinkSync(bin, join(root, 'link'));
    assert.deepEqual(await executableTrustProblems(join(root, 'link')), []);
  });

  it('owned by another user, group-writable, a world-writable directory above: each named', async () => {
    const dir = join(root, 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const bin = join(dir, 'upkeep');
    writeFileSync(bin, '#!/bin/sh\n');
    chmodSync(bin, 0o775);
    chownSync(bin, 65534, 65534);
    const problems = await executableTrustProblems(bin);
    assert.deepEqual(problems, [
      `${bin} (the executable) is owned by uid 65534, not root`,
      `${bin} (the executable) is writable by its group (mode 775)`,
      `${dir} (a directory above it) is writable by its group and everyone (mode 777)`,
    ]);
    const inTmp = mkdtempSync('/tmp/upkeep-trust-');
    try {
      writeFileSync(join(inTmp, 'upkeep'), '#!/bin/sh\n', { mode: 0o755 });
      chmodSync(inTmp, 0o755);
      assert.ok((await executableTrustProblems(join(inTmp, 'upkeep'))).some((p) => p.startsWith('/tmp (a directory above it) is writable')));
    } finally {
      rmSync(inTmp, { recursive: true, force: true });
    }
  });
});

describe('install --root', () => {
  it('a missing directory says it does not exist (also with --dry-run); a file says it is not a directory', async () => {
    const { upkeep } = await import('../../helpers/cli.js');
    const missing = await upkeep(['install', '--root', '/nonexistent/upkeep-root', '--dry-run']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--root \/nonexistent\/upkeep-root does not exist\nhint: create it first \(mkdir -p \/nonexistent\/upkeep-root\)/);
    const file = await upkeep(['install', '--root', '/etc/hostname', '--dry-run']);
    assert.equal(file.code, 2);
    assert.match(file.stderr, /--root \/etc\/hostname: not a directory/);
  });
});
