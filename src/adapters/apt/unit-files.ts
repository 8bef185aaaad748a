/**
 * Finds a unit's file and drop-ins the way systemd does for system units: the first of
 * /etc/systemd/system, /run/systemd/system, /lib/systemd/system and /usr/lib/systemd/system that
 * has NAME wins; drop-ins are NAME.d/*.conf from all of them, a file name in an earlier directory
 * hiding the same name in a later one, applied in file-name order. Parsing is
 * src/core/preflight/systemd-units.ts. Also whether units are enabled (their `*.wants/` links) and
 * active (`systemctl is-active`, when systemd runs), for debhelper's default restart.
 */
import { access, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { UnitState } from '../../core/preflight/shipped-units.js';
import { resolveUnit, type UnitDefinition, type UnitSource } from '../../core/preflight/systemd-units.js';
import { runCommand } from './run-command.js';

/** System unit directories, highest priority first. */
export const SYSTEM_UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/lib/systemd/system', '/usr/lib/systemd/system'];

/**
 * The names each unit directory holds (read once for many units: looking up every unit in every
 * directory costs a failed open per directory and unit, thousands for a whole system).
 */
type DirListing = ReadonlyMap<string, ReadonlySet<string>>;

async function listDirs(dirs: readonly string[]): Promise<DirListing> {
  return new Map(await Promise.all(dirs.map(async (d) => [d, new Set(await readdir(d).catch(() => [] as string[]))] as const)));
}

/**
 * The unit file in force and its drop-ins; null when neither exists. `listing` (from listDirs)
 * skips the directories that do not hold the name; without it every directory is tried.
 */
export async function readUnitSource(name: string, dirs: readonly string[] = SYSTEM_UNIT_DIRS, listing?: DirListing): Promise<UnitSource | null> {
  const holds = (dir: string, entry: string) => listing?.get(dir)?.has(entry) ?? true;
  let main: UnitSource['main'] = null;
  for (const dir of dirs) {
    if (!holds(dir, name)) continue;
    const file = join(dir, name);
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text !== null) {
      main = { file, text };
      break;
    }
  }
  const dropInFiles = new Map<string, string>();
  for (const dir of dirs) {
    if (!holds(dir, `${name}.d`)) continue;
    const names = await readdir(join(dir, `${name}.d`)).catch(() => [] as string[]);
    for (const n of names) if (n.endsWith('.conf') && !dropInFiles.has(n)) dropInFiles.set(n, join(dir, `${name}.d`, n));
  }
  const dropIns: UnitSource['dropIns'] = [];
  for (const n of [...dropInFiles.keys()].sort()) {
    const file = dropInFiles.get(n)!;
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text !== null) dropIns.push({ file, text });
  }
  if (main === null && dropIns.length === 0) return null;
  return { name, main, dropIns };
}

const UNIT_SUFFIX = /\.(service|socket|target|mount|timer|path|slice|scope)$/;

/** Units read at a time by readAllUnits (each read is a trip to libuv's thread pool). */
const READ_CONCURRENCY = 16;

/**
 * Every system unit that has a unit file (templates `NAME@.service` left out: only their instances
 * run), resolved with its drop-ins: what restart propagation
 * needs, since the units that depend on X are found only by reading them all. Each directory is
 * listed once; only the files that exist are opened, READ_CONCURRENCY units at a time.
 */
export async function readAllUnits(dirs: readonly string[] = SYSTEM_UNIT_DIRS): Promise<Map<string, UnitDefinition>> {
  const listing = await listDirs(dirs);
  const names = new Set<string>();
  for (const dir of dirs) for (const n of listing.get(dir)!) if (UNIT_SUFFIX.test(n) && !n.includes('@.')) names.add(n);
  const sorted = [...names].sort();
  const sources: Array<UnitSource | null> = new Array(sorted.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < sorted.length) {
      const i = next++;
      sources[i] = await readUnitSource(sorted[i]!, dirs, listing);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, sorted.length) }, worker));
  const units = new Map<string, UnitDefinition>();
  for (const source of sources) if (source !== null) units.set(source.name, resolveUnit(source));
  return units;
}

/** Where `systemctl enable` puts its links (and `--runtime` ones), highest priority first. */
export const ENABLE_DIRS = ['/etc/systemd/system', '/run/systemd/system'];

/**
 * The units enabled here, read from the files as systemd does for `is-enabled`: the names of the
 * links in every `*.wants/`, `*.requires/` and `*.upholds/` directory of `dirs`.
 */
export async function readEnabledUnits(dirs: readonly string[] = ENABLE_DIRS): Promise<Set<string>> {
  const enabled = new Set<string>();
  for (const dir of dirs) {
    for (const sub of await readdir(dir).catch(() => [] as string[])) {
      if (!/\.(wants|requires|upholds)$/.test(sub)) continue;
      for (const n of await readdir(join(dir, sub)).catch(() => [] as string[])) enabled.add(n);
    }
  }
  return enabled;
}

/**
 * Whether each unit is active, from one `systemctl is-active UNIT...`; null when systemd is not
 * running here (no /run/systemd/system) or systemctl gives no answer per unit.
 */
export async function readActiveUnits(names: readonly string[], runtimeDir = '/run/systemd/system'): Promise<Map<string, boolean> | null> {
  if (names.length === 0) return new Map();
  const running = await access(runtimeDir).then(
    () => true,
    () => false,
  );
  if (!running) return null;
  const r = await runCommand('systemctl', ['is-active', '--', ...names]).catch(() => null);
  const lines = r?.stdout.trim().split('\n') ?? [];
  if (lines.length !== names.length) return null;
  return new Map(names.map((n, i) => [n, lines[i]!.trim() === 'active' || lines[i]!.trim() === 'reloading']));
}

/** Enabled and active state of each unit (see readEnabledUnits and readActiveUnits). */
export async function readUnitStates(
  names: readonly string[],
  opts: { enabled?: ReadonlySet<string>; enableDirs?: readonly string[] } = {},
): Promise<Map<string, UnitState>> {
  const enabled = opts.enabled ?? (await readEnabledUnits(opts.enableDirs));
  const active = await readActiveUnits(names);
  return new Map(names.map((n) => [n, { enabled: enabled.has(n), active: active === null ? null : (active.get(n) ?? null) }]));
}
