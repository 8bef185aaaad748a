/**
 * upkeep's dpkg readers follow apt to a package root: a real `dpkg --root` tree in a temporary
 * directory (a package installed there by dpkg, its postinst run without chroot, as apt runs it
 * with the test's APT_CONFIG), and real `apt-config` reading that configuration. What dpkg knows
 * there (versions, file lists, conffiles, scripts, the reboot flag its postinst wrote, the kernels
 * in its /boot) is read there, and nothing of it from this machine's /var/lib/dpkg, which the test
 * leaves untouched (it never runs dpkg without --root). Root only (dpkg installs as root).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dpkgLocation, dpkgQuery, forgetDpkgLocation, noteAptConfigDump, resolveInRoot } from '../../../src/adapters/apt/dpkg-location.js';
import { readSpaceFacts } from '../../../src/adapters/apt/package-sizes.js';
import { installedKernels, rebootRequiredFlag } from '../../../src/adapters/apt/kernels.js';
import { readInstalledScripts } from '../../../src/adapters/apt/maintainer-scripts.js';
import { readConffilesOf, readPackageFiles } from '../../../src/adapters/apt/package-files.js';
import { readRebootFacts } from '../../../src/adapters/apt/reboot-required.js';
import { localRollbackFacts } from '../../../src/adapters/apt/rollback-facts.js';
import { runCommand } from '../../../src/adapters/apt/run-command.js';

const PKG = 'upkeep-dpkg-root-test';
const asRoot = process.getuid?.() === 0;
let dir = '';
let root = '';
const savedAptConfig = process.env.APT_CONFIG;

before(() => {
  if (!asRoot) return;
  dir = mkdtempSync(join(tmpdir(), 'upkeep-dpkg-root-'));
  root = join(dir, 'root');
  for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'boot', 'run']) mkdirSync(join(root, d), { recursive: true });
  // As in any debootstrap tree: an absolute link that a chroot resolves in the root, this machine in the host's view.
  symlinkSync('/run', join(root, 'var/run'));
  writeFileSync(join(root, 'var/lib/dpkg/status'), '');
  writeFileSync(join(root, 'boot/vmlinuz-9.9.9-roottest'), '');
  const src = join(dir, 'src');
  mkdirSync(join(src, 'DEBIAN'), { recursive: true });
  mkdirSync(join(src, 'etc'), { recursive: true });
  writeFileSync(join(src, 'etc', `${PKG}.conf`), 'setting = 1\n');
  writeFileSync(join(src, 'DEBIAN/conffiles'), `/etc/${PKG}.conf\n`);
  writeFileSync(
    join(src, 'DEBIAN/control'),
    `Package: ${PKG}\nVersion: 1.0\nArchitecture: all\nMaintainer: upkeep tests <tests@upkeep.invalid>\nDescription: package root test\n`,
  );
  // Run without chroot: DPKG_ROOT names the tree. It writes the root's /run (its /var/run as a
  // chroot sees it); "$DPKG_ROOT/var/run" would be this machine's /run through the link.
  writeFileSync(
    join(src, 'DEBIAN/postinst'),
    `#!/bin/sh\nset -e\n[ -n "$DPKG_ROOT" ] || exit 1\ntouch "$DPKG_ROOT/run/reboot-required"\necho ${PKG} >> "$DPKG_ROOT/run/reboot-required.pkgs"\n`,
  );
  chmodSync(join(src, 'DEBIAN/postinst'), 0o755);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', src, join(dir, 'p.deb')], { stdio: 'pipe' });
  execFileSync('dpkg', [`--root=${root}`, '--force-script-chrootless', '-i', join(dir, 'p.deb')], { stdio: 'pipe' });
  mkdirSync(join(dir, 'cache/archives/partial'), { recursive: true });
  copyFileSync(join(dir, 'p.deb'), join(dir, 'cache/archives', `${PKG}_1.0_all.deb`));
  writeFileSync(
    join(dir, 'apt.conf'),
    [
      'Dir::Etc::Parts "/dev/null";',
      'Dir::Etc::SourceList "/dev/null";',
      `Dir::Cache "${dir}/cache";`,
      `Dir::State::status "${root}/var/lib/dpkg/status";`,
      `DPkg::Options:: "--root=${root}";`,
      'DPkg::Options:: "--force-script-chrootless";',
      '',
    ].join('\n'),
  );
  process.env.APT_CONFIG = join(dir, 'apt.conf');
  forgetDpkgLocation();
});

after(() => {
  if (savedAptConfig === undefined) delete process.env.APT_CONFIG;
  else process.env.APT_CONFIG = savedAptConfig;
  forgetDpkgLocation();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('apt-config names the package root; dpkg-query reads its database, not this machine’s', { skip: !asRoot && 'needs root (dpkg installs)' }, async () => {
  const loc = await dpkgLocation();
  assert.deepEqual(loc, { adminDir: `${root}/var/lib/dpkg`, instDir: root, dpkgOptions: [`--root=${root}`, '--force-script-chrootless'] });
  const there = await dpkgQuery(['-W', '-f=${Version} ${Status}', PKG]);
  assert.equal(there.stdout, '1.0 install ok installed');
  const here = await runCommand('dpkg-query', ['-W', PKG]);
  assert.equal(here.code, 1, 'this machine does not have it');
});

test('file lists, conffiles and scripts come from the root, the files compared in its tree', { skip: !asRoot && 'needs root (dpkg installs)' }, async () => {
  const files = await readPackageFiles(PKG);
  assert.equal(files?.file, `${root}/var/lib/dpkg/info/${PKG}.list`);
  assert.ok(files?.paths.includes(`/etc/${PKG}.conf`), files?.paths.join(' '));
  assert.deepEqual(
    (await readConffilesOf([PKG])).get(PKG)?.map((f) => [f.path, f.state]),
    [[`/etc/${PKG}.conf`, 'unchanged']],
  );
  writeFileSync(join(root, 'etc', `${PKG}.conf`), 'setting = 2\n');
  assert.deepEqual(
    (await readConffilesOf([PKG])).get(PKG)?.map((f) => [f.path, f.state]),
    [[`/etc/${PKG}.conf`, 'modified']],
  );
  assert.match((await readInstalledScripts(PKG)).postinst ?? '', /reboot-required/);
});

test(
  'the reboot flag its postinst wrote (through var/run -> /run, in the root) and the kernels in its /boot are the root’s',
  { skip: !asRoot && 'needs root (dpkg installs)' },
  async () => {
    assert.equal(existsSync('/run/upkeep-dpkg-root-test-never'), false);
    assert.deepEqual(await rebootRequiredFlag(), { required: true, packages: [PKG] });
    assert.ok((await installedKernels()).includes('9.9.9-roottest'));
    const facts = await readRebootFacts();
    assert.ok(
      facts.reasons.some((r) => r.startsWith(`${root}/run/reboot-required (${PKG})`)),
      facts.reasons.join('; '),
    );
    // The space check's /boot is the root's too.
    const space = await readSpaceFacts([], []);
    assert.ok('kernels' in space.boot && space.boot.kernels.some((k) => k.release === '9.9.9-roottest'), JSON.stringify(space.boot));
  },
);

test(
  'resolveInRoot follows links as a chroot would: absolute targets start at the root, .. stops there, a missing part ends the walk',
  { skip: !asRoot && 'needs root (dpkg installs)' },
  async () => {
    mkdirSync(join(root, 'usr/lib'), { recursive: true });
    symlinkSync('usr/lib', join(root, 'lib'));
    symlinkSync('/../../../etc', join(root, 'escape'));
    assert.equal(await resolveInRoot(root, '/var/run/reboot-required'), `${root}/run/reboot-required`);
    assert.equal(await resolveInRoot(root, '/var/run', false), `${root}/var/run`);
    assert.equal(await resolveInRoot(root, '/lib/x/y'), `${root}/usr/lib/x/y`);
    assert.equal(await resolveInRoot(root, '/escape/shadow'), `${root}/etc/shadow`);
    assert.equal(await resolveInRoot(root, '/../../etc/passwd'), `${root}/etc/passwd`);
    // Past a missing part, `..` still stops at the root (a link through a missing directory too).
    assert.equal(await resolveInRoot(root, '/nope/../../../../etc/passwd'), `${root}/etc/passwd`);
    symlinkSync('nope/../../../../../etc', join(root, 'esc'));
    assert.equal(await resolveInRoot(root, '/esc/passwd'), `${root}/etc/passwd`);
    symlinkSync('loop', join(root, 'loop'));
    await assert.rejects(resolveInRoot(root, '/loop/x'), /too many symbolic links/);
    assert.equal(await resolveInRoot('/', '/var/run'), '/var/run');
  },
);

test('what the simulation cache read is used for a minute, then apt-config is read again', { skip: !asRoot && 'needs root (dpkg installs)' }, async () => {
  forgetDpkgLocation();
  try {
    noteAptConfigDump('Dir::State::status "/noted/var/lib/dpkg/status";\nDPkg::Options:: "--root=/noted";\n', 1_000);
    assert.equal((await dpkgLocation(30_000)).instDir, '/noted');
    // A second note within the minute changes nothing; past it, APT_CONFIG is read.
    noteAptConfigDump('DPkg::Options:: "--root=/other";\n', 2_000);
    assert.equal((await dpkgLocation(60_000)).instDir, '/noted');
    assert.equal((await dpkgLocation(62_000)).instDir, root);
    // A failed read is kept for its minute, but a good dump noted meanwhile replaces it.
    forgetDpkgLocation();
    noteAptConfigDump('DPkg::Options:: "--root=/split";\n', 100_000);
    await assert.rejects(dpkgLocation(100_001), /dpkg would use the database/);
    noteAptConfigDump('Dir::State::status "/good/var/lib/dpkg/status";\nDPkg::Options:: "--root=/good";\n', 100_002);
    assert.equal((await dpkgLocation(100_003)).instDir, '/good');
  } finally {
    forgetDpkgLocation();
  }
});

test(
  'the rollback facts: the installed package from the root (its files counted there), the .debs from apt’s own cache',
  { skip: !asRoot && 'needs root (dpkg installs)' },
  async () => {
    const facts = localRollbackFacts();
    const pkg = await facts.installedPackage(PKG);
    assert.equal(pkg?.version, '1.0');
    assert.equal(pkg?.listFile, `${root}/var/lib/dpkg/info/${PKG}.list`);
    assert.deepEqual(pkg?.missing, []);
    assert.ok((pkg?.bytes ?? 0) > 0);
    assert.deepEqual(await facts.cachedDebs([PKG]), [
      { path: `${dir}/cache/archives/${PKG}_1.0_all.deb`, fields: { package: PKG, version: '1.0', architecture: 'all' } },
    ]);
  },
);

test('apt reading one database while dpkg writes another is an error that says so', { skip: !asRoot && 'needs root (dpkg installs)' }, async () => {
  writeFileSync(join(dir, 'split.conf'), `Dir::Etc::Parts "/dev/null";\nDPkg::Options:: "--root=${root}";\n`);
  process.env.APT_CONFIG = join(dir, 'split.conf');
  forgetDpkgLocation();
  try {
    await assert.rejects(dpkgLocation(), /apt reads the installed packages from \/var\/lib\/dpkg\/status but dpkg would use the database/);
    // The readers that never throw say "not known" instead of reading this machine.
    assert.equal((await readRebootFacts()).flag, null);
    assert.equal(await localRollbackFacts().installedPackage(PKG), null);
    const space = await readSpaceFacts([], []);
    assert.ok('problem' in space.boot && /dpkg's tree is not known/.test(space.boot.problem));
  } finally {
    process.env.APT_CONFIG = join(dir, 'apt.conf');
    forgetDpkgLocation();
  }
});
