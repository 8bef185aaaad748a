import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAptConfigDump } from '../../../src/core/preflight/apt-simulation-cache.js';
import { aptConfigList, dpkgLocationFromAptConfig, dpkgQueryOptions } from '../../../src/core/preflight/dpkg-location.js';

/** dpkg's location from `apt-config dump` lines, as the adapter reads it. */
const locate = (...lines: string[]) => locateIn({}, ...lines);
const locateIn = (env: { DPKG_ROOT?: string; DPKG_ADMINDIR?: string }, ...lines: string[]) => {
  const dump = lines.map((l) => `${l}\n`).join('');
  return dpkgLocationFromAptConfig(dump, parseAptConfigDump(dump), env);
};

test('a plain host: /var/lib/dpkg and /', () => {
  const loc = locate('Dir "/";', 'DPkg::Options:: "--force-confold";');
  assert.deepEqual(loc, { adminDir: '/var/lib/dpkg', instDir: '/', dpkgOptions: ['--force-confold'] });
  assert.deepEqual(dpkgQueryOptions(loc as never), ['--admindir=/var/lib/dpkg']);
  // Nothing at all (apt-config printed nothing we know): Debian's defaults.
  assert.deepEqual(locate(), { adminDir: '/var/lib/dpkg', instDir: '/', dpkgOptions: [] });
});

test('a package root: --root sets both, apt must read the same database', () => {
  const loc = locate('Dir::State::status "/srv/h1/var/lib/dpkg/status";', 'DPkg::Options:: "--root=/srv/h1/";', 'DPkg::Options:: "--force-script-chrootless";');
  assert.deepEqual(loc, { adminDir: '/srv/h1/var/lib/dpkg', instDir: '/srv/h1', dpkgOptions: ['--root=/srv/h1/', '--force-script-chrootless'] });
  assert.deepEqual(dpkgQueryOptions(loc as never), ['--admindir=/srv/h1/var/lib/dpkg']);
  // apt's plan from one database, dpkg writing another: a problem naming both.
  const split = locate('DPkg::Options:: "--root=/srv/h1";');
  assert.ok('problem' in split);
  assert.match(split.problem, /apt reads the installed packages from \/var\/lib\/dpkg\/status but dpkg would use the database \/srv\/h1\/var\/lib\/dpkg/);
  // apt's status file moved alone: apt passes dpkg no --admindir, so dpkg would use /var/lib/dpkg.
  const statusOnly = locate('Dir::State::status "/x/dpkg/status";');
  assert.ok('problem' in statusOnly && /but dpkg would use the database \/var\/lib\/dpkg/.test(statusOnly.problem));
});

test('dpkg reads its options in order: the last directory wins; separate words; --admindir and --instdir alone', () => {
  assert.deepEqual(locate('Dir::State::status "/b/status";', 'DPkg::Options:: "--root=/a";', 'DPkg::Options:: "--admindir";', 'DPkg::Options:: "/b";'), {
    adminDir: '/b',
    instDir: '/a',
    dpkgOptions: ['--root=/a', '--admindir', '/b'],
  });
  assert.deepEqual(locate('DPkg::Options:: "--instdir=/t";'), { adminDir: '/var/lib/dpkg', instDir: '/t', dpkgOptions: ['--instdir=/t'] });
  // --admindir before --root: --root wins (dpkg reads them in order).
  assert.deepEqual(locate('Dir::State::status "/a/var/lib/dpkg/status";', 'DPkg::Options:: "--admindir=/b";', 'DPkg::Options:: "--root=/a";'), {
    adminDir: '/a/var/lib/dpkg',
    instDir: '/a',
    dpkgOptions: ['--admindir=/b', '--root=/a'],
  });
  // dpkg-query's --admindir-like options of other tools do not count.
  assert.deepEqual(locate('DPkg::Options:: "--rootless";'), { adminDir: '/var/lib/dpkg', instDir: '/', dpkgOptions: ['--rootless'] });
});

test('relative or missing directories are problems, not guesses', () => {
  const rel = locate('DPkg::Options:: "--root=srv/h1";');
  assert.ok('problem' in rel && /relative --root "srv\/h1"/.test(rel.problem));
  const cut = locate('DPkg::Options:: "--instdir";');
  assert.ok('problem' in cut && /ends with --instdir and no directory/.test(cut.problem));
});

test('aptConfigList reads a list as apt hands it on: in order, named children too, whatever the case, no empty values', () => {
  const dump =
    'DPkg::Options:: "a";\nDpkg::options:: "b";\nDPkg::Options "";\nDPkg::Options:: "";\nDPkg::Options::root "--root=/x";\nDPkg::Options::x::y "no";\nDPkg::Post-Invoke:: "c";\n';
  assert.deepEqual(aptConfigList(dump, 'DPkg::Options'), ['a', 'b', '--root=/x']);
});

test('the case apt keys are written in does not matter (the dump keeps it)', () => {
  assert.deepEqual(locate('Dir::State::Status "/srv/h1/var/lib/dpkg/status";', 'Dpkg::options:: "--root=/srv/h1";'), {
    adminDir: '/srv/h1/var/lib/dpkg',
    instDir: '/srv/h1',
    dpkgOptions: ['--root=/srv/h1'],
  });
});

test("dpkg's environment and apt's chroot move dpkg's directories as they move dpkg", () => {
  // DPKG_ADMINDIR and DPKG_ROOT count when no option says otherwise.
  assert.deepEqual(locateIn({ DPKG_ADMINDIR: '/adm' }, 'Dir::State::status "/adm/status";'), { adminDir: '/adm', instDir: '/', dpkgOptions: [] });
  assert.deepEqual(locateIn({ DPKG_ROOT: '/r' }, 'Dir::State::status "/r/var/lib/dpkg/status";'), {
    adminDir: '/r/var/lib/dpkg',
    instDir: '/r',
    dpkgOptions: [],
  });
  assert.ok('problem' in locateIn({ DPKG_ADMINDIR: '/adm' }));
  assert.deepEqual(locateIn({ DPKG_ADMINDIR: '/adm' }, 'Dir::State::status "/o/var/lib/dpkg/status";', 'DPkg::Options:: "--root=/o";'), {
    adminDir: '/o/var/lib/dpkg',
    instDir: '/o',
    dpkgOptions: ['--root=/o'],
  });
  // DPkg::Chroot-Directory: dpkg runs inside it, with its own defaults there.
  assert.deepEqual(locate('DPkg::Chroot-Directory "/c/";', 'Dir::State::status "/c/var/lib/dpkg/status";'), {
    adminDir: '/c/var/lib/dpkg',
    instDir: '/c',
    dpkgOptions: [],
  });
  assert.ok('problem' in locate('DPkg::Chroot-Directory "c";'));
});
