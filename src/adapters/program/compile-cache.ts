/**
 * Node's on-disk compile cache for the program's own code: V8 keeps the compiled code of every
 * module loaded after it is enabled, so the next start skips parsing and compiling it (for the
 * bundle, most of a start's CPU: docs/benchmarks.md "A CLI that answers at once").
 *
 * The cache holds code that a later run executes, so it must be writable by nobody but the user who
 * runs it: root reading a cache another user could write would run that user's code. Hence never
 * the shared temporary directory (Node's default): the user's own cache directory, created 0700
 * and used only when it is a real directory owned by this user and not writable by group or others.
 * Where: `$XDG_CACHE_HOME/upkeep/compile-cache`, else `$HOME/.cache/upkeep/compile-cache`; neither
 * set (a systemd service without User=): no cache. `NODE_DISABLE_COMPILE_CACHE=1` turns it off.
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { constants, enableCompileCache } from 'node:module';
import { isAbsolute, join } from 'node:path';

/** The directory the cache would use for this environment, or null: none that is safe to name. */
export function compileCacheDir(env: NodeJS.ProcessEnv): string | null {
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'upkeep', 'compile-cache');
  const home = env['HOME'];
  if (home !== undefined && isAbsolute(home) && home !== '/') return join(home, '.cache', 'upkeep', 'compile-cache');
  return null;
}

/** Whether `dir` is a directory (not a symlink) owned by `uid` that only its owner can write. */
export function privateDirectory(dir: string, uid: number): boolean {
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * Enables the cache for every module loaded from now on; the directory it uses, or null when it is
 * off (disabled, no safe directory, not creatable). Never throws: a start without the cache is
 * only slower.
 */
export function enableProgramCompileCache(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env['NODE_DISABLE_COMPILE_CACHE'] !== undefined) return null;
  const dir = compileCacheDir(env);
  if (dir === null || typeof process.getuid !== 'function') return null;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return null;
  }
  if (!privateDirectory(dir, process.getuid())) return null;
  try {
    const r = enableCompileCache(dir);
    return r.status === constants.compileCacheStatus.ENABLED || r.status === constants.compileCacheStatus.ALREADY_ENABLED ? (r.directory ?? dir) : null;
  } catch {
    return null;
  }
}
