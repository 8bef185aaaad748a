/**
 * Reads what `upkeep install` / `uninstall` plan from: the current state of each target path under
 * a root (absent, a file with its sha256 and mode, a symlink, a directory and its entries), the
 * manifest's text, and where this checkout's executable and docs are.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, readFile, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UpkeepError, UsageError } from '../../core/errors.js';
import type { CurrentState } from '../../core/install/plan.js';
import { hostPath } from '../../core/install/report.js';

function code(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

/** The state of one path (not following a final symlink). */
export async function readPathState(path: string): Promise<CurrentState> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') return { kind: 'absent' };
    throw new UpkeepError(`${path}: cannot be read (${(err as Error).message})`);
  }
  try {
    if (st.isSymbolicLink()) return { kind: 'symlink', target: await readlink(path) };
    if (st.isDirectory()) return { kind: 'dir', mode: st.mode & 0o7777, entries: (await readdir(path)).sort() };
    if (st.isFile())
      return {
        kind: 'file',
        sha256: createHash('sha256')
          .update(await readFile(path))
          .digest('hex'),
        mode: st.mode & 0o7777,
      };
    return { kind: 'other' };
  } catch (err) {
    throw new UpkeepError(`${path}: cannot be read (${(err as Error).message})`);
  }
}

/** The state of each target-system path, found under `root`. */
export async function readTargets(root: string, paths: readonly string[]): Promise<Map<string, CurrentState>> {
  const out = new Map<string, CurrentState>();
  for (const p of paths) out.set(p, await readPathState(hostPath(root, p)));
  return out;
}

/** A file's text, or null when it does not exist. */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') return null;
    throw new UpkeepError(`${path}: cannot be read (${(err as Error).message})`);
  }
}

/** The --root directory, absolute; it must exist. */
export async function checkRoot(root: string): Promise<void> {
  const st = await stat(root).catch(() => null);
  if (st === null || !st.isDirectory()) throw new UsageError(`--root ${root}: not a directory`, { hint: 'create it first, or pass an existing directory' });
}

const CHECKOUT = new URL('../../../', import.meta.url);

/** This checkout's bin/upkeep, with every symlink resolved. */
export async function defaultBin(): Promise<string> {
  return realpath(fileURLToPath(new URL('bin/upkeep', CHECKOUT)));
}

/** The installed docs page, as a URI for the unit's Documentation=. */
export function docsUri(): string {
  return pathToFileURL(fileURLToPath(new URL('docs/install.md', CHECKOUT))).href;
}

/** Throws a UsageError unless `bin` is an executable regular file (symlinks resolved). */
export async function checkExecutable(bin: string): Promise<void> {
  const st = await stat(bin).catch(() => null);
  const ok =
    st !== null &&
    st.isFile() &&
    (await access(bin, constants.X_OK).then(
      () => true,
      () => false,
    ));
  if (!ok)
    throw new UsageError(`--bin ${bin}: not an executable file`, { hint: "pass the path of the upkeep executable (default: this checkout's bin/upkeep)" });
}
