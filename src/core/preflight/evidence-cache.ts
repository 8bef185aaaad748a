/**
 * The evidence cache: what each pending package's upgrade does to services, as read from its
 * installed maintainer scripts and shipped unit files (app/assess-evidence.ts), kept between runs
 * of `upkeep check` (and `preflight --no-download`) while nothing it was read from can have changed.
 *
 * Sound because those inputs belong to dpkg: the installed scripts (/var/lib/dpkg/info) and the
 * unit files a package ships change only when dpkg installs, removes or configures something, and
 * then dpkg's status file (part of apt's simulation key) and the info directory (part of this
 * key) change too. What changes without dpkg is never cached: evidence that needed the units'
 * enabled or active state (debhelper's default restart assumed), and the candidates' downloaded
 * scripts (only runs without download use the cache). Editing a file in /var/lib/dpkg/info in
 * place by hand is not seen: docs/preflight.md says so.
 */
import { nodeCrypto } from '../lazy-crypto.js';
import type { PlannedPackage } from './apt-plan.js';
import type { PackageEvidence } from './preflight-report.js';

/** Bumped whenever the evidence's shape or how it is computed changes: older files are ignored. */
export const EVIDENCE_CACHE_FORMAT = 1;

/** How much of a run's evidence came from the cache (`evidenceCache` in --json). */
export interface EvidenceCacheInfo {
  /** Packages whose evidence was read from the cache. */
  cached: number;
  /** Packages assessed. */
  total: number;
  /** Why the cache was not used or not written, when it was not (null otherwise). */
  note: string | null;
}

/** One package's place in the cache: its name, architecture and the versions of the change. */
export function evidenceCacheId(p: Pick<PlannedPackage, 'name' | 'arch' | 'oldVersion' | 'newVersion'>): string {
  return `${p.name}:${p.arch ?? ''} ${p.oldVersion ?? '-'} -> ${p.newVersion ?? '-'}`;
}

/** The cache's key: apt's simulation key, the dpkg info directory's identity, upkeep's version. */
export function evidenceCacheKey(parts: { simulationKey: string; dpkgInfo: string; upkeepVersion: string }): string {
  return nodeCrypto()
    .createHash('sha256')
    .update(JSON.stringify([EVIDENCE_CACHE_FORMAT, parts.simulationKey, parts.dpkgInfo, parts.upkeepVersion]))
    .digest('hex');
}

/** The file's content. */
export interface EvidenceCacheEntry {
  format: number;
  key: string;
  entries: Array<{ id: string; evidence: PackageEvidence }>;
}

export function evidenceCacheEntry(key: string, entries: ReadonlyMap<string, PackageEvidence>): EvidenceCacheEntry {
  return { format: EVIDENCE_CACHE_FORMAT, key, entries: [...entries].map(([id, evidence]) => ({ id, evidence })) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An entry's evidence has the fields the report reads, and belongs to the id it is filed under. */
function wellFormed(id: unknown, e: unknown): e is PackageEvidence {
  if (typeof id !== 'string' || !isObject(e) || !isObject(e.pkg) || typeof e.pkg.name !== 'string') return false;
  if (!Array.isArray(e.effects) || !e.effects.every(isObject) || typeof e.source !== 'string') return false;
  if (!Array.isArray(e.notes) || typeof e.rebootNeeded !== 'boolean') return false;
  const p = e.pkg as Partial<PlannedPackage>;
  return evidenceCacheId({ name: p.name!, arch: p.arch ?? null, oldVersion: p.oldVersion ?? null, newVersion: p.newVersion ?? null }) === id;
}

/**
 * The cached evidence for `key` from a cache file's text: every entry, when the file is whole, of
 * this format and for this key; otherwise why not (the caller reads the scripts again).
 */
export function readEvidenceCache(json: string, key: string): { ok: true; entries: Map<string, PackageEvidence> } | { ok: false; why: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { ok: false, why: 'cache ignored: not JSON (cut short?)' };
  }
  if (!isObject(parsed) || parsed.format !== EVIDENCE_CACHE_FORMAT) return { ok: false, why: 'cache ignored: another format' };
  if (parsed.key !== key) return { ok: false, why: 'cache ignored: stale (dpkg, apt or upkeep changed since)' };
  if (!Array.isArray(parsed.entries)) return { ok: false, why: 'cache ignored: no entries' };
  const entries = new Map<string, PackageEvidence>();
  for (const item of parsed.entries as unknown[]) {
    if (!isObject(item) || !wellFormed(item.id, item.evidence)) return { ok: false, why: 'cache ignored: an entry is not well-formed' };
    entries.set(item.id as string, item.evidence);
  }
  return { ok: true, entries };
}

/** One line for people when evidence came from the cache (null otherwise). */
export function cachedEvidenceLine(info: EvidenceCacheInfo | null | undefined): string | null {
  if (info === null || info === undefined || info.cached === 0) return null;
  return `package evidence: ${info.cached} of ${info.total} from the cache (dpkg unchanged since it was read)`;
}
