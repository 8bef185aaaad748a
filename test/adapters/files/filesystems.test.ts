/** The filesystems of paths on this machine, against what mountpoint(1) and stat -f say independently. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { filesystemsOf } from '../../../src/adapters/files/filesystems.js';
import { readBootFiles } from '../../../src/adapters/apt/package-sizes.js';
import type { FilesystemFacts } from '../../../src/core/preflight/disk-space.js';

const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8' }).trim();

test('/ and /dev/shm (a tmpfs): device as mountpoint -d, free and total as stat -f; a missing path is on its parent', async () => {
  const dir = mkdtempSync('/dev/shm/upkeep-fs-');
  try {
    symlinkSync(dir, join(dir, 'link-to-shm'));
    const got = await filesystemsOf(['/', '/usr', '/dev/shm', join(dir, 'no/such/dir'), join(dir, 'link-to-shm')]);
    const root = got.get('/') as FilesystemFacts;
    assert.equal(root.mountPoint, '/');
    assert.equal(root.device, sh('mountpoint -d /'));
    const [avail, bsize, blocks] = sh('stat -f -c "%a %S %b" /').split(' ').map(Number) as [number, number, number];
    assert.equal(root.totalBytes, blocks * bsize);
    // Others write to / meanwhile: within 1 GiB.
    assert.ok(Math.abs(root.freeBytes! - avail * bsize) < 1024 ** 3, `${root.freeBytes} vs ${avail * bsize}`);
    const shm = got.get('/dev/shm') as FilesystemFacts;
    assert.equal(shm.fsType, 'tmpfs');
    assert.equal(shm.device, sh('mountpoint -d /dev/shm'));
    assert.notEqual(shm.device, root.device);
    assert.deepEqual(got.get(join(dir, 'no/such/dir')), shm, 'a path not there yet: where it would be created');
    assert.deepEqual(got.get(join(dir, 'link-to-shm')), shm);
    const usr = got.get('/usr') as FilesystemFacts;
    assert.equal(usr.device, sh('stat -c "%Hd:%Ld" /usr'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unreadable mount table or a relative path: a problem per path, never a throw', async () => {
  const none = await filesystemsOf(['/'], { mountInfoPath: '/nonexistent/mountinfo' });
  assert.match((none.get('/') as { problem: string }).problem, /^mount table not read: ENOENT/);
  const dir = mkdtempSync('/tmp/upkeep-fs-');
  try {
    writeFileSync(join(dir, 'mountinfo'), '1 0 8:1 / /srv rw - ext4 /dev/sda1 rw\n');
    const lost = await filesystemsOf(['/'], { mountInfoPath: join(dir, 'mountinfo') });
    assert.match((lost.get('/') as { problem: string }).problem, /is on no mount listed in the mount table/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readBootFiles: per release its vmlinuz, System.map and config; the initrds; a missing /boot is empty', async () => {
  const dir = mkdtempSync('/tmp/upkeep-boot-');
  try {
    writeFileSync(join(dir, 'vmlinuz-6.1.0-41-amd64'), Buffer.alloc(1000));
    writeFileSync(join(dir, 'System.map-6.1.0-41-amd64'), Buffer.alloc(200));
    writeFileSync(join(dir, 'config-6.1.0-41-amd64'), Buffer.alloc(30));
    writeFileSync(join(dir, 'vmlinuz-6.1.0-40-amd64'), Buffer.alloc(900));
    writeFileSync(join(dir, 'initrd.img-6.1.0-41-amd64'), Buffer.alloc(5000));
    symlinkSync('vmlinuz-6.1.0-41-amd64', join(dir, 'vmlinuz'));
    const b = await readBootFiles(dir);
    assert.ok(!('problem' in b));
    assert.deepEqual(
      b.kernels.sort((x, y) => x.release.localeCompare(y.release)),
      [
        { release: '6.1.0-40-amd64', bytes: 900 },
        { release: '6.1.0-41-amd64', bytes: 1230 },
      ],
    );
    assert.deepEqual(b.initrds, [{ name: 'initrd.img-6.1.0-41-amd64', bytes: 5000 }]);
    assert.deepEqual(await readBootFiles(join(dir, 'absent')), { kernels: [], initrds: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
