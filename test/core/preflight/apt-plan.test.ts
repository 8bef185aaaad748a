import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodePlanBytes, parseAptSimulation, parsePreInstallPkgsV3, type PlannedPackage } from '../../../src/core/preflight/apt-plan.js';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/apt/${name}`, import.meta.url), 'utf8');
const byName = (packages: PlannedPackage[], name: string): PlannedPackage | undefined => packages.find((p) => p.name === name);

test('incident plan: 44 upgrades and a new kernel, nothing unreadable', () => {
  const plan = parseAptSimulation(fixture('incident-plan.txt'));
  assert.deepEqual(plan.problems, []);
  assert.equal(plan.packages.length, 46);
  assert.equal(plan.packages.filter((p) => p.action === 'upgrade').length, 44);
  assert.deepEqual(
    plan.packages.filter((p) => p.action === 'install').map((p) => p.name),
    ['linux-modules-6.8.0-88-generic', 'linux-image-6.8.0-88-generic'],
  );
  assert.deepEqual(byName(plan.packages, 'containerd.io'), {
    name: 'containerd.io',
    arch: 'amd64',
    oldVersion: '1.7.27-1',
    newVersion: '2.1.5-1',
    origins: ['Docker CE:noble'],
    action: 'upgrade',
    debPath: null,
    line: 19,
  });
  assert.deepEqual(byName(plan.packages, 'docker-ce')?.newVersion, '5:29.0.2-1~ubuntu.24.04~noble');
  assert.deepEqual(byName(plan.packages, 'openssh-server')?.origins, ['Ubuntu:24.04/noble-updates', 'Ubuntu:24.04/noble-security']);
  assert.equal(byName(plan.packages, 'locales')?.arch, 'all');
  assert.deepEqual(byName(plan.packages, 'linux-image-6.8.0-88-generic'), {
    name: 'linux-image-6.8.0-88-generic',
    arch: 'amd64',
    oldVersion: null,
    newVersion: '6.8.0-88.89',
    origins: ['Ubuntu:24.04/noble-updates', 'Ubuntu:24.04/noble-security'],
    action: 'install',
    debPath: null,
    line: 104,
  });
});

test('a real bookworm dist-upgrade simulation: every Inst line read, trailing [] ignored', () => {
  const text = fixture('bookworm-dist-upgrade.txt');
  const plan = parseAptSimulation(text);
  assert.deepEqual(plan.problems, []);
  assert.match(text, /^138 upgraded, 0 newly installed, 0 to remove/m);
  assert.equal(plan.packages.length, 138);
  assert.ok(plan.packages.every((p) => p.action === 'upgrade'));
  assert.deepEqual(byName(plan.packages, 'libcap2'), {
    name: 'libcap2',
    arch: 'amd64',
    oldVersion: '1:2.66-4+deb12u2+b2',
    newVersion: '1:2.66-4+deb12u3+b1',
    origins: ['Debian:12.15/oldstable'],
    action: 'upgrade',
    debPath: null,
    line: 44,
  });
  assert.deepEqual(byName(plan.packages, 'python3-jwt')?.origins, ['Debian:12.15/oldstable', 'Debian-Security:12/oldstable-security']);
});

test('the 2000-package benchmark plan parses completely', () => {
  const plan = parseAptSimulation(fixture('plan-2000.txt'));
  assert.deepEqual(plan.problems, []);
  assert.equal(plan.packages.length, 2000);
  const counts = { upgrade: 0, install: 0, remove: 0 } as Record<string, number>;
  for (const p of plan.packages) counts[p.action] = (counts[p.action] ?? 0) + 1;
  assert.deepEqual(counts, { upgrade: 1900, install: 65, remove: 35 });
});

test('removals, purges, multi-arch names, downgrades, reinstalls and configure-only steps', () => {
  const text = [
    'Remv docker.io [20.10.24+dfsg1-1+deb12u1+b6]',
    'Purg runc [1.1.5+ds1-1+deb12u1] [containerd ]',
    'Inst libc6:i386 [2.36-9+deb12u9] (2.36-9+deb12u10 Debian:12.15/oldstable [i386])',
    'Inst bash [5.2.15-2+b13] (5.2.15-2+b8 Debian:12.15/oldstable [amd64])',
    'Inst runc [1.1.5+ds1-1+deb12u1] (1.1.5+ds1-1+deb12u1 Debian:12.15/oldstable [amd64])',
    'Inst hello (2.10-3 Debian:12.15/oldstable, local-deb [amd64])',
    'Inst foo (1.0 [all])',
    'Conf half-done (3.1-1 Debian:12.15/oldstable [amd64])',
    'Conf libc6:i386 (2.36-9+deb12u10 Debian:12.15/oldstable [i386])',
  ].join('\n');
  const plan = parseAptSimulation(text);
  assert.deepEqual(plan.problems, []);
  assert.deepEqual(
    plan.packages.map((p) => [p.name, p.arch, p.oldVersion, p.newVersion, p.action, p.line]),
    [
      ['docker.io', null, '20.10.24+dfsg1-1+deb12u1+b6', null, 'remove', 1],
      ['runc', null, '1.1.5+ds1-1+deb12u1', null, 'remove', 2],
      ['libc6', 'i386', '2.36-9+deb12u9', '2.36-9+deb12u10', 'upgrade', 3],
      ['bash', 'amd64', '5.2.15-2+b13', '5.2.15-2+b8', 'downgrade', 4],
      ['runc', 'amd64', '1.1.5+ds1-1+deb12u1', '1.1.5+ds1-1+deb12u1', 'reinstall', 5],
      ['hello', 'amd64', null, '2.10-3', 'install', 6],
      ['foo', 'all', null, '1.0', 'install', 7],
      ['half-done', 'amd64', null, '3.1-1', 'configure', 8],
    ],
  );
  assert.deepEqual(byName(plan.packages, 'hello')?.origins, ['Debian:12.15/oldstable', 'local-deb']);
  assert.deepEqual(byName(plan.packages, 'foo')?.origins, []);
});

test('weird lines become problems with their line numbers; nothing throws', () => {
  const text = [
    'NOTE: This is only a simulation!',
    'Inst',
    'Inst broken-pkg [1.0 (2.0 Debian [amd64])',
    'Inst badver [1.0] (1.0- Debian:12 [amd64])',
    'Conf libfoo broken',
    ' Depends:libbar',
    'Conf zzz',
    'Remv',
    'E: Unable to correct problems, you have held broken packages.',
    'Inst ok [1.0] (2.0 Debian:12 [amd64])',
    'Inst ok [1.0] (2.0 Debian:12 [amd64])',
    'Conf ok (2.1 Debian:12 [amd64])',
    '\u0000\uffff garbage',
  ].join('\r\n');
  const plan = parseAptSimulation(text);
  assert.deepEqual(
    plan.problems.map((p) => [p.line, p.message.split(':')[0]]),
    [
      [2, 'unreadable Inst line'],
      [3, 'unreadable Inst line'],
      [4, 'unreadable version'],
      [5, 'apt simulated a configure with broken dependencies'],
      [7, 'unreadable Conf line'],
      [8, 'unreadable Remv/Purg line'],
      [9, 'apt reported an error'],
      [11, 'ok is unpacked twice (first on line 10); the first is kept'],
      [12, 'configures ok 2.1, but line 10 unpacks 2.0'],
    ],
  );
  assert.equal(plan.problems[0]!.text, 'Inst');
  assert.deepEqual(
    plan.packages.map((p) => p.name),
    ['ok'],
  );
});

test('an empty plan, or one with no package line and no summary line, is a problem, never "nothing to do"', () => {
  const empty = parseAptSimulation('');
  assert.deepEqual(empty.packages, []);
  assert.match(empty.problems[0]!.message, /^the plan is empty/);
  assert.match(parseAptSimulation('hello\nworld\n').problems[0]!.message, /^no package line and no apt summary line/);
  const nothing = parseAptSimulation('Reading package lists...\nCalculating upgrade...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n');
  assert.deepEqual(nothing.problems, []);
  assert.deepEqual(nothing.packages, []);
});

test("a cut Inst line is a problem, and apt's summary line catches lines lost or added", () => {
  const cut = 'Inst docker-ce [5:24.0.0-1~debian.12~bookworm] (5:25.0.0-1~debian.12~bookworm Docker:12/stable [amd6\n';
  const p1 = parseAptSimulation(cut);
  assert.equal(p1.packages.length, 0);
  assert.deepEqual(
    p1.problems.map((p) => [p.line, p.message.split(':')[0]]),
    [[1, 'unreadable Inst line']],
  );
  // Cut at a line boundary: every line reads, but the summary says one is missing.
  const lost = parseAptSimulation(
    'Inst a [1] (2 D:12 [amd64])\nConf a (2 D:12 [amd64])\n2 upgraded, 1 newly installed, 1 reinstalled, 0 to remove and 0 not upgraded.\n',
  );
  assert.equal(lost.summary?.reinstalled, 1);
  assert.deepEqual(
    lost.problems.map((p) => [p.line, p.message]),
    [[3, "apt's summary counts 4 to unpack and 0 to remove, but the plan has 1 Inst and 0 Remv/Purg lines: it is incomplete or edited"]],
  );
  const ok = parseAptSimulation('Inst a [1] (2 D:12 [amd64])\nRemv b [1]\n1 upgraded, 0 newly installed, 1 to remove and 3 not upgraded.\n');
  assert.deepEqual(ok.problems, []);
});

test('bytes that are not UTF-8: that line is a problem and is not read; the others are', () => {
  const bytes = Buffer.concat([
    Buffer.from('Inst a [1] (2 D:12 [amd64])\n'),
    Buffer.from('Inst docker-ce [5:24.0.0-1] (5:25.0.0-1 D\xff:12 [amd64])\n', 'latin1'),
    Buffer.from('2 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n'),
  ]);
  const { text, problems } = decodePlanBytes(bytes);
  assert.deepEqual(
    problems.map((p) => [p.line, p.message.split(' (')[0]]),
    [[2, 'not valid UTF-8']],
  );
  const plan = parseAptSimulation(text);
  assert.deepEqual(
    plan.packages.map((p) => p.name),
    ['a'],
  );
  assert.equal(plan.problems.length, 1, 'the summary no longer matches');
  assert.deepEqual(decodePlanBytes(Buffer.from('Inst a\n')), { text: 'Inst a\n', problems: [] });
});

test('Pre-Install-Pkgs v3, captured from real apt 2.6: an upgrade of a local .deb', () => {
  const hook = parsePreInstallPkgsV3(fixture('hook-v3-upgrade.txt'));
  assert.deepEqual(hook.problems, []);
  assert.equal(hook.protocolVersion, 3);
  assert.deepEqual(hook.packages, [
    {
      name: 'upkeep-hooktest',
      arch: 'all',
      oldVersion: '1.0',
      newVersion: '2.0',
      origins: [],
      action: 'upgrade',
      debPath: '/tmp/v3hook/upkeep-hooktest_2.0_all.deb',
      line: 152,
    },
  ]);
  assert.deepEqual(hook.config['APT::Architecture'], ['amd64']);
  assert.deepEqual(hook.config['DPkg::Pre-Install-Pkgs'], ['/usr/sbin/dpkg-preconfigure --apt || true', '/tmp/v3hook/hook.sh']);
  assert.deepEqual(hook.config['DPkg::Tools::Options::/tmp/v3hook/hook.sh::Version'], ['3']);
});

test('Pre-Install-Pkgs v3: fresh installs, a reinstall and a purge (real captures)', () => {
  const install = parsePreInstallPkgsV3(fixture('hook-v3-install.txt'));
  assert.deepEqual(install.problems, []);
  assert.deepEqual(
    install.packages.map((p) => [p.name, p.arch, p.oldVersion, p.newVersion, p.action, p.debPath]),
    [
      ['hello', 'amd64', null, '2.10-3', 'install', '/var/cache/apt/archives/hello_2.10-3_amd64.deb'],
      ['upkeep-hooktest', 'all', null, '1.0', 'install', '/tmp/v3hook/upkeep-hooktest_1.0_all.deb'],
    ],
  );
  const reinstall = parsePreInstallPkgsV3(fixture('hook-v3-reinstall.txt'));
  assert.deepEqual(
    reinstall.packages.map((p) => [p.name, p.oldVersion, p.newVersion, p.action]),
    [['upkeep-hooktest', '1.0', '1.0', 'reinstall']],
  );
  const purge = parsePreInstallPkgsV3(fixture('hook-v3-purge.txt'));
  assert.deepEqual(
    purge.packages.map((p) => [p.name, p.arch, p.oldVersion, p.newVersion, p.action, p.debPath]),
    [
      ['hello', 'amd64', '2.10-3', null, 'remove', null],
      ['upkeep-hooktest', 'all', '1.0', null, 'remove', null],
    ],
  );
});

test('Pre-Install-Pkgs: configure-only steps, version 2, and broken input', () => {
  const v3 = parsePreInstallPkgsV3(
    [
      'VERSION 3',
      'Dir=/',
      'Weird%3Dkey=a%20b%ZZ',
      '',
      'pending 1.0 amd64 same < 1.1 amd64 same **CONFIGURE**',
      'short line',
      'x 1 all none ? 2 all none /x.deb',
      '',
    ].join('\n'),
  );
  assert.deepEqual(v3.config, { Dir: ['/'], 'Weird=key': ['a b%ZZ'] });
  assert.deepEqual(
    v3.packages.map((p) => [p.name, p.arch, p.action, p.debPath]),
    [['pending', 'amd64', 'upgrade', null]],
  );
  assert.deepEqual(
    v3.problems.map((p) => [p.line, p.message]),
    [
      [6, 'expected 9 fields (protocol version 3), found 2'],
      [7, 'unknown direction "?": expected <, > or ='],
    ],
  );

  const v2 = parsePreInstallPkgsV3(
    ['VERSION 2', '', 'docker.io 20.10.5 < 20.10.24 /var/cache/apt/archives/docker.io.deb', 'runc 1.1 > - **REMOVE**'].join('\n'),
  );
  assert.equal(v2.protocolVersion, 2);
  assert.deepEqual(
    v2.packages.map((p) => [p.name, p.arch, p.oldVersion, p.newVersion, p.action]),
    [
      ['docker.io', null, '20.10.5', '20.10.24', 'upgrade'],
      ['runc', null, '1.1', null, 'remove'],
    ],
  );

  const v1 = parsePreInstallPkgsV3('/var/cache/apt/archives/docker.io_20.10.24_amd64.deb\n');
  assert.deepEqual(v1.packages, []);
  assert.deepEqual(
    v1.problems.map((p) => p.line),
    [1],
  );
  assert.match(v1.problems[0]!.message, /expected "VERSION 3"/);
});
