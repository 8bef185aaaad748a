/**
 * Which kernel will run after a reboot: installed kernel images are the `linux-image-RELEASE`
 * packages (RELEASE as `uname -r` prints it: `6.8.0-88-generic`, `6.1.0-41-amd64`); meta packages
 * such as `linux-image-generic` or `linux-image-amd64` only depend on one and are not kernels.
 */
import { compareDebianVersions, parseDebianVersion } from './debian-version.js';

/** The release of a kernel image package, or null for a meta package or another package. */
export function kernelReleaseOf(packageName: string): string | null {
  const m = /^linux-image-(?:unsigned-)?(\d+\.\d+[^\s]*)$/.exec(packageName);
  return m === null ? null : m[1]!;
}

/**
 * Reads `dpkg-query -W -f='${Package}\t${db:Status-Abbrev}\n' 'linux-image-*'` output: the
 * releases of kernel images that are installed (status `ii`, or `iF`/`iU`: unpacked, not configured).
 */
export function parseKernelPackages(text: string): string[] {
  const releases: string[] = [];
  for (const line of text.split('\n')) {
    const [name, status] = line.split('\t');
    if (name === undefined || status === undefined || !status.startsWith('i')) continue;
    const release = kernelReleaseOf(name.trim());
    if (release !== null && !releases.includes(release)) releases.push(release);
  }
  return releases;
}

/** The newest of some kernel releases (ordered as dpkg orders versions), or null when there are none. */
export function newestKernel(releases: readonly string[]): string | null {
  const valid = releases.filter((r) => parseDebianVersion(r).ok);
  if (valid.length === 0) return null;
  return valid.reduce((a, b) => (compareDebianVersions(a, b) >= 0 ? a : b));
}
