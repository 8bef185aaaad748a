/**
 * Slow facts about the host for /metrics and the status page's host line: packages waiting to be
 * upgraded (`apt-get -s dist-upgrade`, the same simulation preflight reads), whether a reboot is
 * needed (Debian's /var/run/reboot-required flag and its .pkgs, or a newer kernel installed than
 * the one running), the kernels, and the OS (PRETTY_NAME of /etc/os-release). Read at start and
 * then every `intervalMs` (default 1 h: apt's simulation costs about a second of CPU); readers
 * use the last read (no request runs a subprocess).
 */
import { readRebootFacts, rebootUnknownWhy, RUNNING_KERNEL_UNREAD } from '../adapters/apt/reboot-required.js';
import { simulateUpgrade } from '../adapters/apt/simulate-upgrade.js';
import { readOsName } from '../adapters/files/os-release.js';
import type { HostFacts } from '../core/host-facts.js';
import { parseAptSimulation } from '../core/preflight/apt-plan.js';
import type { Clock } from '../ports/clock.js';
import { sleepUnlessAborted, type Actor } from './actor.js';
import type { AgentLog } from './log.js';

export type { HostFacts };

/**
 * Reads the facts once; a failing source gives null with why (apt missing, the reboot flag
 * unreadable), never false and never an error.
 * `simulate`: apt's simulation (the agent passes the cached one, adapters/apt/simulation-cache.ts).
 * `signal`: aborting it kills the default simulation's apt-get (the agent stopping).
 */
export async function readHostFacts(opts: { simulate?: (mode: 'dist-upgrade') => Promise<string>; signal?: AbortSignal } = {}): Promise<HostFacts> {
  let pendingWhy: string | null = null;
  const pendingUpgrades = await (opts.simulate ?? ((mode: 'dist-upgrade') => simulateUpgrade(mode, opts.signal)))('dist-upgrade').then(
    (text) => parseAptSimulation(text).packages.filter((p) => p.action === 'upgrade' || p.action === 'install').length,
    (err: unknown) => {
      pendingWhy = `apt-get -s dist-upgrade failed: ${firstLine(err instanceof Error ? err.message : String(err))}`;
      return null;
    },
  );
  const [reboot, os] = await Promise.all([readRebootFacts(), readOsName()]);
  const kernelWhy =
    reboot.runningKernel === null
      ? RUNNING_KERNEL_UNREAD
      : reboot.kernelsWhy !== null
        ? reboot.kernelsWhy
        : reboot.newestKernel === null
          ? 'no installed kernel image found (no linux-image-* package in dpkg, no /boot/vmlinuz-*): a container, or a kernel the host does not install itself'
          : null;
  return {
    pendingUpgrades,
    pendingWhy,
    rebootRequired: reboot.required,
    why: reboot.required === null ? rebootUnknownWhy(reboot) : reboot.reasons.length > 0 ? reboot.reasons.join('; ') : null,
    os,
    kernel: { running: reboot.runningKernel, newestInstalled: reboot.newestKernel, why: kernelWhy },
    rebootPackages: reboot.flag?.required ? reboot.flag.packages : [],
  };
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? text;
  return line.trim().slice(0, 300);
}

export class HostFactsWatcher implements Actor {
  readonly name = 'host-facts';

  /**
   * `read` gets the actor's signal: a read in progress when the agent stops is cut short (apt-get
   * killed: it takes seconds) and its result dropped.
   */
  constructor(
    private readonly opts: {
      intervalMs?: number;
      log: AgentLog;
      onFacts: (f: HostFacts) => void;
      read?: (signal: AbortSignal) => Promise<HostFacts>;
      clock?: Clock;
    },
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const facts = await (this.opts.read ?? ((s: AbortSignal) => readHostFacts({ signal: s })))(signal);
        if (signal.aborted) break;
        this.opts.onFacts(facts);
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message }, 'could not read the pending upgrades / reboot flag');
      }
      await sleepUnlessAborted(this.opts.intervalMs ?? 3_600_000, signal, this.opts.clock);
    }
  }
}
