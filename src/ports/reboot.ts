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

export interface RebootRequirement {
  /** Why a reboot is required now (/var/run/reboot-required and its packages, a newer kernel installed than the one running); empty: none. Never throws. */
  rebootRequired(): Promise<string[]>;
}

export interface Rebooter {
  /** What it runs, for people ("systemctl reboot"). */
  readonly command: string;
  /** Asks the host to reboot; resolves once asked (the shutdown follows). @throws UpkeepError when it could not ask. */
  reboot(): Promise<void>;
}
