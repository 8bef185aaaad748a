/**
 * The kernel facts preflight needs for "is a reboot needed?": the running release, the installed
 * kernel images, and Debian's reboot-required flag (written by packages such as dbus, and by
 * kernel postinst hooks when reboot-notifier or update-notifier-common is installed).
 */
import { lstat, readdir, stat } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import { parseKernelPackages } from '../../core/preflight/kernels.js';
import { readTextFile } from '../files/read-text-file.js';
import { dpkgQuery, installedPath } from './dpkg-location.js';
import { describeFailure } from './run-command.js';

/** `uname -r`. */
export function runningKernel(): string {
  return release();
}

/**
 * Releases of the installed kernel images: from dpkg (`linux-image-RELEASE` packages) and from
 * `/boot/vmlinuz-RELEASE` files (kernels installed without a package), without duplicates; /boot
 * in dpkg's tree (core/preflight/dpkg-location.ts) unless `bootDir` is given. Empty: none (no
 * kernel package, no /boot: a container).
 * @throws Error when either source could not be read (dpkg-query failing, /boot unreadable): "none"
 *   is only said of sources that were read.
 */
export async function installedKernels(bootDir?: string): Promise<string[]> {
  bootDir ??= await installedPath('/boot');
  const args = ['-W', '-f=${Package}\\t${db:Status-Abbrev}\\n', 'linux-image-*'];
  const r = await dpkgQuery(args);
  // dpkg-query exits 1 when no package matches: that is "no kernel packages", not a failure.
  if (r.code !== 0 && r.code !== 1) throw new Error(`the installed kernels could not be read: ${describeFailure('dpkg-query', args, r)}`);
  const fromDpkg = parseKernelPackages(r.stdout);
  const fromBoot = await readdir(bootDir).then(
    (names) => names.filter((n) => n.startsWith('vmlinuz-')).map((n) => n.slice('vmlinuz-'.length)),
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw new Error(`the installed kernels could not be read: ${bootDir}: ${err.code ?? err.message}`);
    },
  );
  return [...new Set([...fromDpkg, ...fromBoot])];
}

/** Debian's flag file, and the packages that asked for the reboot (`reboot-required.pkgs`). */
export interface RebootRequiredFlag {
  required: boolean;
  packages: string[];
  /** Why the package list could not be read although the flag is there (the flag still counts). Absent: read, or no list. */
  packagesWhy?: string;
}

/** The package list's size limit: one package name per line, a few hundred at most in practice. */
const MAX_PKGS_BYTES = 1024 * 1024;

/**
 * Reads `/var/run/reboot-required` and `/var/run/reboot-required.pkgs` (in dpkg's tree unless
 * `runDir` is given). The flag is a regular file's presence, as Debian's own readers test it
 * (update-motd's and unattended-upgrades' `-f`: a symlink to one counts, a directory or a FIFO
 * does not); it is never opened, so a FIFO or a huge file cannot hold the answer up. The list is
 * read as hostile input (adapters/files/read-text-file.ts: regular, non-blocking, at most 1 MiB).
 * @throws Error when whether the flag is there cannot be told (the run directory unreadable, a
 *   symlink loop, an I/O error): "absent" is only said of a name that does not exist.
 */
export async function rebootRequiredFlag(runDir?: string): Promise<RebootRequiredFlag> {
  runDir ??= await installedPath('/var/run');
  const flagPath = join(runDir, 'reboot-required');
  const st = await stat(flagPath).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw new Error(`cannot tell whether ${flagPath} exists: ${err.code ?? err.message}`);
  });
  if (st === null || !st.isFile()) return { required: false, packages: [] };
  const pkgsPath = join(runDir, 'reboot-required.pkgs');
  const present = await lstat(pkgsPath).then(
    () => true,
    (err: NodeJS.ErrnoException) => err.code !== 'ENOENT',
  );
  if (!present) return { required: true, packages: [] };
  const r = await readTextFile(pkgsPath, MAX_PKGS_BYTES);
  if (!r.ok) return { required: true, packages: [], packagesWhy: `${pkgsPath}: ${r.why}` };
  return {
    required: true,
    packages: [
      ...new Set(
        r.text
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== ''),
      ),
    ],
  };
}
