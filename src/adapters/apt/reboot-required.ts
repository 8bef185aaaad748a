/**
 * Whether a reboot is required now (ports/reboot.ts RebootRequirement): Debian's
 * /var/run/reboot-required flag (with the packages that asked, reboot-required.pkgs), or a newer
 * kernel installed than the one running. Never throws: an unreadable source says nothing.
 */
import { newestKernel } from '../../core/preflight/kernels.js';
import { installedPath } from './dpkg-location.js';
import { installedKernels, rebootRequiredFlag, runningKernel, type RebootRequiredFlag } from './kernels.js';

/** The facts behind "reboot required", each null when it could not be read. */
export interface RebootFacts {
  /** `uname -r`. */
  runningKernel: string | null;
  /** The newest installed kernel image (dpkg's linux-image-* packages, /boot/vmlinuz-*), or null: none found. */
  newestKernel: string | null;
  /** Debian's flag file and its packages; null when /var/run could not be read. */
  flag: RebootRequiredFlag | null;
  /** Why a reboot is required; empty: it is not (as far as these facts tell). */
  reasons: string[];
}

/** Reads the flag in `runDir` and the kernels (dpkg, `bootDir`), by default in dpkg's tree; never throws. */
export async function readRebootFacts(runDir?: string, bootDir?: string): Promise<RebootFacts> {
  // dpkg's tree not known: the flag is not known either (never this machine's in its place).
  const dir = runDir ?? (await installedPath('/var/run').catch(() => null));
  const flag = dir === null ? null : await rebootRequiredFlag(dir).catch(() => null);
  const newest = newestKernel(await installedKernels(bootDir).catch(() => []));
  let running: string | null = null;
  try {
    running = runningKernel() || null;
  } catch {
    /* unknown */
  }
  const reasons: string[] = [];
  if (flag?.required) reasons.push(`${dir}/reboot-required${flag.packages.length ? ` (${flag.packages.join(', ')})` : ''}`);
  if (newest !== null && running !== null && newest !== running) reasons.push(`kernel ${newest} installed, ${running} running`);
  return { runningKernel: running, newestKernel: newest, flag, reasons };
}

export async function rebootRequiredReasons(runDir?: string): Promise<string[]> {
  return (await readRebootFacts(runDir)).reasons;
}
