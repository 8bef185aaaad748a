/**
 * Slow facts about the host for /metrics: packages waiting to be upgraded (`apt-get -s
 * dist-upgrade`, the same simulation preflight reads) and whether a reboot is needed (Debian's
 * /var/run/reboot-required flag, or a newer kernel installed than the one running). Read at start
 * and then every `intervalMs` (default 1 h: apt's simulation costs about a second of CPU).
 */
import { installedKernels, rebootRequiredFlag, runningKernel } from '../adapters/apt/kernels.js';
import { simulateUpgrade } from '../adapters/apt/simulate-upgrade.js';
import { parseAptSimulation } from '../core/preflight/apt-plan.js';
import { newestKernel } from '../core/preflight/kernels.js';
import type { Clock } from '../ports/clock.js';
import { sleepUnlessAborted, type Actor } from './actor.js';
import type { AgentLog } from './log.js';

export interface HostFacts {
  pendingUpgrades: number | null;
  rebootRequired: boolean;
  why: string | null;
}

/**
 * Reads the facts once; a failing source gives null (apt missing) or false, never an error.
 * `simulate`: apt's simulation (the agent passes the cached one, adapters/apt/simulation-cache.ts).
 */
export async function readHostFacts(opts: { simulate?: (mode: 'dist-upgrade') => Promise<string> } = {}): Promise<HostFacts> {
  const pendingUpgrades = await (opts.simulate ?? simulateUpgrade)('dist-upgrade').then(
    (text) => parseAptSimulation(text).packages.filter((p) => p.action === 'upgrade' || p.action === 'install').length,
    () => null,
  );
  const flag = await rebootRequiredFlag().catch(() => ({ required: false, packages: [] as string[] }));
  if (flag.required)
    return { pendingUpgrades, rebootRequired: true, why: `/var/run/reboot-required${flag.packages.length ? ` (${flag.packages.join(', ')})` : ''}` };
  const newest = newestKernel(await installedKernels().catch(() => []));
  let running = '';
  try {
    running = runningKernel();
  } catch {
    /* unknown */
  }
  const kernel = newest !== null && running !== '' && newest !== running;
  return { pendingUpgrades, rebootRequired: kernel, why: kernel ? `kernel ${newest} installed, ${running} running` : null };
}

export class HostFactsWatcher implements Actor {
  readonly name = 'host-facts';

  constructor(private readonly opts: { intervalMs?: number; log: AgentLog; onFacts: (f: HostFacts) => void; read?: () => Promise<HostFacts>; clock?: Clock }) {}

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const facts = await (this.opts.read ?? (() => readHostFacts()))();
        this.opts.onFacts(facts);
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message }, 'could not read the pending upgrades / reboot flag');
      }
      await sleepUnlessAborted(this.opts.intervalMs ?? 3_600_000, signal, this.opts.clock);
    }
  }
}
