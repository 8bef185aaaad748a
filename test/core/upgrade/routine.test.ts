/**
 * The routine as data: the steps' order, the journal's reading after an interruption at every
 * step (continue or close, never a window left open), the preflight gate (containers, not exit
 * code 3), the verification, apt's arguments and status lines.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerOutlook, DownContainer } from '../../../src/core/preflight/preflight-report.js';
import {
  aptProgressText,
  aptUpgradeArgs,
  bootEntryTime,
  checksOutcome,
  finalOutcome,
  gateDecision,
  rebootPlan,
  rebootWait,
  resumeAnswer,
  isAptOption,
  OUTCOME_EXIT,
  parseAptStatusLine,
  resumeDecision,
  runProgress,
  stepsFrom,
  UPGRADE_STEPS,
  verificationOutcome,
  type GateInput,
  type StepRecord,
  type UpgradeRun,
  type UpgradeStep,
} from '../../../src/core/upgrade/routine.js';
import { aptRunEntries, engineEntries } from '../../../src/core/upgrade/apt-run-entries.js';
import { pendingRestartLines, replacedBinaries } from '../../../src/core/upgrade/replaced-binaries.js';
import { container, daemon } from '../../helpers/facts.js';

const T0 = Date.parse('2026-11-30T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

/** A run whose steps up to `done` finished, and `interrupted` started (not finished). */
function runOf(done: UpgradeStep | null, interrupted: UpgradeStep | null, over: Partial<UpgradeRun> = {}): UpgradeRun {
  const records: StepRecord[] = [];
  let t = 0;
  for (const s of UPGRADE_STEPS) {
    if (done === null) break;
    records.push({ step: s, status: 'started', at: at(t++), detail: null }, { step: s, status: 'finished', at: at(t++), detail: null });
    if (s === done) break;
  }
  if (interrupted !== null) records.push({ step: interrupted, status: 'started', at: at(t++), detail: null });
  return { id: 7, startedAt: at(0), mode: 'upgrade', pid: 4242, maintenanceId: 3, endedAt: null, outcome: null, records, ...over };
}

const openWindow = { endedAt: null, endsAt: at(3600) };
const ctx = (over: Partial<Parameters<typeof resumeDecision>[1]> = {}) => ({ now: T0 + 60_000, pidAlive: false, window: openWindow, ...over });

describe('the plan', () => {
  it('runs the steps in the order of the issue, and a resumed run repeats from the interrupted one', () => {
    assert.deepEqual(UPGRADE_STEPS, ['check', 'preflight', 'snapshot', 'window-open', 'apt', 'reboot', 'recovery', 'verification', 'window-close', 'report']);
    assert.deepEqual(stepsFrom('apt'), ['apt', 'reboot', 'recovery', 'verification', 'window-close', 'report']);
  });

  it('reads the journal: finished steps, the interrupted one, the next', () => {
    assert.deepEqual(runProgress(runOf('window-open', 'apt')), {
      finished: ['check', 'preflight', 'snapshot', 'window-open'],
      interrupted: 'apt',
      next: 'apt',
    });
    assert.deepEqual(runProgress(runOf(null, null)), { finished: [], interrupted: null, next: 'check' });
    // A failed step counts as done: the routine went on past it (apt failed: recovery still ran).
    const failed = runOf('window-open', null);
    failed.records.push({ step: 'apt', status: 'started', at: at(50), detail: null }, { step: 'apt', status: 'failed', at: at(51), detail: null });
    assert.equal(runProgress(failed).next, 'reboot');
  });
});

describe('resumeDecision: a rerun after SIGKILL or power loss', () => {
  it('starts fresh when nothing is unfinished', () => {
    assert.deepEqual(resumeDecision(null, ctx()), { kind: 'fresh' });
    assert.deepEqual(resumeDecision(runOf('report', null, { endedAt: at(99), outcome: 'done' }), ctx()), { kind: 'fresh' });
  });

  it('refuses while the run it found still has a live process', () => {
    assert.equal(resumeDecision(runOf('window-open', 'apt'), ctx({ pidAlive: true })).kind, 'busy');
  });

  it('closes a run interrupted before its window opened (nothing changed) and starts a new one', () => {
    for (const [done, interrupted] of [
      [null, 'check'],
      ['check', 'preflight'],
      ['preflight', 'snapshot'],
      ['snapshot', 'window-open'],
      ['snapshot', null],
    ] as const) {
      const d = resumeDecision(runOf(done, interrupted, { maintenanceId: null }), ctx({ window: null }));
      assert.equal(d.kind, 'close-then-fresh', `${done} / ${interrupted}`);
      assert.equal(d.kind === 'close-then-fresh' && d.outcome, 'abandoned');
      assert.equal(d.kind === 'close-then-fresh' && d.repairDpkg, false);
    }
  });

  it('continues inside the open window from the interrupted step; dpkg is repaired when apt was the one', () => {
    const during = resumeDecision(runOf('window-open', 'apt'), ctx());
    assert.deepEqual(during.kind === 'continue' && { from: during.from, repairDpkg: during.repairDpkg }, { from: 'apt', repairDpkg: true });
    const between = resumeDecision(runOf('apt', null), ctx());
    assert.deepEqual(between.kind === 'continue' && { from: between.from, repairDpkg: between.repairDpkg }, { from: 'reboot', repairDpkg: false });
    const recovering = resumeDecision(runOf('apt', 'recovery'), ctx());
    assert.equal(recovering.kind === 'continue' && recovering.from, 'recovery');
  });

  it('closes the run when its window has ended since (its end time passed): never reopened behind the operator', () => {
    const expired = resumeDecision(runOf('window-open', 'apt'), ctx({ now: T0 + 2 * 3600_000 }));
    assert.equal(expired.kind, 'close-then-fresh');
    assert.equal(expired.kind === 'close-then-fresh' && expired.outcome, 'closed-after-interruption');
    assert.equal(expired.kind === 'close-then-fresh' && expired.repairDpkg, true, 'the new run repairs dpkg first');
    const ended = resumeDecision(runOf('verification', null), ctx({ window: { endedAt: at(30), endsAt: at(3600) } }));
    assert.equal(ended.kind, 'close-then-fresh');
    const gone = resumeDecision(runOf('apt', null), ctx({ window: null }));
    assert.equal(gone.kind, 'close-then-fresh');
  });

  it('after the window closed only the report remains', () => {
    const d = resumeDecision(runOf('window-close', null), ctx({ window: { endedAt: at(40), endsAt: at(3600) } }));
    assert.deepEqual(d.kind === 'continue' && d.from, 'report');
  });
});

function outlook(name: string, policy: string, runningAtEnd: ContainerOutlook['runningAtEnd']): ContainerOutlook {
  const reason = runningAtEnd === 'yes' ? 'Docker starts it again' : 'restart policy "no": Docker never starts it again';
  return { name, policy, stops: true, afterUpgrade: { outcome: runningAtEnd === 'yes' ? 'back' : 'not-back', reason }, afterReboot: null, runningAtEnd };
}

function gateInput(over: Partial<GateInput> = {}): GateInput {
  return {
    verdict: 'all-come-back',
    containers: [outlook('silo', 'unless-stopped', 'yes')],
    alreadyDown: [],
    reboot: { needed: false, why: [] },
    docker: { restarts: true, liveRestoreCovers: false, why: 'docker.io restarts docker.service' },
    unknownReasons: [],
    space: null,
    ...over,
  };
}

describe('the preflight gate', () => {
  it('goes on when every container comes back', () => {
    const g = gateDecision(gateInput(), false);
    assert.equal(g.go, true);
    assert.deepEqual(g.atRisk, []);
  });

  it('stops when a container would not come back, naming it and why; --accept-risk goes on and says what it accepted', () => {
    const input = gateInput({ verdict: 'at-risk', containers: [outlook('silo', 'unless-stopped', 'yes'), outlook('v-pipe-redis-1', 'no', 'no')] });
    const g = gateDecision(input, false);
    assert.equal(g.go, false);
    assert.deepEqual(
      g.atRisk.map((c) => [c.name, c.runningAtEnd, c.now]),
      [['v-pipe-redis-1', 'no', 'running']],
    );
    assert.match(g.atRisk[0]!.why, /^no: restart policy "no"/);
    const accepted = gateDecision(input, true);
    assert.equal(accepted.go, true);
    assert.match(accepted.notes.join('\n'), /accepted \(--accept-risk\): v-pipe-redis-1/);
  });

  it('stops on a container it cannot predict, and on a desired one already down that stays down', () => {
    assert.equal(gateDecision(gateInput({ containers: [outlook('x', 'on-failure:3', 'unknown')] }), false).go, false);
    const down: DownContainer = {
      name: 'worker',
      policy: 'no',
      state: 'exited',
      exitCode: 137,
      finishedAt: null,
      reason: 'exited (137)',
      afterMaintenance: { outcome: 'not-back', reason: 'nothing in this upgrade starts it' },
      runningAtEnd: 'no',
    };
    const g = gateDecision(gateInput({ alreadyDown: [down] }), false);
    assert.equal(g.go, false);
    assert.equal(g.atRisk[0]!.now, 'already-down');
  });

  it('stops on a filesystem preflight found short of space, naming it and why; --accept-risk goes on and says so; unknown space does not stop it', () => {
    const fs = (mountPoint: string, verdict: 'ok' | 'short' | 'unknown', why: string) => ({
      mountPoint,
      device: '0:1',
      fsType: 'ext4',
      paths: [mountPoint],
      needs: [],
      neededBytes: null,
      marginBytes: null,
      freeBytes: null,
      totalBytes: null,
      verdict,
      why,
      advice: [],
    });
    const space = (verdict: 'ok' | 'short' | 'unknown', ...filesystems: ReturnType<typeof fs>[]) => ({ verdict, sizes: 's', margin: 'm', filesystems });
    const short = gateInput({
      verdict: 'at-risk',
      space: space('short', fs('/boot', 'short', 'needs 180 MiB with the margin, 40 MiB free'), fs('/', 'ok', 'fine')),
    });
    const g = gateDecision(short, false);
    assert.equal(g.go, false);
    assert.deepEqual(g.atRisk, []);
    assert.deepEqual(g.spaceShort, ['/boot: needs 180 MiB with the margin, 40 MiB free']);
    const accepted = gateDecision(short, true);
    assert.equal(accepted.go, true);
    assert.match(accepted.notes.join('\n'), /accepted \(--accept-risk\): too little disk space \(1 filesystem/);
    const unknown = gateDecision(gateInput({ verdict: 'unknown', space: space('unknown', fs('/usr', 'unknown', 'free space not read')) }), false);
    assert.equal(unknown.go, true);
    assert.deepEqual(unknown.spaceShort, []);
  });

  it('a reboot alone (preflight exit 3) does not stop it: a note says only --reboot reboots', () => {
    const g = gateDecision(gateInput({ verdict: 'at-risk', reboot: { needed: true, why: ['linux-image-6.8.0-88 installs a new kernel'] } }), false);
    assert.equal(g.go, true);
    assert.match(g.notes.join('\n'), /reboot is needed afterwards \(linux-image-6\.8\.0-88.*with --reboot upkeep upgrade reboots after apt/);
  });

  it('unread inputs alone do not stop it (as preflight --hook --block: only a proven risk blocks), they are noted', () => {
    const g = gateDecision(gateInput({ verdict: 'unknown', unknownReasons: ['foo: script not read'] }), false);
    assert.equal(g.go, true);
    assert.match(g.notes.join('\n'), /could not read everything \(1 input/);
  });
});

describe('verification and the outcome', () => {
  it('is ok only when every desired container runs', () => {
    assert.deepEqual(verificationOutcome(3, []), { ok: true, line: 'every desired container is running (3)' });
    const v = verificationOutcome(3, [{ container: 'redis', state: 'exited' }]);
    assert.equal(v.ok, false);
    assert.match(v.line, /1 of 3 desired container\(s\) not running: redis \(exited\)/);
  });

  it('maps outcomes to the exit codes of core/errors.ts', () => {
    assert.equal(finalOutcome({ ok: true }, { ok: true }), 'done');
    assert.equal(finalOutcome({ ok: true }, { ok: false }), 'not-all-running');
    assert.equal(finalOutcome({ ok: false }, { ok: true }), 'apt-failed');
    assert.deepEqual([OUTCOME_EXIT.done, OUTCOME_EXIT['not-all-running'], OUTCOME_EXIT['stopped-at-gate'], OUTCOME_EXIT['apt-failed']], [0, 1, 1, 2]);
  });
});

describe('apt', () => {
  it('runs non-interactive with the stated conffile policy, progress on the status fd, extra options before the command', () => {
    assert.deepEqual(aptUpgradeArgs('upgrade', { extraOptions: ['Dir::Etc::SourceList=/tmp/s.list'], statusFd: 3 }), [
      '-y',
      '-q',
      '-o',
      'Dpkg::Options::=--force-confdef',
      '-o',
      'Dpkg::Options::=--force-confold',
      '-o',
      'Dpkg::Use-Pty=0',
      '-o',
      'APT::Status-Fd=3',
      '-o',
      'Dir::Etc::SourceList=/tmp/s.list',
      'upgrade',
      '--with-new-pkgs',
    ]);
    assert.deepEqual(aptUpgradeArgs('full-upgrade', { extraOptions: [], simulate: true }), ['-s', '-o', 'Debug::NoLocking=1', 'dist-upgrade']);
  });

  it('accepts Name::Of::Option=value only', () => {
    assert.ok(isAptOption('Dir::Etc::SourceList=/tmp/x'));
    assert.ok(isAptOption('APT::Install-Recommends=false'));
    assert.ok(!isAptOption('--force-yes'));
    assert.ok(!isAptOption('Dir'));
    assert.ok(!isAptOption('x=a\nb'));
  });

  it('reads status-fd lines', () => {
    const s = parseAptStatusLine('pmstatus:containerd:42.8571:Configuring containerd (amd64)');
    assert.deepEqual(s, { kind: 'pmstatus', pkg: 'containerd', percent: 42.8571, text: 'Configuring containerd (amd64)' });
    assert.equal(aptProgressText(s!), '[ 42%] Configuring containerd (amd64)');
    assert.equal(parseAptStatusLine('pmerror:foo:50:subprocess installed post-installation script returned error exit status 1')?.percent, null);
    assert.equal(parseAptStatusLine('not a status line'), null);
  });
});

describe('what the containers did while apt ran', () => {
  it('takes the engine own times; a start during apt is Docker (upkeep starts nothing then)', () => {
    const started = T0 + 10_000;
    const ended = T0 + 40_000;
    const entries = aptRunEntries({
      aptStartedAt: started,
      aptEndedAt: ended,
      host: 'h',
      containers: [
        container({ name: 'silo', state: 'running', startedAt: at(21), finishedAt: at(20) }),
        container({ name: 'redis', state: 'exited', exitCode: 137, startedAt: at(-100), finishedAt: at(20) }),
        container({ name: 'quiet', state: 'running', startedAt: at(-100), finishedAt: null }),
      ],
    });
    assert.deepEqual(
      entries.map((e) => [e.at, e.kind, e.subject, e.data.by ?? null]),
      [
        [at(20), 'container-died', 'silo', null],
        [at(20), 'container-died', 'redis', null],
        [at(21), 'container-started', 'silo', 'docker'],
      ],
    );
  });
});

describe("the daemon's silences while apt ran, from the pings", () => {
  it('down at the last answer before the silence, up at the first answer after it; one still silent at the end stays down', () => {
    const samples = [0, 1, 2, 3, 4, 5, 6].map((s) => ({ at: T0 + s * 500, ok: ![2, 3, 6].includes(s) }));
    const e = engineEntries(samples, { host: 'h', aptStartedAt: T0 - 100 });
    assert.deepEqual(
      e.map((x) => [x.kind, x.at]),
      [
        ['engine-down', new Date(T0 + 500).toISOString()],
        ['engine-up', new Date(T0 + 2000).toISOString()],
        ['engine-down', new Date(T0 + 2500).toISOString()],
      ],
    );
    assert.deepEqual(engineEntries([{ at: T0, ok: false }], { host: 'h', aptStartedAt: T0 - 100 })[0]!.at, new Date(T0 - 100).toISOString());
    assert.deepEqual(engineEntries([{ at: T0, ok: true }], { host: 'h', aptStartedAt: T0 - 100 }), []);
    // dockerd stops the containers before it stops answering: the shutdown began with the first of them.
    const withStops = engineEntries(samples, { host: 'h', aptStartedAt: T0 - 100, containerStops: [T0 - 20_000, T0 + 200, T0 + 300] });
    assert.equal(withStops[0]!.at, new Date(T0 + 200).toISOString(), 'a stop before apt, or long before the silence, is not part of it');
  });
});

describe('daemons still running a replaced binary', () => {
  it('finds a deleted executable or deleted libraries, and says what the pending restart does to the containers', () => {
    const replaced = replacedBinaries([
      { pid: 10, name: 'dockerd', exe: '/usr/sbin/dockerd (deleted)', deletedMappings: ['/usr/sbin/dockerd (deleted)'] },
      { pid: 11, name: 'containerd', exe: '/usr/bin/containerd', deletedMappings: ['/usr/lib/x86_64-linux-gnu/libc.so.6 (deleted)', '/memfd:x (deleted)'] },
      { pid: 12, name: 'dockerd', exe: '/usr/sbin/dockerd', deletedMappings: [] },
    ]);
    assert.deepEqual(replaced, [
      { pid: 10, name: 'dockerd', exe: '/usr/sbin/dockerd', libraries: [] },
      { pid: 11, name: 'containerd', exe: null, libraries: ['/usr/lib/x86_64-linux-gnu/libc.so.6'] },
    ]);
    const containers = [
      container({ name: 'silo', restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 } }),
      container({ name: 'v-pipe-redis-1', id: 'c'.repeat(64), restartPolicy: { name: 'no', maximumRetryCount: 0 } }),
    ];
    assert.deepEqual(pendingRestartLines(replaced, containers, daemon()), [
      'dockerd (pid 10) still runs the replaced /usr/sbin/dockerd: a restart is pending, and it will stop every container; these will not come back by themselves: v-pipe-redis-1',
      'containerd (pid 11) still runs replaced libraries (/usr/lib/x86_64-linux-gnu/libc.so.6): a restart is pending (a containerd restart keeps the containers running: their shims survive it)',
    ]);
    assert.match(pendingRestartLines(replaced.slice(0, 1), containers, daemon({ liveRestore: true }))[0]!, /live-restore keeps the containers running/);
  });
});

describe('the reboot: --reboot, and --resume after the boot', () => {
  /** A run that asked for its reboot after apt: the journal's reboot record started, waiting, with the boot id then. */
  const waitingRun = (over: Partial<UpgradeRun> = {}): UpgradeRun => {
    const r = runOf('apt', null, over);
    r.records.push({ step: 'reboot', status: 'started', at: at(30), detail: { waiting: true, bootId: 'boot-a', why: ['/var/run/reboot-required'] } });
    return r;
  };

  it('plans: no reboot required, reboot with --reboot, otherwise advise; not known: never a reboot, never "none"', () => {
    assert.deepEqual(rebootPlan({ why: [], unknown: null }, true), { kind: 'none' });
    assert.deepEqual(rebootPlan({ why: ['kernel 6.12 installed, 6.1 running'], unknown: null }, true), {
      kind: 'reboot',
      why: ['kernel 6.12 installed, 6.1 running'],
    });
    assert.deepEqual(rebootPlan({ why: ['/var/run/reboot-required'], unknown: null }, false), { kind: 'advise', why: ['/var/run/reboot-required'] });
    assert.deepEqual(rebootPlan({ why: [], unknown: 'EIO' }, true), { kind: 'unknown', why: 'EIO' });
    assert.deepEqual(rebootPlan({ why: [], unknown: 'EIO' }, false), { kind: 'unknown', why: 'EIO' });
  });

  it('reads the wait from the journal: only a started reboot record marked waiting, with a boot id', () => {
    assert.deepEqual(rebootWait(waitingRun()), { bootId: 'boot-a', requestedAt: at(30), why: ['/var/run/reboot-required'] });
    assert.equal(rebootWait(runOf('apt', 'reboot')), null, 'killed inside the step before it asked: not waiting');
    const finished = waitingRun();
    finished.records.push({ step: 'reboot', status: 'finished', at: at(90), detail: { rebooted: true } });
    assert.equal(rebootWait(finished), null);
  });

  it('the boot id changed: finish the run (its old pid is not asked about, it belonged to the other boot)', () => {
    const d = resumeDecision(waitingRun(), ctx({ bootId: 'boot-b', pidAlive: true }));
    assert.equal(d.kind, 'waiting-reboot');
    assert.equal(d.kind === 'waiting-reboot' && d.rebooted, true);
    const a = resumeAnswer(d);
    assert.equal(a.kind, 'finish');
    // Even past the window's end time: the run rebooted the host, its maintenance is finished.
    assert.equal(resumeDecision(waitingRun(), ctx({ bootId: 'boot-b', now: T0 + 7200_000 })).kind, 'waiting-reboot');
  });

  it('the same boot: not rebooted yet (busy while the process that asked still lives); closed once the window ended', () => {
    assert.equal(resumeDecision(waitingRun(), ctx({ bootId: 'boot-a', pidAlive: true })).kind, 'busy');
    const d = resumeDecision(waitingRun(), ctx({ bootId: 'boot-a' }));
    assert.equal(d.kind === 'waiting-reboot' && !d.rebooted, true);
    const a = resumeAnswer(d);
    assert.equal(a.kind, 'not-rebooted');
    assert.match(a.kind === 'not-rebooted' ? `${a.line} ${a.hint}` : '', /has not rebooted yet \(boot id boot-a\).*upkeep upgrade --resume/);
    const late = resumeDecision(waitingRun(), ctx({ bootId: 'boot-a', now: T0 + 7200_000 }));
    assert.deepEqual(late.kind === 'close-then-fresh' && [late.outcome, late.interrupted], ['not-rebooted', 'reboot']);
    // The boot id unreadable now: not taken for a reboot.
    assert.equal(resumeDecision(waitingRun(), ctx({ bootId: null })).kind === 'waiting-reboot', true);
    assert.equal(resumeAnswer(resumeDecision(waitingRun(), ctx({ bootId: null }))).kind, 'not-rebooted');
  });

  it('--resume without a waiting run: nothing to resume, naming an interrupted run that upkeep upgrade handles', () => {
    assert.deepEqual(resumeAnswer({ kind: 'fresh' }), { kind: 'nothing', line: 'nothing to resume: no upkeep upgrade run waits for a reboot' });
    const a = resumeAnswer(resumeDecision(runOf('window-open', 'apt'), ctx()));
    assert.match(a.kind === 'nothing' ? a.line : '', /run 7 was interrupted \(not waiting for a reboot\); upkeep upgrade continues or closes it/);
  });

  it("the boot's time: the kernel's when it follows the request, else when the new boot was seen (a simulated reboot)", () => {
    assert.deepEqual(bootEntryTime(T0 + 50_000, T0, T0 + 90_000), { at: T0 + 50_000, seen: false });
    assert.deepEqual(bootEntryTime(T0 - 86_400_000, T0, T0 + 90_000), { at: T0 + 90_000, seen: true });
    assert.deepEqual(bootEntryTime(null, T0, T0 + 90_000), { at: T0 + 90_000, seen: true });
  });
});

describe('health checks at the verification', () => {
  const ok = { service: 'silo', container: 'silo', check: 'http', ok: true, detail: 'HTTP 200' };
  const bad = { service: 'srsilo/lapis', container: 'srsilo-lapis-1', check: 'tcp', ok: false, detail: 'connection refused' };

  it('none configured: nothing to say; all passing: named; one failing: named with why, and the outcome needs attention (exit 1)', () => {
    assert.deepEqual(checksOutcome([]), { ok: true, line: null });
    assert.deepEqual(checksOutcome([ok]), { ok: true, line: 'health checks passing (1): silo http' });
    assert.deepEqual(checksOutcome([ok, bad]), {
      ok: false,
      line: '1 of 2 health check(s) failing: srsilo-lapis-1 tcp (connection refused); passing: silo http',
    });
    assert.equal(finalOutcome({ ok: true }, { ok: true, checksOk: false }), 'needs-attention');
    assert.equal(OUTCOME_EXIT['needs-attention'], 1);
    // Containers not running weigh more than a failing check; apt failing more than both.
    assert.equal(finalOutcome({ ok: true }, { ok: false, checksOk: false }), 'not-all-running');
    assert.equal(finalOutcome({ ok: false }, { ok: true, checksOk: false }), 'apt-failed');
    // --reboot with a reboot requirement that could not be told: a person must look, as for a failing check.
    assert.equal(finalOutcome({ ok: true }, { ok: true, checksOk: true }, true), 'needs-attention');
    assert.equal(finalOutcome({ ok: true }, { ok: false }, true), 'not-all-running');
  });
});
