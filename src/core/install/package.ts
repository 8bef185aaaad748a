/**
 * The Debian package's layout (scripts/build-deb.mjs builds it; docs/install.md, "The Debian
 * package"), and its unit and apt hook, rendered by the same code `upkeep install` uses. The package
 * and `upkeep install` share the config (/etc/upkeep/upkeep.yml) and the state directory
 * (/var/lib/upkeep), and never both install the unit and the hook: `upkeep install` does nothing
 * where the package's unit exists, and the package's preinst stops where the install manifest does.
 */
import { DEFAULT_CONFIG_PATH } from '../config/types.js';
import { renderAptHook } from './apt-hook.js';
import { renderUnitFile } from './unit-file.js';

/** The package's executable: a small sh wrapper that runs the bundled program on the private runtime. */
export const PACKAGE_BIN = '/usr/bin/upkeep';
/** The private Node.js runtime and the bundled program. */
export const PACKAGE_LIB_DIR = '/usr/lib/upkeep';
/** The package's unit (bookworm's place for packaged units; /etc/systemd/system overrides it). */
export const PACKAGE_UNIT_PATH = '/lib/systemd/system/upkeep.service';
/**
 * The package's apt hook. postinst links /etc/apt/apt.conf.d/99upkeep to it and prerm removes the
 * link, so a removed (not purged) package leaves no hook that runs a missing executable: a conffile
 * would stay after `apt-get remove`, and apt would then fail on every run.
 */
export const PACKAGE_APT_HOOK_PATH = '/usr/share/upkeep/apt.conf.d/99upkeep';
/** Where the man page is, for the unit's Documentation=. */
export const PACKAGE_DOCS = 'man:upkeep(1)';

/** The unit file the package installs at PACKAGE_UNIT_PATH. */
export function renderPackageUnit(): string {
  return renderUnitFile({ bin: PACKAGE_BIN, configPath: DEFAULT_CONFIG_PATH, docs: PACKAGE_DOCS, by: 'package' });
}

/** The apt hook the package installs at PACKAGE_APT_HOOK_PATH. */
export function renderPackageAptHook(): string {
  return renderAptHook(PACKAGE_BIN, 'package');
}
