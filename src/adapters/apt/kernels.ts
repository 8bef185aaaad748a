/**
 * The kernel facts preflight needs for "is a reboot needed?": the running release, the installed
 * kernel images, and Debian's reboot-required flag (written by packages such as dbus, and by
 * kernel postinst hooks when reboot-notifier or update-notifier-common is installed).
 */
import { readFile, readdir } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import { parseKernelPackages } from '../../core/preflight/kernels.js';
import { dpkgQuery, installedPath } from './dpkg-location.js';

/** `uname -r`. */
export function runningKernel(): string {
  return release();
}

/**
 * Releases of the installed kernel images: from dpkg (`linux-image-RELEASE` packages) and from
 * `/boot/vmlinuz-RELEASE` files (kernels installed without a package), without duplicates; /boot
 * in dpkg's tree (core/preflight/dpkg-location.ts) unless `bootDir` is given.
 */
export async function installedKernels(bootDir?: string): Promise<string[]> {
  bootDir ??= await installedPath('/boot');
  const r = await dpkgQuery(['-W', '-f=${Package}\\t${db:Status-Abbrev}\\n', 'linux-image-*']);
  // dpkg-query exits 1 when no package matches: that is "no kernel packages", not a failure.
  const fromDpkg = r.code === 0 || r.code === 1 ? parseKernelPackages(r.stdout) : [];
  const fromBoot = await readdir(bootDir).then(
    (names) => names.filter((n) => n.startsWith('vmlinuz-')).map((n) => n.slice('vmlinuz-'.length)),
    () => [] as string[],
  );
  return [...new Set([...fromDpkg, ...fromBoot])];
}

/** Debian's flag file, and the packages that asked for the reboot (`reboot-required.pkgs`). */
export interface RebootRequiredFlag {
  required: boolean;
  packages: string[];
}

/** Reads `/var/run/reboot-required` and `/var/run/reboot-required.pkgs` (in dpkg's tree unless `runDir` is given). */
export async function rebootRequiredFlag(runDir?: string): Promise<RebootRequiredFlag> {
  runDir ??= await installedPath('/var/run');
  const exists = await readFile(join(runDir, 'reboot-required')).then(
    () => true,
    () => false,
  );
  const pkgs = await readFile(join(runDir, 'reboot-required.pkgs'), 'utf8').catch(() => '');
  return {
    required: exists,
    packages: [
      ...new Set(
        pkgs
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== ''),
      ),
    ],
  };
}
