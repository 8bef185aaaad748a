/**
 * Where dpkg keeps its database and installs packages, as apt runs it: a chroot built with
 * `dpkg --root`, or a package root configured for apt (`APT_CONFIG` with `Dir::State::status` and
 * `DPkg::Options { "--root=/srv/root"; }`), is read there and not in this machine's /var/lib/dpkg.
 *
 * dpkg's own options among apt's `DPkg::Options` decide, in order, as dpkg reads them: `--root=DIR`
 * (the tree DIR, the database DIR/var/lib/dpkg), `--admindir=DIR`, `--instdir=DIR`; before them
 * dpkg's environment (DPKG_ROOT, DPKG_ADMINDIR), else / and /var/lib/dpkg; apt's
 * `DPkg::Chroot-Directory` puts both inside that directory. apt reads what is installed from
 * `Dir::State::status`; when that is not in dpkg's database, nothing upkeep says about the upgrade
 * would hold: that is a problem, never a guess. Not read: dpkg's own configuration files
 * (/etc/dpkg/dpkg.cfg.d with `root` or `admindir` lines).
 */
import { aptInputPaths, trimSlash } from './apt-simulation-cache.js';

export interface DpkgLocation {
  /** dpkg's database directory (`/var/lib/dpkg`). */
  adminDir: string;
  /** The tree packages are installed into (`/`). */
  instDir: string;
  /** apt's `DPkg::Options`, in order: what apt passes to dpkg (upkeep's own dpkg runs get them too). */
  dpkgOptions: string[];
}

export const DEFAULT_DPKG_LOCATION: DpkgLocation = Object.freeze({ adminDir: '/var/lib/dpkg', instDir: '/', dpkgOptions: [] as string[] });

/**
 * The values of a list in `apt-config dump`'s text, in order, as apt hands them on: its anonymous
 * (`DPkg::Options:: "--force-confold";`) and named (`DPkg::Options::root "--root=/x";`) children,
 * whatever the case of the name, empty values left out.
 */
export function aptConfigList(dump: string, key: string): string[] {
  const out: string[] = [];
  const prefix = `${key.toLowerCase()}::`;
  for (const line of dump.split('\n')) {
    const m = /^(\S+) "(.*)";$/.exec(line);
    if (m === null || !m[1]!.toLowerCase().startsWith(prefix) || m[1]!.slice(prefix.length).includes('::') || m[2] === '') continue;
    out.push(m[2]!);
  }
  return out;
}

/** `path` as an absolute path without a trailing slash; null when it is not absolute. */
function absolute(path: string): string | null {
  return path.startsWith('/') ? trimSlash(path) : null;
}

/** dpkg's environment that moves its directories when no option does (dpkg(1): DPKG_ROOT, DPKG_ADMINDIR). */
export interface DpkgEnvironment {
  DPKG_ROOT?: string | undefined;
  DPKG_ADMINDIR?: string | undefined;
}

/**
 * dpkg's location from `apt-config dump`'s text (`config`: the same text parsed by
 * parseAptConfigDump) and the environment apt runs dpkg in. A problem (a relative directory, apt
 * reading one database while dpkg would use another) is returned with what to fix.
 */
export function dpkgLocationFromAptConfig(dump: string, config: ReadonlyMap<string, string>, env: DpkgEnvironment = {}): DpkgLocation | { problem: string } {
  const dpkgOptions = aptConfigList(dump, 'DPkg::Options');
  // dpkg's own defaults: DPKG_ROOT, DPKG_ADMINDIR (unless an option says otherwise), / and /var/lib/dpkg.
  const envRoot = env.DPKG_ROOT ? absolute(env.DPKG_ROOT) : '/';
  if (envRoot === null) return { problem: `DPKG_ROOT is the relative "${env.DPKG_ROOT}": dpkg needs an absolute directory` };
  let instDir = envRoot;
  let adminDir = env.DPKG_ADMINDIR ? absolute(env.DPKG_ADMINDIR) : absolute(`${envRoot}/var/lib/dpkg`);
  if (adminDir === null) return { problem: `DPKG_ADMINDIR is the relative "${env.DPKG_ADMINDIR}": dpkg needs an absolute directory` };
  for (let i = 0; i < dpkgOptions.length; i++) {
    const m = /^--(root|admindir|instdir)(?:=(.*))?$/.exec(dpkgOptions[i]!);
    if (m === null) continue;
    const raw = m[2] ?? dpkgOptions[++i];
    if (raw === undefined) return { problem: `apt's DPkg::Options ends with --${m[1]} and no directory` };
    const dir = absolute(raw);
    if (dir === null) return { problem: `apt's DPkg::Options gives dpkg a relative --${m[1]} "${raw}": write it as an absolute path` };
    if (m[1] === 'root') {
      instDir = dir;
      adminDir = absolute(`${dir}/var/lib/dpkg`)!;
    } else if (m[1] === 'admindir') adminDir = dir;
    else instDir = dir;
  }
  // apt may run dpkg chrooted: its directories are then inside that directory.
  const chroot = config.get('dpkg::chroot-directory');
  if (chroot !== undefined && chroot !== '' && chroot !== '/') {
    const c = absolute(chroot);
    if (c === null) return { problem: `apt's DPkg::Chroot-Directory is the relative "${chroot}": write it as an absolute path` };
    instDir = absolute(`${c}/${instDir}`)!;
    adminDir = absolute(`${c}/${adminDir}`)!;
  }
  const status = aptInputPaths(config).dpkgStatus;
  const aptDir = status.slice(0, status.lastIndexOf('/')) || '/';
  if (adminDir !== aptDir)
    return {
      problem: `apt reads the installed packages from ${status} but dpkg would use the database ${adminDir}: give apt Dir::State::status "${adminDir}/status", or dpkg --admindir=${aptDir} (DPkg::Options)`,
    };
  return { adminDir, instDir, dpkgOptions };
}

/**
 * dpkg-query's options for this database: always `--admindir`, so that a DPKG_ROOT or DPKG_ADMINDIR
 * in upkeep's own environment cannot move dpkg-query elsewhere.
 */
export function dpkgQueryOptions(loc: DpkgLocation): string[] {
  return [`--admindir=${loc.adminDir}`];
}
