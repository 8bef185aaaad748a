/**
 * The host's boot and reboot, as `upkeep upgrade --reboot` and `--resume` use them: this boot's id
 * (to tell, after the boot, that the reboot happened), whether apt left a reboot required, and the
 * reboot itself (adapters/systemd/reboot.ts: `systemctl reboot`; tests inject a fake).
 */

/** This boot: its id (/proc/sys/kernel/random/boot_id) and when the kernel booted (ms), if known. */
export interface BootInfo {
  id: string;
  bootTime: number | null;
}

export interface BootReader {
  /** This boot, or null when it cannot be read. Never throws. */
  readBoot(): Promise<BootInfo | null>;
}

/** Whether a reboot is required now: `why` non-empty: it is; empty with `unknown`: not known (why); both empty: it is not. */
export interface RebootAnswer {
  /** /var/run/reboot-required and its packages, a newer kernel installed than the one running. */
  why: string[];
  /** Why the answer is not known (the flag or the installed kernels could not be read), when `why` is empty; else null. */
  unknown: string | null;
}

export interface RebootRequirement {
  /** Whether a reboot is required now. Never throws: what could not be read is `unknown`. */
  rebootRequired(): Promise<RebootAnswer>;
}

export interface Rebooter {
  /** What it runs, for people ("systemctl reboot"). */
  readonly command: string;
  /** Asks the host to reboot; resolves once asked (the shutdown follows). @throws UpkeepError when it could not ask. */
  reboot(): Promise<void>;
}
