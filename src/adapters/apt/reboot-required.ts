/**
 * Whether a reboot is required now (ports/reboot.ts RebootRequirement): Debian's
 * /var/run/reboot-required flag (with the packages that asked, reboot-required.pkgs), or a newer
 * kernel installed than the one running. Never throws: a flag or kernels that could not be read
 * make the answer "not known" (`required: null`), never "no reboot".
 */
import { newestKernel } from '../../core/preflight/kernels.js';
import { installedPath } from './dpkg-location.js';
import type { RebootAnswer } from '../../ports/reboot.js';
import { installedKernels, rebootRequiredFlag, runningKernel, type RebootRequiredFlag } from './kernels.js';

/** Why the kernels could not be compared when `uname -r` could not be read. */
export const RUNNING_KERNEL_UNREAD = 'the running kernel could not be read (uname)';

/** The facts behind "reboot required", each null when it could not be read. */
export interface RebootFacts {
  /** `uname -r`. */
  runningKernel: string | null;
  /** The newest installed kernel image (dpkg's linux-image-* packages, /boot/vmlinuz-*), or null: none found. */
  newestKernel: string | null;
  /** Debian's flag file and its packages; null when it could not be read (flagWhy says why). */
  flag: RebootRequiredFlag | null;
  /** Why `flag` is null: dpkg's tree not known, the run directory unreadable. */
  flagWhy: string | null;
  /** Why the kernels could not be compared: the installed ones not read (dpkg-query failing, /boot unreadable; newestKernel null), or the running one (uname). */
  kernelsWhy: string | null;
  /** Why a reboot is required; empty: it is not, or it is not known (`required`). */
  reasons: string[];
  /**
   * true: `reasons` say why; false: neither the flag nor the kernels ask for one; null: not known
   * (the flag or the kernels could not be read and nothing read asks for one: `flagWhy`,
   * `kernelsWhy`). Never false from a source that could not be read.
   */
  required: boolean | null;
}

/** Reads the flag in `runDir` and the kernels (dpkg, `bootDir`), by default in dpkg's tree; never throws. */
export async function readRebootFacts(runDir?: string, bootDir?: string): Promise<RebootFacts> {
  let dir: string | null = runDir ?? null;
  let flag: RebootRequiredFlag | null = null;
  let flagWhy: string | null = null;
  try {
    // dpkg's tree not known: the flag is not known either (never this machine's in its place).
    dir ??= await installedPath('/var/run');
    flag = await rebootRequiredFlag(dir);
  } catch (err) {
    flagWhy = `${dir === null ? "dpkg's tree is not known" : 'the reboot-required flag could not be read'}: ${err instanceof Error ? err.message : String(err)}`;
  }
  let kernelsWhy: string | null = null;
  const newest = newestKernel(
    await installedKernels(bootDir).catch((err: unknown) => {
      kernelsWhy = err instanceof Error ? err.message : String(err);
      return [];
    }),
  );
  let running: string | null = null;
  try {
    running = runningKernel() || null;
  } catch {
    /* unknown */
  }
  const reasons: string[] = [];
  if (flag?.required) {
    const named = flag.packages.length
      ? ` (${flag.packages.join(', ')})`
      : flag.packagesWhy !== undefined
        ? ` (its package list not read: ${flag.packagesWhy})`
        : '';
    reasons.push(`${dir}/reboot-required${named}`);
  }
  if (newest !== null && running !== null && newest !== running) reasons.push(`kernel ${newest} installed, ${running} running`);
  // The kernels' comparison needs both: one of them not read leaves it untold.
  if (running === null && kernelsWhy === null) kernelsWhy = RUNNING_KERNEL_UNREAD;
  const unknown = flag === null || kernelsWhy !== null;
  return { runningKernel: running, newestKernel: newest, flag, flagWhy, kernelsWhy, reasons, required: reasons.length > 0 ? true : unknown ? null : false };
}

/** Why `required` is null: the sources that could not be read, joined. */
export function rebootUnknownWhy(facts: RebootFacts): string | null {
  if (facts.required !== null) return null;
  return [facts.flagWhy, facts.kernelsWhy].filter((w): w is string => w !== null).join('; ');
}

/** What `upkeep upgrade` asks after apt (ports/reboot.ts RebootRequirement). */
export async function rebootRequirement(runDir?: string): Promise<RebootAnswer> {
  const facts = await readRebootFacts(runDir);
  return { why: facts.reasons, unknown: rebootUnknownWhy(facts) };
}
