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
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dpkgLocation, dpkgQuery, forgetDpkgLocation } from '../../../src/adapters/apt/dpkg-location.js';
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
  for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'boot']) mkdirSync(join(root, d), { recursive: true });
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
  // Run without chroot (as apt runs it below): DPKG_ROOT names the tree.
  writeFileSync(
    join(src, 'DEBIAN/postinst'),
    `#!/bin/sh\nset -e\n[ -n "$DPKG_ROOT" ] || exit 1\nmkdir -p "$DPKG_ROOT/var/run"\ntouch "$DPKG_ROOT/var/run/reboot-required"\necho ${PKG} >> "$DPKG_ROOT/var/run/reboot-required.pkgs"\n`,
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

test('the reboot flag its postinst wrote and the kernels in its /boot are the root’s', { skip: !asRoot && 'needs root (dpkg installs)' }, async () => {
  assert.deepEqual(await rebootRequiredFlag(), { required: true, packages: [PKG] });
  assert.ok((await installedKernels()).includes('9.9.9-roottest'));
  const facts = await readRebootFacts();
  assert.ok(
    facts.reasons.some((r) => r.startsWith(`${root}/var/run/reboot-required (${PKG})`)),
    facts.reasons.join('; '),
  );
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
    await assert.rejects(dpkgLocation(), /apt reads the installed packages from \/var\/lib\/dpkg\/status but dpkg is told to use the database/);
    // Not remembered: the next call reads again.
    process.env.APT_CONFIG = join(dir, 'apt.conf');
    assert.equal((await dpkgLocation()).instDir, root);
  } finally {
    process.env.APT_CONFIG = join(dir, 'apt.conf');
    forgetDpkgLocation();
  }
});
