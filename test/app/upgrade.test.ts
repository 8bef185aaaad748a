/**
 * The upgrade use case on a real store (SQLite in a temporary directory) and the fake engine of the
 * recovery tests (virtual clock): the end state of each path, not the calls made. apt failing still
 * brings the containers back and closes the window; a step that cannot run closes the window; the
 * gate changes nothing; a rerun continues an interrupted run in its window (repairing dpkg), closes
 * one interrupted before its window, and refuses while the other process lives.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import type { Store } from '../../src/adapters/store/store.js';
import type { UpgradeAssessment } from '../../src/app/assess-upgrade.js';
import { resumeUpgrade, runUpgrade, type UpgradeDeps, type UpgradeEvent } from '../../src/app/upgrade.js';
import type { PreflightReport } from '../../src/core/preflight/preflight-report.js';
import type { ProcessImage } from '../../src/core/upgrade/replaced-binaries.js';
import type { HealthCheckResult, UpgradeMode } from '../../src/core/upgrade/routine.js';
import type { HostState } from '../../src/ports/host.js';
import type { AptRunResult } from '../../src/ports/package-upgrade.js';
import { FakeHost, T0 } from '../core/recovery/fake-engine.js';
import { desiredOf, inspectOf, type ContainerSpec } from '../core/recovery/fixtures.js';
import { daemon } from '../helpers/facts.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-upgrade-app-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const SPECS: ContainerSpec[] = [
  { name: 'silo', id: 'a1'.repeat(32), restart: 'unless-stopped' },
  { name: 'vpipe', id: 'b2'.repeat(32), restart: 'no' },
];

function preflight(over: Partial<PreflightReport> = {}): UpgradeAssessment {
  const report = {
    packages: [{ name: 'docker.io', from: '20.10.24', to: '28.5.2' }],
    verdict: 'all-come-back',
    containers: [],
    alreadyDown: [],
    reboot: { needed: false, why: [] },
    docker: { restarts: true, liveRestoreCovers: false, why: null },
    unknownReasons: [],
    summary: { packages: 1, containersStop: 2, notBack: 0, unknown: 0, alreadyDown: 0 },
    ...over,
  } as unknown as PreflightReport;
  return {
    report,
    exitCode: 1,
    planSource: 'test',
    evidenceCache: null,
    aptSimulation: null,
    problems: [],
    containersNote: null,
    desiredNote: null,
    downloadNote: null,
    timelineNote: null,
  };
}

interface Harness {
  host: FakeHost;
  store: Store;
  events: UpgradeEvent[];
  aptRuns: Array<{ mode: UpgradeMode; repairDpkg: boolean }>;
  deps: UpgradeDeps;
  /** The fake host's boot: a simulated reboot changes its id. */
  boot: { id: string; bootTime: number | null };
  /** The fake rebooter's calls (it reboots nothing: the test simulates the reboot). */
  reboots: number[];
}

function harness(
  opts: {
    processes?: ProcessImage[];
    engineSilent?: { from: number; to: number };
    apt?: (h: FakeHost) => AptRunResult | Promise<AptRunResult>;
    assessment?: UpgradeAssessment;
    pidAlive?: boolean;
    stateDir?: string;
    /** Why a reboot is required after apt (default: none). */
    rebootRequired?: string[];
    /** Why whether a reboot is required is not known (the flag unreadable). */
    rebootUnknown?: string;
    checks?: HealthCheckResult[];
  } = {},
): Harness {
  const host = new FakeHost();
  for (const s of SPECS) host.add(desiredOf(s), 'running');
  const stateDir = opts.stateDir ?? join(root, `s${n++}`);
  const store = openStore({ stateDir, now: () => new Date(host.clock.now) });
  const events: UpgradeEvent[] = [];
  const aptRuns: Harness['aptRuns'] = [];
  const boot: Harness['boot'] = { id: 'boot-1', bootTime: T0 - 86_400_000 };
  const reboots: number[] = [];
  const readHost = async (): Promise<HostState> => ({
    daemon: daemon(),
    host: host.identity,
    containers: SPECS.map((s) => host.facts(host.byName(s.name)!)),
    inspects: new Map(SPECS.map((s) => [s.id!, inspectOf({ ...s, state: 'running' })])),
    flagsUnreadable: null,
    readAt: new Date(host.clock.now),
  });
  const deps: UpgradeDeps = {
    store,
    now: () => host.clock.now,
    pid: 1000,
    pidAlive: () => opts.pidAlive ?? false,
    readHost,
    engineAnswers: async () => !(opts.engineSilent && host.clock.now >= opts.engineSilent.from && host.clock.now < opts.engineSilent.to),
    engineGone: (signal) =>
      new Promise<void>((resolve) => {
        const silent = opts.engineSilent;
        if (silent && host.clock.now < silent.from) host.clock.at(silent.from, resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      }),
    sleep: (ms) => host.clock.sleep(ms),
    readDaemonProcesses: async () => opts.processes ?? [],
    pingEveryMs: 500,
    check: async () => ({ line: 'checked', risk: false }),
    assess: async () => opts.assessment ?? preflight(),
    upgrader: {
      simulate: async () => 'Inst docker.io [20.10.24] (28.5.2 Debian:sid [amd64])\n',
      run: async (mode, o) => {
        aptRuns.push({ mode, repairDpkg: o.repairDpkg });
        await host.clock.sleep(30_000);
        return opts.apt ? opts.apt(host) : { code: 0, failure: null, tail: [], logFile: null };
      },
    },
    readTextFile: async () => ({ ok: false, why: 'ENOENT' }),
    recovery: host,
    recoveryRun: { graceMs: 0, engineWaitMs: 10_000, readyTimeoutMs: 10_000, runningForMs: 1_000, concurrency: 4 },
    onEvent: (e) => void events.push(e),
    confirm: null,
    boot: { readBoot: async () => ({ ...boot }) },
    rebootRequirement: { rebootRequired: async () => ({ why: opts.rebootRequired ?? [], unknown: opts.rebootUnknown ?? null }) },
    rebooter: { command: 'fake reboot', reboot: async () => void reboots.push(host.clock.now) },
    runHealthChecks: async () => opts.checks ?? [],
  };
  return { host, store, events, aptRuns, deps, boot, reboots };
}

/** The daemon restarted during apt: vpipe (restart no) stays down, silo comes back by Docker. */
function daemonRestart(h: FakeHost): void {
  const vpipe = h.byName('vpipe')!;
  vpipe.state = 'exited';
  vpipe.exitCode = 137;
}

const REQ = { mode: 'upgrade' as const, acceptRisk: false, dryRun: false, windowMs: 3600_000 };

describe('runUpgrade', () => {
  it('runs every step; the container apt stopped is brought back; the window closes; the report names the apt run', async () => {
    const h = harness({
      apt: (host) => (daemonRestart(host), { code: 0, failure: null, tail: [], logFile: null }),
      engineSilent: { from: T0 + 10_000, to: T0 + 12_600 },
    });
    const r = await h.host.clock.drive(runUpgrade(h.deps, REQ));
    assert.deepEqual([r.outcome, r.exitCode, r.notRunning, r.decision], ['done', 0, [], 'fresh']);
    // The daemon's silence during apt, from the pings (every 500 ms): down at the last answer, up at the first one after.
    const engine = h.store.timeline({ kinds: ['engine-down', 'engine-up'] });
    assert.deepEqual(
      engine.map((e) => [e.kind, e.at]),
      [
        ['engine-down', new Date(T0 + 9_500).toISOString()],
        ['engine-up', new Date(T0 + 13_000).toISOString()],
      ],
    );
    assert.equal(
      r.report?.rootCause.some((l) => /daemon/i.test(l)),
      true,
      r.report?.rootCause.join('\n'),
    );
    assert.equal(h.host.byName('vpipe')!.state, 'running');
    const w = h.store.getMaintenance(r.maintenanceId!)!;
    assert.notEqual(w.endedAt, null);
    assert.equal(r.report?.packages.count, 1);
    assert.deepEqual(
      h.events.filter((e) => e.type === 'step-done').map((e) => (e.type === 'step-done' ? `${e.step}:${e.ok}` : '')),
      ['check', 'preflight', 'snapshot', 'window-open', 'apt', 'reboot', 'recovery', 'verification', 'window-close', 'report'].map((s) => `${s}:true`),
    );
    const started = h.store.timeline({ kind: 'apt-started' })[0]!;
    assert.deepEqual(started.detail.packages, [{ name: 'docker.io', from: '20.10.24', to: '28.5.2' }]);
    assert.equal(h.store.latestUpgradeRun()!.outcome, 'done');
    h.store.close();
  });

  it('apt fails: recovery, verification, the window and the report still run; exit 2', async () => {
    const h = harness({
      apt: (host) => (daemonRestart(host), { code: 100, failure: null, tail: ['E: Sub-process /usr/bin/dpkg returned an error code (1)'], logFile: '/x.log' }),
    });
    const r = await h.host.clock.drive(runUpgrade(h.deps, REQ));
    assert.deepEqual([r.outcome, r.exitCode], ['apt-failed', 2]);
    assert.equal(h.host.byName('vpipe')!.state, 'running', 'the recovery pass ran');
    assert.notEqual(h.store.getMaintenance(r.maintenanceId!)!.endedAt, null);
    assert.notEqual(r.report, null);
    const apt = h.events.find((e) => e.type === 'step-done' && e.step === 'apt');
    assert.match(apt?.type === 'step-done' ? apt.line : '', /apt-get failed \(exit 100\): E: Sub-process .*; the whole output is in \/x\.log/);
    assert.equal(h.store.timeline({ kind: 'apt-ended' })[0]!.detail.exitCode, 100);
    h.store.close();
  });

  it('a step that cannot run after the window opened closes the window, ends the run, and throws', async () => {
    const h = harness();
    h.deps.upgrader.run = async () => {
      throw new Error('spawn apt-get ENOENT');
    };
    await assert.rejects(h.host.clock.drive(runUpgrade(h.deps, REQ)), /ENOENT/);
    const run = h.store.latestUpgradeRun()!;
    assert.equal(run.outcome, 'failed');
    assert.notEqual(h.store.getMaintenance(run.maintenanceId!)!.endedAt, null, 'never left open');
    assert.equal(h.store.activeMaintenance(new Date(h.host.clock.now).toISOString()).length, 0);
    h.store.close();
  });

  it('the gate stops before anything changes: no snapshot, no window, no apt', async () => {
    const atRisk = preflight({
      verdict: 'at-risk',
      containers: [
        {
          name: 'vpipe',
          policy: 'no',
          stops: true,
          afterUpgrade: { outcome: 'not-back', reason: 'restart policy "no"' },
          afterReboot: null,
          runningAtEnd: 'no',
        },
      ] as PreflightReport['containers'],
    });
    const h = harness({ assessment: atRisk });
    const r = await h.host.clock.drive(runUpgrade(h.deps, REQ));
    assert.deepEqual([r.outcome, r.exitCode, r.maintenanceId], ['stopped-at-gate', 1, null]);
    assert.deepEqual(h.aptRuns, []);
    assert.equal(h.store.listSnapshots().length, 0);
    assert.equal(h.store.recentMaintenance().length, 0);
    const accepted = await h.host.clock.drive(runUpgrade({ ...h.deps }, { ...REQ, acceptRisk: true }));
    assert.equal(accepted.outcome, 'done');
    h.store.close();
  });

  it('verification names dockerd still running its replaced binary, and the containers its pending restart would leave down', async () => {
    const h = harness({ processes: [{ pid: 812, name: 'dockerd', exe: '/usr/sbin/dockerd (deleted)', deletedMappings: [] }] });
    const r = await h.host.clock.drive(runUpgrade(h.deps, REQ));
    assert.equal(r.outcome, 'done', 'the containers run: a warning, not a failure');
    assert.deepEqual(r.pendingRestarts, [
      'dockerd (pid 812) still runs the replaced /usr/sbin/dockerd: a restart is pending, and it will stop every container; these will not come back by themselves: vpipe',
    ]);
    h.store.close();
  });

  it('a dry run writes nothing: no run in the journal, no timeline entry', async () => {
    const h = harness();
    const r = await h.host.clock.drive(runUpgrade(h.deps, { ...REQ, dryRun: true }));
    assert.deepEqual([r.outcome, r.runId, r.exitCode], ['dry-run', null, 0]);
    assert.equal(h.store.latestUpgradeRun(), null);
    assert.equal(h.store.timeline().length, 0);
    h.store.close();
  });
});

describe('runUpgrade after an interruption', () => {
  /** A journal as a SIGKILL during apt leaves it: window open, apt started, process gone. */
  function killedDuringApt(h: Harness): { runId: number; windowId: number } {
    const at = (s: number) => new Date(T0 - 60_000 + s * 1000).toISOString();
    const run = h.store.startUpgradeRun({ mode: 'full-upgrade', pid: 4242, at: at(0) });
    for (const [i, step] of (['check', 'preflight', 'snapshot', 'window-open'] as const).entries()) {
      h.store.recordUpgradeStep(run.id, { step, status: 'started', at: at(i * 2), detail: null });
      h.store.recordUpgradeStep(run.id, {
        step,
        status: 'finished',
        at: at(i * 2 + 1),
        detail: step === 'preflight' ? { packages: [{ name: 'containerd', from: '1.7.27', to: '2.1.5' }] } : null,
      });
    }
    h.store.saveSnapshot({
      host: h.host.identity,
      takenAt: at(5),
      note: 'before upgrade',
      containers: SPECS.map((s) => desiredOf(s)),
    });
    const w = h.store.startMaintenance({ source: 'upgrade', at: at(7), endsAt: new Date(T0 + 3600_000).toISOString() });
    h.store.setUpgradeRunWindow(run.id, w.id);
    h.store.recordUpgradeStep(run.id, { step: 'apt', status: 'started', at: at(9), detail: null });
    return { runId: run.id, windowId: w.id };
  }

  it('continues the same run in its window, repairing dpkg first, with the mode it was started with', async () => {
    const h = harness({ apt: (host) => (daemonRestart(host), { code: 0, failure: null, tail: [], logFile: null }) });
    const { runId, windowId } = killedDuringApt(h);
    const r = await h.host.clock.drive(runUpgrade(h.deps, REQ));
    assert.deepEqual([r.runId, r.maintenanceId, r.decision, r.outcome], [runId, windowId, 'continue', 'done']);
    assert.deepEqual(h.aptRuns, [{ mode: 'full-upgrade', repairDpkg: true }]);
    assert.ok(!h.events.some((e) => e.type === 'step-start' && e.step === 'check'), 'finished steps are not run again');
    const resume = h.events.find((e): e is Extract<UpgradeEvent, { type: 'resume' }> => e.type === 'resume');
    assert.match(resume?.line ?? '', /was interrupted during apt: continuing from apt/);
    assert.deepEqual(h.store.timeline({ kind: 'apt-started' })[0]!.detail.packages, [{ name: 'containerd', from: '1.7.27', to: '2.1.5' }]);
    assert.notEqual(h.store.getMaintenance(windowId)!.endedAt, null);
    // The killed apt run ends in the timeline when the rerun sees it, before the new one starts.
    assert.deepEqual(
      h.store.timeline({ kinds: ['apt-started', 'apt-ended'] }).map((e) => [e.kind, e.detail.exitCode ?? null]),
      [
        ['apt-ended', null],
        ['apt-started', null],
        ['apt-ended', 0],
      ],
    );
    h.store.close();
  });

  it('refuses while the interrupted run process still lives', async () => {
    const h = harness({ pidAlive: true });
    killedDuringApt(h);
    await assert.rejects(h.host.clock.drive(runUpgrade(h.deps, REQ)), /another upkeep upgrade \(run 1, pid 4242, .*\) is still running/);
    h.store.close();
  });

  it('closes a run killed after its snapshot (before its window) and starts a new one', async () => {
    const h = harness();
    const old = h.store.startUpgradeRun({ mode: 'upgrade', pid: 4242, at: new Date(T0 - 1000).toISOString() });
    for (const step of ['check', 'preflight', 'snapshot'] as const) {
      h.store.recordUpgradeStep(old.id, { step, status: 'started', at: new Date(T0 - 900).toISOString(), detail: null });
      h.store.recordUpgradeStep(old.id, { step, status: 'finished', at: new Date(T0 - 800).toISOString(), detail: null });
    }
    const r = await h.host.clock.drive(runUpgrade(h.deps, REQ));
    assert.deepEqual([r.runId, r.decision, r.outcome], [old.id + 1, 'close-then-fresh', 'done']);
    assert.deepEqual(h.aptRuns, [{ mode: 'upgrade', repairDpkg: false }]);
    const closed = h.store.timeline({ kind: 'upgrade-step', subject: 'closed' })[0]!;
    assert.match(closed.detail.message, /run 1 closed: stopped at window-open, before its maintenance window opened/);
    h.store.close();
  });

  it('closes a run whose window has ended since, and repairs dpkg in the new run', async () => {
    const h = harness();
    const { runId, windowId } = killedDuringApt(h);
    h.host.clock.now = T0 + 2 * 3600_000;
    const r = await h.host.clock.drive(runUpgrade(h.deps, REQ));
    assert.deepEqual([r.runId, r.decision, r.outcome], [runId + 1, 'close-then-fresh', 'done']);
    assert.notEqual(r.maintenanceId, windowId);
    assert.deepEqual(h.aptRuns, [{ mode: 'upgrade', repairDpkg: true }]);
    const runs = h.store.latestUpgradeRun()!;
    assert.equal(runs.id, runId + 1);
    h.store.close();
  });
});

/** The reboot is simulated: the fake rebooter only records the call; the test then stops the containers as a shutdown would, gives the host a new boot id and lets Docker start what its policies name. */
function simulateReboot(h: Harness, bootAt: number): void {
  for (const name of ['silo', 'vpipe']) {
    const c = h.host.byName(name)!;
    c.state = 'exited';
    c.exitCode = 0;
  }
  h.host.clock.now = bootAt + 20_000;
  h.boot.id = 'boot-2';
  h.boot.bootTime = bootAt;
  h.host.byName('silo')!.state = 'running'; // unless-stopped: Docker starts it at boot
}

describe('upkeep upgrade --reboot and --resume', () => {
  const REBOOT = ['/var/run/reboot-required (linux-image-6.12.57+deb13-amd64)'];

  it('--reboot: the run waits for the reboot in the journal, its window open with its end time; after the boot --resume finishes the same run and maintenance', async () => {
    const h = harness({ rebootRequired: REBOOT });
    const r = await h.host.clock.drive(runUpgrade(h.deps, { ...REQ, reboot: true }));
    assert.deepEqual([r.outcome, r.exitCode, r.rebootRequired], ['rebooting', 0, REBOOT]);
    assert.equal(h.reboots.length, 1, 'the rebooter was asked once');
    const waiting = h.store.latestUpgradeRun()!;
    assert.equal(waiting.endedAt, null, 'the run is not ended');
    const rec = waiting.records.at(-1)!;
    assert.deepEqual([rec.step, rec.status, rec.detail?.waiting, rec.detail?.bootId], ['reboot', 'started', true, 'boot-1']);
    const w = h.store.getMaintenance(r.maintenanceId!)!;
    assert.equal(w.endedAt, null, 'the window stays open');
    assert.equal(w.endsAt, new Date(Date.parse(w.startedAt) + 3600_000).toISOString(), 'with its end time');
    assert.ok(!h.events.some((e) => e.type === 'step-start' && e.step === 'recovery'), 'nothing after the reboot ran');
    assert.equal(h.store.timeline({ kind: 'reboot' }).length, 1);

    simulateReboot(h, h.host.clock.now + 5_000);
    h.events.length = 0;
    const done = await h.host.clock.drive(resumeUpgrade(h.deps));
    assert.deepEqual([done.runId, done.maintenanceId, done.decision, done.outcome, done.exitCode], [r.runId, r.maintenanceId, 'waiting-reboot', 'done', 0]);
    assert.deepEqual(
      h.events.filter((e) => e.type === 'step-done').map((e) => (e.type === 'step-done' ? e.step : '')),
      ['reboot', 'recovery', 'verification', 'window-close', 'report'],
    );
    assert.equal(h.host.byName('vpipe')!.state, 'running', 'brought back by the recovery pass');
    assert.notEqual(h.store.getMaintenance(r.maintenanceId!)!.endedAt, null, 'the window is closed');
    assert.equal(h.store.latestUpgradeRun()!.outcome, 'done');
    const boot = h.store.timeline({ kind: 'boot' });
    assert.equal(boot.length, 1);
    assert.equal(boot[0]!.at, new Date(h.boot.bootTime!).toISOString(), 'at the kernel boot time');
    const kinds = done.report!.timeline.map((row) => row.kind);
    assert.ok(kinds.includes('reboot') && kinds.includes('boot') && kinds.indexOf('reboot') < kinds.indexOf('boot'), kinds.join(', '));
    assert.equal(done.report!.outages.find((o) => o.container === 'vpipe')?.by, 'upkeep');
    assert.match(done.report!.upkeepDid.join('\n'), /rebooted the host/);

    // Finished: nothing left to resume.
    const again = await h.host.clock.drive(resumeUpgrade(h.deps));
    assert.deepEqual([again.outcome, again.exitCode], ['nothing-to-resume', 0]);
    h.store.close();
  });

  it('--resume before the boot: the host has not rebooted yet (exit 1); upkeep upgrade refuses with the same words', async () => {
    const h = harness({ rebootRequired: REBOOT });
    const r = await h.host.clock.drive(runUpgrade(h.deps, { ...REQ, reboot: true }));
    assert.equal(r.outcome, 'rebooting');
    const early = await h.host.clock.drive(resumeUpgrade(h.deps));
    assert.deepEqual([early.outcome, early.exitCode, early.runId], ['not-rebooted-yet', 1, r.runId]);
    assert.match(early.message ?? '', /has not rebooted yet .*reboot the host/);
    await assert.rejects(
      h.host.clock.drive(runUpgrade(h.deps, REQ)),
      (err: Error & { exitCode?: number }) => /has not rebooted yet/.test(err.message) && err.exitCode === 1,
    );
    assert.equal(h.store.getMaintenance(r.maintenanceId!)!.endedAt, null, 'the window is left to its end time');
    h.store.close();
  });

  it('a reboot that never came: once the window has ended, the next upkeep upgrade closes the run (not-rebooted) and starts a new one', async () => {
    const h = harness({ rebootRequired: REBOOT });
    const r = await h.host.clock.drive(runUpgrade(h.deps, { ...REQ, reboot: true }));
    h.host.clock.now += 2 * 3600_000;
    const next = await h.host.clock.drive(runUpgrade(h.deps, REQ));
    assert.deepEqual([next.decision, next.runId], ['close-then-fresh', r.runId! + 1]);
    const closed = h.store.timeline({ kind: 'upgrade-step', subject: 'closed' });
    assert.equal(closed.length, 1);
    assert.match(closed[0]!.detail.message, /waiting for a reboot that did not come/);
    h.store.close();
  });

  it('--resume with nothing waiting says so (exit 0)', async () => {
    const h = harness();
    const r = await h.host.clock.drive(resumeUpgrade(h.deps));
    assert.deepEqual([r.outcome, r.exitCode, r.runId], ['nothing-to-resume', 0, null]);
    assert.match(r.message ?? '', /nothing to resume/);
    h.store.close();
  });

  it('without --reboot a required reboot is said, nothing reboots, and the run ends as before', async () => {
    const h = harness({ rebootRequired: REBOOT });
    const r = await h.host.clock.drive(runUpgrade(h.deps, REQ));
    assert.deepEqual([r.outcome, r.exitCode, r.rebootRequired, h.reboots], ['done', 0, REBOOT, []]);
    const line = h.events.find((e) => e.type === 'step-done' && e.step === 'reboot');
    assert.match(line?.type === 'step-done' ? line.line : '', /a reboot is required .*not rebooting without --reboot/);
    assert.notEqual(h.store.getMaintenance(r.maintenanceId!)!.endedAt, null);
    h.store.close();
  });

  it('a reboot flag that could not be read is "not known": nothing reboots, nothing says "no reboot required"; with --reboot it needs attention', async () => {
    const why = 'cannot tell whether /var/run/reboot-required exists: EIO';
    const without = harness({ rebootUnknown: why });
    const plain = await without.host.clock.drive(runUpgrade(without.deps, REQ));
    assert.deepEqual([plain.outcome, plain.exitCode, plain.rebootRequired, plain.rebootUnknown, without.reboots], ['done', 0, [], why, []]);
    without.store.close();
    const h = harness({ rebootUnknown: why });
    const r = await h.host.clock.drive(runUpgrade(h.deps, { ...REQ, reboot: true }));
    assert.deepEqual([r.outcome, r.exitCode, r.rebootRequired, r.rebootUnknown, h.reboots], ['needs-attention', 1, [], why, []]);
    const line = h.events.find((e) => e.type === 'step-done' && e.step === 'reboot');
    assert.match(line?.type === 'step-done' ? line.line : '', /whether a reboot is required is not known \(cannot tell .*EIO\); not rebooting/);
    h.store.close();
  });
});

describe('the verification runs the configured health checks', () => {
  it('a failing check: outcome needs-attention (exit 1), in the timeline and in the report', async () => {
    const h = harness({
      checks: [
        { service: 'silo', container: 'silo', check: 'http', ok: true, detail: 'HTTP 200' },
        { service: 'vpipe', container: 'vpipe', check: 'tcp', ok: false, detail: 'connection refused' },
      ],
    });
    const r = await h.host.clock.drive(runUpgrade(h.deps, REQ));
    assert.deepEqual([r.outcome, r.exitCode, r.notRunning], ['needs-attention', 1, []]);
    const v = h.events.find((e) => e.type === 'step-done' && e.step === 'verification');
    assert.match(v?.type === 'step-done' ? v.line : '', /1 of 2 health check\(s\) failing: vpipe tcp \(connection refused\); passing: silo http/);
    const bad = h.store.timeline({ kind: 'unhealthy' });
    assert.deepEqual(
      bad.map((e) => [e.subject, e.detail.check, e.detail.source]),
      [['vpipe', 'tcp', 'upgrade-verification']],
    );
    assert.match(r.report!.needsHuman.join('\n'), /vpipe: its health check tcp failed at the verification \(connection refused\)/);
    assert.ok(r.report!.timeline.some((row) => row.kind === 'unhealthy' && /vpipe: health check tcp failing/.test(row.event)));
    assert.equal(h.store.latestUpgradeRun()!.outcome, 'needs-attention');
    h.store.close();
  });

  it('every check passing: done (exit 0), each named in the verification line', async () => {
    const h = harness({ checks: [{ service: 'silo', container: 'silo', check: 'http', ok: true, detail: 'HTTP 200' }] });
    const r = await h.host.clock.drive(runUpgrade(h.deps, REQ));
    assert.deepEqual([r.outcome, r.exitCode], ['done', 0]);
    const v = h.events.find((e) => e.type === 'step-done' && e.step === 'verification');
    assert.match(v?.type === 'step-done' ? v.line : '', /health checks passing \(1\): silo http/);
    h.store.close();
  });
});
