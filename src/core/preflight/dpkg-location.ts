/**
 * Where dpkg keeps its database and installs packages, as apt runs it: a chroot built with
 * `dpkg --root`, or a package root configured for apt (`APT_CONFIG` with `Dir::State::status` and
 * `DPkg::Options { "--root=/srv/root"; }`), is read there and not in this machine's /var/lib/dpkg.
 *
 * dpkg's own options among apt's `DPkg::Options` decide, in order, as dpkg reads them: `--root=DIR`
 * (the tree DIR, the database DIR/var/lib/dpkg), `--admindir=DIR`, `--instdir=DIR`. Without them the
 * database is the directory of `Dir::State::status` (where apt reads what is installed) and the tree
 * is /. When apt reads one database and dpkg would write another, nothing upkeep says about the
 * upgrade would hold: that is a problem, never a guess.
 */
import { aptInputPaths } from './apt-simulation-cache.js';

export interface DpkgLocation {
  /** dpkg's database directory (`/var/lib/dpkg`). */
  adminDir: string;
  /** The tree packages are installed into (`/`). */
  instDir: string;
  /** apt's `DPkg::Options`, in order: what apt passes to dpkg (upkeep's own dpkg runs get them too). */
  dpkgOptions: string[];
}

export const DEFAULT_DPKG_LOCATION: DpkgLocation = Object.freeze({ adminDir: '/var/lib/dpkg', instDir: '/', dpkgOptions: [] as string[] });

/** The values of a list in `apt-config dump`'s text (`DPkg::Options:: "--force-confold";`), in order. */
export function aptConfigList(dump: string, key: string): string[] {
  const out: string[] = [];
  const prefix = `${key.toLowerCase()}:: "`;
  for (const line of dump.split('\n')) {
    if (line.toLowerCase().startsWith(prefix) && line.endsWith('";')) out.push(line.slice(prefix.length, -2));
  }
  return out;
}

/** `path` as an absolute path without a trailing slash; null when it is not absolute. */
function absolute(path: string): string | null {
  if (!path.startsWith('/')) return null;
  const collapsed = path.replace(/\/+/g, '/');
  return collapsed.length > 1 ? collapsed.replace(/\/$/, '') : collapsed;
}

/**
 * dpkg's location from `apt-config dump`'s text (`config`: the same text parsed by
 * parseAptConfigDump). A problem (a relative directory, apt and dpkg on different databases) is
 * returned with what to fix.
 */
export function dpkgLocationFromAptConfig(dump: string, config: ReadonlyMap<string, string>): DpkgLocation | { problem: string } {
  const dpkgOptions = aptConfigList(dump, 'DPkg::Options');
  let adminDir: string | null = null;
  let instDir: string | null = null;
  for (let i = 0; i < dpkgOptions.length; i++) {
    const m = /^--(root|admindir|instdir)(?:=(.*))?$/.exec(dpkgOptions[i]!);
    if (m === null) continue;
    const raw = m[2] ?? dpkgOptions[++i];
    if (raw === undefined) return { problem: `apt's DPkg::Options ends with --${m[1]} and no directory` };
    const dir = absolute(raw);
    if (dir === null) return { problem: `apt's DPkg::Options gives dpkg a relative --${m[1]} "${raw}": write it as an absolute path` };
    if (m[1] === 'root') {
      instDir = dir;
      adminDir = absolute(`${dir}/var/lib/dpkg`);
    } else if (m[1] === 'admindir') adminDir = dir;
    else instDir = dir;
  }
  const status = aptInputPaths(config).dpkgStatus;
  const aptDir = status.slice(0, status.lastIndexOf('/')) || '/';
  if (adminDir !== null && adminDir !== aptDir)
    return {
      problem: `apt reads the installed packages from ${status} but dpkg is told to use the database ${adminDir} (DPkg::Options): set Dir::State::status to ${adminDir}/status`,
    };
  return { adminDir: adminDir ?? aptDir, instDir: instDir ?? '/', dpkgOptions };
}

/** dpkg-query's options for this database: none for the default one. */
export function dpkgQueryOptions(loc: DpkgLocation): string[] {
  return loc.adminDir === DEFAULT_DPKG_LOCATION.adminDir ? [] : [`--admindir=${loc.adminDir}`];
}

/** `path` (absolute, as dpkg lists it) in the tree packages are installed into. */
export function inInstDir(loc: DpkgLocation, path: string): string {
  return loc.instDir === '/' ? path : `${loc.instDir}${path.startsWith('/') ? '' : '/'}${path}`;
}
