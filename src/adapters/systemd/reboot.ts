/**
 * The host's reboot (ports/reboot.ts Rebooter): `systemctl reboot` by default, run without a shell.
 * Another command can be given (UPKEEP_REBOOT_COMMAND: a host that reboots through its own tool,
 * and the end-to-end tests, which must not reboot the machine they run on).
 */
import { UpkeepError } from '../../core/errors.js';
import type { Rebooter } from '../../ports/reboot.js';
import { describeFailure, runCommand } from '../apt/run-command.js';

export const DEFAULT_REBOOT_COMMAND = ['systemctl', 'reboot'] as const;

/** A rebooter running `argv` (words, no shell); `systemctl reboot` returns once the shutdown is queued. */
export function commandRebooter(argv: readonly string[] = DEFAULT_REBOOT_COMMAND): Rebooter {
  const [file, ...args] = argv.length > 0 ? argv : DEFAULT_REBOOT_COMMAND;
  return {
    command: [file, ...args].join(' '),
    async reboot() {
      const r = await runCommand(file!, args, { timeoutMs: 60_000 });
      if (r.code !== 0)
        throw new UpkeepError(`the reboot could not be started: ${describeFailure(file!, args, r)}`, {
          hint: 'reboot the host yourself, then run upkeep upgrade --resume (the agent does it at its start)',
        });
    },
  };
}
