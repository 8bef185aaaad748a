/**
 * The journal of `upkeep upgrade` runs: each run and, per step, when it started, finished or failed
 * (core/upgrade/routine.ts). Written before and after every step, so that a rerun after SIGKILL or
 * power loss knows where the last run stopped.
 */
import type { MaintenanceWindow } from './maintenance.js';
import type { RunOutcome, StepRecord, UpgradeMode, UpgradeRun } from '../core/upgrade/routine.js';

export interface UpgradeJournalRepository {
  /** Records a new run (not ended) and returns it. */
  startUpgradeRun(opts: { mode: UpgradeMode; pid: number; at: string }): UpgradeRun;
  /** Appends one step record to run `runId`. */
  recordUpgradeStep(runId: number, record: StepRecord): void;
  /** Attaches the maintenance window the run opened. */
  setUpgradeRunWindow(runId: number, maintenanceId: number): void;
  /** Ends the run (once: a run already ended keeps its outcome). */
  endUpgradeRun(runId: number, opts: { at: string; outcome: RunOutcome }): void;
  /** The newest run with its records, or null. */
  latestUpgradeRun(): UpgradeRun | null;
  /**
   * Ends one maintenance window by id at `at` (a window already ended, or whose end time passed, keeps
   * its end); returns it as it is then, or null when there is none.
   */
  endMaintenanceWindow(id: number, at: string): MaintenanceWindow | null;
}
