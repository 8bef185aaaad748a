import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readConffiles, readPackageFileList, readPackageFiles } from '../../../src/adapters/apt/package-files.js';
import { shippedUnits } from '../../../src/core/preflight/shipped-units.js';
import { runCommand } from '../../../src/adapters/apt/run-command.js';

test('readPackageFileList: PKG.list, PKG:ARCH.list, and null for a package dpkg does not know', async () => {
  const docker = await readPackageFileList('docker.io');
  assert.ok(docker !== null);
  assert.ok(docker.includes('/usr/sbin/dockerd'));
  assert.ok(docker.includes('/lib/systemd/system/docker.service'));
  assert.ok(!docker.includes('/.'));
  const libc6 = await readPackageFileList('libc6');
  assert.ok(
    libc6?.some((p) => p.endsWith('/libc.so.6')),
    'libc6:amd64.list was not found',
  );
  assert.deepEqual(await readPackageFileList('libc6', { arch: 'amd64' }), libc6);
  assert.equal(await readPackageFileList('no-such-package-upkeep'), null);
});

test('readPackageFiles names the list it read; the units docker.io and containerd ship, from their real lists', async () => {
  const docker = await readPackageFiles('docker.io');
  assert.equal(docker?.file, '/var/lib/dpkg/info/docker.io.list');
  assert.deepEqual(shippedUnits(docker!.paths), ['docker.service', 'docker.socket']);
  assert.deepEqual(shippedUnits((await readPackageFiles('containerd'))!.paths), ['containerd.service']);
  assert.deepEqual(shippedUnits((await readPackageFiles('libc6'))!.paths), []);
  assert.equal(await readPackageFiles('no-such-package-upkeep'), null);
});

test('readConffiles on real packages: every state agrees with md5sum of the file', async () => {
  for (const pkg of ['docker.io', 'systemd']) {
    const files = await readConffiles(pkg);
    assert.ok(files.length > 0, `${pkg} has no conffiles`);
    for (const f of files) {
      assert.equal(f.managedBy, 'dpkg');
      const sum = await runCommand('md5sum', [f.path]);
      const actual = sum.code === 0 ? sum.stdout.split(' ')[0]! : null;
      assert.equal(f.currentMd5, actual, f.path);
      assert.equal(f.state, actual === null ? 'missing' : actual === f.recordedMd5 ? 'unchanged' : 'modified', f.path);
    }
  }
  const dockerDefault = (await readConffiles('docker.io')).find((f) => f.path === '/etc/default/docker');
  assert.equal(dockerDefault?.recordedMd5, '5926ad49aecc032181fe29e9e1f334ab');
  assert.deepEqual(await readConffiles('no-such-package-upkeep', '/nonexistent'), []);
});

test('readConffiles: files registered with ucf, modified, unchanged and missing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'upkeep-ucf-'));
  try {
    const edited = join(dir, 'sshd_config');
    const pristine = join(dir, 'other.conf');
    await writeFile(edited, 'PasswordAuthentication no\n');
    await writeFile(pristine, 'x\n');
    const md5 = async (p: string): Promise<string> => (await runCommand('md5sum', [p])).stdout.split(' ')[0]!;
    await writeFile(
      join(dir, 'registry'),
      `openssh-server \t ${edited}\nopenssh-server \t ${pristine}\nopenssh-server \t ${join(dir, 'gone')}\nother-pkg \t /etc/x\n`,
    );
    await writeFile(join(dir, 'hashfile'), `00000000000000000000000000000000  ${edited}\n${await md5(pristine)}  ${pristine}\n`);
    const files = await readConffiles('openssh-server', dir);
    const ucf = files.filter((f) => f.managedBy === 'ucf').map((f) => [f.path, f.state]);
    assert.deepEqual(ucf, [
      [edited, 'modified'],
      [pristine, 'unchanged'],
      [join(dir, 'gone'), 'missing'],
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
