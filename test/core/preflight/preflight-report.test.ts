/** The incident's saved plan, through the evidence the command would gather without download, to the report. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAptSimulation } from '../../../src/core/preflight/apt-plan.js';
import { lookupKnowledge } from '../../../src/core/preflight/knowledge-base.js';
import { buildPreflightReport, type PackageEvidence } from '../../../src/core/preflight/preflight-report.js';
import { resolveUnit } from '../../../src/core/preflight/systemd-units.js';
import { assessSpace } from '../../../src/core/preflight/disk-space.js';
import { renderPreflightText as renderView } from '../../../src/core/preflight/preflight-text.js';
import type { PreflightReport } from '../../../src/core/preflight/preflight-report.js';

const renderPreflightText = (_io: unknown, report: PreflightReport, containersNote: string | null, planSource: string): string =>
  renderView({ report, containersNote, planSource, desiredNote: null, downloadNote: null, timelineNote: null });
import { container, daemon } from '../../helpers/facts.js';
import { actualOf, desiredOf } from '../recovery/fixtures.js';

const plan = parseAptSimulation(readFileSync(new URL('../../fixtures/apt/incident-plan.txt', import.meta.url), 'utf8'));
const evidence: PackageEvidence[] = plan.packages.map((pkg) => {
  const kb = lookupKnowledge(pkg.name);
  return {
    pkg,
    effects: kb?.effects ?? [],
    source: kb ? `knowledge base: ${kb.source}` : 'none',
    rebootNeeded: kb?.rebootNeeded ?? false,
    notes: kb?.notes ?? [],
  };
});
const us = { name: 'unless-stopped', maximumRetryCount: 0 } as const;
const no = { name: 'no', maximumRetryCount: 0 } as const;
const always = { name: 'always', maximumRetryCount: 0 } as const;
const containers = [
  container({ name: 'covid-lapis', restartPolicy: us }),
  container({ name: 'covid-silo', restartPolicy: us }),
  container({ name: 'v-pipe-redis-1', restartPolicy: no }),
  container({ name: 'v-pipe-streamlit-1', restartPolicy: no }),
  container({ name: 'v-pipe-worker-1', restartPolicy: no }),
  container({ name: 'k3d-loculus-server-0', restartPolicy: always }),
  container({ name: 'stopped-by-hand', restartPolicy: us, state: 'exited', exitCode: 137, manuallyStopped: true }),
];

test('the incident plan: docker restarts, a reboot is needed, the no-policy stack stays down', () => {
  const r = buildPreflightReport({
    evidence,
    runningKernel: '6.8.0-87-generic',
    installedKernels: ['6.8.0-87-generic'],
    rebootRequiredFlag: false,
    host: { daemon: daemon(), containers },
  });
  const line = (name: string) => r.packages.find((p) => p.name === name)!;
  assert.equal(line('containerd.io').change, 'major');
  assert.equal(line('containerd.io').risk, 'high');
  assert.equal(line('docker-ce').change, 'major');
  assert.ok(line('docker-ce').effects.includes('every container stops'));
  assert.equal(r.docker.restarts, true);
  assert.equal(r.reboot.needed, true);
  assert.match(r.reboot.why.join(' '), /linux-image-6\.8\.0-88-generic/);
  assert.equal(r.summary.packages, 46);
  assert.deepEqual(
    r.containers!.map((c) => [c.name, c.runningAtEnd]),
    [
      ['covid-lapis', 'yes'],
      ['covid-silo', 'yes'],
      ['v-pipe-redis-1', 'no'],
      ['v-pipe-streamlit-1', 'no'],
      ['v-pipe-worker-1', 'no'],
      ['k3d-loculus-server-0', 'yes'],
    ],
  );
  assert.match(r.containers![2]!.afterReboot!.reason, /still down from the upgrade: restart policy "no"/);
  assert.equal(r.exitCode, 3);
  assert.match(r.advice[0]!, /upkeep snapshot/);
});

test('live-restore covers a patch upgrade of docker, not a major one', () => {
  const patch = evidence
    .map((e) => (e.pkg.name === 'docker-ce' ? { ...e, pkg: { ...e.pkg, newVersion: '5:28.3.3-1~ubuntu.24.04~noble' } } : e))
    .filter((e) => !e.pkg.name.startsWith('linux-image'));
  const lr = daemon({ liveRestore: true });
  const r = buildPreflightReport({ evidence: patch, runningKernel: 'x', installedKernels: [], rebootRequiredFlag: false, host: { daemon: lr, containers } });
  assert.equal(r.docker.liveRestoreCovers, true);
  assert.equal(r.summary.containersStop, 0);
  assert.equal(r.exitCode, 0);
  const major = buildPreflightReport({
    evidence: evidence.filter((e) => !e.pkg.name.startsWith('linux-image')),
    runningKernel: 'x',
    installedKernels: [],
    rebootRequiredFlag: false,
    host: { daemon: lr, containers },
  });
  assert.equal(major.docker.liveRestoreCovers, false);
  assert.equal(major.exitCode, 3);
});

test('nothing restarts docker and no reboot: exit 0; containers not assessed: still a package report', () => {
  const libs = evidence.filter((e) => e.pkg.name.startsWith('lib') && e.effects.length === 0);
  const r = buildPreflightReport({ evidence: libs, runningKernel: 'x', installedKernels: [], rebootRequiredFlag: false, host: null });
  assert.equal(r.containers, null);
  assert.equal(r.exitCode, 0);
  assert.ok(r.packages.length > 10);
});

const unit = (name: string, text: string) => resolveUnit({ name, main: { file: `/lib/systemd/system/${name}`, text }, dropIns: [] });

test('propagation through the unit files: a docker.service bound to containerd restarts with it; Wants= carries nothing', () => {
  const onlyContainerd = evidence.filter((e) => e.pkg.name === 'containerd.io');
  const wants = new Map([['docker.service', unit('docker.service', '[Unit]\nWants=containerd.service\nAfter=containerd.service\n')]]);
  const r1 = buildPreflightReport({
    evidence: onlyContainerd,
    units: wants,
    runningKernel: 'x',
    installedKernels: [],
    rebootRequiredFlag: false,
    host: { daemon: daemon(), containers },
  });
  assert.equal(r1.docker.restarts, false);
  assert.deepEqual(r1.propagated, []);
  assert.equal(r1.exitCode, 0);
  const binds = new Map([['docker.service', unit('docker.service', '[Unit]\nBindsTo=containerd.service\n')]]);
  const r2 = buildPreflightReport({
    evidence: onlyContainerd,
    units: binds,
    runningKernel: 'x',
    installedKernels: [],
    rebootRequiredFlag: false,
    host: { daemon: daemon(), containers },
  });
  assert.deepEqual(r2.propagated, [{ unit: 'docker.service', action: 'try-restart', cause: { unit: 'containerd.service', dependency: 'BindsTo' } }]);
  assert.deepEqual(r2.restartedUnits, ['containerd.service', 'docker.service']);
  assert.equal(r2.docker.restarts, true);
  assert.match(r2.docker.why!, /containerd\.io restarts containerd\.service, and docker\.service BindsTo= it/);
  assert.ok(r2.packages[0]!.effects.includes('then restarts (if running) docker.service (BindsTo=containerd.service; unit files)'));
  assert.ok(r2.packages[0]!.effects.includes('every container stops'));
  assert.equal(r2.exitCode, 3, 'the restart-"no" stack does not come back');
});

test('a locally modified conffile makes a package at least med risk, with the path and what to do', () => {
  const lib = evidence.find((e) => e.pkg.name.startsWith('lib') && e.effects.length === 0)!;
  const r = buildPreflightReport({
    evidence: [lib],
    modifiedConffiles: new Map([[lib.pkg.name, ['/etc/example.conf']]]),
    runningKernel: 'x',
    installedKernels: [],
    rebootRequiredFlag: false,
    host: null,
  });
  assert.equal(r.packages[0]!.risk, 'med');
  assert.match(r.packages[0]!.effects.join('; '), /\/etc\/example\.conf is modified locally: dpkg will ask .*--force-confold keeps yours/);
});

test('the incident report as a person reads it: the key lines', () => {
  const r = buildPreflightReport({
    evidence,
    runningKernel: '6.8.0-87-generic',
    installedKernels: ['6.8.0-87-generic'],
    rebootRequiredFlag: false,
    host: { daemon: daemon(), containers },
  });
  const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: { NO_COLOR: '1' } };
  const text = renderPreflightText(io, r, null, 'incident-plan.txt');
  assert.match(text, /^46 packages to change \(incident-plan\.txt\)$/m);
  assert.match(text, /^high\s+containerd\.io\s+1\.7\.27-1 -> 2\.1\.5-1\s+MAJOR; restarts containerd\.service;.*shim API/m);
  assert.match(text, /^high\s+docker-ce\s+5:28\.3\.2-1\S* -> 5:29\.0\.2-1\S*\s+MAJOR; restarts docker\.service; every container stops/m);
  assert.match(text, /^high\s+linux-image-6\.8\.0-88-generic\s+\(new\) -> 6\.8\.0-88\.89\s+reboot needed \(running 6\.8\.0-87-generic\)/m);
  assert.match(text, /^med\s+openssh-server\s+.*restarts ssh\.service/m);
  assert.match(text, /^Reboot needed: linux-image-6\.8\.0-88-generic/m);
  assert.match(text, /^Containers: 6 of 6 running stop during the maintenance; afterwards 3 are NOT \(or maybe not\) running:$/m);
  assert.match(text, /^ {2}v-pipe-redis-1 \(no\): not back: still down from the upgrade: restart policy "no"/m);
  assert.doesNotMatch(text, /^ {2}covid-lapis/m);
  assert.match(text, /^Do first: upkeep snapshot .*upkeep audit --fix --apply-live$/m);
});

test('desired containers already down before the upgrade: listed with why, counted, exit 3 when they stay down', () => {
  const web = desiredOf({ name: 'web', restart: 'no' });
  const api = desiredOf({ name: 'api', restart: 'always' });
  const db = desiredOf({ name: 'db', restart: 'unless-stopped' });
  const gone = desiredOf({ name: 'gone', restart: 'always' });
  const job = desiredOf({ name: 'nightly', restart: 'no', labels: { 'upkeep.role': 'job' } });
  const actual = [
    { ...actualOf(web, 'exited', { exitCode: 137, finishedAt: '2026-11-20T10:00:00.123456789Z' }), manuallyStopped: true },
    { ...actualOf(api, 'exited', { exitCode: 3, restart: 'always' }), manuallyStopped: false },
    actualOf(db, 'running'),
    actualOf(job, 'exited', { exitCode: 0 }),
  ];
  const libs = evidence.filter((e) => e.pkg.name.startsWith('lib') && e.effects.length === 0);
  const desired = { takenAt: '2026-11-20T09:00:00Z', containers: [web, api, db, gone, job] };
  const quiet = buildPreflightReport({
    evidence: libs,
    runningKernel: 'x',
    installedKernels: [],
    rebootRequiredFlag: false,
    host: { daemon: daemon(), containers: actual },
    desired,
  });
  assert.deepEqual(
    quiet.alreadyDown!.map((c) => [c.name, c.state, c.reason, c.runningAtEnd]),
    [
      ['api', 'exited', 'exited (3) at 2025-11-20T15:00:00Z', 'no'],
      ['gone', 'missing', 'removed since the snapshot', 'no'],
      ['web', 'exited', 'manually stopped (docker stop), exited (137) at 2026-11-20T10:00:00Z', 'no'],
    ],
    'the running db and the job are not listed',
  );
  assert.equal(quiet.alreadyDown![0]!.afterMaintenance.reason, 'nothing in this upgrade starts it (no docker.service restart, no reboot)');
  assert.equal(quiet.summary.alreadyDown, 3);
  assert.equal(quiet.summary.containersStop, 0);
  assert.equal(quiet.desiredStateTakenAt, '2026-11-20T09:00:00Z');
  assert.equal(quiet.exitCode, 3, 'nothing stops, but desired containers stay down');
  assert.match(quiet.advice.join('; '), /upkeep recover for the desired containers already down/);

  // A docker restart starts the stopped "always" one again (even after docker stop); "no" stays down.
  const dockerCe = evidence.filter((e) => e.pkg.name === 'docker-ce');
  const restart = buildPreflightReport({
    evidence: dockerCe,
    runningKernel: 'x',
    installedKernels: [],
    rebootRequiredFlag: false,
    host: { daemon: daemon(), containers: actual },
    desired,
  });
  const api2 = restart.alreadyDown!.find((c) => c.name === 'api')!;
  assert.equal(api2.runningAtEnd, 'yes');
  assert.match(api2.afterMaintenance.reason, /restart policy "always": the daemon starts it at its next start/);
  assert.equal(restart.alreadyDown!.find((c) => c.name === 'web')!.afterMaintenance.reason, 'restart policy "no": Docker never starts it again');

  const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: { NO_COLOR: '1' } };
  const text = renderPreflightText(io, quiet, null, 'plan.txt');
  assert.match(text, /^Already down before the upgrade: 3 desired containers \(snapshot of 2026-11-20T09:00:00Z\) are not running now:$/m);
  assert.match(
    text,
    /^ {2}web \(no\): manually stopped \(docker stop\), exited \(137\) at 2026-11-20T10:00:00Z; stays down: nothing in this upgrade starts it/m,
  );
  assert.match(text, /^ {2}gone \(removed\): removed since the snapshot; stays down: Docker cannot start a removed container/m);

  // No desired state (no store, no snapshot of this engine): nothing is said, the exit code is the packages'.
  for (const none of [null, undefined]) {
    const r = buildPreflightReport({
      evidence: libs,
      runningKernel: 'x',
      installedKernels: [],
      rebootRequiredFlag: false,
      host: { daemon: daemon(), containers: actual },
      desired: none,
    });
    assert.equal(r.alreadyDown, null);
    assert.equal(r.summary.alreadyDown, 0);
    assert.equal(r.exitCode, 0);
    assert.doesNotMatch(renderPreflightText(io, r, null, 'plan.txt'), /Already down/);
  }
  // Every desired container runs: an empty list, exit 0.
  const allUp = buildPreflightReport({
    evidence: libs,
    runningKernel: 'x',
    installedKernels: [],
    rebootRequiredFlag: false,
    host: { daemon: daemon(), containers: [actualOf(db, 'running')] },
    desired: { takenAt: 't', containers: [db] },
  });
  assert.deepEqual(allUp.alreadyDown, []);
  assert.equal(allUp.exitCode, 0);
});

test('effects assumed from the shipped units read "probably restarts", name their source, and have low confidence', () => {
  const pkg = { name: 'fakesvc', oldVersion: '1.0', newVersion: '2.0', arch: 'all', action: 'upgrade' } as unknown as PackageEvidence['pkg'];
  const r = buildPreflightReport({
    evidence: [
      {
        pkg,
        effects: [{ unit: 'fakesvc.service', action: 'restart', when: 'upgrade', assumed: true }],
        source: "unit files the package ships (fakesvc.list), assuming debhelper's default restart",
        confidence: 'low',
        rebootNeeded: false,
        notes: [],
      },
    ],
    runningKernel: 'x',
    installedKernels: [],
    rebootRequiredFlag: false,
    host: null,
  });
  assert.deepEqual(r.packages[0]!.effects, ['MAJOR', 'probably restarts fakesvc.service']);
  assert.equal(r.packages[0]!.source, "unit files the package ships (fakesvc.list), assuming debhelper's default restart");
  assert.equal(r.packages[0]!.confidence, 'low');
  assert.equal(r.packages[0]!.risk, 'med');
  assert.deepEqual(r.restartedUnits, ['fakesvc.service']);
  assert.equal(
    buildPreflightReport({ evidence: evidence.slice(0, 1), runningKernel: 'x', installedKernels: [], rebootRequiredFlag: false, host: null }).packages[0]!
      .confidence,
    'medium',
  );
});

test('a plan line that could not be read makes the verdict unknown (exit 4), never "all come back"', () => {
  const cut =
    'Inst libfoo [1.0] (1.1 Debian:12/stable [amd64])\nInst docker-ce [5:24.0.0-1~debian.12~bookworm] (5:25.0.0-1~debian.12~bookworm Docker:12/stable [amd6\n';
  const full = cut.replace('[amd6\n', '[amd64])\n');
  const running = [container({ name: 'redis', restartPolicy: no })];
  const reportOf = (text: string) => {
    const p = parseAptSimulation(text);
    const ev: PackageEvidence[] = p.packages.map((pkg) => {
      const kb = lookupKnowledge(pkg.name);
      return { pkg, effects: kb?.effects ?? [], source: kb ? `knowledge base: ${kb.source}` : 'none', rebootNeeded: false, notes: [] };
    });
    return buildPreflightReport({
      evidence: ev,
      planProblems: p.problems,
      runningKernel: 'k',
      installedKernels: ['k'],
      rebootRequiredFlag: false,
      host: { daemon: daemon(), containers: running },
    });
  };
  const complete = reportOf(full);
  assert.equal(complete.verdict, 'at-risk');
  assert.equal(complete.exitCode, 3);
  assert.deepEqual(complete.unknownReasons, []);
  const truncated = reportOf(cut);
  assert.equal(truncated.verdict, 'unknown');
  assert.equal(truncated.exitCode, 4);
  assert.match(truncated.unknownReasons[0]!, /^plan line 2: unreadable Inst line.*\("Inst docker-ce /);
  assert.match(truncated.advice.join('\n'), /make the plan readable/);
  // The same with nothing running: still unknown, not "nothing stops".
  const empty = buildPreflightReport({
    evidence: [],
    planProblems: parseAptSimulation('').problems,
    runningKernel: 'k',
    installedKernels: ['k'],
    rebootRequiredFlag: false,
    host: null,
  });
  assert.equal(empty.exitCode, 4);
});

test('a package whose effects are unknown: verdict unknown, EFFECTS UNKNOWN on its line; a proven risk still wins (exit 3)', () => {
  const pkg = { name: 'weird', arch: 'amd64', oldVersion: '1.0', newVersion: '1.1', origins: [], action: 'upgrade' as const, debPath: null, line: 1 };
  const ev: PackageEvidence = {
    pkg,
    effects: [],
    source: 'installed scripts',
    rebootNeeded: false,
    notes: [],
    unknown: ['postinst line 7: unexpected ")" (not analysed)'],
  };
  const base = {
    runningKernel: 'k',
    installedKernels: ['k'],
    rebootRequiredFlag: false,
    host: { daemon: daemon(), containers: [container({ name: 'a', restartPolicy: always })] },
  };
  const r = buildPreflightReport({ evidence: [ev], ...base });
  assert.equal(r.verdict, 'unknown');
  assert.equal(r.exitCode, 4);
  assert.equal(r.packages[0]!.risk, 'med');
  assert.match(r.packages[0]!.effects[0]!, /^EFFECTS UNKNOWN: postinst line 7/);
  assert.deepEqual(r.unknownReasons, ['weird: postinst line 7: unexpected ")" (not analysed)']);
  const kernel = {
    ...ev,
    pkg: { ...pkg, name: 'linux-image-9.9.9-1-amd64', oldVersion: null, newVersion: '9.9.9-1', action: 'install' as const },
    unknown: [],
  };
  const both = buildPreflightReport({ evidence: [ev, kernel], ...base });
  assert.equal(both.verdict, 'at-risk');
  assert.equal(both.exitCode, 3);
  assert.equal(both.unknownReasons.length, 1);
});

test('a reboot-required flag or kernels that could not be read: unknown (exit 4), never "no reboot"; a newer kernel still proves the reboot', () => {
  const base = { evidence: [], runningKernel: 'k', host: { daemon: daemon(), containers: [container({ name: 'a', restartPolicy: always })] } };
  const known = buildPreflightReport({ ...base, installedKernels: ['k'], rebootRequiredFlag: false });
  assert.equal(known.verdict, 'nothing-stops');
  const r = buildPreflightReport({
    ...base,
    installedKernels: ['k'],
    rebootRequiredFlag: null,
    rebootRequiredFlagWhy: 'cannot tell whether /run/reboot-required exists: EIO',
  });
  assert.deepEqual([r.verdict, r.exitCode, r.reboot.needed], ['unknown', 4, false]);
  assert.deepEqual(r.unknownReasons, ['whether a reboot is already required is not known: cannot tell whether /run/reboot-required exists: EIO']);
  const kernelsUnread = buildPreflightReport({ ...base, installedKernels: [], installedKernelsWhy: 'dpkg-query exited 2', rebootRequiredFlag: false });
  assert.deepEqual([kernelsUnread.verdict, kernelsUnread.exitCode], ['unknown', 4]);
  assert.deepEqual(kernelsUnread.unknownReasons, ['whether a newer kernel is already installed is not known: dpkg-query exited 2']);
  const kernel = buildPreflightReport({ ...base, installedKernels: ['k', 'k2'], rebootRequiredFlag: null });
  assert.equal(kernel.reboot.needed, true);
  assert.deepEqual(kernel.unknownReasons, []);
});

test('docker.service restarts and the containers could not be read: unknown (exit 4), not "nothing stops"', () => {
  const dockerCe = evidence.filter((e) => e.pkg.name === 'docker-ce');
  const r = buildPreflightReport({ evidence: dockerCe, runningKernel: 'k', installedKernels: ['k'], rebootRequiredFlag: false, host: null });
  assert.equal(r.docker.restarts, true);
  assert.equal(r.verdict, 'unknown');
  assert.equal(r.exitCode, 4);
  assert.deepEqual(r.unknownReasons, ['docker.service restarts and the containers could not be read: which come back is not known']);
  const libs = evidence.filter((e) => e.pkg.name.startsWith('lib') && e.effects.length === 0);
  assert.equal(
    buildPreflightReport({ evidence: libs, runningKernel: 'k', installedKernels: ['k'], rebootRequiredFlag: false, host: null }).exitCode,
    0,
    'nothing touches docker: the containers do not matter',
  );
});

test('k3d clusters through the maintenance: a cluster with one node not back is not back, and says so', () => {
  const k3d = (name: string, role: string, cluster: string, policy: typeof us | typeof no | typeof always) =>
    container({ name, restartPolicy: policy, labels: { app: 'k3d', 'k3d.cluster': cluster, 'k3d.role': role } });
  const r = buildPreflightReport({
    evidence,
    runningKernel: '6.8.0-87-generic',
    installedKernels: ['6.8.0-87-generic'],
    rebootRequiredFlag: false,
    host: {
      daemon: daemon(),
      containers: [
        k3d('k3d-loculus-serverlb', 'loadbalancer', 'loculus', us),
        k3d('k3d-loculus-agent-0', 'agent', 'loculus', no),
        k3d('k3d-loculus-server-0', 'server', 'loculus', us),
        k3d('k3d-other-server-0', 'server', 'other', us),
      ],
    },
  });
  assert.deepEqual(r.clusters, [
    { name: 'loculus', nodes: ['k3d-loculus-server-0', 'k3d-loculus-agent-0', 'k3d-loculus-serverlb'], runningAtEnd: 'no', notBack: ['k3d-loculus-agent-0'] },
    { name: 'other', nodes: ['k3d-other-server-0'], runningAtEnd: 'yes', notBack: [] },
  ]);
  const text = renderPreflightText(null, r, null, 'apt-get -s');
  assert.match(text, /^ {2}k3d cluster loculus: NOT BACK after the maintenance \(node k3d-loculus-agent-0 of 3; `upkeep recover` starts them in order\)$/m);
  assert.doesNotMatch(text, /k3d cluster other/);
});

test('disk space: a short filesystem is a blocking risk (exit 3) with what to do; one not known makes an otherwise quiet plan exit 4', () => {
  const libs = evidence.filter((e) => e.pkg.name.startsWith('lib') && e.effects.length === 0);
  const MiB = 1024 * 1024;
  const root = { device: '254:0', mountPoint: '/', fsType: 'ext4', totalBytes: 1000 * MiB };
  const space = (freeBytes: number | null) =>
    assessSpace({
      archivesDir: '/var/cache/apt/archives',
      packages: [{ name: 'libx', downloadBytes: 50 * MiB, newInstalledBytes: 10 * MiB, oldInstalledBytes: 10 * MiB }],
      kernels: [],
      boot: { kernels: [], initrds: [] },
      filesystems: new Map(['/', '/usr', '/var', '/boot', '/var/cache/apt/archives'].map((p) => [p, { ...root, freeBytes }])),
    });
  const base = { evidence: libs, runningKernel: 'x', installedKernels: [], rebootRequiredFlag: false, host: null };
  assert.equal(buildPreflightReport({ ...base, space: space(1000 * MiB) }).exitCode, 0);
  const short = buildPreflightReport({ ...base, space: space(70 * MiB) });
  assert.equal(short.verdict, 'at-risk');
  assert.equal(short.exitCode, 3);
  assert.equal(short.space!.filesystems[0]!.verdict, 'short');
  assert.match(
    short.advice.join('\n'),
    /^free space on \/ first \(SHORT by 16 MiB\): apt-get clean, apt autoremove --purge, journalctl --vacuum-size=100M, then see what else takes space: du -xh --max-depth=2 \/ | sort -h | tail$/m,
  );
  const text = renderPreflightText(null, short, null, 'plan.txt');
  assert.match(text, /^Disk space: NOT ENOUGH \(sizes per package from apt; margin 20 MiB \+ 10% of what is needed, on each filesystem\)$/m);
  assert.match(text, /^ {2}\/ \(ext4\) holding \/usr, \/var, \/var\/cache\/apt\/archives: SHORT by 16 MiB: needs 60 MiB \+ 26 MiB margin, 70 MiB free$/m);
  assert.match(text, /^ {4}50 MiB: 1 archive\(s\) to download into \/var\/cache\/apt\/archives \(0 already there\)$/m);
  const unknown = buildPreflightReport({ ...base, space: space(null) });
  assert.equal(unknown.verdict, 'unknown');
  assert.equal(unknown.exitCode, 4);
  assert.match(unknown.unknownReasons.join('\n'), /^disk space on \/: not known: free space on \/ not read$/m);
  assert.equal(buildPreflightReport(base).space, null);
});
