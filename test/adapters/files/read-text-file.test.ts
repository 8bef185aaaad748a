/** The reader for files named by labels or config: regular files only, bounded, strict UTF-8, never blocking. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readTextFile } from '../../../src/adapters/files/read-text-file.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-read-'));

function refusal(r: Awaited<ReturnType<typeof readTextFile>>): string {
  assert.equal(r.ok, false, 'refused');
  return r.ok ? '' : r.why;
}
after(() => rmSync(root, { recursive: true, force: true }));

describe('readTextFile', () => {
  it('reads a regular UTF-8 file, also through a symlink', async () => {
    writeFileSync(join(root, 'a.yml'), 'services: {}\n# é\n');
    symlinkSync(join(root, 'a.yml'), join(root, 'link.yml'));
    assert.deepEqual(await readTextFile(join(root, 'a.yml')), { ok: true, text: 'services: {}\n# é\n' });
    assert.deepEqual(await readTextFile(join(root, 'link.yml')), { ok: true, text: 'services: {}\n# é\n' });
  });

  it('refuses bytes that are not UTF-8 (never U+FFFD)', async () => {
    writeFileSync(join(root, 'latin1.yml'), Buffer.from([0x23, 0x20, 0xe9, 0x0a]));
    assert.match(refusal(await readTextFile(join(root, 'latin1.yml'))), /not valid UTF-8 \(first bad byte at offset 2\)/);
  });

  it('a FIFO does not block: refused at once', async () => {
    execFileSync('mkfifo', [join(root, 'fifo')]);
    assert.match(refusal(await readTextFile(join(root, 'fifo'))), /not a regular file/);
  });

  it('a symlink to /dev/zero and a directory are refused', async () => {
    symlinkSync('/dev/zero', join(root, 'zero.yml'));
    assert.match(refusal(await readTextFile(join(root, 'zero.yml'))), /not a regular file/);
    assert.match(refusal(await readTextFile(root)), /not a regular file/);
  });

  it('a file over the limit is refused with its size; a missing one says so', async () => {
    writeFileSync(join(root, 'big.yml'), 'x'.repeat(2048));
    assert.match(refusal(await readTextFile(join(root, 'big.yml'), 1024)), /2048|larger|limit/);
    assert.match(refusal(await readTextFile(join(root, 'missing.yml'))), /does not exist/);
  });
});
