/** This boot's id and time, for the timeline's reconstruction of reboots (Linux /proc): adapters/proc/boot-id.ts. */
import { readBoot as readBootFrom } from '../adapters/proc/boot-id.js';

/** /proc/sys/kernel/random/boot_id and the boot time from /proc/stat (btime); null where unreadable. */
export function readBoot(): Promise<{ id: string; bootTime: number | null } | null> {
  return readBootFrom();
}
