/**
 * Reads the processes named in `names` from /proc: their executable link and the deleted files
 * they map (core/upgrade/replaced-binaries.ts decides what that means). A process that goes away
 * while it is read, or cannot be read, is left out or read partly; never throws.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessImage } from '../../core/upgrade/replaced-binaries.js';

export async function readProcessImages(names: readonly string[], procDir = '/proc'): Promise<ProcessImage[]> {
  let pids: string[];
  try {
    pids = (await readdir(procDir)).filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  const out: ProcessImage[] = [];
  for (const pid of pids) {
    const name = (await readFile(join(procDir, pid, 'comm'), 'utf8').catch(() => '')).trim();
    if (!names.includes(name)) continue;
    const exe = await readlink(join(procDir, pid, 'exe')).catch(() => null);
    const maps = await readFile(join(procDir, pid, 'maps'), 'utf8').catch(() => '');
    const deletedMappings = maps
      .split('\n')
      .filter((l) => l.endsWith(' (deleted)'))
      .map((l) => l.slice(l.indexOf('/')))
      .filter((p) => p.startsWith('/'));
    out.push({ pid: Number(pid), name, exe, deletedMappings });
  }
  return out;
}
