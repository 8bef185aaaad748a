/**
 * The filesystem each path is on and its free space: the path's symlinks resolved (a missing path:
 * its nearest existing parent, where it would be created), its mount from /proc/self/mountinfo
 * (core/preflight/mounts.ts), and `statfs` for the free and total bytes.
 */
import { readFile, realpath, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PathFilesystem } from '../../core/preflight/disk-space.js';
import { mountOf, parseMountInfo } from '../../core/preflight/mounts.js';

/** The nearest existing ancestor of `path` (itself when it exists), symlinks resolved. */
async function existingReal(path: string): Promise<string> {
  let p = path;
  for (;;) {
    try {
      return await realpath(p);
    } catch (err) {
      const parent = dirname(p);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === p) throw err;
      p = parent;
    }
  }
}

/** bigint bytes as a number (exact up to 2^53; larger filesystems lose only the low digits). */
function toNumber(b: bigint): number {
  return Number(b);
}

/**
 * For each of `paths` (absolute), its filesystem: device, mount point, type, free bytes for
 * unprivileged writers (f_bavail) and total bytes; or why it could not be read. Never throws.
 */
export async function filesystemsOf(paths: readonly string[], opts: { mountInfoPath?: string } = {}): Promise<Map<string, PathFilesystem>> {
  const out = new Map<string, PathFilesystem>();
  let mounts: ReturnType<typeof parseMountInfo>;
  try {
    mounts = parseMountInfo(await readFile(opts.mountInfoPath ?? '/proc/self/mountinfo', 'utf8'));
  } catch (err) {
    for (const p of paths) out.set(p, { problem: `mount table not read: ${(err as Error).message}` });
    return out;
  }
  await Promise.all(
    paths.map(async (path) => {
      let real: string;
      try {
        real = await existingReal(path);
      } catch (err) {
        out.set(path, { problem: `${path}: ${(err as Error).message}` });
        return;
      }
      const m = mountOf(real, mounts);
      if (m === null) {
        out.set(path, { problem: `${real} is on no mount listed in the mount table` });
        return;
      }
      try {
        const s = await statfs(real, { bigint: true });
        out.set(path, {
          device: m.device,
          mountPoint: m.mountPoint,
          fsType: m.fsType,
          source: m.source,
          freeBytes: toNumber(s.bavail * s.bsize),
          totalBytes: toNumber(s.blocks * s.bsize),
        });
      } catch (err) {
        out.set(path, {
          device: m.device,
          mountPoint: m.mountPoint,
          fsType: m.fsType,
          source: m.source,
          freeBytes: null,
          totalBytes: null,
          problem: `statfs ${real}: ${(err as Error).message}`,
        });
      }
    }),
  );
  return out;
}
