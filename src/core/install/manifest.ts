/**
 * The install manifest, /var/lib/upkeep/install-manifest.json: every path `upkeep install`
 * created (or later updated), with what it wrote there, so that `upkeep uninstall` removes exactly
 * those paths, and only while they still hold what install wrote. Paths are the target system's
 * (without --root), so a tree staged with --root can be moved to its real place.
 * The text is deterministic (no timestamps): an install that changes nothing rewrites nothing.
 */
import { nodeCrypto } from '../lazy-crypto.js';

export const MANIFEST_PATH = '/var/lib/upkeep/install-manifest.json';
export const MANIFEST_FORMAT = 1;

export type ManifestEntry =
  | { path: string; kind: 'file'; sha256: string; mode: string }
  | { path: string; kind: 'symlink'; target: string }
  | { path: string; kind: 'dir'; mode: string };

export interface InstallManifest {
  format: typeof MANIFEST_FORMAT;
  /** The executable install was run for (the unit's ExecStart, the apt hook, the symlink's target). */
  bin: string;
  entries: ManifestEntry[];
}

/** Hex SHA-256 of UTF-8 text (the manifest's content fingerprint). */
export function sha256(text: string): string {
  return nodeCrypto().createHash('sha256').update(text, 'utf8').digest('hex');
}

/** 0o600 -> "0600". */
export function modeString(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

export function serializeManifest(m: InstallManifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

/** Parses the manifest's text; throws an Error saying what is wrong (the caller adds where). */
export function parseManifest(text: string): InstallManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON (${(err as Error).message})`);
  }
  const m = raw as Partial<InstallManifest> | null;
  if (m === null || typeof m !== 'object' || m.format !== MANIFEST_FORMAT) throw new Error(`unknown format (expected "format": ${MANIFEST_FORMAT})`);
  if (typeof m.bin !== 'string' || !Array.isArray(m.entries)) throw new Error('"bin" or "entries" missing');
  for (const [i, e] of m.entries.entries()) {
    const ok =
      e !== null &&
      typeof e === 'object' &&
      typeof e.path === 'string' &&
      e.path.startsWith('/') &&
      ((e.kind === 'file' && typeof e.sha256 === 'string' && typeof e.mode === 'string') ||
        (e.kind === 'symlink' && typeof e.target === 'string') ||
        (e.kind === 'dir' && typeof e.mode === 'string'));
    if (!ok) throw new Error(`entry ${i} is malformed: ${JSON.stringify(e)}`);
  }
  return { format: MANIFEST_FORMAT, bin: m.bin, entries: m.entries };
}
