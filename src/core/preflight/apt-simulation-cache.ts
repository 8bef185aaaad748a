/**
 * The cache of apt's simulation (`apt-get -s MODE`), pure part: where apt reads its inputs from
 * (resolved from `apt-config dump`), the key made of those inputs' identities, and the cache file's
 * format, read strictly (anything damaged, foreign or for another key is refused with a reason).
 * The I/O (stat, hash, read, write) is adapters/apt/simulation-cache.ts; docs/preflight.md says
 * what the key covers and why.
 */
import { nodeCrypto } from '../lazy-crypto.js';

/** The two upgrades an operator types. */
export type SimulationMode = 'dist-upgrade' | 'upgrade';

/** The files and directories whose contents change apt's answer. */
export interface AptInputPaths {
  /** dpkg's database of installed packages (Dir::State::status). */
  dpkgStatus: string;
  /** dpkg's journal of changes not yet folded into the status file (read by apt with it). */
  dpkgUpdates: string;
  /** dpkg's foreign architectures. */
  dpkgArch: string;
  /** The package lists apt update downloaded (Dir::State::lists). */
  lists: string;
  /** Which packages were installed automatically (Dir::State::extended_states). */
  extendedStates: string;
  sourceList: string;
  sourceParts: string;
  preferences: string;
  preferencesParts: string;
  confMain: string;
  confParts: string;
}

/** The identity of one input, as the adapter read it. */
export type AptInputFact =
  | { path: string; kind: 'missing' }
  /** A large file apt replaces by rename (lists, dpkg status): its inode, size and times, never its bytes. */
  | { path: string; kind: 'stat'; dev: number; ino: number; size: number; mtimeNs: string; ctimeNs: string }
  /** A small file people edit in place (sources, preferences, apt.conf): its bytes' hash. */
  | { path: string; kind: 'content'; size: number; sha256: string }
  /** A directory: the names in it (each file in it is its own fact). */
  | { path: string; kind: 'dir'; names: string[] };

/** Everything the key is made of. */
export interface AptSimulationKeyInput {
  mode: SimulationMode;
  /** upkeep's version: a new upkeep never trusts an older one's cache. */
  upkeepVersion: string;
  /** The running kernel's release (apt protects the running kernel from autoremoval by it). */
  kernel: string;
  /** sha256 of `apt-config dump`: every configuration value apt runs with (APT_CONFIG included). */
  aptConfigSha256: string;
  /** The apt-get binary that runs the simulation. */
  aptGet: AptInputFact;
  files: AptInputFact[];
}

/** The cache file's format tag; another value is a foreign (or future) file and is not read. */
export const APT_SIMULATION_CACHE_FORMAT = 'upkeep-apt-simulation-cache/1';

/** The key: sha256 of the inputs in a canonical order. Equal inputs give equal keys, any change another. */
export function aptSimulationKey(input: AptSimulationKeyInput): string {
  const files = [...input.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const canonical = JSON.stringify([
    APT_SIMULATION_CACHE_FORMAT,
    input.mode,
    input.upkeepVersion,
    input.kernel,
    input.aptConfigSha256,
    factTuple(input.aptGet),
    files.map(factTuple),
  ]);
  return nodeCrypto().createHash('sha256').update(canonical).digest('hex');
}

function factTuple(f: AptInputFact): unknown[] {
  switch (f.kind) {
    case 'missing':
      return [f.path, 'missing'];
    case 'stat':
      return [f.path, 'stat', f.dev, f.ino, f.size, f.mtimeNs, f.ctimeNs];
    case 'content':
      return [f.path, 'content', f.size, f.sha256];
    case 'dir':
      return [f.path, 'dir', [...f.names].sort()];
  }
}

/**
 * `apt-config dump`'s `Name "value";` lines as a map (later lines win, as in apt). apt's names are
 * case-insensitive and the dump keeps the case they were written in (`Dir::State::Status`): the
 * keys are lowercased.
 */
export function parseAptConfigDump(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\S+) "(.*)";$/.exec(line);
    if (m) out.set(m[1]!.toLowerCase(), m[2]!);
  }
  return out;
}

/**
 * apt's input paths from its configuration, resolved as apt's FindFile/FindDir do: an absolute
 * value stands alone, a relative one is under its parent (`Dir::State::lists` under `Dir::State`
 * under `Dir`). Defaults are Debian's.
 */
export function aptInputPaths(config: ReadonlyMap<string, string>): AptInputPaths {
  const defaults: Record<string, string> = {
    Dir: '/',
    'Dir::State': 'var/lib/apt',
    'Dir::State::lists': 'lists/',
    'Dir::State::extended_states': 'extended_states',
    'Dir::State::status': '/var/lib/dpkg/status',
    'Dir::Etc': 'etc/apt',
    'Dir::Etc::sourcelist': 'sources.list',
    'Dir::Etc::sourceparts': 'sources.list.d',
    'Dir::Etc::main': 'apt.conf',
    'Dir::Etc::parts': 'apt.conf.d',
    'Dir::Etc::preferences': 'preferences',
    'Dir::Etc::preferencesparts': 'preferences.d',
  };
  const value = (key: string): string => {
    const v = config.get(key.toLowerCase());
    return v === undefined || v === '' ? (defaults[key] ?? '') : v;
  };
  const find = (key: string): string => {
    const v = value(key);
    if (v.startsWith('/')) return trimSlash(v);
    const parent = key.includes('::') ? find(key.slice(0, key.lastIndexOf('::'))) : '';
    return trimSlash(`${parent}/${v}`);
  };
  const status = find('Dir::State::status');
  const dpkgDir = status.slice(0, status.lastIndexOf('/')) || '/';
  return {
    dpkgStatus: status,
    dpkgUpdates: `${dpkgDir}/updates`,
    dpkgArch: `${dpkgDir}/arch`,
    lists: find('Dir::State::lists'),
    extendedStates: find('Dir::State::extended_states'),
    sourceList: find('Dir::Etc::sourcelist'),
    sourceParts: find('Dir::Etc::sourceparts'),
    preferences: find('Dir::Etc::preferences'),
    preferencesParts: find('Dir::Etc::preferencesparts'),
    confMain: find('Dir::Etc::main'),
    confParts: find('Dir::Etc::parts'),
  };
}

/** `p` with repeated slashes collapsed and no trailing slash (but `/` itself). */
export function trimSlash(p: string): string {
  const collapsed = p.replace(/\/+/g, '/');
  return collapsed.length > 1 ? collapsed.replace(/\/$/, '') : collapsed;
}

/** One cached simulation, as stored. */
export interface AptSimulationCacheEntry {
  format: typeof APT_SIMULATION_CACHE_FORMAT;
  key: string;
  mode: SimulationMode;
  /** When apt computed it (ISO 8601). */
  computedAt: string;
  upkeepVersion: string;
  /** sha256 of `text`: a file cut or altered after it was written is refused. */
  textSha256: string;
  /** apt-get's stdout, as parseAptSimulation reads it. */
  text: string;
}

/** Where the simulation that a report read came from (`aptSimulation` in --json). */
export interface AptSimulationInfo {
  /** True: read from the cache, apt was not run. */
  cached: boolean;
  /** When apt computed the plan (now, or the cached run's time). */
  computedAt: string;
  /** The inputs' key (null: no key could be made, nothing was cached). */
  key: string | null;
  /** Why the cache was not used or not written, when it was not (null otherwise). */
  note: string | null;
}

/** The entry for `text`, computed at `computedAt`. */
export function aptSimulationCacheEntry(e: {
  key: string;
  mode: SimulationMode;
  computedAt: Date;
  upkeepVersion: string;
  text: string;
}): AptSimulationCacheEntry {
  return {
    format: APT_SIMULATION_CACHE_FORMAT,
    key: e.key,
    mode: e.mode,
    computedAt: e.computedAt.toISOString(),
    upkeepVersion: e.upkeepVersion,
    textSha256: sha256(e.text),
    text: e.text,
  };
}

/**
 * Reads a cache file's text for `want`: the entry when it is whole, of this format and for this
 * key and mode; otherwise why not (the caller runs apt and rewrites the file).
 */
export function readAptSimulationCache(
  json: string,
  want: { key: string; mode: SimulationMode },
): { ok: true; entry: AptSimulationCacheEntry } | { ok: false; why: string } {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return { ok: false, why: 'damaged (not JSON)' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, why: 'damaged (not an object)' };
  const o = v as Record<string, unknown>;
  if (o.format !== APT_SIMULATION_CACHE_FORMAT) return { ok: false, why: `foreign format ${JSON.stringify(o.format)}` };
  const { key, mode, computedAt, upkeepVersion, textSha256, text } = o;
  if (
    typeof key !== 'string' ||
    (mode !== 'dist-upgrade' && mode !== 'upgrade') ||
    typeof computedAt !== 'string' ||
    Number.isNaN(Date.parse(computedAt)) ||
    typeof upkeepVersion !== 'string' ||
    typeof textSha256 !== 'string' ||
    typeof text !== 'string'
  )
    return { ok: false, why: 'damaged (missing or mistyped fields)' };
  if (sha256(text) !== textSha256) return { ok: false, why: 'damaged (the text does not match its checksum)' };
  if (mode !== want.mode) return { ok: false, why: `for ${mode}, not ${want.mode}` };
  if (key !== want.key) return { ok: false, why: 'stale (apt, dpkg or their configuration changed since)' };
  return { ok: true, entry: { format: APT_SIMULATION_CACHE_FORMAT, key, mode, computedAt, upkeepVersion, textSha256, text } };
}

function sha256(text: string): string {
  return nodeCrypto().createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The one line for people when the plan came from the cache (null when apt ran now). */
export function cachedSimulationLine(info: AptSimulationInfo | null | undefined): string | null {
  if (info === null || info === undefined || !info.cached) return null;
  return `apt simulation: cached from ${info.computedAt} (package lists, dpkg status and apt config unchanged; --no-apt-cache to run apt again)`;
}
