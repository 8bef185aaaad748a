/**
 * The slow facts about the host the agent reads at start and then hourly (agent/host-facts.ts),
 * for /metrics and the status page's host line.
 */
export interface HostFacts {
  pendingUpgrades: number | null;
  /** Why pendingUpgrades is null (apt's simulation failed: its message). */
  pendingWhy?: string | null;
  /** null: not known (the reboot-required flag could not be read; `why` says why). */
  rebootRequired: boolean | null;
  /** Why a reboot is required (the reasons joined), why it is not known, or null. */
  why: string | null;
  /** PRETTY_NAME of /etc/os-release, or null with why. Absent: not read (a stand-in reader). */
  os?: { name: string | null; why: string | null };
  /** `uname -r` and the newest installed kernel image, each null with why. Absent: not read. */
  kernel?: { running: string | null; newestInstalled: string | null; why: string | null };
  /** The packages /var/run/reboot-required.pkgs names (empty: none, or no flag). */
  rebootPackages?: string[];
}
