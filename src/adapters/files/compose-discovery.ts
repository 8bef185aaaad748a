/**
 * Finds compose files and Ansible templates under directories (`upkeep audit --scan DIR`):
 * compose*.y(a)ml, docker-compose*.y(a)ml, and *.yml.j2 / *.yaml.j2. Skips .git and node_modules,
 * does not follow directory symlinks (no loops), and never fails on an unreadable directory (it is
 * listed in `problems`). Every entry with such a name that is not a directory is listed, whatever
 * it is (a symlink, a FIFO, ...): the reader decides what it may open and says why not.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

const COMPOSE_NAME = /^(docker-)?compose[^/]*\.ya?ml$/i;
const TEMPLATE_NAME = /\.ya?ml\.j2$/i;
const SKIP_DIRS = new Set(['.git', 'node_modules', '.venv', '__pycache__']);

export function isAuditableName(name: string): boolean {
  return COMPOSE_NAME.test(name) || TEMPLATE_NAME.test(name);
}

/** A directory that could not be listed, and why. */
export type { DiscoveryProblem } from '../../ports/audit-files.js';
import type { DiscoveryProblem } from '../../ports/audit-files.js';

/** Every auditable file below `dir`, sorted; `problems` lists directories that could not be read. */
export async function discoverComposeFiles(dir: string): Promise<{ files: string[]; problems: DiscoveryProblem[] }> {
  return discoverFiles(dir, isAuditableName);
}

const SCRIPT_NAME = /\.(sh|bash|service|ya?ml)$|^(GNU)?makefile$|^[^.]+$/i;

/**
 * The files below `dir` that may run compose (`upkeep audit --scan`, see core/audit/compose-invocations.ts):
 * `*.sh`, `*.bash`, Makefiles, systemd `*.service` units, `*.yml` / `*.yaml` (Ansible tasks), and names
 * without a dot (scripts with a `#!` line; the reader checks it). Sorted; same walk as discoverComposeFiles.
 */
export async function discoverScriptFiles(dir: string): Promise<{ files: string[]; problems: DiscoveryProblem[] }> {
  return discoverFiles(dir, (name) => SCRIPT_NAME.test(name));
}

async function discoverFiles(dir: string, wanted: (name: string) => boolean): Promise<{ files: string[]; problems: DiscoveryProblem[] }> {
  const files: string[] = [];
  const problems: DiscoveryProblem[] = [];
  async function walk(d: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (err) {
      problems.push({ dir: d, reason: `cannot list it: ${(err as Error).message}` });
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) await walk(p);
      } else if (wanted(e.name)) {
        files.push(p);
      }
    }
  }
  await walk(dir);
  return { files: files.sort(), problems };
}
