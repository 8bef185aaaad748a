/** This boot's id and time, for the timeline's reconstruction of reboots (Linux /proc). */
import { readFile } from 'node:fs/promises';

/** /proc/sys/kernel/random/boot_id and the boot time from /proc/stat (btime); null where unreadable. */
export async function readBoot(): Promise<{ id: string; bootTime: number | null } | null> {
  let id: string;
  try {
    id = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
  } catch {
    return null;
  }
  let bootTime: number | null = null;
  try {
    const m = /^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'));
    if (m) bootTime = Number(m[1]) * 1000;
  } catch {
    /* unknown */
  }
  return { id, bootTime };
}
