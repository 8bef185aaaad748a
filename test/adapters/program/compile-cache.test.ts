/**
 * Node's compile cache for upkeep's own code (src/adapters/program/compile-cache.ts): where it goes,
 * and that it is never used from a directory someone else could write (root would run their code).
 * The bundle test (test/scripts/bundle.test.ts) checks a real program filling it.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compileCacheDir, privateDirectory } from '../../../src/adapters/program/compile-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'upkeep-ccache-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const uid = process.getuid!();

describe('compileCacheDir', () => {
  it('XDG_CACHE_HOME first, then HOME/.cache', () => {
    assert.equal(compileCacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/a' }), '/x/cache/upkeep/compile-cache');
    assert.equal(compileCacheDir({ HOME: '/home/a' }), '/home/a/.cache/upkeep/compile-cache');
  });

  it('relative or empty values are not used: no cache rather than one in the working directory', () => {
    assert.equal(compileCacheDir({ XDG_CACHE_HOME: 'cache', HOME: '/home/a' }), '/home/a/.cache/upkeep/compile-cache');
    assert.equal(compileCacheDir({ XDG_CACHE_HOME: '', HOME: 'home' }), null);
    assert.equal(compileCacheDir({ HOME: '/' }), null, 'a service without a home has HOME=/ at best');
    assert.equal(compileCacheDir({}), null);
  });
});

describe('privateDirectory', () => {
  it('a 0700 directory of this user: yes', () => {
    const d = join(dir, 'own');
    mkdirSync(d, { mode: 0o700 });
    assert.equal(privateDirectory(d, uid), true);
  });

  it('writable by group or others: no', () => {
    for (const mode of [0o770, 0o707, 0o777]) {
      const d = join(dir, `mode-${mode.toString(8)}`);
      mkdirSync(d);
      chmodSync(d, mode);
      assert.equal(privateDirectory(d, uid), false, mode.toString(8));
    }
  });

  it("another user's directory, a symlink to one's own, a file, nothing: no", () => {
    const other = join(dir, 'other');
    mkdirSync(other, { mode: 0o700 });
    if (uid === 0) {
      chownSync(other, 65534, 65534);
      assert.equal(privateDirectory(other, 0), false);
    } else assert.equal(privateDirectory(other, uid + 1), false);
    const link = join(dir, 'link');
    symlinkSync(join(dir, 'own'), link);
    assert.equal(privateDirectory(link, uid), false);
    assert.equal(privateDirectory(join(dir, 'missing'), uid), false);
  });
});
