/**
 * `upkeep upgrade` as data: the maintenance routine's steps in order, the journal a run keeps of
 * them (so that a rerun after SIGKILL or power loss knows where it stopped), the preflight gate and
 * the verification. Pure: no I/O, the time comes in as an argument. The use case (app/upgrade.ts)
 * reads the journal and the host, asks these functions what to do, and does it.
 */
import type { PreflightReport } from '../preflight/preflight-report.js';

/** The routine, in the order it runs. Each step is idempotent: a resumed run repeats the interrupted one. */
export const UPGRADE_STEPS = ['check', 'preflight', 'snapshot', 'window-open', 'apt', 'reboot', 'recovery', 'verification', 'window-close', 'report'] as const;

export type UpgradeStep = (typeof UPGRADE_STEPS)[number];

/** `upgrade`: like `apt upgrade` (new packages allowed, nothing removed); `full-upgrade`: like `apt full-upgrade`. */
export type UpgradeMode = 'upgrade' | 'full-upgrade';

export const UPGRADE_MODES: readonly UpgradeMode[] = ['upgrade', 'full-upgrade'];

/** One line per step, for people (`--dry-run`, the confirmation, each step as it runs). */
export const STEP_TITLES: Readonly<Record<UpgradeStep, string>> = {
  check: 'check: the status of every container and the audit',
  preflight: 'preflight: what the upgrade restarts and what would not come back (stops here when at risk, unless --accept-risk)',
  snapshot: 'snapshot of the running containers as the desired state ("before upgrade")',
  'window-open': 'maintenance window opened (alerts held; it ends by itself at its end time)',
  apt: 'the package upgrade (apt-get, non-interactive, local conffiles kept)',
  reboot:
    'reboot, when apt left one required and --reboot was given (the window stays open; after the boot, upkeep upgrade --resume or the agent finishes the run)',
  recovery: 'recovery pass: every desired container that is not running is started (the same as upkeep recover)',
  verification: 'verification: every desired container running, and its configured health checks passing',
  'window-close': 'maintenance window closed',
  report: 'the maintenance report (the same as upkeep report)',
};

/** The apt-get command line of each mode (the options upkeep adds come from aptUpgradeArgs). */
export const MODE_COMMAND: Readonly<Record<UpgradeMode, readonly string[]>> = {
  upgrade: ['upgrade', '--with-new-pkgs'],
  'full-upgrade': ['dist-upgrade'],
};

/**
 * The stated conffile policy: a conffile changed locally is kept (`--force-confold`), one not
 * changed takes the package's new version (`--force-confdef`); ucf-managed files (sshd_config) are
 * kept too (UCF_FORCE_CONFFOLD=1). Nothing asks a question (DEBIAN_FRONTEND=noninteractive);
 * needrestart only lists (NEEDRESTART_MODE=l): upkeep's own steps decide what is restarted.
 */
export const APT_ENV: Readonly<Record<string, string>> = {
  DEBIAN_FRONTEND: 'noninteractive',
  UCF_FORCE_CONFFOLD: '1',
  NEEDRESTART_MODE: 'l',
  APT_LISTCHANGES_FRONTEND: 'none',
  LC_ALL: 'C',
};

/**
 * apt-get's arguments for the upgrade itself: `-y`, the conffile policy, no pty (plain dpkg
 * lines), progress on file descriptor `statusFd`, the caller's extra `-o` options, then the mode's
 * command. `simulate` gives the same command with `-s` (no lock taken): the plan that is assessed
 * is the plan that runs.
 */
export function aptUpgradeArgs(mode: UpgradeMode, opts: { extraOptions: readonly string[]; statusFd?: number; simulate?: boolean }): string[] {
  const extra = opts.extraOptions.flatMap((o) => ['-o', o]);
  if (opts.simulate === true) return ['-s', '-o', 'Debug::NoLocking=1', ...extra, ...MODE_COMMAND[mode]];
  return [
    '-y',
    '-q',
    '-o',
    'Dpkg::Options::=--force-confdef',
    '-o',
    'Dpkg::Options::=--force-confold',
    '-o',
    'Dpkg::Use-Pty=0',
    ...(opts.statusFd === undefined ? [] : ['-o', `APT::Status-Fd=${opts.statusFd}`]),
    ...extra,
    ...MODE_COMMAND[mode],
  ];
}

/** An extra apt option as given on the command line: `Name::Of::Option=value`. */
export function isAptOption(s: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9:_.+-]*(::[A-Za-z0-9_.+-]*)*=[^\n\0]*$/.test(s) && s.includes('=');
}

export type StepStatus = 'started' | 'finished' | 'failed';

/** One journal record: a step started, finished or failed at a time, with what it found. */
export interface StepRecord {
  step: UpgradeStep;
  status: StepStatus;
  at: string;
  detail: Record<string, unknown> | null;
}

/** How a run ended. */
export type RunOutcome =
  /** Every step done and every desired container running. */
  | 'done'
  /** Every step done, but some desired containers are not running. */
  | 'not-all-running'
  /** Every step done and every desired container running, but a configured health check fails. */
  | 'needs-attention'
  /** apt failed; recovery, verification, the window's end and the report still ran. */
  | 'apt-failed'
  /** The preflight gate stopped it before anything changed. */
  | 'stopped-at-gate'
  /** The operator answered no. */
  | 'declined'
  /** A step could not run (the engine, the store); the window (if any) was closed. */
  | 'failed'
  /** Interrupted before its maintenance window opened: nothing on the host had changed; a new run started. */
  | 'abandoned'
  /** Interrupted, and its window had ended (its end time passed) before the rerun: closed by the rerun. */
  | 'closed-after-interruption'
  /** It waited for a reboot that did not come before its window's end time: closed by the rerun. */
  | 'not-rebooted';

/** A run as the journal holds it. */
export interface UpgradeRun {
  id: number;
  startedAt: string;
  mode: UpgradeMode;
  /** The process that ran it (a rerun while it still lives is refused). */
  pid: number;
  /** The maintenance window it opened, once opened. */
  maintenanceId: number | null;
  endedAt: string | null;
  outcome: RunOutcome | null;
  /** Oldest first. */
  records: StepRecord[];
}

/** Where a run stands: the steps finished, and the one started but not finished (interrupted), if any. */
export function runProgress(run: Pick<UpgradeRun, 'records'>): { finished: UpgradeStep[]; interrupted: UpgradeStep | null; next: UpgradeStep | null } {
  const finished = new Set<UpgradeStep>();
  const started = new Set<UpgradeStep>();
  for (const r of run.records) {
    if (r.status === 'finished' || r.status === 'failed') finished.add(r.step);
    else started.add(r.step);
  }
  const done = UPGRADE_STEPS.filter((s) => finished.has(s));
  const interrupted = UPGRADE_STEPS.find((s) => started.has(s) && !finished.has(s)) ?? null;
  const next = UPGRADE_STEPS.find((s) => !finished.has(s)) ?? null;
  return { finished: done, interrupted, next };
}

/** The window of the run, as far as the resume decision cares. */
export interface WindowState {
  endedAt: string | null;
  endsAt: string;
}

/**
 * What a new `upkeep upgrade` does about the newest run in the journal:
 * - `fresh`: none is unfinished; a new run starts.
 * - `busy`: one is unfinished and its process still lives: refused (two apt runs cannot both go on).
 * - `continue`: interrupted after its window opened, and the window is still open: the run goes on
 *   from the interrupted (or next) step, in the same window; `repairDpkg` when apt itself was
 *   interrupted (`dpkg --configure -a` first, as apt would ask).
 * - `close-then-fresh`: interrupted before its window opened (nothing on the host changed:
 *   `abandoned`), or its window has ended since (its end time passed: `closed-after-interruption`),
 *   or it waited for a reboot that did not come before its window ended (`not-rebooted`): the old
 *   run is closed, with its window, and a new run starts; `repairDpkg` when the old run's apt was
 *   interrupted.
 * - `waiting-reboot`: `upkeep upgrade --reboot` asked for a reboot and the run waits for it:
 *   `rebooted` when the boot id differs from the one recorded then (the run finishes, in the same
 *   maintenance: recovery, verification, window closed, report); otherwise the host has not
 *   rebooted yet. The run's pid is not asked about once the host rebooted (a pid of another boot).
 */
export type ResumeDecision =
  | { kind: 'fresh' }
  | { kind: 'busy'; run: UpgradeRun }
  | { kind: 'continue'; run: UpgradeRun; from: UpgradeStep; interrupted: UpgradeStep | null; repairDpkg: boolean }
  | {
      kind: 'close-then-fresh';
      run: UpgradeRun;
      interrupted: UpgradeStep | null;
      outcome: 'abandoned' | 'closed-after-interruption' | 'not-rebooted';
      repairDpkg: boolean;
    }
  | { kind: 'waiting-reboot'; run: UpgradeRun; waiting: RebootWait; bootId: string | null; rebooted: boolean };

/** A run waiting for the reboot it asked for: the boot id then, when it asked, and why. */
export interface RebootWait {
  bootId: string;
  requestedAt: string;
  why: string[];
}

/** The reboot a run asked for and has not seen yet (its `reboot` step started, with the boot id, and not finished), or null. */
export function rebootWait(run: Pick<UpgradeRun, 'records'>): RebootWait | null {
  const recs = run.records.filter((r) => r.step === 'reboot');
  const last = recs[recs.length - 1];
  if (last === undefined || last.status !== 'started' || last.detail?.waiting !== true || typeof last.detail.bootId !== 'string') return null;
  const why = Array.isArray(last.detail.why) ? last.detail.why.filter((w): w is string => typeof w === 'string') : [];
  return { bootId: last.detail.bootId, requestedAt: last.at, why };
}

export function resumeDecision(
  run: UpgradeRun | null,
  ctx: { now: number; pidAlive: boolean; window: WindowState | null; bootId?: string | null },
): ResumeDecision {
  if (run === null || run.endedAt !== null) return { kind: 'fresh' };
  const open = ctx.window !== null && ctx.window.endedAt === null && Date.parse(ctx.window.endsAt) > ctx.now;
  const waiting = rebootWait(run);
  if (waiting !== null) {
    const bootId = ctx.bootId ?? null;
    const rebooted = bootId !== null && bootId !== waiting.bootId;
    if (!rebooted && ctx.pidAlive) return { kind: 'busy', run };
    // A reboot that never came: once the window has ended, the run is closed like an interrupted one.
    if (!rebooted && !open) return { kind: 'close-then-fresh', run, interrupted: 'reboot', outcome: 'not-rebooted', repairDpkg: false };
    return { kind: 'waiting-reboot', run, waiting, bootId, rebooted };
  }
  if (ctx.pidAlive) return { kind: 'busy', run };
  const { finished, interrupted, next } = runProgress(run);
  const repairDpkg = interrupted === 'apt';
  if (!finished.includes('window-open')) return { kind: 'close-then-fresh', run, interrupted: interrupted ?? next, outcome: 'abandoned', repairDpkg };
  // The window closed (by the run itself, just before it was killed): only the report remains.
  if (finished.includes('window-close')) return { kind: 'continue', run, from: next ?? 'report', interrupted, repairDpkg: false };
  if (!open) return { kind: 'close-then-fresh', run, interrupted: interrupted ?? next, outcome: 'closed-after-interruption', repairDpkg };
  return { kind: 'continue', run, from: interrupted ?? next ?? 'report', interrupted, repairDpkg };
}

/** The steps still to run from `from` (inclusive). */
export function stepsFrom(from: UpgradeStep): UpgradeStep[] {
  return UPGRADE_STEPS.slice(UPGRADE_STEPS.indexOf(from));
}

/** The preflight report's parts the gate reads. */
export type GateInput = Pick<PreflightReport, 'verdict' | 'containers' | 'alreadyDown' | 'reboot' | 'docker' | 'unknownReasons' | 'space'>;

/** A container the gate names, and why. */
export interface GateContainer {
  name: string;
  /** `no`: preflight says it would not be running afterwards; `unknown`: it cannot say. */
  runningAtEnd: 'no' | 'unknown';
  /** `running`: it runs now (the snapshot makes it desired, so the recovery pass would start it); `already-down`: desired and down before the upgrade. */
  now: 'running' | 'already-down';
  why: string;
}

/**
 * The preflight gate. It reads the verdict about containers (which would not come back, or might
 * not), never preflight's exit code: 3 also means "reboot needed", which is not a container risk
 * (upkeep upgrade reboots only with --reboot). `go` false stops the run before anything changes;
 * `acceptRisk` (--accept-risk) goes on anyway, naming what was accepted.
 */
export interface GateDecision {
  go: boolean;
  /** The containers at risk (empty: nothing to accept). */
  atRisk: GateContainer[];
  /**
   * The filesystems preflight's disk-space check found short, one line each ("/boot: needs 180 MiB
   * with the margin, 40 MiB free"): apt would fail half-way (a kernel without its initrd). Empty:
   * none short (or not checked: an unknown is a note, as other unread inputs).
   */
  spaceShort: string[];
  /** Lines for people: what was accepted, the reboot, what could not be predicted. */
  notes: string[];
}

export function gateDecision(report: GateInput, acceptRisk: boolean): GateDecision {
  const atRisk: GateContainer[] = [];
  for (const c of report.containers ?? []) {
    if (c.runningAtEnd === 'yes') continue;
    const p = c.afterReboot ?? c.afterUpgrade;
    atRisk.push({ name: c.name, runningAtEnd: c.runningAtEnd, now: 'running', why: `${c.policy}: ${p.reason}` });
  }
  for (const c of report.alreadyDown ?? []) {
    if (c.runningAtEnd === 'yes') continue;
    atRisk.push({ name: c.name, runningAtEnd: c.runningAtEnd, now: 'already-down', why: `already down (${c.reason}): ${c.afterMaintenance.reason}` });
  }
  const notes: string[] = [];
  if (report.containers === null && report.docker.restarts) notes.push('the containers could not be read: which of them stop is not known');
  if (report.reboot.needed)
    notes.push(
      `a reboot is needed afterwards (${report.reboot.why.join('; ')}): with --reboot upkeep upgrade reboots after apt and finishes after the boot (upkeep upgrade --resume, or the agent); without it, it says so at the end`,
    );
  if (report.unknownReasons.length > 0) notes.push(`preflight could not read everything (${report.unknownReasons.length} input(s)): see upkeep preflight`);
  const spaceShort = (report.space?.filesystems ?? []).filter((f) => f.verdict === 'short').map((f) => `${f.mountPoint ?? f.paths.join(', ')}: ${f.why}`);
  const go = (atRisk.length === 0 && spaceShort.length === 0) || acceptRisk;
  if (atRisk.length > 0 && acceptRisk)
    notes.push(
      `accepted (--accept-risk): ${atRisk.map((c) => c.name).join(', ')} may stay down after the upgrade; the recovery pass starts the desired ones again`,
    );
  if (spaceShort.length > 0 && acceptRisk)
    notes.push(`accepted (--accept-risk): too little disk space (${spaceShort.length} filesystem(s)); apt may fail half-way`);
  return { go, atRisk, spaceShort, notes };
}

/** Verification: every desired container running. `notRunning`: the desired ones that are not (app/recover.ts diffHost). */
export function verificationOutcome(desiredCount: number, notRunning: readonly { container: string; state: string }[]): { ok: boolean; line: string } {
  if (notRunning.length === 0) return { ok: true, line: `every desired container is running (${desiredCount})` };
  return {
    ok: false,
    line: `${notRunning.length} of ${desiredCount} desired container(s) not running: ${notRunning.map((n) => `${n.container} (${n.state})`).join(', ')}`,
  };
}

/**
 * The run's outcome from how apt, the verification and its health checks went; `rebootUnanswered`:
 * --reboot was given and whether a reboot is required could not be told (nothing rebooted), which
 * needs a person as a failing check does.
 */
export function finalOutcome(apt: { ok: boolean } | null, verification: { ok: boolean; checksOk?: boolean } | null, rebootUnanswered = false): RunOutcome {
  if (apt !== null && !apt.ok) return 'apt-failed';
  if (verification !== null && !verification.ok) return 'not-all-running';
  if ((verification !== null && verification.checksOk === false) || rebootUnanswered) return 'needs-attention';
  return 'done';
}

/** What `upkeep upgrade --resume` does with the journal's decision (app/upgrade.ts resumeUpgrade). */
export type ResumeAnswer =
  /** The host rebooted since the run asked for it: finish the run from its reboot step. */
  | { kind: 'finish'; run: UpgradeRun; waiting: RebootWait }
  /** Nothing waits for a reboot (exit 0); `line` says so, and what the journal holds otherwise. */
  | { kind: 'nothing'; line: string }
  /** A run waits, and the boot id is still the one it recorded (exit 1). */
  | { kind: 'not-rebooted'; line: string; hint: string };

export function resumeAnswer(d: ResumeDecision): ResumeAnswer {
  switch (d.kind) {
    case 'waiting-reboot':
      if (d.rebooted) return { kind: 'finish', run: d.run, waiting: d.waiting };
      return {
        kind: 'not-rebooted',
        line: `run ${d.run.id} waits for the reboot it asked for at ${d.waiting.requestedAt}, but the host has not rebooted yet (boot id ${d.waiting.bootId})`,
        hint: `reboot the host (systemctl reboot), then run upkeep upgrade --resume (the agent does it at its start); its maintenance window ${d.run.maintenanceId ?? '?'} stays open until its end time`,
      };
    case 'fresh':
      return { kind: 'nothing', line: 'nothing to resume: no upkeep upgrade run waits for a reboot' };
    case 'busy':
      return { kind: 'nothing', line: `nothing to resume: run ${d.run.id} is still running (pid ${d.run.pid})` };
    case 'continue':
    case 'close-then-fresh':
      return {
        kind: 'nothing',
        line: `nothing to resume after a reboot: run ${d.run.id} was interrupted (not waiting for a reboot); upkeep upgrade continues or closes it`,
      };
  }
}

/**
 * What the run does after apt about a reboot: none required; required and --reboot given (the run
 * waits for it); required without --reboot (it says so and how to finish; the run ends as usual);
 * or not known (the flag or the installed kernels could not be read): never a reboot on an
 * unknown, and never "none".
 */
export type RebootPlan = { kind: 'none' } | { kind: 'reboot'; why: string[] } | { kind: 'advise'; why: string[] } | { kind: 'unknown'; why: string };

export function rebootPlan(answer: { why: readonly string[]; unknown: string | null }, reboot: boolean): RebootPlan {
  if (answer.why.length === 0) return answer.unknown === null ? { kind: 'none' } : { kind: 'unknown', why: answer.unknown };
  return reboot ? { kind: 'reboot', why: [...answer.why] } : { kind: 'advise', why: [...answer.why] };
}

/**
 * When the boot happened, for the timeline: the kernel's boot time when it is after the reboot was
 * asked for; otherwise (unknown, or a simulated reboot that kept the kernel's) the time the new
 * boot was first seen.
 */
export function bootEntryTime(bootTime: number | null, requestedAt: number, seenAt: number): { at: number; seen: boolean } {
  if (bootTime !== null && bootTime >= requestedAt && bootTime <= seenAt) return { at: bootTime, seen: false };
  return { at: seenAt, seen: true };
}

/** One configured health check run once at the verification (adapters run it with its timeout). */
export interface HealthCheckResult {
  /** The service as the config names it (`lapis`, `srsilo/lapisOpen`). */
  service: string;
  /** The container it resolved to. */
  container: string;
  /** `http`, `tcp`, `docker` (numbered when a service has several of one type). */
  check: string;
  ok: boolean;
  detail: string;
}

/** The health checks' part of the verification: passing or failing per container. */
export function checksOutcome(results: readonly HealthCheckResult[]): { ok: boolean; line: string | null } {
  if (results.length === 0) return { ok: true, line: null };
  const failing = results.filter((r) => !r.ok);
  if (failing.length === 0)
    return { ok: true, line: `health checks passing (${results.length}): ${results.map((r) => `${r.container} ${r.check}`).join(', ')}` };
  const passing = results.filter((r) => r.ok);
  return {
    ok: false,
    line: `${failing.length} of ${results.length} health check(s) failing: ${failing.map((r) => `${r.container} ${r.check} (${r.detail})`).join(', ')}${passing.length ? `; passing: ${passing.map((r) => `${r.container} ${r.check}`).join(', ')}` : ''}`,
  };
}

/** The exit code of each outcome (core/errors.ts: 0 fine, 1 findings or risk, 2 could not run). */
export const OUTCOME_EXIT: Readonly<Record<RunOutcome, 0 | 1 | 2>> = {
  done: 0,
  'not-all-running': 1,
  'needs-attention': 1,
  'stopped-at-gate': 1,
  declined: 0,
  'apt-failed': 2,
  failed: 2,
  abandoned: 2,
  'closed-after-interruption': 2,
  'not-rebooted': 2,
};

/** One apt status-fd line (`APT::Status-Fd`): `pmstatus:PKG:PERCENT:TEXT`, `dlstatus:...`, `pmerror:...`, `pmconffile:...`. */
export interface AptStatus {
  kind: 'pmstatus' | 'dlstatus' | 'pmerror' | 'pmconffile' | 'other';
  pkg: string | null;
  percent: number | null;
  text: string;
}

export function parseAptStatusLine(line: string): AptStatus | null {
  const m = /^(pmstatus|dlstatus|pmerror|pmconffile|[a-z]+):([^:]*):([^:]*):(.*)$/.exec(line.trim());
  if (m === null) return null;
  const kind = (['pmstatus', 'dlstatus', 'pmerror', 'pmconffile'] as const).find((k) => k === m[1]) ?? 'other';
  const pct = Number(m[3]);
  return { kind, pkg: m[2] === '' ? null : m[2]!, percent: kind === 'pmerror' || !Number.isFinite(pct) ? null : pct, text: m[4]!.trim() };
}

/** A progress line for people: `[ 42%] Configuring docker.io`. */
export function aptProgressText(s: AptStatus): string {
  if (s.kind === 'pmerror') return `error: ${s.pkg ?? ''}: ${s.text}`;
  const pct = s.percent === null ? '   ' : String(Math.floor(s.percent)).padStart(3);
  return `[${pct}%] ${s.text}`;
}
