/**
 * `upkeep status`: every container, and whether it would be running after a daemon restart,
 * a daemon crash and a reboot, with the reason when not.
 */
import type { Command } from 'commander';
import { readHostState } from '../../adapters/docker/host-state.js';
import { EXIT } from '../../core/errors.js';
import { renderTable } from '../../core/render/table.js';
import { buildStatusReport, statusTable, statusVerdict, type StatusReport } from '../../core/status-report.js';
import { withEngine } from '../engine.js';
import { painter, printJson, type Io } from '../io.js';

export interface StatusOptions {
  json?: boolean;
  all?: boolean;
}

export async function readStatus(io: Io): Promise<StatusReport> {
  return withEngine(io, async (engine) => {
    const state = await readHostState(engine);
    const notices: string[] = [];
    if (state.flagsUnreadable !== null) {
      notices.push(`whether a container was stopped by hand is unknown: ${state.flagsUnreadable}`);
    }
    return buildStatusReport(state.daemon, state.containers, notices);
  });
}

export function renderStatusText(io: Io, report: StatusReport): string {
  const paint = painter(io);
  const table = statusTable(report);
  if (table.rows.length === 0) return 'No containers on this engine.\n';
  const text = renderTable(
    table.header,
    table.rows.map((r) => r.cells),
    (cell, row, col) => {
      const outcome = table.rows[row]?.outcomes[col] ?? null;
      if (outcome === 'not-back' && cell.startsWith('NOT BACK')) return paint('red', cell);
      if (outcome === 'unknown') return paint('yellow', cell);
      if (outcome === 'back' && cell.startsWith('STARTS')) return paint('yellow', cell);
      return cell;
    },
  );
  const notes = table.footnotes.map((f, i) => `(${i + 1}) ${f}`);
  const daemonLine = `Docker ${report.daemon.serverVersion} (API ${report.daemon.apiVersion}), live-restore ${report.daemon.liveRestore ? 'on' : 'off'}`;
  const notices = report.notices.map((n) => `note: ${n}`);
  return [daemonLine, '', text, ...(notes.length ? ['', ...notes] : []), ...(notices.length ? ['', ...notices] : [])].join('\n') + '\n';
}

export function statusJson(report: StatusReport): unknown {
  return { daemon: report.daemon, containers: report.containers, summary: report.summary, notices: report.notices };
}

export function registerStatus(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('status')
    .description('List every container and whether it comes back after a daemon restart, a daemon crash and a reboot')
    .option('--json', 'print JSON ({"containers":[...]}) for scripts')
    .addHelpText(
      'after',
      `
Columns: DAEMON RESTART (apt restarting docker.service), DAEMON CRASH (dockerd killed, OOM, power
loss), REBOOT (a clean reboot). "back" = running afterwards; NOT BACK / UNKNOWN come with a numbered
reason. For stopped containers, STARTS means the next daemon start would start it.
Exit codes: 0 listed, 2 could not run. (Use "upkeep check" for a verdict with exit code 1 on risk.)`,
    )
    .action(async (opts: StatusOptions) => {
      const report = await readStatus(io);
      if (opts.json) printJson(io, statusJson(report));
      else io.stdout.write(renderStatusText(io, report) + `\n${statusVerdict(report.summary)}\n`);
      setExit(EXIT.ok);
    });
}
