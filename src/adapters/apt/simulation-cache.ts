/**
 * apt's simulation, cached in the state directory (`apt-simulation-MODE.json`, 0600, written to a
 * temp file and renamed): reused while its key, made of every input that changes apt's answer
 * (core/preflight/apt-simulation-cache.ts), is the same; computed again otherwise.
 *
 * What is read for the key, and how (docs/preflight.md, "The apt simulation cache"):
 * - `apt-config dump` (about 50 ms): every configuration value, wherever it comes from, and the
 *   paths below (so a moved Dir::State is followed);
 * - stat only (inode, size, mtime and ctime in ns) for the package lists and dpkg's status: they are
 *   tens of MB, and apt and dpkg replace them by rename (new inode) rather than edit them; ctime
 *   cannot be set back by `touch`;
 * - hashed: the small files people edit in place (sources, preferences, apt.conf and their .d
 *   directories, extended_states, dpkg's arch), up to 1 MiB each (larger: stat);
 * - the apt-get binary (stat of the file PATH finds), the running kernel, upkeep's version.
 * The key is computed before apt runs and again after: a change while apt ran (apt update,
 * dpkg) stores nothing. Anything unreadable means no key: apt runs, nothing is cached.
 */
import { nodeCrypto } from '../../core/lazy-crypto.js';
import { constants } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { release } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  aptInputPaths,
  aptSimulationCacheEntry,
  aptSimulationKey,
  parseAptConfigDump,
  readAptSimulationCache,
  type AptInputFact,
  type AptInputPaths,
  type AptSimulationInfo,
  type SimulationMode,
} from '../../core/preflight/apt-simulation-cache.js';
import { MAX_PLAN_BYTES } from '../../core/preflight/apt-plan.js';
import { readOwnedCacheFile, writeCacheFile } from '../files/cache-file.js';
import { noteAptConfigDump } from './dpkg-location.js';
import { runCommand } from './run-command.js';
import { simulateUpgrade } from './simulate-upgrade.js';

/** Files up to this size are hashed; larger ones are identified by stat. */
const HASH_LIMIT = 1 << 20;

/** The cache file of `mode` in the state directory. */
export function aptSimulationCacheFile(stateDir: string, mode: SimulationMode): string {
  return join(stateDir, `apt-simulation-${mode}.json`);
}

export interface AptSimulationCacheOptions {
  /** The state directory (created 0700 if missing; read-only: no caching). */
  stateDir: string;
  /** upkeep's version (part of the key). */
  upkeepVersion: string;
  /** False (--no-apt-cache): never read the cache; a fresh result is still written. */
  read?: boolean;
  /** apt's input paths (tests: a temp root); default: from `apt-config dump`. */
  paths?: AptInputPaths;
  /** `apt-config dump`'s text (tests); default: run it. @throws when apt-config cannot run. */
  aptConfig?: () => Promise<string>;
  /** The apt-get binary's path (tests); default: the one PATH finds. */
  aptGet?: string;
  /** The running kernel (tests); default: os.release(). */
  kernel?: string;
  /** The simulation itself (tests); default: simulateUpgrade. */
  simulate?: (mode: SimulationMode) => Promise<string>;
  now?: () => Date;
  /** Aborting it kills a running apt-get (the agent stopping); the call then fails. */
  signal?: AbortSignal;
}

async function defaultAptConfig(): Promise<string> {
  const r = await runCommand('apt-config', ['dump'], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`apt-config dump: ${r.failure ?? `exit ${r.code}`}`);
  noteAptConfigDump(r.stdout); // dpkg's location is in it: spares the dpkg readers their own run
  return r.stdout;
}

/** The first `name` on PATH, resolved through symlinks (null: none). */
async function onPath(name: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      const p = join(dir, name);
      if ((await stat(p)).isFile()) return await realpath(p);
    } catch {
      /* not there */
    }
  }
  return null;
}

async function statFact(path: string): Promise<AptInputFact> {
  try {
    const s = await stat(path, { bigint: true });
    return { path, kind: 'stat', dev: Number(s.dev), ino: Number(s.ino), size: Number(s.size), mtimeNs: String(s.mtimeNs), ctimeNs: String(s.ctimeNs) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return { path, kind: 'missing' };
    throw err;
  }
}

/** A small file by its bytes, a large one by stat. */
async function contentFact(path: string): Promise<AptInputFact> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return { path, kind: 'missing' };
    throw err;
  }
  try {
    const s = await fh.stat();
    if (!s.isFile() || s.size > HASH_LIMIT) return await statFact(path);
    const bytes = await fh.readFile();
    return { path, kind: 'content', size: bytes.length, sha256: nodeCrypto().createHash('sha256').update(bytes).digest('hex') };
  } finally {
    await fh.close();
  }
}

/** A directory's names and a fact per regular file in it (`skip`: names left out). */
async function dirFacts(path: string, fact: (p: string) => Promise<AptInputFact>, skip: ReadonlySet<string> = new Set()): Promise<AptInputFact[]> {
  let entries;
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [{ path, kind: 'missing' }];
    throw err;
  }
  const kept = entries.filter((e) => !skip.has(e.name));
  const files = kept.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => join(path, e.name));
  return [{ path, kind: 'dir', names: kept.map((e) => e.name) }, ...(await Promise.all(files.map(fact)))];
}

/**
 * The identity of every input under `paths` (see the file comment for what is hashed and what is
 * only stat'ed). @throws when something exists but cannot be read.
 */
export async function readAptInputs(paths: AptInputPaths): Promise<AptInputFact[]> {
  const groups = await Promise.all([
    statFact(paths.dpkgStatus).then((f) => [f]),
    dirFacts(paths.dpkgUpdates, statFact),
    contentFact(paths.dpkgArch).then((f) => [f]),
    // The lock is opened by every apt run; partial/ and auxfiles/ hold downloads apt does not read here.
    dirFacts(paths.lists, statFact, new Set(['lock', 'partial', 'auxfiles'])),
    contentFact(paths.extendedStates).then((f) => [f]),
    contentFact(paths.sourceList).then((f) => [f]),
    dirFacts(paths.sourceParts, contentFact),
    contentFact(paths.preferences).then((f) => [f]),
    dirFacts(paths.preferencesParts, contentFact),
    contentFact(paths.confMain).then((f) => [f]),
    dirFacts(paths.confParts, contentFact),
  ]);
  return groups.flat();
}

/** The key of `mode` on this machine now. @throws when an input cannot be read (then: no caching). */
export async function currentAptSimulationKey(mode: SimulationMode, opts: AptSimulationCacheOptions): Promise<string> {
  const config = await (opts.aptConfig ?? defaultAptConfig)();
  const paths = opts.paths ?? aptInputPaths(parseAptConfigDump(config));
  const aptGetPath = opts.aptGet ?? (await onPath('apt-get'));
  if (aptGetPath === null) throw new Error('apt-get is not on PATH');
  const [aptGet, files] = await Promise.all([statFact(aptGetPath), readAptInputs(paths)]);
  return aptSimulationKey({
    mode,
    upkeepVersion: opts.upkeepVersion,
    kernel: opts.kernel ?? release(),
    aptConfigSha256: nodeCrypto().createHash('sha256').update(config).digest('hex'),
    aptGet,
    files,
  });
}

/** The cached text of `mode` for `key`, when the file is ours and whole (null otherwise, with why). */
async function readCache(file: string, key: string, mode: SimulationMode): Promise<{ text: string; computedAt: string } | { text: null; why: string }> {
  const owned = await readOwnedCacheFile(file, 2 * MAX_PLAN_BYTES);
  if (owned.text === null) return owned;
  const r = readAptSimulationCache(owned.text, { key, mode });
  return r.ok ? { text: r.entry.text, computedAt: r.entry.computedAt } : { text: null, why: `cache ignored: ${r.why}` };
}

/**
 * `apt-get -s MODE`'s text, from the cache when its key still holds, else from apt (and then
 * cached). Never fails for the cache's sake: a cache that cannot be read or written is a note.
 * @throws UpkeepError when apt itself cannot simulate (as simulateUpgrade).
 */
export async function simulateUpgradeCached(mode: SimulationMode, opts: AptSimulationCacheOptions): Promise<{ text: string; simulation: AptSimulationInfo }> {
  const now = opts.now ?? (() => new Date());
  const file = aptSimulationCacheFile(opts.stateDir, mode);
  const keyNow = () =>
    currentAptSimulationKey(mode, opts).then(
      (key) => ({ key, why: null }),
      (err: Error) => ({ key: null, why: `no cache key (${err.message.split('\n')[0]})` }),
    );
  const before = await keyNow();
  let readNote: string | null = opts.read === false ? 'cache not read (--no-apt-cache)' : before.why;
  if (before.key !== null && opts.read !== false) {
    const hit = await readCache(file, before.key, mode);
    if (hit.text !== null) return { text: hit.text, simulation: { cached: true, computedAt: hit.computedAt, key: before.key, note: null } };
    readNote = hit.why;
  }

  const computedAt = now();
  const text = await (opts.simulate ?? ((m: SimulationMode) => simulateUpgrade(m, opts.signal)))(mode);
  let note = readNote;
  if (before.key !== null) {
    const after = await keyNow();
    if (after.key !== before.key) note = "not cached: apt's inputs changed while it ran";
    else {
      try {
        const entry = aptSimulationCacheEntry({ key: before.key, mode, computedAt, upkeepVersion: opts.upkeepVersion, text });
        await writeCacheFile(opts.stateDir, file, `${JSON.stringify(entry)}\n`);
      } catch (err) {
        note = `not cached: ${(err as Error).message.split('\n')[0]}`;
      }
    }
  }
  return { text, simulation: { cached: false, computedAt: computedAt.toISOString(), key: before.key, note } };
}
