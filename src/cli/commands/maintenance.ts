/**
 * `upkeep maintenance start|stop|status`: maintenance windows. While one is open the agent holds
 * alerts (still recording them in the timeline) and announces what still fires when it ends. The
 * apt hook opens one (`--source apt`) before dpkg runs and closes it afterwards, which also asks
 * the agent for a recovery pass. A window always has an end (`--for`, default 1h), so a forgotten
 * one cannot silence alerts for ever.
 */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { EXIT, UsageError } from '../../core/errors.js';
import { printJson, type Io } from '../io.js';
import { withStore } from '../state.js';
import { agentRunning } from '../../app/agent-liveness.js';
import { closeMaintenanceWindows, describeWindow, openMaintenanceWindow } from '../../app/maintenance-windows.js';
import { processExists } from '../../adapters/proc/process-exists.js';
import { cancelScheduledMaintenance, describeScheduled, scheduleMaintenance } from '../../app/maintenance-schedule.js';
import { checkNote, parseScheduleTime } from '../../core/maintenance-schedule.js';
import { hostTimeZone, localTimeLine } from '../local-time.js';

interface MaintenanceOptions {
  for?: string;
  at?: string;
  note?: string;
  remindBefore?: string;
  source?: string;
  reason?: string;
  json?: boolean;
  quiet?: boolean;
  stateDir?: string;
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
        const window = openMaintenanceWindow(store, {
          source,
          reason: opts.reason ?? null,
          at: new Date(now).toISOString(),
          endsAt: new Date(now + ms).toISOString(),
        });
        // The apt hook opens the apt window right before dpkg runs (DPkg::Pre-Invoke) and closes it after.
        if (source === 'apt')
          store.appendTimeline({ kind: 'apt-started', subject: hostname(), message: 'apt started running dpkg', data: { window: window.id } });
        return window;
      });
      if (opts.json) printJson(io, { window: w });
      else if (!opts.quiet)
        io.stdout.write(`Maintenance window open: ${describeWindow(w)}. Alerts are held (and recorded) until \`upkeep maintenance stop\`.\n`);
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
        const list = closeMaintenanceWindows(store, source === undefined ? {} : { source });
        if (list.some((w) => w.source === 'apt'))
          store.appendTimeline({ kind: 'apt-ended', subject: hostname(), message: 'apt finished running dpkg', data: {} });
        return { ended: list, agent: agentRunning(store, Date.now(), processExists) };
      });
      if (opts.json) printJson(io, { ended });
      else if (!opts.quiet) {
        io.stdout.write(ended.length === 0 ? 'No maintenance window was open.\n' : `Closed: ${ended.map(describeWindow).join('; ')}.\n`);
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
    .description('Show the open maintenance windows and the scheduled ones')
    .option('--json', 'print JSON for scripts')
    .option('--state-dir <dir>', 'where the state database lives')
    .action(async (opts: MaintenanceOptions) => {
      const now = new Date().toISOString();
      const { open, scheduled } = await withStore(io, opts, async (store) => ({
        open: store.activeMaintenance(now),
        scheduled: store.upcomingMaintenance(now).filter((s) => s.cancelledAt === null),
      }));
      if (opts.json) printJson(io, { active: open.length > 0, windows: open, scheduled });
      else {
        io.stdout.write(open.length === 0 ? 'No maintenance window is open.\n' : `${open.map((w) => `open: ${describeWindow(w)}`).join('\n')}\n`);
        for (const s of scheduled) io.stdout.write(`scheduled: ${describeScheduled(s)}\n`);
      }
      setExit(EXIT.ok);
    });

  cmd
    .command('schedule')
    .description('Schedule a maintenance window: the agent announces it to the alert channels, reminds before it, and opens the window at its start')
    .requiredOption('--at <time>', 'when it starts: 2026-12-01T03:00Z, 2026-12-01 03:00 (local time), 03:00 (the next one), +2h')
    .option('--for <duration>', 'how long (the window ends by itself then; at most 7d)', '1h')
    .requiredOption('--note <text>', 'what people are told, e.g. "kernel and Docker upgrade; the APIs are down up to 15 min"')
    .option('--remind-before <duration>', 'the reminder goes out this long before the start (0: none)', '1h')
    .option('--json', 'print JSON for scripts')
    .option('--state-dir <dir>', 'where the state database lives')
    .action(async (opts: MaintenanceOptions) => {
      const now = Date.now();
      const startsAt = parseScheduleTime(opts.at ?? '', now, hostTimeZone);
      const durationMs = parseDuration(opts.for ?? '1h', '--for');
      const remindBeforeMs = parseDuration(opts.remindBefore ?? '1h', '--remind-before');
      const note = checkNote(opts.note ?? '');
      const { schedule, agent } = await withStore(io, opts, async (store) => ({
        schedule: scheduleMaintenance(store, { startsAt, durationMs, note, remindBeforeMs }, now),
        agent: agentRunning(store, now, processExists),
      }));
      if (opts.json) printJson(io, { scheduled: schedule, agentRunning: agent });
      else {
        io.stdout.write(`Scheduled: ${describeScheduled(schedule)}\n  starts ${localTimeLine(startsAt)} here\n`);
        io.stdout.write(
          agent
            ? `The agent announces it to the alert channels now${remindBeforeMs > 0 ? `, reminds ${opts.remindBefore} before the start,` : ''} and opens the window at the start. Cancel: upkeep maintenance cancel ${schedule.id}\n`
            : 'No upkeep agent is running here: nothing is announced and the window does not open by itself until one runs (`upkeep agent`, or `upkeep install` for the service).\n',
        );
      }
      setExit(EXIT.ok);
    });

  cmd
    .command('cancel')
    .description('Cancel a scheduled maintenance (the agent tells the channels when it had been announced)')
    .argument('<id>', 'its number, from upkeep maintenance status')
    .option('--json', 'print JSON for scripts')
    .option('--state-dir <dir>', 'where the state database lives')
    .action(async (idText: string, opts: MaintenanceOptions) => {
      if (!/^[1-9]\d{0,9}$/.test(idText))
        throw new UsageError(`"${idText}" is not a scheduled maintenance number`, { hint: 'upkeep maintenance status lists them' });
      const { schedule, already } = await withStore(io, opts, async (store) => cancelScheduledMaintenance(store, Number(idText), Date.now()));
      if (opts.json) printJson(io, { cancelled: schedule, already });
      else
        io.stdout.write(
          already
            ? `Already cancelled: ${describeScheduled(schedule)}\n`
            : `Cancelled: ${describeScheduled(schedule)}${schedule.announcedAt !== null ? '\nThe agent tells the channels it will not take place.' : ''}${schedule.windowId !== null ? '\nIts window is open already: close it with upkeep maintenance stop --source scheduled.' : ''}\n`,
        );
      setExit(EXIT.ok);
    });
}
