/**
 * The evidence cache's file (`preflight-evidence.json` in the state directory; what is kept and
 * why that is sound: core/preflight/evidence-cache.ts). Its key adds to apt's simulation key the
 * identity of dpkg's info directory (where the installed maintainer scripts and file lists are:
 * dpkg adds and replaces files there by rename, which changes the directory).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { EvidenceCacheStore } from '../../ports/evidence-cache.js';
import { evidenceCacheEntry, evidenceCacheKey, readEvidenceCache } from '../../core/preflight/evidence-cache.js';
import { readOwnedCacheFile, writeCacheFile } from '../files/cache-file.js';
import { dpkgInfoDir } from './dpkg-location.js';

/** Larger than any real cache (137 packages: about 100 KiB); a larger file is not ours to believe. */
const MAX_BYTES = 16 << 20;

export function evidenceCacheFile(stateDir: string): string {
  return join(stateDir, 'preflight-evidence.json');
}

/** The evidence cache in `stateDir`, keyed also on `infoDir` (default: dpkg's, core/preflight/dpkg-location.ts). */
export function evidenceCacheStore(opts: { stateDir: string; upkeepVersion: string; infoDir?: string }): EvidenceCacheStore {
  const file = evidenceCacheFile(opts.stateDir);
  const key = async (simulationKey: string) => {
    const s = await stat(opts.infoDir ?? (await dpkgInfoDir()), { bigint: true });
    const dpkgInfo = `${s.dev}:${s.ino}:${s.mtimeNs}:${s.ctimeNs}`;
    return evidenceCacheKey({ simulationKey, dpkgInfo, upkeepVersion: opts.upkeepVersion });
  };
  // The key of the read, taken before the scripts were read: the evidence read after it is written
  // under it, so a dpkg run meanwhile makes the next run miss rather than hit what it changed.
  let keyOfRead: { simulationKey: string; key: Promise<string> } | null = null;
  const keyFor = (simulationKey: string) => (keyOfRead?.simulationKey === simulationKey ? keyOfRead.key : key(simulationKey));
  return {
    async read(simulationKey) {
      keyOfRead = { simulationKey, key: key(simulationKey) };
      keyOfRead.key.catch(() => undefined); // awaited below, or by write(); not awaited when there is no file
      const owned = await readOwnedCacheFile(file, MAX_BYTES);
      if (owned.text === null) return { entries: null, why: owned.why };
      const r = readEvidenceCache(owned.text, await keyOfRead.key);
      return r.ok ? { entries: r.entries } : { entries: null, why: r.why };
    },
    async write(simulationKey, entries) {
      await writeCacheFile(opts.stateDir, file, `${JSON.stringify(evidenceCacheEntry(await keyFor(simulationKey), entries))}\n`);
    },
  };
}
