/**
 * The systemd units a package ships, from its file list (dpkg's `PKG.list`), and what debhelper's
 * default does to them on upgrade when the maintainer scripts cannot tell (none to read).
 *
 * dh_installsystemd's default postinst block runs `deb-systemd-invoke restart UNIT...` on upgrade,
 * and deb-systemd-invoke (init-system-helpers) restarts a unit only when it is enabled or active:
 * "UNIT is a disabled or a static unit not running, not starting it" otherwise. So the shipped
 * units that are enabled or running here are the ones an upgrade probably restarts. It is an
 * assumption (a package can use --no-restart-on-upgrade, or ship units without debhelper), so the
 * report marks it with low confidence and names the source.
 */

/** The directories packages install system units into. */
export const PACKAGE_UNIT_DIRS = ['/lib/systemd/system/', '/usr/lib/systemd/system/'] as const;

/** Units deb-systemd-invoke acts on; targets, slices, mounts are never restarted by a package. */
const RESTARTABLE = /^[^/@]+\.(service|socket|timer|path)$/;

/**
 * The restartable system units (`.service`, `.socket`, `.timer`, `.path`) among a package's paths:
 * files directly in /lib/systemd/system or /usr/lib/systemd/system; templates (`NAME@.service`),
 * drop-ins and `*.wants/` links left out. Sorted, each once.
 */
export function shippedUnits(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const path of paths) {
    const dir = PACKAGE_UNIT_DIRS.find((d) => path.startsWith(d));
    if (dir === undefined) continue;
    const name = path.slice(dir.length);
    if (RESTARTABLE.test(name)) out.add(name);
  }
  return [...out].sort();
}

/** Is a unit enabled (a link in some `*.wants/` or `*.requires/` directory) and active now? */
export interface UnitState {
  enabled: boolean;
  /** null when it cannot be asked (systemd is not running). */
  active: boolean | null;
}

/** What debhelper's default upgrade block would do to the shipped units. */
export interface AssumedRestarts {
  /** Enabled or active here: `deb-systemd-invoke restart` restarts them. */
  restarted: string[];
  /** Neither: deb-systemd-invoke leaves them alone. */
  skipped: string[];
}

/** Splits the shipped units by their state here (a unit with no known state counts as disabled and stopped). */
export function assumeDebhelperRestart(units: readonly string[], states: ReadonlyMap<string, UnitState>): AssumedRestarts {
  const restarted: string[] = [];
  const skipped: string[] = [];
  for (const unit of units) {
    const s = states.get(unit);
    (s !== undefined && (s.enabled || s.active === true) ? restarted : skipped).push(unit);
  }
  return { restarted, skipped };
}

/** The source line for conclusions drawn from the shipped units (`listFile`: the list's file name, e.g. `foo.list`). */
export function shippedUnitsSource(listFile: string): string {
  return `unit files the package ships (${listFile}), assuming debhelper's default restart`;
}
