/** The package upgrade itself (adapters/apt/run-upgrade.ts): apt-get, simulated and for real. */
import type { AptStatus, UpgradeMode } from '../core/upgrade/routine.js';

export interface AptRunResult {
  /** apt-get's exit code, or null when it could not start or was killed by a signal. */
  code: number | null;
  /** Why it could not run or what killed it, when code is null. */
  failure: string | null;
  /** The last lines apt and dpkg printed (for an error message). */
  tail: string[];
  /** Where the whole output was written, or null. */
  logFile: string | null;
}

export interface PackageUpgrader {
  /** `apt-get -s` of the mode's command, with the same options as the run: its stdout. @throws UpkeepError when apt cannot simulate. */
  simulate(mode: UpgradeMode): Promise<string>;
  /**
   * Runs the upgrade, non-interactive, with the stated conffile policy (core/upgrade/routine.ts).
   * `repairDpkg`: first `dpkg --configure -a` (an earlier run was interrupted inside dpkg).
   * `onStatus` gets apt's status-fd lines as they come. Never throws for a failed apt: see `code`.
   */
  run(mode: UpgradeMode, opts: { repairDpkg: boolean; onStatus(status: AptStatus): void }): Promise<AptRunResult>;
}
