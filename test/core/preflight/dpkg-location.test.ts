import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAptConfigDump } from '../../../src/core/preflight/apt-simulation-cache.js';
import { aptConfigList, dpkgLocationFromAptConfig, dpkgQueryOptions, inInstDir } from '../../../src/core/preflight/dpkg-location.js';

/** dpkg's location from `apt-config dump` lines, as the adapter reads it. */
const locate = (...lines: string[]) => {
  const dump = lines.map((l) => `${l}\n`).join('');
  return dpkgLocationFromAptConfig(dump, parseAptConfigDump(dump));
};

test('a plain host: /var/lib/dpkg and /, dpkg-query without options', () => {
  const loc = locate('Dir "/";', 'DPkg::Options:: "--force-confold";');
  assert.deepEqual(loc, { adminDir: '/var/lib/dpkg', instDir: '/', dpkgOptions: ['--force-confold'] });
  assert.deepEqual(dpkgQueryOptions(loc as never), []);
  assert.equal(inInstDir(loc as never, '/etc/x.conf'), '/etc/x.conf');
  // Nothing at all (apt-config printed nothing we know): Debian's defaults.
  assert.deepEqual(locate(), { adminDir: '/var/lib/dpkg', instDir: '/', dpkgOptions: [] });
});

test('a package root: --root sets both, apt must read the same database', () => {
  const loc = locate('Dir::State::status "/srv/h1/var/lib/dpkg/status";', 'DPkg::Options:: "--root=/srv/h1/";', 'DPkg::Options:: "--force-script-chrootless";');
  assert.deepEqual(loc, { adminDir: '/srv/h1/var/lib/dpkg', instDir: '/srv/h1', dpkgOptions: ['--root=/srv/h1/', '--force-script-chrootless'] });
  assert.deepEqual(dpkgQueryOptions(loc as never), ['--admindir=/srv/h1/var/lib/dpkg']);
  assert.equal(inInstDir(loc as never, '/var/run'), '/srv/h1/var/run');
  // apt's plan from one database, dpkg writing another: a problem naming both.
  const split = locate('DPkg::Options:: "--root=/srv/h1";');
  assert.ok('problem' in split);
  assert.match(split.problem, /apt reads the installed packages from \/var\/lib\/dpkg\/status but dpkg is told to use the database \/srv\/h1\/var\/lib\/dpkg/);
});

test('dpkg reads its options in order: the last directory wins; separate words; --admindir and --instdir alone', () => {
  assert.deepEqual(locate('Dir::State::status "/b/status";', 'DPkg::Options:: "--root=/a";', 'DPkg::Options:: "--admindir";', 'DPkg::Options:: "/b";'), {
    adminDir: '/b',
    instDir: '/a',
    dpkgOptions: ['--root=/a', '--admindir', '/b'],
  });
  assert.deepEqual(locate('DPkg::Options:: "--instdir=/t";'), { adminDir: '/var/lib/dpkg', instDir: '/t', dpkgOptions: ['--instdir=/t'] });
  // apt's status file alone moves what is read (apt plans from it) but not the tree.
  assert.deepEqual(locate('Dir::State::status "/x/dpkg/status";'), { adminDir: '/x/dpkg', instDir: '/', dpkgOptions: [] });
  // dpkg-query's --admindir-like options of other tools do not count.
  assert.deepEqual(locate('DPkg::Options:: "--rootless";'), { adminDir: '/var/lib/dpkg', instDir: '/', dpkgOptions: ['--rootless'] });
});

test('relative or missing directories are problems, not guesses', () => {
  const rel = locate('DPkg::Options:: "--root=srv/h1";');
  assert.ok('problem' in rel && /relative --root "srv\/h1"/.test(rel.problem));
  const cut = locate('DPkg::Options:: "--instdir";');
  assert.ok('problem' in cut && /ends with --instdir and no directory/.test(cut.problem));
});

test('aptConfigList reads a list in order, whatever the case of its name', () => {
  const dump = 'DPkg::Options:: "a";\nDpkg::options:: "b";\nDPkg::Options "";\nDPkg::Post-Invoke:: "c";\n';
  assert.deepEqual(aptConfigList(dump, 'DPkg::Options'), ['a', 'b']);
});
