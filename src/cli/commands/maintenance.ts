/**
 * `upkeep maintenance start|stop|status`: maintenance windows. While one is open the agent holds
 * alerts (still recording them in the timeline) and announces what still fires when it ends. The
 * apt hook opens one (`--source apt`) before dpkg runs and closes it afterwards, which also asks
 * the agent for a recovery pass. A window always has an end (`--for`, default 1h), so a forgotten
 * one cannot silence alerts for ever.
 */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { MaintenanceWindow } from '../../adapters/store/store.js';
import { parseDuration } from '../../core/duration.js';
import { EXIT, UsageError } from '../../core/errors.js';
import { printJson, type Io } from '../io.js';
import { withStore } from '../state.js';
import { agentRunning } from '../../app/agent-liveness.js';
import { processExists } from '../../adapters/proc/process-exists.js';

interface MaintenanceOptions {
  for?: string;
  source?: string;
  reason?: string;
  json?: boolean;
  quiet?: boolean;
  stateDir?: string;
}

function describe(w: MaintenanceWindow): string {
  const ends = w.endedAt !== null ? `ended ${w.endedAt}` : `until ${w.endsAt}`;
  return `${w.source} since ${w.startedAt}, ${ends}${w.reason ? ` (${w.reason})` : ''}`;
}

const SOURCE = /^[a-z][a-z0-9-]{0,31}$/;

function sourceOf(opts: MaintenanceOptions): string {
  const s = opts.source ?? 'manual';
  if (!SOURCE.test(s)) throw new UsageError(`--source "${s}" must be a short lower-case word (e.g. manual, apt, ansible)`);
  return s;
}

export function registerMaintenance(program: Command, io: Io, setExit: (code: number) => void): void {
  const cmd = program.command('maintenance').description('Open or close a maintenance window: the agent holds alerts while one is open (and records them)');

  cmd
    .command('start')
    .description('Open a maintenance window (or extend the open one of the same --source)')
    .option('--for <duration>', 'how long at most (it ends by itself then)', '1h')
    .option('--source <word>', 'who opens it: manual, apt, ansible, ...', 'manual')
    .option('--reason <text>', 'recorded with the window, e.g. "kernel upgrade"')
    .option('--json', 'print JSON for scripts')
    .option('--quiet', 'print nothing (for hooks)')
    .option('--state-dir <dir>', 'where the state database lives')
    .action(async (opts: MaintenanceOptions) => {
      const ms = parseDuration(opts.for ?? '1h', '--for');
      if (ms <= 0) throw new UsageError('--for must be longer than 0');
      const source = sourceOf(opts);
      const w = await withStore(io, opts, async (store) => {
        const now = Date.now();
        const window = store.startMaintenance({
          source,
          reason: opts.reason ?? null,
          at: new Date(now).toISOString(),
          endsAt: new Date(now + ms).toISOString(),
        });
        store.appendTimeline({ kind: 'maintenance-start', subject: source, message: `maintenance window opened: ${describe(window)}`, data: window });
        // The apt hook opens the apt window right before dpkg runs (DPkg::Pre-Invoke) and closes it after.
        if (source === 'apt')
          store.appendTimeline({ kind: 'apt-started', subject: hostname(), message: 'apt started running dpkg', data: { window: window.id } });
        return window;
      });
      if (opts.json) printJson(io, { window: w });
      else if (!opts.quiet) io.stdout.write(`Maintenance window open: ${describe(w)}. Alerts are held (and recorded) until \`upkeep maintenance stop\`.\n`);
      setExit(EXIT.ok);
    });

  cmd
    .command('stop')
    .description('Close the open maintenance windows (of --source only, when given); held alerts that still fire are sent')
    .option('--source <word>', 'close only the windows this source opened')
    .option('--json', 'print JSON for scripts')
    .option('--quiet', 'print nothing (for hooks)')
    .option('--state-dir <dir>', 'where the state database lives')
    .action(async (opts: MaintenanceOptions) => {
      const source = opts.source === undefined ? undefined : sourceOf(opts);
      const { ended, agent } = await withStore(io, opts, async (store) => {
        const list = store.stopMaintenance(source === undefined ? {} : { source });
        for (const w of list)
          store.appendTimeline({ kind: 'maintenance-stop', subject: w.source, message: `maintenance window closed: ${describe(w)}`, data: w });
        if (list.some((w) => w.source === 'apt'))
          store.appendTimeline({ kind: 'apt-ended', subject: hostname(), message: 'apt finished running dpkg', data: {} });
        return { ended: list, agent: agentRunning(store, Date.now(), processExists) };
      });
      if (opts.json) printJson(io, { ended });
      else if (!opts.quiet) {
        io.stdout.write(ended.length === 0 ? 'No maintenance window was open.\n' : `Closed: ${ended.map(describe).join('; ')}.\n`);
        if (ended.some((w) => w.source === 'apt'))
          io.stdout.write(
            agent
              ? 'The agent runs a recovery pass now.\n'
              : 'No upkeep agent is running here: `upkeep diff` shows what the upgrade left down, `upkeep recover` brings it back.\n',
          );
      }
      setExit(EXIT.ok);
    });

  cmd
    .command('status')
    .description('Show the open maintenance windows')
    .option('--json', 'print JSON for scripts')
    .option('--state-dir <dir>', 'where the state database lives')
    .action(async (opts: MaintenanceOptions) => {
      const open = await withStore(io, opts, async (store) => store.activeMaintenance(new Date().toISOString()));
      if (opts.json) printJson(io, { active: open.length > 0, windows: open });
      else io.stdout.write(open.length === 0 ? 'No maintenance window is open.\n' : `${open.map((w) => `open: ${describe(w)}`).join('\n')}\n`);
      setExit(EXIT.ok);
    });
}
