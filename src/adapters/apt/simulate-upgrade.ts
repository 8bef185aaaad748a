/**
 * Asks apt what an upgrade would do, without doing it: `LC_ALL=C apt-get -s -o Debug::NoLocking=1
 * <mode>`. Needs no root and takes no lock, so it is safe while another apt runs. The text goes to
 * parseAptSimulation (src/core/preflight/apt-plan.ts).
 */
import { UpkeepError } from '../../core/errors.js';
import { describeFailure, runCommand } from './run-command.js';

/** The two upgrades an operator types: `apt upgrade` never removes packages, `dist-upgrade` (= `apt full-upgrade`) may. */
export type UpgradeMode = 'dist-upgrade' | 'upgrade';

/**
 * Returns the stdout of the simulated upgrade.
 * @throws UpkeepError when apt-get cannot run or fails (e.g. a broken dpkg state).
 */
export async function simulateUpgrade(mode: UpgradeMode, signal?: AbortSignal): Promise<string> {
  const args = ['-s', '-o', 'Debug::NoLocking=1', mode];
  const r = await runCommand('apt-get', args, signal === undefined ? {} : { signal });
  if (r.code !== 0) {
    throw new UpkeepError(`could not simulate the upgrade: ${describeFailure('apt-get', args, r)}`, {
      hint: 'run `apt-get -s dist-upgrade` yourself to see why, or pass a saved plan with --plan FILE',
    });
  }
  return r.stdout;
}
