import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  archiveFileName,
  assessSpace,
  bootBytesOfDebListing,
  formatBytes,
  parseAptCacheShow,
  parseSizeField,
  spaceMargin,
  type FilesystemFacts,
  type PackageSize,
  type PathFilesystem,
  type SpaceFacts,
} from '../../../src/core/preflight/disk-space.js';
import { mountOf, parseMountInfo } from '../../../src/core/preflight/mounts.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const ARCHIVES = '/var/cache/apt/archives';

const fs = (mountPoint: string, device: string, freeBytes: number | null, fsType = 'ext4'): FilesystemFacts => ({
  device,
  mountPoint,
  fsType,
  freeBytes,
  totalBytes: freeBytes === null ? null : freeBytes * 2,
});

/** One filesystem for everything (the common layout), or the ones given per path. */
function layout(root: FilesystemFacts, per: Record<string, PathFilesystem> = {}): Map<string, PathFilesystem> {
  return new Map(['/', '/usr', '/var', '/boot', ARCHIVES].map((p) => [p, per[p] ?? root]));
}

const pkg = (name: string, download: number | null, newMiB: number | null, oldMiB: number | null): PackageSize => ({
  name,
  downloadBytes: download,
  newInstalledBytes: newMiB === null ? null : newMiB * MiB,
  oldInstalledBytes: oldMiB === null ? null : oldMiB * MiB,
});

function facts(over: Partial<SpaceFacts> = {}): SpaceFacts {
  return {
    archivesDir: ARCHIVES,
    packages: [pkg('a', 10 * MiB, 50, 40), pkg('b', 0, 30, 30), pkg('new', 5 * MiB, 20, null)],
    kernels: [],
    boot: { kernels: [], initrds: [] },
    filesystems: layout(fs('/', '254:0', 100 * GiB)),
    ...over,
  };
}

test('one filesystem: downloads + growth + the largest upgraded package, plus the margin; ok with room', () => {
  const s = assessSpace(facts());
  assert.equal(s.verdict, 'ok');
  assert.equal(s.filesystems.length, 1);
  const f = s.filesystems[0]!;
  assert.deepEqual(
    f.paths,
    ['/', '/boot', '/usr', '/var', ARCHIVES].filter((p) => p !== '/boot'),
  );
  // 15 MiB to download (b is cached), growth 10 + 0 + 20, a (50 MiB) unpacked beside its old files.
  assert.deepEqual(
    f.needs.map((n) => n.bytes),
    [15 * MiB, 30 * MiB, 50 * MiB],
  );
  assert.match(f.needs[0]!.what, /^2 archive\(s\) to download into \/var\/cache\/apt\/archives \(1 already there\)$/);
  assert.equal(f.neededBytes, 95 * MiB);
  assert.equal(f.marginBytes, 20 * MiB + Math.ceil(9.5 * MiB));
  assert.equal(f.why, 'needs 95 MiB + 29.5 MiB margin, 100 GiB free');
});

test('short when free space is below need + margin, even when above the need alone; advice names apt-get clean', () => {
  const need = 95 * MiB;
  const atEdge = assessSpace(facts({ filesystems: layout(fs('/', '254:0', need + spaceMargin(need))) }));
  assert.equal(atEdge.verdict, 'ok');
  const s = assessSpace(facts({ filesystems: layout(fs('/', '254:0', need + spaceMargin(need) - 1)) }));
  assert.equal(s.verdict, 'short');
  const f = s.filesystems[0]!;
  assert.equal(f.verdict, 'short');
  assert.match(f.why, /^SHORT by 1 B: needs 95 MiB/);
  assert.ok(f.advice.some((a) => a.startsWith('apt-get clean')));
  assert.ok(f.advice.some((a) => a.startsWith('apt autoremove --purge')));
});

test('an empty plan writes nothing: no margin asked, ok even on a full disk (its free space still read)', () => {
  const s = assessSpace(facts({ packages: [], filesystems: layout(fs('/', '254:0', 0)) }));
  assert.equal(s.verdict, 'ok');
  assert.equal(s.filesystems[0]!.why, 'needs 0 B + 0 B margin, 0 B free');
  assert.equal(assessSpace(facts({ packages: [], filesystems: layout(fs('/', '254:0', null)) })).verdict, 'unknown');
});

test('a shrinking upgrade needs no growth, only the unpack peak; removals count against growth', () => {
  const s = assessSpace(
    facts({ packages: [pkg('big', 0, 10, 100), { name: 'gone', downloadBytes: null, newInstalledBytes: null, oldInstalledBytes: 5 * MiB }] }),
  );
  const f = s.filesystems[0]!;
  assert.deepEqual(
    f.needs.map((n) => n.bytes),
    [0, 0, 10 * MiB],
  );
  assert.equal(s.verdict, 'ok');
});

test('sizes not read: unknown with why, never ok (a package, the whole apt-cache run, the archives directory)', () => {
  const one = assessSpace(
    facts({
      packages: [
        pkg('a', 1, 1, 1),
        { name: 'x', downloadBytes: null, newInstalledBytes: null, oldInstalledBytes: null, unknown: 'apt-cache knows no version 2.0' },
      ],
    }),
  );
  assert.equal(one.verdict, 'unknown');
  assert.equal(one.filesystems[0]!.verdict, 'unknown');
  assert.match(one.filesystems[0]!.why, /x: apt-cache knows no version 2\.0/);
  assert.equal(one.filesystems[0]!.neededBytes, null);

  const all = assessSpace(facts({ packages: { problem: 'apt-cache show: exit 100' } }));
  assert.equal(all.verdict, 'unknown');
  assert.match(all.filesystems[0]!.why, /apt-cache show: exit 100/);

  const dir = assessSpace(facts({ archivesDir: { problem: 'apt-config: not found' } }));
  assert.equal(dir.verdict, 'unknown');
  assert.match(dir.filesystems[0]!.why, /apt's archives directory not known: apt-config: not found/);
});

test('free space not read, or a path on no known filesystem: unknown, even with nothing to write', () => {
  const noFree = assessSpace(facts({ packages: [], filesystems: layout({ ...fs('/', '254:0', null), problem: 'statfs /: EIO' }) }));
  assert.equal(noFree.verdict, 'unknown');
  assert.match(noFree.filesystems[0]!.why, /free space on \/ not read \(statfs \/: EIO\)/);
  const lost = assessSpace(facts({ filesystems: layout(fs('/', '254:0', 100 * GiB), { '/var': { problem: 'mount table not read: EACCES' } }) }));
  assert.equal(lost.verdict, 'unknown');
  assert.deepEqual(
    lost.filesystems.map((f) => [f.verdict, f.paths]),
    [
      ['unknown', ['/var']],
      ['ok', ['/', '/usr', ARCHIVES]],
    ],
  );
});

test('separate /usr and /var: downloads on /var, growth on /usr, / gets only the margin; short ones first', () => {
  const root = fs('/', '8:1', 30 * MiB);
  const usr = fs('/usr', '8:2', 60 * MiB);
  const vr = fs('/var', '8:3', 10 * GiB);
  const s = assessSpace(facts({ filesystems: layout(root, { '/usr': usr, '/var': vr, [ARCHIVES]: vr }) }));
  assert.deepEqual(
    s.filesystems.map((f) => [f.mountPoint, f.verdict, f.neededBytes]),
    [
      ['/usr', 'short', 80 * MiB],
      ['/', 'ok', 0],
      ['/var', 'ok', 15 * MiB],
    ],
  );
  assert.equal(s.verdict, 'short');
  assert.ok(!s.filesystems[0]!.advice.some((a) => a.startsWith('apt-get clean')), 'the archives are not on /usr');
});

test('a kernel on a separate /boot: its .deb files or the largest installed kernel (estimate), plus the largest initrd (estimate)', () => {
  const boot = fs('/boot', '8:5', 60 * MiB);
  const kernelFacts = (debBootBytes: number | null) =>
    facts({
      kernels: [{ package: 'linux-image-6.1.0-42-amd64', debBootBytes }],
      boot: {
        kernels: [
          { release: '6.1.0-40-amd64', bytes: 12 * MiB },
          { release: '6.1.0-41-amd64', bytes: 13 * MiB },
        ],
        initrds: [
          { name: 'initrd.img-6.1.0-40-amd64', bytes: 30 * MiB },
          { name: 'initrd.img-6.1.0-41-amd64', bytes: 35 * MiB },
        ],
      },
      filesystems: layout(fs('/', '254:0', 100 * GiB), { '/boot': boot }),
    });
  const fromDeb = assessSpace(kernelFacts(11 * MiB));
  const b = fromDeb.filesystems.find((f) => f.mountPoint === '/boot')!;
  assert.deepEqual(
    b.needs.map((n) => [n.bytes, n.estimate]),
    [
      [11 * MiB, false],
      [35 * MiB, true],
    ],
  );
  assert.match(b.needs[1]!.what, /estimate: as large as initrd\.img-6\.1\.0-41-amd64, the largest in \/boot/);
  // 46 MiB + 24.6 MiB margin > 60 MiB free.
  assert.equal(b.verdict, 'short');
  assert.equal(fromDeb.verdict, 'short');
  assert.match(b.why, /\(partly estimated\)/);
  assert.ok(b.advice[0]!.startsWith('apt autoremove --purge (removes old kernels'));

  const estimated = assessSpace(kernelFacts(null)).filesystems.find((f) => f.mountPoint === '/boot')!;
  assert.deepEqual(
    estimated.needs.map((n) => [n.bytes, n.estimate]),
    [
      [13 * MiB, true],
      [35 * MiB, true],
    ],
  );
  assert.match(estimated.needs[0]!.what, /as large as kernel 6\.1\.0-41-amd64's vmlinuz, System\.map and config there/);
});

test('a kernel with no cached .deb and no kernel in /boot to estimate from: /boot unknown; /boot not read: unknown', () => {
  const boot = fs('/boot', '8:5', 1 * GiB);
  const s = assessSpace(
    facts({ kernels: [{ package: 'linux-image-6.1.0-42-amd64', debBootBytes: null }], filesystems: layout(fs('/', '254:0', 100 * GiB), { '/boot': boot }) }),
  );
  const b = s.filesystems.find((f) => f.mountPoint === '/boot')!;
  assert.equal(b.verdict, 'unknown');
  assert.match(b.why, /no cached \.deb, and no installed kernel in \/boot to estimate from/);
  assert.equal(s.verdict, 'unknown');
  const unread = assessSpace(
    facts({
      kernels: [{ package: 'linux-image-6.1.0-42-amd64', debBootBytes: 1 }],
      boot: { problem: '/boot: EACCES' },
      filesystems: layout(fs('/', '254:0', 100 * GiB), { '/boot': boot }),
    }),
  );
  assert.equal(unread.filesystems.find((f) => f.mountPoint === '/boot')!.verdict, 'unknown');
});

test('/boot on /: the kernel files are in its Installed-Size already; only the initrd is added, on the one filesystem', () => {
  const s = assessSpace(
    facts({
      packages: [pkg('linux-image-6.1.0-42-amd64', 100 * MiB, 400, null)],
      kernels: [{ package: 'linux-image-6.1.0-42-amd64', debBootBytes: null }],
      boot: { kernels: [], initrds: [{ name: 'initrd.img-6.1.0-41-amd64', bytes: 40 * MiB }] },
    }),
  );
  assert.equal(s.filesystems.length, 1);
  const f = s.filesystems[0]!;
  assert.ok(f.paths.includes('/boot'));
  assert.deepEqual(
    f.needs.map((n) => n.bytes),
    [100 * MiB, 400 * MiB, 40 * MiB],
  );
  assert.equal(s.verdict, 'ok');
  assert.match(f.why, /partly estimated/);
});

test('huge numbers: exabyte filesystems and petabyte packages compare without overflow', () => {
  const EiB = 1024 ** 3 * GiB;
  const huge = assessSpace(facts({ filesystems: layout(fs('/', '254:0', 8 * EiB)) }));
  assert.equal(huge.verdict, 'ok');
  assert.match(huge.filesystems[0]!.why, /8 EiB free$/);
  const big = assessSpace(facts({ packages: [pkg('giant', 0, 2 ** 43, 1)], filesystems: layout(fs('/', '254:0', 8 * EiB)) }));
  assert.equal(big.verdict, 'short');
  assert.equal(parseSizeField('999999999999999'), 999999999999999);
  assert.equal(parseSizeField('9999999999999999'), null, 'beyond 15 digits: not understood');
  assert.equal(parseSizeField('-1'), null);
  assert.equal(parseSizeField('12 kB'), null);
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
});

test('parseAptCacheShow, archiveFileName, bootBytesOfDebListing read apt and dpkg-deb output', () => {
  const show = [
    'Package: bash',
    'Version: 5.2.15-2+b13',
    'Installed-Size: 7164',
    'Architecture: amd64',
    'Description: GNU Bourne Again SHell',
    ' more: text',
    'Size: 1490652',
    '',
    'Package: automake',
    'Version: 1:1.16.5-1.3',
    'Architecture: all',
    'Installed-Size: many',
    '',
  ].join('\n');
  const st = parseAptCacheShow(show);
  assert.deepEqual(st[0], { package: 'bash', version: '5.2.15-2+b13', architecture: 'amd64', size: 1490652, installedSizeKiB: 7164 });
  assert.equal(st[1]!.installedSizeKiB, null);
  assert.equal(st[1]!.size, null);
  assert.equal(archiveFileName(st[1]!), 'automake_1%3a1.16.5-1.3_all.deb');
  const listing = [
    'drwxr-xr-x root/root         0 2026-11-30 16:00 ./',
    'drwxr-xr-x root/root         0 2026-11-30 16:00 ./boot/',
    '-rw-r--r-- root/root   8123456 2026-11-30 16:00 ./boot/vmlinuz-6.1.0-42-amd64',
    '-rw-r--r-- root/root   5000000 2026-11-30 16:00 ./boot/System.map-6.1.0-42-amd64',
    'lrwxrwxrwx root/root         0 2026-11-30 16:00 ./boot/old -> vmlinuz-6.1.0-42-amd64',
    '-rw-r--r-- root/root  99999999 2026-11-30 16:00 ./usr/lib/modules/6.1.0-42-amd64/x.ko',
  ].join('\n');
  assert.equal(bootBytesOfDebListing(listing), 13123456);
  assert.equal(bootBytesOfDebListing('garbage ./boot/vmlinuz'), null);
});

test('mountinfo: the longest mount point wins, the last of stacked mounts, escapes decoded', () => {
  const mounts = parseMountInfo(
    [
      '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
      '30 27 8:5 / /boot rw,relatime shared:2 - ext4 /dev/vda5 rw',
      '31 30 0:90 / /boot rw,relatime - tmpfs tmpfs rw,size=64k',
      '32 27 0:91 / /mnt/my\\040disk rw - tmpfs tmpfs rw',
      'not a mount line',
    ].join('\n'),
  );
  assert.equal(mounts.length, 4);
  assert.equal(mountOf('/boot/vmlinuz', mounts)!.device, '0:90');
  assert.equal(mountOf('/bootstrap', mounts)!.mountPoint, '/');
  assert.equal(mountOf('/usr/lib', mounts)!.device, '254:0');
  assert.equal(mountOf('/mnt/my disk/x', mounts)!.fsType, 'tmpfs');
  assert.equal(mountOf('/x', []), null);
});

test('growth counts only what grows: a removal or a shrinking package may free its space only after the others took theirs', () => {
  // C new 900 MiB, A 1000 -> 1000 (the unpack peak), B 800 -> 100: dpkg may unpack C and A before B.
  const s = assessSpace(
    facts({ packages: [pkg('c', 0, 900, null), pkg('a', 0, 1000, 1000), pkg('b', 0, 100, 800)], filesystems: layout(fs('/', '254:0', 1300 * MiB)) }),
  );
  const f = s.filesystems[0]!;
  assert.equal(f.neededBytes, 900 * MiB + 1000 * MiB);
  assert.equal(f.verdict, 'short');
});

test('no new kernel, but microcode or initramfs-tools upgraded: a rebuilt initrd beside the old one on a separate /boot', () => {
  const boot = fs('/boot', '8:5', 30 * MiB);
  const withBoot = (names: string[], initrds = [{ name: 'initrd.img-6.1.0-41-amd64', bytes: 70 * MiB }]) =>
    assessSpace(
      facts({
        packages: names.map((n) => pkg(n, 0, 5, 5)),
        boot: { kernels: [], initrds },
        filesystems: layout(fs('/', '254:0', 100 * GiB), { '/boot': boot }),
      }),
    );
  const microcode = withBoot(['intel-microcode', 'curl']);
  const b = microcode.filesystems.find((f) => f.mountPoint === '/boot')!;
  assert.equal(b.verdict, 'short');
  assert.match(
    b.needs[0]!.what,
    /update-initramfs writes a new initrd beside the old one \(intel-microcode trigger it; estimate: as large as initrd\.img-6\.1\.0-41-amd64/,
  );
  assert.equal(b.needs[0]!.bytes, 70 * MiB);
  // Nothing that rebuilds the initrd: /boot is not asked for anything.
  assert.equal(
    withBoot(['curl']).filesystems.find((f) => f.mountPoint === '/boot'),
    undefined,
  );
  // No initrd in /boot now (a host that boots without one): nothing to rebuild.
  assert.equal(
    withBoot(['initramfs-tools'], []).filesystems.find((f) => f.mountPoint === '/boot'),
    undefined,
  );
});

test('ZFS: datasets of one pool share its free space; their needs add up (the least free of them, a quota, counts)', () => {
  const zfs = (mountPoint: string, device: string, source: string, free: number): FilesystemFacts => ({ ...fs(mountPoint, device, free, 'zfs'), source });
  // Root on ZFS (OpenZFS's Debian layout): / and /var/cache separate datasets of rpool, 1 GiB free in the pool.
  const root = zfs('/', '0:40', 'rpool/ROOT/debian', 1 * GiB);
  const cache = zfs('/var/cache', '0:41', 'rpool/var/cache', 1 * GiB);
  const s = assessSpace(
    facts({ packages: [pkg('big', 600 * MiB, 700, 0)], filesystems: layout(root, { [ARCHIVES]: cache, '/var': zfs('/var', '0:42', 'rpool/var', 1 * GiB) }) }),
  );
  assert.equal(s.filesystems.length, 1, 'one pool, one answer');
  const f = s.filesystems[0]!;
  assert.equal(f.verdict, 'short', f.why);
  assert.equal(f.neededBytes, 600 * MiB + 700 * MiB + 700 * MiB);
  // Another pool is another filesystem.
  const two = assessSpace(
    facts({ packages: [pkg('big', 600 * MiB, 700, 0)], filesystems: layout(root, { [ARCHIVES]: zfs('/var/cache', '0:50', 'bpool/cache', 10 * GiB) }) }),
  );
  assert.equal(two.filesystems.length, 2);
  // A dataset with a quota (less free than the pool): the least free is compared.
  const quota = assessSpace(
    facts({ packages: [pkg('small', 1 * MiB, 1, 0)], filesystems: layout(root, { [ARCHIVES]: zfs('/var/cache', '0:41', 'rpool/var/cache', 10 * MiB) }) }),
  );
  assert.equal(quota.filesystems[0]!.freeBytes, 10 * MiB);
  // mountinfo's source is read.
  assert.equal(parseMountInfo('40 1 0:40 / / rw - zfs rpool/ROOT/debian rw,xattr')[0]!.source, 'rpool/ROOT/debian');
});
