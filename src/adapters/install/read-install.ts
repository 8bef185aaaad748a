/**
 * Reads what `upkeep install` / `uninstall` plan from: the current state of each target path under
 * a root (absent, a file with its sha256 and mode, a symlink, a directory and its entries), the
 * manifest's text. The default executable and docs are the running program's
 * (src/adapters/program/build-info.ts).
 */
import { nodeCrypto } from '../../core/lazy-crypto.js';
import { constants } from 'node:fs';
import { access, lstat, readFile, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UpkeepError, UsageError } from '../../core/errors.js';
import { PACKAGE_UNIT_PATH } from '../../core/install/package.js';
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
        sha256: nodeCrypto()
          .createHash('sha256')
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

/** Whether the Debian package's unit is under `root`: then the package owns the unit and the apt hook. */
export async function packageInstalled(root: string): Promise<boolean> {
  return (await readPathState(hostPath(root, PACKAGE_UNIT_PATH))).kind !== 'absent';
}

/** The --root directory, absolute; it must exist. */
export async function checkRoot(root: string): Promise<void> {
  const st = await stat(root).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : err));
  if (st === null) throw new UsageError(`--root ${root} does not exist`, { hint: `create it first (mkdir -p ${root}), or pass an existing directory` });
  if (st instanceof Error) throw new UsageError(`--root ${root}: cannot be read (${st.code ?? st.message})`, { hint: 'pass a directory you may read' });
  if (!st.isDirectory()) throw new UsageError(`--root ${root}: not a directory`, { hint: 'pass a directory' });
}

/** Throws a UsageError unless `bin` is an executable regular file (symlinks resolved). */
/**
 * Whoever can change the executable or any directory above it can run code as root (the unit
 * and the apt hook run it). Returns what is unsafe, one line each (empty when safe): every path
 * from the file (symlinks resolved) up to `/` must be owned by root and not writable by group or
 * others.
 */
export async function executableTrustProblems(bin: string): Promise<string[]> {
  const problems: string[] = [];
  let path = await realpath(bin).catch(() => bin);
  for (;;) {
    const st = await stat(path).catch(() => null);
    if (st === null) {
      problems.push(`${path}: cannot be read`);
      break;
    }
    const what = path === bin ? 'the executable' : st.isDirectory() ? 'a directory above it' : 'the executable';
    if (st.uid !== 0) problems.push(`${path} (${what}) is owned by uid ${st.uid}, not root`);
    if ((st.mode & 0o022) !== 0)
      problems.push(
        `${path} (${what}) is writable by ${(st.mode & 0o020) !== 0 ? 'its group' : ''}${(st.mode & 0o022) === 0o022 ? ' and ' : ''}${(st.mode & 0o002) !== 0 ? 'everyone' : ''} (mode ${(st.mode & 0o7777).toString(8)})`,
      );
    const parent = dirname(path);
    if (parent === path) break;
    path = parent;
  }
  return problems;
}

export async function checkExecutable(bin: string): Promise<void> {
  const st = await stat(bin).catch(() => null);
  const ok =
    st !== null &&
    st.isFile() &&
    (await access(bin, constants.X_OK).then(
      () => true,
      () => false,
    ));
  if (!ok) throw new UsageError(`--bin ${bin}: not an executable file`, { hint: 'pass the path of the upkeep executable' });
}
