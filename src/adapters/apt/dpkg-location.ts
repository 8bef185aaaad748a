/**
 * dpkg's database and tree on this machine as apt runs it (core/preflight/dpkg-location.ts), read
 * from `apt-config dump` (so APT_CONFIG applies) once a minute at most; every dpkg-query and every
 * read of dpkg's files in adapters/apt goes through it. Without apt-config (not Debian): the
 * defaults.
 */
import { UpkeepError } from '../../core/errors.js';
import { parseAptConfigDump } from '../../core/preflight/apt-simulation-cache.js';
import { DEFAULT_DPKG_LOCATION, dpkgLocationFromAptConfig, dpkgQueryOptions, inInstDir, type DpkgLocation } from '../../core/preflight/dpkg-location.js';
import { runCommand, type CommandResult, type RunOptions } from './run-command.js';

const FRESH_MS = 60_000;
let memo: { at: number; location: Promise<DpkgLocation> } | null = null;

function fromDump(dump: string): DpkgLocation {
  const loc = dpkgLocationFromAptConfig(dump, parseAptConfigDump(dump));
  if ('problem' in loc) throw new UpkeepError(`apt's configuration: ${loc.problem}`, { hint: 'check with `apt-config dump | grep -i -e dpkg -e Dir::State`' });
  return loc;
}

async function read(): Promise<DpkgLocation> {
  const r = await runCommand('apt-config', ['dump'], { timeoutMs: 10_000 });
  if (r.code === null && r.failure?.includes('ENOENT')) return DEFAULT_DPKG_LOCATION;
  if (r.code !== 0) throw new UpkeepError(`could not read apt's configuration (apt-config dump): ${r.failure ?? `exit ${r.code}`}`);
  return fromDump(r.stdout);
}

/** Where dpkg's database and tree are. @throws UpkeepError when apt's configuration cannot be read or makes no sense. */
export function dpkgLocation(now = Date.now()): Promise<DpkgLocation> {
  if (memo === null || now - memo.at > FRESH_MS) {
    const location = read();
    memo = { at: now, location };
    // A failed read is not remembered: the next call tries again.
    location.catch(() => {
      if (memo?.location === location) memo = null;
    });
  }
  return memo.location;
}

/** `apt-config dump`'s text read a moment ago by someone else (the simulation cache): spares a run. */
export function noteAptConfigDump(dump: string, now = Date.now()): void {
  if (memo !== null && now - memo.at <= FRESH_MS) return;
  try {
    memo = { at: now, location: Promise.resolve(fromDump(dump)) };
  } catch {
    /* read again, and fail, where it is needed */
  }
}

/** dpkg-query on dpkg's database (`--admindir` when it is not /var/lib/dpkg). */
export async function dpkgQuery(args: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
  return runCommand('dpkg-query', [...dpkgQueryOptions(await dpkgLocation()), ...args], opts);
}

/** Forgets what was read (tests that change APT_CONFIG). */
export function forgetDpkgLocation(): void {
  memo = null;
}

/** dpkg's info directory (`/var/lib/dpkg/info`: PKG.list, PKG.postinst, ...). */
export async function dpkgInfoDir(): Promise<string> {
  return `${(await dpkgLocation()).adminDir}/info`;
}

/** `path` (absolute, as dpkg lists it) in the tree dpkg installs into. */
export async function installedPath(path: string): Promise<string> {
  return inInstDir(await dpkgLocation(), path);
}
