import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { installedKernels, rebootRequiredFlag, runningKernel } from '../../../src/adapters/apt/kernels.js';
import { newestKernel } from '../../../src/core/preflight/kernels.js';
import { readRebootFacts } from '../../../src/adapters/apt/reboot-required.js';
import { runCommand } from '../../../src/adapters/apt/run-command.js';
import { hostLock } from '../../helpers/host-lock.js';

// Reads this machine's reboot flag and kernels, which the lock-holders write (the upgrade tests): never alongside them.
before(() => hostLock.acquire());
after(() => hostLock.release());

test('runningKernel is uname -r', async () => {
  assert.equal(runningKernel(), (await runCommand('uname', ['-r'])).stdout.trim());
});

test('installedKernels on this machine equals dpkg-query plus /boot, listed independently', async () => {
  const q = await runCommand('sh', [
    '-c',
    "dpkg-query -W -f='${Package}\\t${db:Status-Abbrev}\\n' 'linux-image-*' 2>/dev/null | awk -F'\\t' '$2 ~ /^i/ {print $1}' | sed -n 's/^linux-image-\\(unsigned-\\)\\{0,1\\}\\([0-9][0-9]*\\.[0-9].*\\)$/\\2/p'; ls /boot 2>/dev/null | sed -n 's/^vmlinuz-//p'",
  ]);
  const expected = [...new Set(q.stdout.split('\n').filter((l) => l !== ''))].sort();
  assert.deepEqual((await installedKernels()).sort(), expected);
});

test('installedKernels reads /boot/vmlinuz-*; rebootRequiredFlag reads the flag and its package list', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'upkeep-kernels-'));
  try {
    const boot = join(dir, 'boot');
    await mkdir(boot);
    for (const f of ['vmlinuz-6.8.0-87-generic', 'vmlinuz-6.8.0-88-generic', 'initrd.img-6.8.0-88-generic', 'config-6.8.0-88-generic'])
      await writeFile(join(boot, f), '');
    const kernels = await installedKernels(boot);
    assert.ok(kernels.includes('6.8.0-87-generic') && kernels.includes('6.8.0-88-generic'));
    assert.ok(!kernels.some((k) => k.startsWith('initrd') || k.startsWith('config')));

    const run = join(dir, 'run');
    await mkdir(run);
    assert.deepEqual(await rebootRequiredFlag(run), { required: false, packages: [] });
    await writeFile(join(run, 'reboot-required'), '*** System restart required ***\n');
    await writeFile(join(run, 'reboot-required.pkgs'), 'linux-image-6.8.0-88-generic\ndbus\ndbus\n');
    assert.deepEqual(await rebootRequiredFlag(run), { required: true, packages: ['linux-image-6.8.0-88-generic', 'dbus'] });
    // Both reasons at once (the status page's host line shows the kernels and the packages).
    const facts = await readRebootFacts(run, boot);
    assert.equal(facts.runningKernel, runningKernel());
    const newest = facts.newestKernel;
    assert.equal(newest, newestKernel(kernels));
    assert.deepEqual(facts.reasons.slice(0, 1), [`${run}/reboot-required (linux-image-6.8.0-88-generic, dbus)`]);
    if (newest !== runningKernel()) assert.equal(facts.reasons[1], `kernel ${newest} installed, ${runningKernel()} running`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const real = await rebootRequiredFlag();
  const exists = (await runCommand('test', ['-f', '/var/run/reboot-required'])).code === 0;
  assert.equal(real.required, exists);
});

test('the reboot flag is what `test -f` says, never opened: a FIFO, a directory, a symlink; a list that is a FIFO does not hang', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'upkeep-flag-'));
  try {
    const mkfifo = async (f: string) => assert.equal((await runCommand('mkfifo', [f])).code, 0, `mkfifo ${f}`);
    const cases: Array<[string, (flag: string) => Promise<void>, boolean]> = [
      ['absent', async () => {}, false],
      ['a regular file', (f) => writeFile(f, '*** System restart required ***\n'), true],
      ['a FIFO', mkfifo, false],
      ['a directory', (f) => mkdir(f), false],
      ['a symlink to a regular file', async (f) => (await writeFile(`${f}.target`, 'x'), symlink(`${f}.target`, f)), true],
      ['a dangling symlink', (f) => symlink(join(dir, 'nowhere'), f), false],
    ];
    for (const [what, make, expected] of cases) {
      const run = await mkdtemp(join(dir, 'run-'));
      const flag = join(run, 'reboot-required');
      await make(flag);
      const oracle = (await runCommand('test', ['-f', flag])).code === 0;
      assert.equal(oracle, expected, `${what}: test -f says ${oracle}`);
      assert.equal((await rebootRequiredFlag(run)).required, expected, what);
    }
    // The package list as a FIFO (nobody writes it): the flag still counts, the list is said unread, at once.
    const run = await mkdtemp(join(dir, 'run-'));
    await writeFile(join(run, 'reboot-required'), '');
    await mkfifo(join(run, 'reboot-required.pkgs'));
    const f = await rebootRequiredFlag(run);
    assert.deepEqual([f.required, f.packages], [true, []]);
    assert.match(f.packagesWhy ?? '', /reboot-required\.pkgs: .*not a regular file/);
    assert.match((await readRebootFacts(run)).reasons[0] ?? '', /reboot-required \(its package list not read: /);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('kernels that cannot be read are "not known", never "none": /boot not a directory; no /boot at all is none (a container)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'upkeep-boot-'));
  try {
    const notDir = join(dir, 'boot');
    await writeFile(notDir, '');
    await assert.rejects(installedKernels(notDir), /the installed kernels could not be read: .*boot: ENOTDIR/);
    const run = join(dir, 'run');
    await mkdir(run);
    const facts = await readRebootFacts(run, notDir);
    assert.deepEqual([facts.newestKernel, facts.required, facts.flagWhy], [null, null, null]);
    assert.match(facts.kernelsWhy ?? '', /ENOTDIR/);
    // Absent: nothing installed outside dpkg, not an error (dpkg's own kernels still count).
    const fromDpkg = await installedKernels(join(dir, 'no-boot'));
    assert.ok(Array.isArray(fromDpkg));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a flag that cannot be looked at is "not known", never "no reboot": a symlink loop in the run directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'upkeep-flag-'));
  try {
    const run = join(dir, 'run');
    await symlink(run, run);
    await assert.rejects(rebootRequiredFlag(run), /cannot tell whether .*reboot-required exists: ELOOP/);
    // The kernels read (an empty /boot, this machine's dpkg): only the flag is not known.
    const boot = join(dir, 'boot');
    await mkdir(boot);
    const facts = await readRebootFacts(run, boot);
    assert.equal(facts.flag, null);
    assert.equal(facts.kernelsWhy, null);
    assert.match(facts.flagWhy ?? '', /the reboot-required flag could not be read: cannot tell whether .*ELOOP/);
    // A newer kernel installed still says "required" (known from the kernels); otherwise "not known".
    assert.equal(facts.required, facts.reasons.length > 0 ? true : null);
    assert.ok(!facts.reasons.some((r) => r.includes('reboot-required')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
