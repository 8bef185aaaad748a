/**
 * The "assess an upgrade" use case with a fake apt/dpkg side, a fake engine and a real store in a
 * temporary directory: the verdict, the evidence policy (downloads failing), the desired state with
 * the operator's intent, and the timeline.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CandidateDownloadError, type ScriptTexts } from '../../src/app/assess-evidence.js';
import { assessUpgrade, assessUpgradeSummary, type AssessUpgradeDeps, type HostSnapshot, type UpgradeSystem } from '../../src/app/assess-upgrade.js';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import type { PlannedPackage } from '../../src/core/preflight/apt-plan.js';
import { container, daemon } from '../helpers/facts.js';
import { actualOf, desiredOf } from '../core/recovery/fixtures.js';

const DOCKER_CE = 'Inst docker-ce [5:24.0.0-1~debian.12~bookworm] (5:25.0.0-1~debian.12~bookworm Docker:12/stable [amd64])\n';
const CUT = 'Inst docker-ce [5:24.0.0-1~debian.12~bookworm] (5:25.0.0-1~debian.12~bookworm Docker:12/stable [amd6\n';
const LIB = 'Inst libfoo [1.0] (1.1 Debian:12/stable [amd64])\n';
const no = { name: 'no', maximumRetryCount: 0 } as const;

const NO_SCRIPTS: ScriptTexts = { preinst: null, postinst: null, prerm: null, postrm: null };

/** A machine with no dpkg info; plan files from `files`; `download` decides each candidate. */
function fakeSystem(files: Record<string, string | Uint8Array>, over: Partial<UpgradeSystem> = {}): UpgradeSystem {
  return {
    simulate: async () => {
      throw new Error('no apt here');
    },
    readPlanFile: async (path) => {
      const f = files[path];
      if (f === undefined) throw new Error(`${path}: no such file`);
      return typeof f === 'string' ? Buffer.from(f) : f;
    },
    installedScripts: async () => null,
    candidateScripts: async () => NO_SCRIPTS,
    shippedUnits: async () => null,
    unitStates: async (units) => new Map(units.map((u) => [u, { enabled: false, active: null }])),
    allUnits: async () => new Map(),
    modifiedConffiles: async () => new Map(),
    kernels: async () => ({ running: 'k', installed: ['k'], rebootRequired: false }),
    ...over,
  };
}

const host = (containers = [container({ name: 'redis', restartPolicy: no })]): HostSnapshot => ({
  daemon: daemon(),
  containers,
  host: { id: 'ENGINE-1', name: 'lab-server' },
});

function deps(system: UpgradeSystem, over: Partial<AssessUpgradeDeps> = {}): AssessUpgradeDeps {
  return { system, readHost: async () => host(), openStore: () => null, ...over };
}

test('B1: a cut docker-ce line with a running restart:no container is "unknown" (exit 4), the whole line "at risk" (exit 3); never 0', async () => {
  const system = fakeSystem({ 'full.txt': LIB + DOCKER_CE, 'cut.txt': LIB + CUT, 'only-cut.txt': CUT, 'empty.txt': '' });
  const full = await assessUpgrade(deps(system), { plan: { kind: 'file', path: 'full.txt' }, download: false });
  assert.equal(full.exitCode, 3);
  assert.equal(full.report.verdict, 'at-risk');
  assert.deepEqual(
    full.report.containers!.map((c) => [c.name, c.runningAtEnd]),
    [['redis', 'no']],
  );
  for (const path of ['cut.txt', 'only-cut.txt', 'empty.txt']) {
    const cut = await assessUpgrade(deps(system), { plan: { kind: 'file', path }, download: false });
    assert.equal(cut.exitCode, 4, path);
    assert.equal(cut.report.verdict, 'unknown');
    assert.ok(cut.report.unknownReasons.length > 0);
    assert.ok(cut.problems.length > 0);
  }
});

test('B1: plan bytes that are not UTF-8 are a problem with their line, not a silently different package', async () => {
  const bytes = Buffer.concat([Buffer.from(LIB), Buffer.from('Inst docker-ce [5:24.0.0-1] (5:25.0.0-1 D\xff:12 [amd64])\n', 'latin1')]);
  const a = await assessUpgrade(deps(fakeSystem({ 'bin.txt': bytes })), { plan: { kind: 'file', path: 'bin.txt' }, download: false });
  assert.equal(a.exitCode, 4);
  assert.deepEqual(
    a.problems.map((p) => [p.line, p.message.split(' (')[0]]),
    [[2, 'not valid UTF-8']],
  );
  assert.deepEqual(
    a.report.packages.map((p) => p.name),
    ['libfoo'],
  );
});

test('B1: a maintainer script the parser cannot follow is "unknown", not "does not restart"; the knowledge base covers a package it knows', async () => {
  const broken =
    '#!/bin/sh\nset -e\nif [ "$1" = configure ]; then\n  case "$2" in\n    1.*) deb-systemd-invoke restart foo.service ;;\n  esac\n  ( echo unterminated\nfi\n';
  const system = fakeSystem({ 'p.txt': LIB + DOCKER_CE }, { installedScripts: async () => ({ ...NO_SCRIPTS, postinst: broken }) });
  const a = await assessUpgrade(deps(system, { readHost: async () => host([]) }), { plan: { kind: 'file', path: 'p.txt' }, download: false });
  const lib = a.report.packages.find((p) => p.name === 'libfoo')!;
  assert.ok(lib.unknown.length > 0, JSON.stringify(lib));
  assert.match(lib.unknown[0]!, /^postinst line \d+: .*not analysed/);
  assert.match(lib.effects[0]!, /^EFFECTS UNKNOWN: postinst line/);
  const docker = a.report.packages.find((p) => p.name === 'docker-ce')!;
  assert.deepEqual(docker.unknown, []);
  assert.match(docker.source, /^knowledge base: /);
  assert.match(docker.effects.join('; '), /its maintainer scripts could not be fully read/);
  // docker restarts (no container runs): the proven part is not at risk, the unknown part decides.
  assert.equal(a.report.verdict, 'unknown');
  assert.equal(a.exitCode, 4);
});

test('B2: the first "mirror unreachable" download failure stops all downloads: said once, installed scripts and knowledge base used', async () => {
  const calls: string[] = [];
  const progress: string[] = [];
  const plan = Array.from({ length: 45 }, (_, i) => `Inst lib${i} [1.0] (1.1 Debian:12/stable [amd64])\n`).join('') + DOCKER_CE;
  const system = fakeSystem(
    { 'p.txt': plan },
    {
      candidateScripts: async (p: PlannedPackage) => {
        calls.push(p.name);
        throw new CandidateDownloadError(
          'apt-get download: exit 100: E: Failed to fetch http://deb.example/x.deb  Could not connect to 127.0.0.1:9',
          'unreachable',
        );
      },
    },
  );
  const started = Date.now();
  const a = await assessUpgrade(deps(system, { onProgress: (l) => progress.push(l) }), { plan: { kind: 'file', path: 'p.txt' }, download: true });
  assert.ok(Date.now() - started < 5000);
  assert.deepEqual(calls, ['lib0'], 'one attempt, not 46');
  assert.match(
    a.downloadNote!,
    /^could not download lib0 1\.1 \(.*Could not connect.*\); not trying the other 45: .*installed scripts and the knowledge base are used \(lower confidence\)$/,
  );
  assert.equal(progress.filter((l) => l.includes('could not download')).length, 0, 'said once: in the report (downloadNote), not also as progress');
  assert.equal(progress.filter((l) => l.startsWith('reading the maintainer scripts')).length, 1, 'one progress line, not one per package');
  const docker = a.report.packages.find((p) => p.name === 'docker-ce')!;
  assert.match(docker.source, /^knowledge base: /);
  assert.notEqual(docker.confidence, 'high');
  assert.equal(a.report.docker.restarts, true);
});

test('B2: a failure of one package only (not the network) does not stop the others', async () => {
  const calls: string[] = [];
  const system = fakeSystem(
    { 'p.txt': LIB + DOCKER_CE },
    {
      candidateScripts: async (p: PlannedPackage) => {
        calls.push(p.name);
        if (p.name === 'libfoo') throw new CandidateDownloadError("E: Can't find a source to download version '1.1' of 'libfoo:amd64'", 'other');
        return { ...NO_SCRIPTS, postinst: '#!/bin/sh\nif [ "$1" = configure ] && [ -n "$2" ]; then deb-systemd-invoke restart docker.service; fi\n' };
      },
    },
  );
  const a = await assessUpgrade(deps(system), { plan: { kind: 'file', path: 'p.txt' }, download: true });
  assert.deepEqual(calls, ['libfoo', 'docker-ce']);
  assert.match(a.downloadNote!, /^could not download 1 of 2 package\(s\)/);
  const docker = a.report.packages.find((p) => p.name === 'docker-ce')!;
  assert.equal(docker.source, 'candidate scripts');
  assert.equal(docker.confidence, 'high');
});

test('A: the desired state comes from loadDesiredState: a container stopped on purpose is not "already down"; each run is in the timeline', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'upk-assess-'));
  try {
    const web = desiredOf({ name: 'web', restart: 'no' });
    const paused = desiredOf({ name: 'maint', restart: 'unless-stopped' });
    const store = openStore({ stateDir: dir });
    store.saveSnapshot({ host: { id: 'ENGINE-1', name: 'lab-server' }, takenAt: '2026-11-20T09:00:00.000Z', note: null, containers: [web, paused] });
    store.recordOperatorStop({ name: 'maint', at: '2026-11-20T10:00:00.000Z', by: 'cli', reason: 'docker stop while the agent watched' });
    store.close();
    const actual = [
      { ...actualOf(web, 'exited', { exitCode: 1 }), manuallyStopped: false },
      { ...actualOf(paused, 'exited', { exitCode: 0 }), manuallyStopped: true },
    ];
    const d = deps(fakeSystem({ 'p.txt': LIB + '1 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n' }), {
      readHost: async () => host(actual),
      openStore: () => openStore({ stateDir: dir, create: false }),
    });
    const a = await assessUpgrade(d, { plan: { kind: 'file', path: 'p.txt' }, download: false });
    assert.deepEqual(
      a.report.alreadyDown!.map((c) => c.name),
      ['web'],
    );
    assert.deepEqual(
      a.report.stoppedOnPurpose!.map((s) => s.name),
      ['maint'],
    );
    assert.equal(a.exitCode, 3);
    assert.equal(a.timelineNote, null);
    const check = openStore({ stateDir: dir, create: false });
    const entries = check.timeline({ kind: 'preflight' });
    check.close();
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.subject, 'lab-server');
    assert.deepEqual(
      {
        verdict: entries[0]!.detail.verdict,
        packages: entries[0]!.detail.packages,
        notBack: entries[0]!.detail.notBack,
        dockerRestarts: entries[0]!.detail.dockerRestarts,
        reboot: entries[0]!.detail.reboot,
      },
      { verdict: 'at-risk', packages: 1, notBack: ['web'], dockerRestarts: false, reboot: false },
    );
    assert.match(entries[0]!.detail.message, /^preflight: 1 package\(s\) \(p\.txt\).*: at risk$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('A: a store that cannot be written does not fail the assessment (a note); none is never created', async () => {
  const system = fakeSystem({ 'p.txt': LIB + '1 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n' });
  const readOnly = {
    path: '/ro/upkeep.db',
    latestSnapshot: () => null,
    listSnapshots: () => [],
    getSnapshot: () => null,
    operatorStops: () => [],
    appendTimeline: () => {
      throw new Error('attempt to write a readonly database');
    },
    close: () => {},
  };
  const a = await assessUpgrade(deps(system, { openStore: () => readOnly }), { plan: { kind: 'file', path: 'p.txt' }, download: false });
  assert.equal(a.exitCode, 0);
  assert.match(a.timelineNote!, /not recorded in the timeline \(attempt to write a readonly database\)/);
  assert.match(a.desiredNote!, /^no snapshot in \/ro\/upkeep\.db yet/);
  const broken = await assessUpgrade(
    deps(system, {
      openStore: () => {
        throw new Error('file is not a database');
      },
    }),
    { plan: { kind: 'file', path: 'p.txt' }, download: false },
  );
  assert.equal(broken.exitCode, 0);
  assert.equal(broken.desiredNote, 'desired state not read: file is not a database');
});

/** A simulation as the cache gives it: `cached` says whether apt ran. */
const simulated = (text: string, cached = false) => ({
  text,
  simulation: { cached, computedAt: '2026-11-30T01:00:00.000Z', key: 'k', note: null },
});

test("A: assessUpgradeSummary gives check's line and exit code, and never throws", async () => {
  const ok = await assessUpgradeSummary(
    deps(fakeSystem({}, { simulate: async () => simulated(LIB + DOCKER_CE + '2 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n', true) })),
  );
  assert.deepEqual(ok, {
    line: 'Preflight: 2 package(s) to upgrade; docker.service restarts: 1 container(s) stop, 1 would not come back (upkeep preflight for details).',
    exitCode: 3,
    aptSimulation: simulated('', true).simulation,
    evidenceCache: null,
  });
  const cut = await assessUpgradeSummary(deps(fakeSystem({}, { simulate: async () => simulated(CUT) })));
  assert.equal(cut.exitCode, 4);
  assert.match(cut.line, /could not predict everything: 1 input\(s\) not understood/);
  const none = await assessUpgradeSummary(deps(fakeSystem({})));
  assert.deepEqual(none, { line: 'Preflight: not assessed (no apt here).', exitCode: null, aptSimulation: null, evidenceCache: null });
});

test("disk space: the facts are asked for with the plan and its kernels; short says so in check's line and exits 3; the hook does not ask", async () => {
  const KERNEL = 'Inst linux-image-6.1.0-42-amd64 (6.1.159-1 Debian:12/stable [amd64])\n';
  const asked: Array<{ packages: string[]; kernels: readonly string[] }> = [];
  const MiB = 1024 * 1024;
  const system = fakeSystem(
    {},
    {
      simulate: async () => simulated(LIB + KERNEL),
      spaceFacts: async (packages, kernelPackages) => {
        asked.push({ packages: packages.map((p) => p.name), kernels: kernelPackages });
        const root = { device: '254:0', mountPoint: '/', fsType: 'ext4', freeBytes: 10_000 * MiB, totalBytes: 20_000 * MiB };
        const boot = { device: '8:1', mountPoint: '/boot', fsType: 'ext4', freeBytes: 30 * MiB, totalBytes: 256 * MiB };
        return {
          archivesDir: '/var/cache/apt/archives',
          packages: packages.map((p) => ({
            name: p.name,
            downloadBytes: MiB,
            newInstalledBytes: 2 * MiB,
            oldInstalledBytes: p.oldVersion === null ? null : MiB,
          })),
          kernels: kernelPackages.map((k) => ({ package: k, debBootBytes: null })),
          boot: { kernels: [{ release: '6.1.0-41-amd64', bytes: 12 * MiB }], initrds: [{ name: 'initrd.img-6.1.0-41-amd64', bytes: 40 * MiB }] },
          filesystems: new Map([
            ['/', root],
            ['/usr', root],
            ['/var', root],
            ['/var/cache/apt/archives', root],
            ['/boot', boot],
          ]),
        };
      },
    },
  );
  const summary = await assessUpgradeSummary(deps(system, { readHost: async () => host([]) }));
  assert.deepEqual(asked, [{ packages: ['libfoo', 'linux-image-6.1.0-42-amd64'], kernels: ['linux-image-6.1.0-42-amd64'] }]);
  assert.equal(summary.exitCode, 3);
  assert.equal(summary.line, 'Preflight: 2 package(s) to upgrade; reboot needed; disk space SHORT on /boot (upkeep preflight for details).');
  const a = await assessUpgrade(deps(system, { readHost: async () => host([]) }), {
    plan: { kind: 'simulate', mode: 'dist-upgrade' },
    download: false,
    record: false,
  });
  assert.deepEqual(
    a.report.space!.filesystems.map((f) => [f.mountPoint, f.verdict]),
    [
      ['/boot', 'short'],
      ['/', 'ok'],
    ],
  );
  const hook = await assessUpgrade(deps(system), { plan: { kind: 'hook', text: '' }, download: false, space: false });
  assert.equal(hook.report.space, null);
  assert.equal(asked.length, 2, 'the hook did not ask');
});
