/**
 * The rollback plan as data: apt-cache policy read defensively (cut short, hostile, duplicated:
 * unknown, never available), versions compared as dpkg does (epochs, tildes), the apt cache's
 * .debs taken by their own fields, copies only where dpkg's database can rebuild them and within
 * the cap, the command and preflight's warnings.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  copyFileName,
  parseAptCachePolicy,
  planRollback,
  replacesEngineOrKernel,
  repositoryOffering,
  rollbackCommand,
  rollbackGaps,
  rollbackWarnings,
  withCopyOutcomes,
  type InstalledPackage,
  type RollbackFacts,
} from '../../../src/core/upgrade/rollback.js';

const POLICY = `docker.io:
  Installed: 20.10.24+dfsg1-1+deb12u1
  Candidate: 20.10.24+dfsg1-1+deb12u2
  Version table:
     20.10.24+dfsg1-1+deb12u2 500
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
 *** 20.10.24+dfsg1-1+deb12u1 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
        100 /var/lib/dpkg/status
containerd:
  Installed: 1.6.20~ds1-1+b1
  Candidate: 1:1.6.24~ds1-1
  Version table:
     1:1.6.24~ds1-1 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
 *** 1.6.20~ds1-1+b1 100
        100 /var/lib/dpkg/status
`;

const AT = '2026-11-30T10:00:00.000Z';
const OPTS = { dir: '/var/lib/upkeep/rollback', capBytes: 512 * 1024 * 1024, keepCopies: true };

function installed(name: string, version: string, over: Partial<InstalledPackage> = {}): InstalledPackage {
  return {
    name,
    version,
    architecture: 'amd64',
    status: 'install ok installed',
    listFile: `/var/lib/dpkg/info/${name}.list`,
    bytes: 1000,
    missing: [],
    ...over,
  };
}

function facts(over: Partial<RollbackFacts> = {}): RollbackFacts {
  return { policies: parseAptCachePolicy(POLICY), cached: [], installed: new Map(), ...over };
}

describe('which packages replace the engine or the kernel', () => {
  it('takes the engine packages from the knowledge base, runc, and kernel images (not meta packages)', () => {
    for (const n of ['docker.io', 'docker-ce', 'containerd', 'containerd.io', 'runc', 'linux-image-6.1.0-41-amd64'])
      assert.equal(replacesEngineOrKernel(n), true, n);
    for (const n of ['linux-image-amd64', 'openssh-server', 'libc6', 'docker-compose-plugin', 'curl']) assert.equal(replacesEngineOrKernel(n), false, n);
  });
});

describe('apt-cache policy', () => {
  it('reads versions and their sources; the installed one only in dpkg status is not in a repository', () => {
    const p = parseAptCachePolicy(POLICY);
    assert.equal(repositoryOffering(p.get('docker.io'), '20.10.24+dfsg1-1+deb12u1'), 'http://deb.debian.org/debian bookworm/main amd64 Packages');
    assert.equal(repositoryOffering(p.get('containerd'), '1.6.20~ds1-1+b1'), null);
    assert.equal(repositoryOffering(p.get('containerd'), '1:1.6.24~ds1-1'), 'http://deb.debian.org/debian bookworm/main amd64 Packages');
  });

  it('compares versions as dpkg does: an epoch of 0 is the same version, a tilde is not dropped', () => {
    const p = parseAptCachePolicy(
      `runc:\n  Installed: 1.1.5~rc1\n  Candidate: 0:1.1.5\n  Version table:\n     0:1.1.5 500\n        500 file:/repo ./ Packages\n *** 1.1.5~rc1 100\n        100 /var/lib/dpkg/status\n`,
    );
    assert.ok(p.get('runc')?.known);
    assert.notEqual(repositoryOffering(p.get('runc'), '1.1.5'), null);
    assert.equal(repositoryOffering(p.get('runc'), '1.1.5~rc1'), null);
    assert.equal(repositoryOffering(p.get('runc'), '1:1.1.5'), null);
  });

  it('a block cut short after a version line is unknown, never available', () => {
    const cut = POLICY.slice(0, POLICY.indexOf('        500 http://deb.debian.org/debian bookworm/main'));
    const p = parseAptCachePolicy(cut);
    assert.equal(p.get('docker.io')?.known, false);
    assert.equal(repositoryOffering(p.get('docker.io'), '20.10.24+dfsg1-1+deb12u1'), null);
  });

  it('a source line cut short, or text ending mid-line, is unknown, never available', () => {
    const whole = `runc:\n  Installed: 1.1.5\n  Candidate: 1.1.6\n  Version table:\n     1.1.6 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n *** 1.1.5 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n`;
    assert.notEqual(repositoryOffering(parseAptCachePolicy(whole).get('runc'), '1.1.5'), null);
    const cutSource = whole.slice(0, whole.lastIndexOf(' amd64 Packages')) + '\n';
    assert.equal(parseAptCachePolicy(cutSource).get('runc')?.known, false);
    const noNewline = whole.slice(0, -1);
    assert.equal(parseAptCachePolicy(noNewline).get('runc')?.known, false);
    assert.equal(repositoryOffering(parseAptCachePolicy(noNewline).get('runc'), '1.1.5'), null);
  });

  it('hostile text: unexpected lines, invalid versions, a package named twice, an error line inside a block: unknown', () => {
    const cases = [
      `runc:\n  Installed: 1.0\n  Version table:\n     1.0 500\n        500 file:/r ./ Packages\nrm -rf /\n`,
      `runc:\n  Installed: 1.0\n  Version table:\n     not a version! 500\n        500 file:/r ./ Packages\n`,
      `runc:\n  Installed: 1.0\n  Version table:\n     1.0 500\n        500 file:/r ./ Packages\nrunc:\n  Installed: 1.0\n  Version table:\n     1.0 500\n        500 file:/r ./ Packages\n`,
      `runc:\n  Installed: 1.0\n  Version table:\n     1.0 500\n        500 file:/r ./ Packages\nE: Could not open file /var/lib/apt/lists/x\n`,
      `runc:\n  Installed: 1.0\n     1.0 500\n        500 file:/r ./ Packages\n`,
    ];
    for (const text of cases) {
      const r = parseAptCachePolicy(text).get('runc');
      assert.equal(r?.known, false, text);
      assert.equal(repositoryOffering(r, '1.0'), null, text);
    }
    assert.equal(parseAptCachePolicy('').size, 0);
    assert.equal(parseAptCachePolicy('\u0000\u0001garbage:\n:::\n').size, 0);
  });
});

describe('planRollback', () => {
  it('records every changed package; a new package has nothing to roll back to but its removal', () => {
    const plan = planRollback(
      [
        { name: 'docker.io', from: '20.10.24+dfsg1-1+deb12u1', to: '20.10.24+dfsg1-1+deb12u2' },
        { name: 'linux-image-6.1.0-42-amd64', from: null, to: '6.1.159-1' },
      ],
      facts(),
      OPTS,
      AT,
    );
    assert.equal(plan.recordedAt, AT);
    assert.deepEqual(plan.newPackages, ['linux-image-6.1.0-42-amd64']);
    assert.equal(plan.packages[0]?.source.kind, 'repository');
    assert.equal(rollbackCommand(plan), 'apt-get install --allow-downgrades docker.io=20.10.24+dfsg1-1+deb12u1');
  });

  it("a cached .deb counts by its own fields, not its name; else a copy from dpkg's database", () => {
    const from = '1.6.20~ds1-1+b1';
    const liar = {
      path: '/var/cache/apt/archives/containerd_1.6.20~ds1-1+b1_amd64.deb',
      fields: { package: 'containerd', version: '1.6.19-1', architecture: 'amd64' },
    };
    const unreadable = { path: '/var/cache/apt/archives/containerd_1.6.20~ds1-1+b1_amd64.deb', fields: null };
    const otherArch = { path: '/x/containerd_i386.deb', fields: { package: 'containerd', version: from, architecture: 'i386' } };
    const honest = { path: '/var/cache/apt/archives/odd-name.deb', fields: { package: 'containerd', version: `0:${from}`, architecture: 'amd64' } };
    const inst = new Map([['containerd', installed('containerd', from, { bytes: 40 * 1024 * 1024 })]]);
    const changed = [{ name: 'containerd', from, to: '1:1.6.24~ds1-1' }];

    const copy = planRollback(changed, facts({ cached: [liar, unreadable, otherArch], installed: inst }), OPTS, AT);
    assert.deepEqual(copy.packages[0]?.source, {
      kind: 'copy',
      path: '/var/lib/upkeep/rollback/containerd_1.6.20~ds1-1+b1_amd64.deb',
      bytes: 40 * 1024 * 1024,
      from: '/var/lib/dpkg/info/containerd.list',
    });
    assert.equal(rollbackCommand(copy), 'apt-get install --allow-downgrades /var/lib/upkeep/rollback/containerd_1.6.20~ds1-1+b1_amd64.deb');

    const cached = planRollback(changed, facts({ cached: [liar, honest], installed: inst }), OPTS, AT);
    assert.deepEqual(cached.packages[0]?.source, { kind: 'cache', path: honest.path });
  });

  it('no copy without a file list, with files gone, in another state or version; said why', () => {
    const from = '1:1.7.0~rc2-1';
    const changed = [{ name: 'runc', from, to: '1:1.7.1-1' }];
    const cases: Array<[InstalledPackage | null, RegExp]> = [
      [installed('runc', from, { listFile: null }), /no file list/],
      [installed('runc', from, { missing: ['/usr/sbin/runc'] }), /1 file\(s\) of its list are gone \(\/usr\/sbin\/runc\)/],
      [installed('runc', from, { status: 'install ok half-configured' }), /half-configured/],
      [installed('runc', '1:1.7.0-1'), /dpkg has 1:1.7.0-1 installed/],
      [null, /does not know it as installed/],
    ];
    for (const [inst, why] of cases) {
      const plan = planRollback(changed, facts({ installed: new Map([['runc', inst]]) }), OPTS, AT);
      const src = plan.packages[0]!.source;
      assert.equal(src.kind, 'none');
      assert.match((src as { why: string }).why, why);
      assert.equal(rollbackCommand(plan), null);
      assert.equal(rollbackWarnings(plan).length, 1);
      assert.match(
        rollbackWarnings(plan)[0]!,
        /^runc 1:1\.7\.0~rc2-1 -> 1:1\.7\.1-1: no rollback possible: apt-cache policy said nothing about it, not in apt.s cache/,
      );
    }
  });

  it('the cap counts copies in plan order; one that would pass it is not kept, and says so', () => {
    const mb = 1024 * 1024;
    const changed = [
      { name: 'containerd', from: '1.6.20~ds1-1+b1', to: '1:1.6.24~ds1-1' },
      { name: 'linux-image-6.1.0-41-amd64', from: '6.1.158-1', to: '6.1.159-1' },
      { name: 'runc', from: '1.1.5', to: '1.1.6' },
    ];
    const inst = new Map([
      ['containerd', installed('containerd', '1.6.20~ds1-1+b1', { bytes: 300 * mb })],
      ['linux-image-6.1.0-41-amd64', installed('linux-image-6.1.0-41-amd64', '6.1.158-1', { bytes: 400 * mb })],
      ['runc', installed('runc', '1.1.5', { bytes: 10 * mb })],
    ]);
    const plan = planRollback(changed, facts({ installed: inst }), OPTS, AT);
    assert.deepEqual(
      plan.packages.map((p) => p.source.kind),
      ['copy', 'none', 'copy'],
    );
    assert.match((plan.packages[1]!.source as { why: string }).why, /would pass the rollback cap \(512 MiB, 300 MiB already kept\): not kept/);
    assert.deepEqual(
      rollbackGaps(plan).map((p) => p.name),
      ['linux-image-6.1.0-41-amd64'],
    );
  });

  it('a non-engine package only in dpkg status is a gap, not critical, and is left out of the command', () => {
    const p = parseAptCachePolicy(
      `curl:\n  Installed: 7.88.1-10\n  Candidate: 7.88.1-11\n  Version table:\n     7.88.1-11 500\n        500 file:/r ./ Packages\n *** 7.88.1-10 100\n        100 /var/lib/dpkg/status\n`,
    );
    const plan = planRollback([{ name: 'curl', from: '7.88.1-10', to: '7.88.1-11' }], { policies: p, cached: [], installed: new Map() }, OPTS, AT);
    assert.equal(plan.packages[0]?.critical, false);
    assert.equal(plan.packages[0]?.source.kind, 'none');
    assert.deepEqual(rollbackWarnings(plan), []);
    assert.equal(rollbackCommand(plan), null);
  });

  it('a copy that could not be written becomes a gap; a written one keeps its real size', () => {
    const inst = new Map([
      ['runc', installed('runc', '1.1.5')],
      ['containerd', installed('containerd', '1.6.20~ds1-1+b1')],
    ]);
    const plan = planRollback(
      [
        { name: 'runc', from: '1.1.5', to: '1.1.6' },
        { name: 'containerd', from: '1.6.20~ds1-1+b1', to: '1:1.6.24~ds1-1' },
      ],
      facts({ installed: inst }),
      OPTS,
      AT,
    );
    const done = withCopyOutcomes(
      plan,
      new Map<string, { ok: true; bytes: number } | { ok: false; why: string }>([
        ['runc', { ok: true, bytes: 321 }],
        ['containerd', { ok: false, why: 'ENOSPC' }],
      ]),
    );
    assert.equal((done.packages[0]!.source as { bytes: number }).bytes, 321);
    assert.deepEqual(done.packages[1]!.source, { kind: 'none', why: 'in no repository or cache, and its copy could not be made: ENOSPC' });
  });

  it('names a copy as apt names its cache files: the epoch colon as %3a', () => {
    assert.equal(copyFileName('containerd', '1:1.6.24~ds1-1', 'amd64'), 'containerd_1%3a1.6.24~ds1-1_amd64.deb');
  });
});
