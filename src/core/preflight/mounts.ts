/**
 * Which mount a path is on, from `/proc/self/mountinfo` (proc(5)). Pure: the adapter
 * (adapters/files/filesystems.ts) reads the file and resolves the path's symlinks first.
 */

/** One line of mountinfo. */
export interface MountEntry {
  /** `major:minor` of the filesystem: two mounts with the same one share its space (bind mounts). */
  device: string;
  mountPoint: string;
  fsType: string;
  /** The mount source (a device path, or for ZFS `pool/dataset`). */
  source: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Reads mountinfo: one entry per well-formed line, in the file's order (a later mount over the same point hides an earlier one). */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (fields.length < 10 || dash < 0 || !/^\d+:\d+$/.test(fields[2]!) || fields[dash + 1] === undefined) continue;
    out.push({ device: fields[2]!, mountPoint: unescape(fields[4]!), fsType: fields[dash + 1]!, source: unescape(fields[dash + 2] ?? '') });
  }
  return out;
}

/**
 * The mount an absolute, symlink-free path is on: the longest mount point that contains it, the
 * last mounted when several mounts share that point. Null when none does (no / in the table).
 */
export function mountOf(path: string, mounts: readonly MountEntry[]): MountEntry | null {
  let best: MountEntry | null = null;
  for (const m of mounts) {
    const inside = m.mountPoint === '/' || path === m.mountPoint || path.startsWith(`${m.mountPoint}/`);
    if (inside && (best === null || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

/**
 * What shares free space with what: ZFS datasets of one pool each have a device number of their
 * own, yet (without a quota) each reports the pool's free space, so what the upgrade writes to
 * two of them comes out of one pool: `zfs:POOL`. Everything else: the device (`major:minor`; bind
 * mounts and btrfs subvolumes share it).
 */
export function spaceGroupOf(m: Pick<MountEntry, 'device' | 'fsType' | 'source'>): string {
  if (m.fsType === 'zfs' && m.source !== '') return `zfs:${m.source.split('/')[0]}`;
  return m.device;
}
