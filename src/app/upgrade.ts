/**
 * `upkeep upgrade` as a use case: the maintenance routine (core/upgrade/routine.ts) run step by
 * step, each step journaled in the store before and after it runs, each printed through `onEvent`:
 * check -> preflight (the gate) -> snapshot "before upgrade" -> maintenance window opened -> apt ->
 * reboot (with --reboot, when one is required: the run waits in the journal, its window open, and
 * resumeUpgrade finishes it after the boot) -> recovery pass -> verification (with the configured
 * health checks) -> window closed -> the report.
 *
 * read (the journal's newest run, the host) -> plan (resumeDecision, gateDecision: pure) -> apply
 * (the steps, through the ports and the existing use cases: check-host, assess-upgrade,
 * take-snapshot, recover, report). Never prints, never exits.
 *
 * The window is never left open: it has an end time from the start, every failure after it opened
 * closes it, and a rerun after a kill either continues inside it or closes the run.
 */
import { UpkeepError, EXIT } from '../core/errors.js';
import type { Report } from '../core/report/report.js';
import type { RecoveryEffects, RecoveryResult } from '../core/recovery/executor.js';
import { TIMELINE_KINDS } from '../core/timeline.js';
import { pendingRestartLines, replacedBinaries, type ProcessImage } from '../core/upgrade/replaced-binaries.js';
import { aptRunEntries, engineEntries, type EngineSample } from '../core/upgrade/apt-run-entries.js';
import {
  bootEntryTime,
  checksOutcome,
  finalOutcome,
  gateDecision,
  OUTCOME_EXIT,
  rebootPlan,
  resumeAnswer,
  resumeDecision,
  stepsFrom,
  verificationOutcome,
  type HealthCheckResult,
  type RebootWait,
  type AptStatus,
  type GateDecision,
  type ResumeDecision,
  type RunOutcome,
  type StepRecord,
  type UpgradeMode,
  type UpgradeRun,
  type UpgradeStep,
} from '../core/upgrade/routine.js';
import { rollbackSummary, type ChangedPackage, type RollbackPlan } from '../core/upgrade/rollback.js';
import type { ReadTextFile } from '../ports/files.js';
import type { RunHealthChecks } from '../ports/health-checks.js';
import type { HostState } from '../ports/host.js';
import type { MaintenanceRepository } from '../ports/maintenance.js';
import type { PackageUpgrader } from '../ports/package-upgrade.js';
import type { BootReader, Rebooter, RebootRequirement } from '../ports/reboot.js';
import type { SnapshotRepository } from '../ports/snapshots.js';
import type { TimelineRepository } from '../ports/timeline.js';
import type { UpgradeJournalRepository } from '../ports/upgrade-journal.js';
import type { UpgradeAssessment } from './assess-upgrade.js';
import type { DesiredStateSource } from './desired-state.js';
import { diffHost, recoverHost, type RecoverRun } from './recover.js';
import { makeReport, type ReportStore } from './report.js';
import { takeSnapshot } from './take-snapshot.js';
import { compareText } from '../core/text-order.js';

/** The store as the routine uses it. */
export type UpgradeStore = UpgradeJournalRepository &
  Pick<MaintenanceRepository, 'startMaintenance' | 'getMaintenance'> &
  Pick<TimelineRepository, 'appendTimeline' | 'timeline'> &
  Pick<SnapshotRepository, 'latestSnapshot' | 'saveSnapshot'> &
  DesiredStateSource &
  ReportStore;

/** What a person is shown as the routine goes (the command prints it). */
export type UpgradeEvent =
  | { type: 'resume'; line: string }
  | { type: 'step-start'; step: UpgradeStep }
  | { type: 'step-done'; step: UpgradeStep; line: string; ok: boolean }
  | { type: 'note'; line: string }
  | { type: 'apt-status'; status: AptStatus }
  | { type: 'preflight'; assessment: UpgradeAssessment; gate: GateDecision };

export interface UpgradeDeps {
  store: UpgradeStore;
  now(): number;
  /** This process's id (recorded with the run) and whether another one still lives. */
  pid: number;
  pidAlive(pid: number): boolean;
  readHost(): Promise<HostState>;
  /** Whether the engine answers /_ping now (within a short timeout); never throws. */
  engineAnswers(): Promise<boolean>;
  /**
   * Resolves when the engine's event stream ends: the daemon went away (a stream cannot survive its
   * restart, however short, where pings could miss it). Also resolves, to be ignored, once `signal`
   * is aborted. Never rejects.
   */
  engineGone(signal: AbortSignal): Promise<void>;
  sleep(ms: number): Promise<void>;
  /** dockerd's and containerd's processes as /proc shows them (core/upgrade/replaced-binaries.ts); never throws. */
  readDaemonProcesses(): Promise<ProcessImage[]>;
  /** How often the engine is pinged while apt runs (its restarts are recorded). */
  pingEveryMs: number;
  /** `upkeep check` on the state just read: its verdict line and whether something is at risk. */
  check(state: HostState): Promise<{ line: string; risk: boolean }>;
  /** `upkeep preflight` on this plan (apt's simulation text); `record` false: not written to the timeline. */
  assess(simulation: string, source: string, record: boolean): Promise<UpgradeAssessment>;
  upgrader: PackageUpgrader;
  readTextFile: ReadTextFile;
  /** The rollback plan (app/rollback-plan.ts), made at the snapshot step, before apt; absent: none. Never throws. */
  prepareRollback?(packages: ChangedPackage[]): Promise<RollbackPlan>;
  recovery: RecoveryEffects;
  /** Timing of the recovery pass (the same options as upkeep recover). */
  recoveryRun: RecoverRun;
  onEvent(event: UpgradeEvent): void;
  /** Asked after the gate passed and before anything changes (null: --yes). False: declined. */
  confirm: ((assessment: UpgradeAssessment, gate: GateDecision) => Promise<boolean>) | null;
  /** This boot's id: recorded when the run waits for its reboot, compared after the boot. */
  boot: BootReader;
  /** Whether apt left a reboot required. */
  rebootRequirement: RebootRequirement;
  /** The reboot itself (`systemctl reboot`). */
  rebooter: Rebooter;
  /** The configured health checks, run once at the verification. */
  runHealthChecks: RunHealthChecks;
}

/** What finishing a run after its reboot needs (the agent has these): the steps after apt. */
export type ResumeDeps = Pick<
  UpgradeDeps,
  'store' | 'now' | 'pid' | 'pidAlive' | 'readHost' | 'readDaemonProcesses' | 'recovery' | 'recoveryRun' | 'onEvent' | 'boot' | 'runHealthChecks'
>;

export interface UpgradeRequest {
  mode: UpgradeMode;
  acceptRisk: boolean;
  dryRun: boolean;
  /** How long the maintenance window lasts at most (it ends by itself then). */
  windowMs: number;
  /** --reboot: reboot when apt left one required (the run finishes after the boot). Default false. */
  reboot?: boolean;
}

export interface UpgradeResult {
  /** The run in the journal (null for a dry run). */
  runId: number | null;
  /** What was found in the journal at the start. */
  decision: ResumeDecision['kind'];
  /**
   * `rebooting`: the run waits for the reboot it asked for (not ended; `upkeep upgrade --resume`
   * finishes it). `nothing-to-resume`, `not-rebooted-yet`: what --resume found.
   */
  outcome: RunOutcome | 'dry-run' | 'rebooting' | 'nothing-to-resume' | 'not-rebooted-yet';
  /** Why a reboot is required after apt (empty: none, or not known); with --reboot the host is rebooting. */
  rebootRequired: string[];
  /**
   * Why whether a reboot is required after apt is not known (the flag or the installed kernels
   * could not be read); null: known. With --reboot the outcome is then `needs-attention`.
   */
  rebootUnknown: string | null;
  /** The configured health checks run at the verification (empty: none configured, or not reached). */
  checks: HealthCheckResult[];
  /** For --resume without a run to finish: what the journal holds, and what to do. */
  message: string | null;
  maintenanceId: number | null;
  assessment: UpgradeAssessment | null;
  gate: GateDecision | null;
  /** The maintenance's report (the same as `upkeep report ID`), when the run got that far. */
  report: Report | null;
  /** Desired containers not running at the verification. */
  notRunning: string[];
  /** Daemons still running a replaced binary, and what their restart will do (empty: none). */
  pendingRestarts: string[];
  exitCode: number;
}

const iso = (t: number) => new Date(t).toISOString();

/** What a dry run reads of the store: the journal's newest run and its window (null: no state database yet). */
export type UpgradePreviewStore = Pick<UpgradeJournalRepository, 'latestUpgradeRun'> & Pick<MaintenanceRepository, 'getMaintenance'>;

/** A dry run's dependencies: the same as a run's, with a store it only reads (or none). */
export type UpgradePreviewDeps = Omit<UpgradeDeps, 'store'> & { store: UpgradePreviewStore | null };

/** What the journal says about the newest run. @throws UpkeepError when its process still runs. */
async function readJournal(deps: Pick<UpgradeDeps, 'now' | 'pid' | 'pidAlive' | 'boot'>, store: UpgradePreviewStore | null): Promise<ResumeDecision> {
  const latest = store?.latestUpgradeRun() ?? null;
  const window = latest?.maintenanceId != null ? (store?.getMaintenance(latest.maintenanceId) ?? null) : null;
  const boot = latest !== null && latest.endedAt === null ? await deps.boot.readBoot() : null;
  const decision = resumeDecision(latest, {
    now: deps.now(),
    pidAlive: latest !== null && latest.pid !== deps.pid && deps.pidAlive(latest.pid),
    window,
    bootId: boot?.id ?? null,
  });
  if (decision.kind === 'busy')
    throw new UpkeepError(`another upkeep upgrade (run ${decision.run.id}, pid ${decision.run.pid}, started ${decision.run.startedAt}) is still running`, {
      hint: 'wait for it to end; upkeep maintenance status shows its window',
    });
  return decision;
}

/** The dry run: the journal's decision, the check, the preflight and the gate; writes nothing. */
export async function previewUpgrade(deps: UpgradePreviewDeps, req: Pick<UpgradeRequest, 'mode' | 'acceptRisk'>): Promise<UpgradeResult> {
  return dryRun(deps, req, await readJournal(deps, deps.store));
}

/** Runs (or, with dryRun, shows) the routine. Throws UpkeepError when a step cannot run at all (exit 2); the window is closed first. */
export async function runUpgrade(deps: UpgradeDeps, req: UpgradeRequest): Promise<UpgradeResult> {
  const { store } = deps;
  const decision = await readJournal(deps, store);
  if (req.dryRun) return dryRun(deps, req, decision);
  if (decision.kind === 'waiting-reboot') {
    const answer = resumeAnswer(decision);
    if (answer.kind === 'not-rebooted') throw new UpkeepError(answer.line, { hint: answer.hint, exitCode: EXIT.findings });
    if (answer.kind === 'finish') return finishAfterReboot(deps, answer.run, answer.waiting, { ...req, mode: answer.run.mode });
  }

  let repairDpkg = false;
  let run: UpgradeRun;
  let steps: UpgradeStep[];
  if (decision.kind === 'continue') {
    run = decision.run;
    steps = stepsFrom(decision.from);
    repairDpkg = decision.repairDpkg;
    deps.onEvent({
      type: 'resume',
      line: `run ${run.id} (started ${run.startedAt}) was interrupted${decision.interrupted ? ` during ${decision.interrupted}` : ''}: continuing from ${decision.from}, in maintenance window ${run.maintenanceId ?? '?'}`,
    });
    if (run.mode !== req.mode) deps.onEvent({ type: 'note', line: `the run continues with its own --mode ${run.mode} (not ${req.mode})` });
    if (decision.interrupted === 'apt') recordInterruptedApt(deps, run.id);
  } else {
    if (decision.kind === 'close-then-fresh') {
      closeInterrupted(deps, decision);
      repairDpkg = decision.repairDpkg;
    }
    run = store.startUpgradeRun({ mode: req.mode, pid: deps.pid, at: iso(deps.now()) });
    steps = stepsFrom('check');
  }
  return execute(deps, { ...req, mode: run.mode }, run, steps, repairDpkg, decision.kind, null);
}

/**
 * `upkeep upgrade --resume`, and the agent at its start: when the journal's newest run waits for
 * the reboot it asked for and the host has rebooted since (the boot id changed), finishes that run
 * in the same maintenance: the boot in the timeline, recovery pass, verification, window closed,
 * report. Nothing waiting: `nothing-to-resume` (exit 0); waiting and not rebooted yet:
 * `not-rebooted-yet` (exit 1). @throws UpkeepError while another run's process lives, or when a step
 * cannot run (the window is closed first).
 */
export async function resumeUpgrade(deps: ResumeDeps): Promise<UpgradeResult> {
  const decision = await readJournal(deps, deps.store);
  const answer = resumeAnswer(decision);
  if (answer.kind === 'finish')
    return finishAfterReboot(afterBootOnly(deps), answer.run, answer.waiting, { mode: answer.run.mode, acceptRisk: false, dryRun: false, windowMs: 0 });
  const result = emptyResult(decision.kind);
  result.outcome = answer.kind === 'nothing' ? 'nothing-to-resume' : 'not-rebooted-yet';
  result.exitCode = answer.kind === 'nothing' ? EXIT.ok : EXIT.findings;
  result.message = answer.kind === 'nothing' ? answer.line : `${answer.line}: ${answer.hint}`;
  if (decision.kind === 'waiting-reboot') result.runId = decision.run.id;
  return result;
}

/** The ports the steps after the reboot never use, for a caller (the agent) that only has ResumeDeps. */
function afterBootOnly(deps: ResumeDeps): UpgradeDeps {
  const unused = (what: string) => () => {
    throw new Error(`${what} is not used after the reboot`);
  };
  return {
    ...deps,
    engineAnswers: async () => true,
    engineGone: async () => undefined,
    sleep: async () => undefined,
    pingEveryMs: 250,
    check: unused('check'),
    assess: unused('preflight'),
    upgrader: { simulate: unused('apt'), run: unused('apt') },
    readTextFile: unused('the file reader'),
    confirm: null,
    rebootRequirement: { rebootRequired: async () => ({ why: [], unknown: null }) },
    rebooter: { command: 'none', reboot: unused('the reboot') },
  };
}

/** The waiting run continues from its reboot step, which now records the boot. */
function finishAfterReboot(deps: UpgradeDeps, run: UpgradeRun, waiting: RebootWait, req: UpgradeRequest): Promise<UpgradeResult> {
  deps.onEvent({
    type: 'resume',
    line: `run ${run.id} (started ${run.startedAt}) asked for a reboot at ${waiting.requestedAt}; the host has rebooted: finishing it in maintenance window ${run.maintenanceId ?? '?'}`,
  });
  return execute(deps, req, run, stepsFrom('reboot'), false, 'waiting-reboot', waiting);
}

function emptyResult(decision: ResumeDecision['kind']): UpgradeResult {
  return {
    runId: null,
    decision,
    outcome: 'done',
    maintenanceId: null,
    assessment: null,
    gate: null,
    report: null,
    notRunning: [],
    pendingRestarts: [],
    rebootRequired: [],
    rebootUnknown: null,
    checks: [],
    message: null,
    exitCode: EXIT.ok,
  };
}

/** The old run is closed: its window ended (if it opened one), the run ended with why, the timeline told. */
function closeInterrupted(deps: UpgradeDeps, d: Extract<ResumeDecision, { kind: 'close-then-fresh' }>): void {
  const at = iso(deps.now());
  if (d.interrupted === 'apt') recordInterruptedApt(deps, d.run.id);
  const w = d.run.maintenanceId === null ? null : deps.store.endMaintenanceWindow(d.run.maintenanceId, at);
  deps.store.endUpgradeRun(d.run.id, { at, outcome: d.outcome });
  const why =
    d.outcome === 'abandoned'
      ? `stopped${d.interrupted ? ` at ${d.interrupted}` : ''}, before its maintenance window opened (nothing on the host had changed)`
      : d.outcome === 'not-rebooted'
        ? `waiting for a reboot that did not come; its maintenance window ${w?.id ?? ''} ended at ${w?.endedAt ?? w?.endsAt ?? 'its end time'}`
        : `stopped${d.interrupted ? ` at ${d.interrupted}` : ''}; its maintenance window ${w?.id ?? ''} ended at ${w?.endedAt ?? w?.endsAt ?? 'its end time'}`;
  deps.store.appendTimeline({
    kind: TIMELINE_KINDS.upgradeStep,
    subject: 'closed',
    message: `upkeep upgrade run ${d.run.id} closed: ${why}`,
    data: { run: d.run.id, step: d.interrupted, status: 'closed', outcome: d.outcome, window: w?.id ?? null },
  });
  deps.onEvent({
    type: 'resume',
    line: `run ${d.run.id} (started ${d.run.startedAt}) was ${why}: closed${w !== null ? ` (its report: upkeep report ${w.id})` : ''}; a new run starts`,
  });
  if (d.repairDpkg) deps.onEvent({ type: 'note', line: 'its apt was interrupted: dpkg --configure -a runs before apt' });
}

/** The apt run an interruption cut short ends in the timeline when the rerun sees it (its real end is not known). */
function recordInterruptedApt(deps: UpgradeDeps, runId: number): void {
  deps.store.appendTimeline({
    kind: TIMELINE_KINDS.aptEnded,
    subject: null,
    message: 'apt was interrupted (upkeep upgrade was killed, or the machine went down); seen by the next upkeep upgrade',
    data: { exitCode: null, failure: 'interrupted', run: runId },
  });
}

async function dryRun(deps: UpgradePreviewDeps, req: Pick<UpgradeRequest, 'mode' | 'acceptRisk'>, decision: ResumeDecision): Promise<UpgradeResult> {
  if (decision.kind === 'continue' || decision.kind === 'close-then-fresh')
    deps.onEvent({
      type: 'resume',
      line:
        decision.kind === 'continue'
          ? `run ${decision.run.id} was interrupted: upkeep upgrade would continue it from ${decision.from}`
          : `run ${decision.run.id} was interrupted: upkeep upgrade would close it (${decision.outcome}) and start a new run`,
    });
  if (decision.kind === 'waiting-reboot')
    deps.onEvent({
      type: 'resume',
      line: decision.rebooted
        ? `run ${decision.run.id} waits for its reboot, and the host has rebooted: upkeep upgrade --resume would finish it`
        : `run ${decision.run.id} waits for its reboot (asked for at ${decision.waiting.requestedAt}); the host has not rebooted yet`,
    });
  const state = await deps.readHost();
  const check = await deps.check(state);
  deps.onEvent({ type: 'step-done', step: 'check', line: check.line, ok: !check.risk });
  const simulation = await deps.upgrader.simulate(req.mode);
  const assessment = await deps.assess(simulation, aptSource(req.mode), false);
  const gate = gateDecision(assessment.report, req.acceptRisk);
  deps.onEvent({ type: 'preflight', assessment, gate });
  return { ...emptyResult(decision.kind), outcome: 'dry-run', assessment, gate, exitCode: gate.go ? EXIT.ok : EXIT.findings };
}

function aptSource(mode: UpgradeMode): string {
  return mode === 'upgrade' ? 'apt-get -s upgrade --with-new-pkgs' : 'apt-get -s dist-upgrade';
}

/** The package list of the run, from the preflight step's record (a resumed run did not assess again). */
function packagesOf(run: UpgradeRun): Array<{ name: string; from: string | null; to: string | null }> {
  const rec = [...run.records].reverse().find((r) => r.step === 'preflight' && r.status === 'finished');
  const list = rec?.detail?.packages;
  return Array.isArray(list) ? (list as Array<{ name: string; from: string | null; to: string | null }>) : [];
}

async function execute(
  deps: UpgradeDeps,
  req: UpgradeRequest,
  run: UpgradeRun,
  steps: readonly UpgradeStep[],
  repairDpkg: boolean,
  decision: ResumeDecision['kind'],
  /** Set when the run continues after the reboot it waited for. */
  afterBoot: RebootWait | null,
): Promise<UpgradeResult> {
  const { store } = deps;
  const result: UpgradeResult = { ...emptyResult(decision), runId: run.id, maintenanceId: run.maintenanceId };
  let apt: { ok: boolean } | null = null;
  let verification: { ok: boolean; checksOk: boolean } | null = null;
  const record = (r: StepRecord) => {
    store.recordUpgradeStep(run.id, r);
    run.records.push(r);
  };
  const end = (outcome: RunOutcome): UpgradeResult => {
    store.endUpgradeRun(run.id, { at: iso(deps.now()), outcome });
    store.appendTimeline({
      kind: TIMELINE_KINDS.upgradeStep,
      subject: 'ended',
      message: `upkeep upgrade run ${run.id} ended: ${outcome}`,
      data: { run: run.id, step: null, status: 'ended', outcome, window: result.maintenanceId },
    });
    result.outcome = outcome;
    result.exitCode = OUTCOME_EXIT[outcome];
    return result;
  };

  /** Journals and announces one step around `fn`, which returns its line, whether it went well and what to record. */
  const step = async (name: UpgradeStep, fn: () => Promise<{ line: string; ok: boolean; detail?: Record<string, unknown> }>) => {
    record({ step: name, status: 'started', at: iso(deps.now()), detail: null });
    deps.onEvent({ type: 'step-start', step: name });
    let r: { line: string; ok: boolean; detail?: Record<string, unknown> };
    try {
      r = await fn();
    } catch (err) {
      record({ step: name, status: 'failed', at: iso(deps.now()), detail: { error: (err as Error).message } });
      deps.onEvent({ type: 'step-done', step: name, line: `could not run: ${(err as Error).message}`, ok: false });
      throw err;
    }
    const status = r.ok ? 'finished' : 'failed';
    record({ step: name, status, at: iso(deps.now()), detail: { line: r.line, ...(r.detail ?? {}) } });
    store.appendTimeline({
      kind: TIMELINE_KINDS.upgradeStep,
      subject: name,
      message: `upkeep upgrade: ${name}: ${r.line}`,
      data: { run: run.id, step: name, status },
    });
    deps.onEvent({ type: 'step-done', step: name, line: r.line, ok: r.ok });
    return r;
  };

  /** After a failure once the window is open: close it (never left open) and end the run. */
  const windowOpen = () =>
    run.records.some((r) => r.step === 'window-open' && r.status === 'finished') &&
    !run.records.some((r) => r.step === 'window-close' && r.status === 'finished');
  try {
    for (const name of steps) {
      switch (name) {
        case 'check': {
          await step('check', async () => {
            const c = await deps.check(await deps.readHost());
            return { line: c.line, ok: true, detail: { risk: c.risk } };
          });
          break;
        }
        case 'preflight': {
          let gate: GateDecision | null = null;
          await step('preflight', async () => {
            const simulation = await deps.upgrader.simulate(req.mode);
            const a = await deps.assess(simulation, aptSource(req.mode), true);
            gate = gateDecision(a.report, req.acceptRisk);
            result.assessment = a;
            result.gate = gate;
            deps.onEvent({ type: 'preflight', assessment: a, gate });
            const r = a.report;
            const line = `${r.summary.packages} package(s); ${r.docker.restarts ? `docker.service restarts, ${r.summary.containersStop} container(s) stop` : 'docker.service does not restart'}; verdict ${r.verdict}${gate.go ? '' : `: stopped, ${[...(gate.atRisk.length > 0 ? [`${gate.atRisk.length} container(s) would not come back`] : []), ...(gate.spaceShort.length > 0 ? [`too little disk space on ${gate.spaceShort.length} filesystem(s)`] : [])].join(', ')}`}`;
            return {
              line,
              ok: gate.go,
              detail: {
                verdict: r.verdict,
                packages: r.packages.map((p) => ({ name: p.name, from: p.from, to: p.to })),
                atRisk: gate.atRisk.map((c) => c.name),
                spaceShort: gate.spaceShort,
                accepted: gate.go && (gate.atRisk.length > 0 || gate.spaceShort.length > 0),
              },
            };
          });
          const g = gate as GateDecision | null;
          if (g !== null && !g.go) return end('stopped-at-gate');
          if (deps.confirm !== null && result.assessment !== null && g !== null && !(await deps.confirm(result.assessment, g))) return end('declined');
          break;
        }
        case 'snapshot': {
          await step('snapshot', async () => {
            const state = await deps.readHost();
            const s = await takeSnapshot({ store, readTextFile: deps.readTextFile, now: deps.now }, state, { note: 'before upgrade', by: 'upgrade' });
            for (const n of s.notes) deps.onEvent({ type: 'note', line: n });
            const rollback = deps.prepareRollback === undefined ? null : await deps.prepareRollback(packagesOf(run));
            if (rollback !== null) deps.onEvent({ type: 'note', line: rollbackSummary(rollback) });
            return {
              line: `snapshot ${s.saved.id}: ${s.built.snapshot.containers.length} desired container(s)`,
              ok: true,
              detail: { snapshot: s.saved.id, ...(rollback === null ? {} : { rollback }) },
            };
          });
          break;
        }
        case 'window-open': {
          await step('window-open', async () => {
            const now = deps.now();
            const w = store.startMaintenance({
              source: 'upgrade',
              reason: `upkeep upgrade run ${run.id} (--mode ${req.mode})`,
              at: iso(now),
              endsAt: iso(now + req.windowMs),
            });
            store.setUpgradeRunWindow(run.id, w.id);
            run.maintenanceId = w.id;
            result.maintenanceId = w.id;
            store.appendTimeline({
              kind: TIMELINE_KINDS.maintenanceStart,
              subject: w.source,
              message: `maintenance window opened: ${w.source} since ${w.startedAt}, until ${w.endsAt} (${w.reason ?? ''})`,
              data: w,
            });
            return { line: `window ${w.id}, until ${w.endsAt} at the latest`, ok: true, detail: { window: w.id, endsAt: w.endsAt } };
          });
          break;
        }
        case 'apt': {
          await step('apt', async () => {
            const packages = packagesOf(run);
            const startedAt = deps.now();
            store.appendTimeline({
              at: iso(startedAt),
              kind: TIMELINE_KINDS.aptStarted,
              subject: null,
              message: `apt started: ${packages.length} package(s) (${aptSource(req.mode).replace(' -s', '')})${repairDpkg ? ', after dpkg --configure -a' : ''}`,
              data: { packages, mode: req.mode, run: run.id, window: run.maintenanceId },
            });
            const watch = watchEngine(deps);
            const r = await deps.upgrader
              .run(req.mode, { repairDpkg, onStatus: (status) => deps.onEvent({ type: 'apt-status', status }) })
              .finally(() => watch.stop());
            const samples = await watch.samples;
            const endedAt = deps.now();
            store.appendTimeline({
              at: iso(endedAt),
              kind: TIMELINE_KINDS.aptEnded,
              subject: null,
              message: r.code === 0 ? 'apt finished' : `apt failed (${r.failure ?? `exit ${r.code}`})`,
              data: {
                exitCode: r.code,
                failure: r.failure,
                run: run.id,
                log: r.logFile,
                pings: { sent: samples.length, unanswered: samples.filter((x) => !x.ok).length },
              },
            });
            apt = { ok: r.code === 0 };
            await recordContainersDuringApt(deps, startedAt, endedAt, samples);
            const why = r.failure ?? `exit ${r.code}`;
            return r.code === 0
              ? { line: `${packages.length} package(s) upgraded`, ok: true, detail: { exitCode: 0, log: r.logFile } }
              : {
                  line: `apt-get failed (${why})${r.tail.length ? `: ${r.tail[r.tail.length - 1]}` : ''}${r.logFile ? `; the whole output is in ${r.logFile}` : ''}`,
                  ok: false,
                  detail: { exitCode: r.code, failure: r.failure, tail: r.tail, log: r.logFile },
                };
          });
          break;
        }
        case 'reboot': {
          if (afterBoot !== null) {
            await step('reboot', async () => recordBoot(deps, run, afterBoot));
            break;
          }
          const plan = rebootPlan(await deps.rebootRequirement.rebootRequired(), req.reboot === true);
          if (plan.kind === 'reboot') {
            await rebootNow(deps, run, plan.why, record);
            result.outcome = 'rebooting';
            result.rebootRequired = plan.why;
            result.exitCode = EXIT.ok;
            return result;
          }
          if (plan.kind === 'advise') result.rebootRequired = plan.why;
          if (plan.kind === 'unknown') result.rebootUnknown = plan.why;
          await step('reboot', async () =>
            plan.kind === 'none'
              ? { line: 'no reboot required', ok: true, detail: { required: false } }
              : plan.kind === 'unknown'
                ? {
                    line: `whether a reboot is required is not known (${plan.why}); not rebooting`,
                    ok: true,
                    detail: { required: null, rebooted: false, why: [plan.why] },
                  }
                : {
                    line: `a reboot is required (${plan.why.join('; ')}); not rebooting without --reboot`,
                    ok: true,
                    detail: { required: true, rebooted: false, why: plan.why },
                  },
          );
          break;
        }
        case 'recovery': {
          await step('recovery', async () => {
            const { result: rr, desired } = await recoverHost(store, deps.recovery, { run: deps.recoveryRun, summary: recoverySummary });
            return {
              line: recoverySummary(rr, desired.containers.length),
              ok: rr.remaining.length === 0,
              detail: {
                started: rr.outcomes.filter((o) => o.outcome === 'started' || o.outcome === 'recreated').map((o) => o.container),
                remaining: rr.remaining.map((r) => r.container),
              },
            };
          });
          break;
        }
        case 'verification': {
          await step('verification', async () => {
            const { desired, diff } = await diffHost(store, deps.recovery);
            const v = verificationOutcome(desired.containers.length, diff.notRunning);
            result.notRunning = diff.notRunning.map((n) => n.container);
            const state = await deps.readHost();
            // The configured health checks, once each, with their timeouts; a failing one needs attention.
            result.checks = await deps.runHealthChecks(state);
            const checks = checksOutcome(result.checks);
            verification = { ok: v.ok, checksOk: checks.ok };
            for (const c of result.checks.filter((x) => !x.ok))
              store.appendTimeline({
                kind: TIMELINE_KINDS.unhealthy,
                subject: c.container,
                message: `${c.container}: health check ${c.check} failing at upkeep upgrade's verification (${c.detail})`,
                data: { check: c.check, detail: c.detail, service: c.service, source: 'upgrade-verification', run: run.id },
              });
            // Like needrestart, but saying what the pending restart will do to the containers.
            const replaced = replacedBinaries(await deps.readDaemonProcesses());
            const pending = replaced.length === 0 ? [] : pendingRestartLines(replaced, state.containers, state.daemon);
            result.pendingRestarts = pending;
            return {
              line: [v.line, ...(checks.line === null ? [] : [checks.line]), ...pending].join('; '),
              ok: v.ok && checks.ok,
              detail: { notRunning: result.notRunning, pendingRestarts: pending, checks: result.checks },
            };
          });
          break;
        }
        case 'window-close': {
          await step('window-close', async () => closeWindow(deps, run));
          break;
        }
        case 'report': {
          await step('report', async () => {
            if (run.maintenanceId === null) return { line: 'no maintenance window: no report', ok: true };
            result.report = makeReport(store, { maintenanceId: run.maintenanceId }, deps.now());
            const r = result.report;
            return { line: `report of maintenance ${run.maintenanceId}: severity ${r.severity.level}`, ok: true, detail: { maintenance: run.maintenanceId } };
          });
          break;
        }
      }
    }
  } catch (err) {
    // A step could not run: the window is closed (never left open), the run ended as failed.
    if (windowOpen()) {
      try {
        closeWindow(deps, run);
      } catch {
        /* the window still ends by itself at its end time */
      }
    }
    try {
      end('failed');
    } catch {
      /* the journal itself failed: the rerun will see an unfinished run and decide */
    }
    throw err;
  }
  // A resumed run that did not run apt now (it finished earlier) reads its outcome from the journal.
  apt ??= aptFromJournal(run);
  return end(finalOutcome(apt, verification, req.reboot === true && result.rebootUnknown !== null));
}

function aptFromJournal(run: UpgradeRun): { ok: boolean } | null {
  const rec = [...run.records].reverse().find((r) => r.step === 'apt' && r.status !== 'started');
  return rec === undefined ? null : { ok: rec.status === 'finished' };
}

/**
 * `--reboot` with a reboot required: the journal says the run waits for it (with this boot's id),
 * the timeline has the reboot, the window stays open (its end time still set), then the host is asked
 * to reboot. The run is not ended: the resume after the boot finishes it.
 */
async function rebootNow(deps: UpgradeDeps, run: UpgradeRun, why: string[], record: (r: StepRecord) => void): Promise<void> {
  const boot = await deps.boot.readBoot();
  if (boot === null)
    throw new UpkeepError("this boot's id cannot be read (/proc/sys/kernel/random/boot_id): upkeep could not tell afterwards that the reboot happened", {
      hint: 'reboot by hand when the run has ended; the agent (or upkeep recover) brings the desired containers back',
    });
  deps.onEvent({ type: 'step-start', step: 'reboot' });
  const at = iso(deps.now());
  record({ step: 'reboot', status: 'started', at, detail: { waiting: true, bootId: boot.id, why, command: deps.rebooter.command } });
  const host = await deps.readHost().then(
    (s) => s.host.name,
    () => null,
  );
  const w = run.maintenanceId === null ? null : deps.store.getMaintenance(run.maintenanceId);
  deps.store.appendTimeline({
    at,
    kind: TIMELINE_KINDS.reboot,
    subject: host,
    message: `upkeep upgrade run ${run.id} reboots the host (${why.join('; ')})`,
    data: { run: run.id, window: run.maintenanceId, bootId: boot.id, why, command: deps.rebooter.command },
  });
  deps.onEvent({
    type: 'note',
    line: `the maintenance window ${run.maintenanceId ?? '?'} stays open (until ${w?.endsAt ?? 'its end time'} at the latest); after the boot the agent, or upkeep upgrade --resume, finishes run ${run.id}: recovery pass, verification, window closed, report`,
  });
  try {
    await deps.rebooter.reboot();
  } catch (err) {
    record({ step: 'reboot', status: 'failed', at: iso(deps.now()), detail: { error: (err as Error).message } });
    deps.onEvent({ type: 'step-done', step: 'reboot', line: `could not reboot: ${(err as Error).message}`, ok: false });
    throw err;
  }
  deps.onEvent({ type: 'step-done', step: 'reboot', line: `rebooting now (${deps.rebooter.command}; ${why.join('; ')})`, ok: true });
}

/** After the boot: the boot in the timeline (once: the agent's own reconstruction may have it), the reboot step finished. */
async function recordBoot(deps: UpgradeDeps, run: UpgradeRun, waiting: RebootWait): Promise<{ line: string; ok: boolean; detail: Record<string, unknown> }> {
  const boot = await deps.boot.readBoot();
  const now = deps.now();
  const t = bootEntryTime(boot?.bootTime ?? null, Date.parse(waiting.requestedAt), now);
  const known = deps.store.timeline({ kind: TIMELINE_KINDS.boot, since: waiting.requestedAt }).some((e) => e.detail?.bootId === boot?.id);
  if (!known) {
    const host = await deps.readHost().then(
      (s) => s.host.name,
      () => null,
    );
    deps.store.appendTimeline({
      at: iso(t.at),
      kind: TIMELINE_KINDS.boot,
      subject: host,
      message: `${host ?? 'the host'} booted (after upkeep upgrade run ${run.id} rebooted it)${t.seen ? '; seen at this time' : ''}`,
      data: { bootId: boot?.id ?? null, previousBootId: waiting.bootId, bootTime: t.seen ? null : iso(t.at), run: run.id },
    });
  }
  return {
    line: `the host rebooted (boot id ${waiting.bootId.slice(0, 8)} -> ${boot?.id.slice(0, 8) ?? '?'}, ${t.seen ? 'seen' : 'booted'} at ${iso(t.at)})`,
    ok: true,
    detail: { rebooted: true, bootId: boot?.id ?? null, previousBootId: waiting.bootId },
  };
}

function closeWindow(deps: UpgradeDeps, run: UpgradeRun): { line: string; ok: boolean } {
  if (run.maintenanceId === null) return { line: 'no window was open', ok: true };
  const w = deps.store.endMaintenanceWindow(run.maintenanceId, iso(deps.now()));
  if (w === null) return { line: `window ${run.maintenanceId} is not in the store`, ok: false };
  deps.store.appendTimeline({
    kind: TIMELINE_KINDS.maintenanceStop,
    subject: w.source,
    message: `maintenance window closed: ${w.source} since ${w.startedAt}, ended ${w.endedAt ?? w.endsAt}`,
    data: w,
  });
  return { line: `window ${w.id} closed at ${w.endedAt ?? w.endsAt}`, ok: true };
}

/**
 * Watches the engine until stopped: while it answers, its event stream is held open (the stream
 * ends when the daemon goes away) and it is pinged every pingEveryMs; while it does not, it is
 * pinged until it answers again. The samples show the daemon's restarts during apt.
 */
function watchEngine(deps: UpgradeDeps): { stop(): void; samples: Promise<EngineSample[]> } {
  let running = true;
  const stopper = new AbortController();
  const stopped = new Promise<'stopped'>((resolve) => stopper.signal.addEventListener('abort', () => resolve('stopped'), { once: true }));
  const samples = (async () => {
    const out: EngineSample[] = [];
    let gone: Promise<'gone'> | null = null;
    while (running) {
      const ok = await deps.engineAnswers();
      out.push({ at: deps.now(), ok });
      if (!ok) gone = null;
      else gone ??= deps.engineGone(stopper.signal).then(() => 'gone' as const);
      const next = await Promise.race([...(gone === null ? [] : [gone]), deps.sleep(deps.pingEveryMs).then(() => 'tick' as const), stopped]);
      if (next === 'gone' && running) {
        out.push({ at: deps.now(), ok: false });
        gone = null;
      }
    }
    return out;
  })();
  return {
    stop: () => {
      running = false;
      stopper.abort();
    },
    samples,
  };
}

/**
 * What happened to the engine and the containers while apt ran: the daemon's silences (from the
 * pings) and the containers' stops and starts at the engine's own times (core/upgrade/apt-run-entries.ts).
 */
async function recordContainersDuringApt(deps: UpgradeDeps, startedAt: number, endedAt: number, samples: readonly EngineSample[]): Promise<void> {
  let state: HostState;
  try {
    state = await deps.readHost();
  } catch (err) {
    deps.onEvent({ type: 'note', line: `the containers could not be read after apt (${(err as Error).message}): the recovery pass waits for the engine` });
    return;
  }
  const containerEntries = aptRunEntries({ aptStartedAt: startedAt, aptEndedAt: endedAt, host: state.host.name, containers: state.containers });
  const containerStops = containerEntries.filter((e) => e.kind === TIMELINE_KINDS.containerDied).map((e) => Date.parse(e.at));
  // The daemon's stop first (its shutdown began with the containers' stops), then the containers.
  const entries = [...engineEntries(samples, { host: state.host.name, aptStartedAt: startedAt, containerStops }), ...containerEntries].sort(
    (a, b) => compareText(a.at, b.at) || Number(b.kind === TIMELINE_KINDS.engineDown) - Number(a.kind === TIMELINE_KINDS.engineDown),
  );
  // The engine's silences were seen live (pings); the containers' stops and starts are read back afterwards.
  for (const e of entries)
    deps.store.appendTimeline({
      at: e.at,
      kind: e.kind,
      subject: e.subject,
      message: e.message,
      data: e.data,
      reconstructed: e.kind !== TIMELINE_KINDS.engineDown && e.kind !== TIMELINE_KINDS.engineUp,
    });
}

function recoverySummary(r: RecoveryResult, desiredCount: number): string {
  if (r.nothingToDo) return `nothing to do: every desired container runs (${r.plan.summary.running} of ${desiredCount})`;
  const started = r.outcomes.filter((o) => o.outcome === 'started' || o.outcome === 'recreated').map((o) => o.container);
  if (r.remaining.length === 0) return `brought back ${started.join(', ') || 'nothing'} in ${r.seconds} s; every desired container runs`;
  return `${r.remaining.length} desired container(s) still not running: ${r.remaining.map((e) => e.container).join(', ')} (after ${r.seconds} s)`;
}
