/** This boot's id and time (Linux /proc): the timeline's reboots, and `upkeep upgrade --resume`'s "has the host rebooted?". */
import { readFile } from 'node:fs/promises';
import type { BootInfo } from '../../ports/reboot.js';

export const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

/** The boot id (from `idFile`, default /proc/sys/kernel/random/boot_id) and the boot time from /proc/stat (btime); null where unreadable. */
export async function readBoot(idFile: string = BOOT_ID_FILE): Promise<BootInfo | null> {
  let id: string;
  try {
    id = (await readFile(idFile, 'utf8')).trim();
  } catch {
    return null;
  }
  if (id === '') return null;
  let bootTime: number | null = null;
  try {
    const m = /^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'));
    if (m) bootTime = Number(m[1]) * 1000;
  } catch {
    /* unknown */
  }
  return { id, bootTime };
}
