/** The throwaway copy of the host a rehearsal runs the upgrade in (adapters/rehearse/sandbox.ts). */
import type { AptStatus, UpgradeMode } from '../core/upgrade/routine.js';

export interface RehearsalRun {
  mode: UpgradeMode;
  /** `-o` options for apt-get (Dir::Etc::SourceList=..., the tests' private repository). */
  aptOptions: readonly string[];
  /** apt-get --no-download: only what is in apt's cache already. */
  noDownload: boolean;
  /** The other filesystems to overlay besides the root (core/rehearse/layout.ts planLayers), parents first. */
  overlays: readonly string[];
  /** Where the upper layers go instead of a tmpfs (a fresh directory is made inside), or null. */
  scratchDir: string | null;
  /** The tmpfs size limit (bytes): the upper layers, and /tmp inside. */
  sizeBytes: number;
  /** A directory to copy the upper layers to at the end, or null. */
  keepDir: string | null;
}

/** What the upgrade did in the view, as read back (raw: core/rehearse/observations.ts reads it). */
export interface RehearsalRaw {
  /** apt-get's exit code in the view; null when it did not run to its end (killed, or the view could not be built). */
  aptExit: number | null;
  /** Why the view could not be built or the run was cut short, else null. */
  failure: string | null;
  /** apt's and dpkg's output lines (stdout and stderr, in the order read). */
  output: string[];
  /** The recorders' log (tab-separated: tool, package, script, arguments). */
  calls: string;
  /** Conffiles set aside by dpkg or ucf (`/etc/x.dpkg-dist`) with the diff against the file kept. */
  conffiles: Array<{ path: string; diff: string }>;
  /** Files written under /boot (relative to /boot). */
  bootFiles: string[];
  /** /run/reboot-required and its .pkgs in the view, when written. */
  rebootRequired: string | null;
  rebootRequiredPkgs: string | null;
  /**
   * Why what the view left at /run/reboot-required (or its .pkgs) could not be read (a symbolic
   * link, which is not followed), else null. With rebootRequired null: whether the upgrade asks
   * for a reboot is not known.
   */
  rebootUnknownWhy: string | null;
  /** Bytes in the upper layers (what the upgrade wrote). */
  upperBytes: number;
  seconds: number;
}

export interface RehearsalSandbox {
  /** The host's /proc/self/mountinfo. */
  mountinfo(): Promise<string>;
  /** Whether the host runs systemd (/run/systemd/system exists). */
  hostRunsSystemd(): Promise<boolean>;
  /**
   * Runs the upgrade in a throwaway view; never throws for a failing apt (see aptExit). Throws an
   * UpkeepError when what the view left cannot be read back whole (calls.log or another result
   * file that is a link, a FIFO, too large, or changed while read): nothing is reported from an
   * incomplete record. A reboot flag that cannot be read is rebootUnknownWhy instead.
   */
  run(req: RehearsalRun, onStatus: (s: AptStatus) => void): Promise<RehearsalRaw>;
}
