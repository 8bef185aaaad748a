/**
 * Whether a reboot is required now (ports/reboot.ts RebootRequirement): Debian's
 * /var/run/reboot-required flag (with the packages that asked, reboot-required.pkgs), or a newer
 * kernel installed than the one running. Never throws: an unreadable source says nothing.
 */
import { newestKernel } from '../../core/preflight/kernels.js';
import { installedKernels, rebootRequiredFlag, runningKernel } from './kernels.js';

export async function rebootRequiredReasons(runDir = '/var/run'): Promise<string[]> {
  const why: string[] = [];
  const flag = await rebootRequiredFlag(runDir).catch(() => ({ required: false, packages: [] as string[] }));
  if (flag.required) why.push(`${runDir}/reboot-required${flag.packages.length ? ` (${flag.packages.join(', ')})` : ''}`);
  const newest = newestKernel(await installedKernels().catch(() => []));
  let running = '';
  try {
    running = runningKernel();
  } catch {
    /* unknown */
  }
  if (newest !== null && running !== '' && newest !== running) why.push(`kernel ${newest} installed, ${running} running`);
  return why;
}
