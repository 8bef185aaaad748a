/**
 * dpkg's database and tree on this machine as apt runs it (core/preflight/dpkg-location.ts), read
 * from `apt-config dump` (so APT_CONFIG applies) and dpkg's environment, once a minute at most (a
 * failure too); every dpkg-query and every read of dpkg's files in adapters/apt goes through it.
 * Without apt-config (not Debian): the defaults. Paths in a package root are resolved as a chroot
 * would see them: a symbolic link in the root (var/run -> /run in any debootstrap tree) stays in it.
 */
import { lstat, readlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UpkeepError } from '../../core/errors.js';
import { parseAptConfigDump } from '../../core/preflight/apt-simulation-cache.js';
import { DEFAULT_DPKG_LOCATION, dpkgLocationFromAptConfig, dpkgQueryOptions, type DpkgLocation } from '../../core/preflight/dpkg-location.js';
import { runCommand, type CommandResult, type RunOptions } from './run-command.js';

const FRESH_MS = 60_000;
/** The location read last; `failed` once it rejected (a good dump noted meanwhile replaces it). */
let memo: { at: number; location: Promise<DpkgLocation>; failed: boolean } | null = null;

function fromDump(dump: string): DpkgLocation {
  const loc = dpkgLocationFromAptConfig(dump, parseAptConfigDump(dump), { DPKG_ROOT: process.env.DPKG_ROOT, DPKG_ADMINDIR: process.env.DPKG_ADMINDIR });
  if ('problem' in loc) throw new UpkeepError(`apt's configuration: ${loc.problem}`, { hint: 'check with `apt-config dump | grep -i -e dpkg -e Dir::State`' });
  return loc;
}

async function read(): Promise<DpkgLocation> {
  const r = await runCommand('apt-config', ['dump'], { timeoutMs: 10_000 });
  if (r.code === null && r.failure?.includes('ENOENT')) return DEFAULT_DPKG_LOCATION;
  if (r.code !== 0) throw new UpkeepError(`could not read apt's configuration (apt-config dump): ${r.failure ?? `exit ${r.code}`}`);
  return fromDump(r.stdout);
}

/**
 * Where dpkg's database and tree are (one read shared by concurrent callers, then kept a minute).
 * @throws UpkeepError when apt's configuration cannot be read or makes no sense.
 */
export function dpkgLocation(now = performance.now()): Promise<DpkgLocation> {
  if (memo === null || now - memo.at > FRESH_MS) {
    const location = read();
    const entry = { at: now, location, failed: false };
    // The callers get the rejection; an unawaited read is no crash.
    location.catch(() => {
      entry.failed = true;
    });
    memo = entry;
  }
  return memo.location;
}

/** `apt-config dump`'s text read a moment ago by someone else (the simulation cache): spares a run. */
export function noteAptConfigDump(dump: string, now = performance.now()): void {
  if (memo !== null && !memo.failed && now - memo.at <= FRESH_MS) return;
  try {
    memo = { at: now, location: Promise.resolve(fromDump(dump)), failed: false };
  } catch (err) {
    const location = Promise.reject(err as Error);
    location.catch(() => undefined);
    memo = { at: now, location, failed: true };
  }
}

/** Forgets what was read (tests that change APT_CONFIG). */
export function forgetDpkgLocation(): void {
  memo = null;
}

/** dpkg-query on dpkg's database (`--admindir` when it is not /var/lib/dpkg). */
export async function dpkgQuery(args: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
  return runCommand('dpkg-query', [...dpkgQueryOptions(await dpkgLocation()), ...args], opts);
}

/** dpkg's info directory (`/var/lib/dpkg/info`: PKG.list, PKG.postinst, ...). */
export async function dpkgInfoDir(): Promise<string> {
  return `${(await dpkgLocation()).adminDir}/info`;
}

/**
 * `path` (absolute, as dpkg lists it) inside `root` as a process chrooted there would reach it:
 * every symbolic link on the way is followed within the root (an absolute target starts again at
 * the root, `..` stops at it); past a missing component the rest is taken as written (`..` still
 * stopping at the root).
 * `followLast` false: the last component itself is not followed (for lstat and copies).
 */
export async function resolveInRoot(root: string, path: string, followLast = true): Promise<string> {
  if (root === '/') return path;
  const pending = path.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let links = 0;
  let missing = false;
  while (pending.length > 0) {
    const c = pending.shift()!;
    if (c === '..') {
      done.pop();
      continue;
    }
    // Past a missing part (or the last one, not followed): the names as written, `..` still stopping at the root.
    if (missing || (pending.length === 0 && !followLast)) {
      done.push(c);
      continue;
    }
    const at = join(root, ...done, c);
    let target: string | null;
    try {
      target = (await lstat(at)).isSymbolicLink() ? await readlink(at) : null;
    } catch {
      missing = true;
      done.push(c);
      continue;
    }
    if (target === null) {
      done.push(c);
      continue;
    }
    if (++links > 40) throw new UpkeepError(`too many symbolic links resolving ${path} under ${root}`);
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/').filter((t) => t !== '' && t !== '.'));
  }
  return join(root, ...done);
}

/** `path` (absolute, as dpkg lists it) in the tree dpkg installs into, for reading what it holds. */
export async function installedPath(path: string): Promise<string> {
  return resolveInRoot((await dpkgLocation()).instDir, path);
}

/** Like installedPath, without following the last component (a package's own symlink stays one). */
export async function installedEntry(path: string): Promise<string> {
  const tree = (await dpkgLocation()).instDir;
  return tree === '/' ? path : join(await resolveInRoot(tree, dirname(path)), basename(path));
}
