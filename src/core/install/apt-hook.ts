/**
 * The apt configuration `upkeep install` writes to /etc/apt/apt.conf.d/99upkeep: the preflight
 * hook (DPkg::Pre-Install-Pkgs, protocol version 3) and a maintenance window around each dpkg run.
 * It is deploy/apt/99upkeep with the executable's path substituted (a test keeps the two equal).
 * The maintenance commands end in `|| true`. The preflight hook does not: it exits 0 on any failure
 * of its own, and 1 (stopping apt) only when the config says `preflight: { block: true }` and
 * something would not come back.
 */

export const APT_HOOK_PATH = '/etc/apt/apt.conf.d/99upkeep';

/** The path deploy/apt/99upkeep uses for the executable. */
export const SHIPPED_BIN = '/usr/local/bin/upkeep';

const TEMPLATE = `// upkeep: warn before dpkg runs which containers an upgrade stops and which will not come back.
// Installed by \`upkeep install\`. It never blocks apt unless /etc/upkeep/upkeep.yml sets
// preflight: { block: true } (upkeep preflight --hook exits 0 on any failure of its own).
DPkg::Pre-Install-Pkgs { "${SHIPPED_BIN} preflight --hook"; };
DPkg::Tools::Options::${SHIPPED_BIN}::Version "3";
// While dpkg runs, the agent holds its alerts (a maintenance window of at most 2 h, closed after).
DPkg::Pre-Invoke { "${SHIPPED_BIN} maintenance start --source apt --for 2h --quiet || true"; };
DPkg::Post-Invoke { "${SHIPPED_BIN} maintenance stop --source apt --quiet || true"; };
`;

const INSTALLED_BY = 'Installed by `upkeep install`.';

/**
 * The apt configuration for the executable at `bin` (a path without quotes or spaces). `by` names
 * who installed it in the header comment: `upkeep install` (the default) or the Debian package.
 */
export function renderAptHook(bin: string, by: 'install' | 'package' = 'install'): string {
  const text = TEMPLATE.split(SHIPPED_BIN).join(bin);
  return by === 'package' ? text.replace(INSTALLED_BY, 'Installed by the Debian package upkeep.') : text;
}
