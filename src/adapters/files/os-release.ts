/**
 * The host's OS as os-release(5) names it: PRETTY_NAME of /etc/os-release, else of
 * /usr/lib/os-release (the file /etc/os-release links to, or its fallback). Never throws: an
 * unreadable file or a missing name is `name: null` with why.
 */
import { prettyNameOf } from '../../core/os-release.js';
import { readTextFile } from './read-text-file.js';

export async function readOsName(paths: readonly string[] = ['/etc/os-release', '/usr/lib/os-release']): Promise<{ name: string | null; why: string | null }> {
  const problems: string[] = [];
  for (const path of paths) {
    const r = await readTextFile(path, 64 * 1024).catch((err: Error) => ({ ok: false as const, why: err.message }));
    if (!r.ok) {
      problems.push(`${path}: ${r.why}`);
      continue;
    }
    const name = prettyNameOf(r.text);
    if (name !== null) return { name, why: null };
    problems.push(`${path} has no PRETTY_NAME`);
  }
  return { name: null, why: problems.join('; ') };
}
