/**
 * `upkeep status`: every container, and whether it would be running after a daemon restart,
 * a daemon crash and a reboot, with the reason when not.
 */
import type { Command } from 'commander';
import { readHostState } from '../../adapters/docker/host-state.js';
import { hostStatus } from '../../app/host-status.js';
import { EXIT } from '../../core/errors.js';
import { statusVerdict } from '../../core/status-report.js';
import { withEngine } from '../engine.js';
import { printJson, type Io } from '../io.js';
import { renderStatusText, statusJson } from '../render/status.js';
import { withOptionalStore } from '../state.js';

export interface StatusOptions {
  json?: boolean;
  stateDir?: string;
}

export function registerStatus(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('status')
    .description('List every container and whether it comes back after a daemon restart, a daemon crash and a reboot')
    .option('--json', 'print JSON ({"containers":[...]}) for scripts')
    .option('--state-dir <dir>', 'where the state database lives (for the desired state)')
    .addHelpText(
      'after',
      `
Columns: DAEMON RESTART (apt restarting docker.service), DAEMON CRASH (dockerd killed, OOM, power
loss), REBOOT (a clean reboot). "back" = running afterwards; NOT BACK / UNKNOWN come with a numbered
reason. For stopped containers, STARTS means the next daemon start would start it. A container
stopped on purpose (the agent saw \`docker stop\`) is named in a note: it is not desired.
Exit codes: 0 listed, 2 could not run. (Use "upkeep check" for a verdict with exit code 1 on risk.)`,
    )
    .action(async (opts: StatusOptions) => {
      const state = await withEngine(io, (engine) => readHostState(engine));
      const report = await withOptionalStore(io, opts, async (store, problem) => hostStatus(state, store, problem));
      if (opts.json) printJson(io, statusJson(report));
      else io.stdout.write(renderStatusText(io, report) + `\n${statusVerdict(report.summary)}\n`);
      setExit(EXIT.ok);
    });
}
