/**
 * `upkeep check`: the main job. For now: status plus a one-line verdict; exit 1 when any running
 * container would not (or might not) come back. Later: audit and preflight summaries.
 */
import type { Command } from 'commander';
import { EXIT } from '../../core/errors.js';
import { hasRisk, statusVerdict } from '../../core/status-report.js';
import { painter, printJson, type Io } from '../io.js';
import { readStatus, renderStatusText, statusJson } from './status.js';

export function registerCheck(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('check')
    .description('The main job: what would not survive maintenance on this host, with a verdict')
    .option('--json', 'print JSON for scripts: {"verdict","risk","status":{...}}')
    .addHelpText('after', '\nExit codes: 0 everything comes back, 1 something would not (or cannot be predicted), 2 could not run.')
    .action(async (opts: { json?: boolean }) => {
      const report = await readStatus(io);
      const risk = hasRisk(report.summary);
      const verdict = statusVerdict(report.summary);
      if (opts.json) {
        printJson(io, { verdict, risk, status: statusJson(report) });
      } else {
        const paint = painter(io);
        io.stdout.write(renderStatusText(io, report));
        io.stdout.write(`\n${risk ? paint('bold', verdict) : verdict}\n`);
        if (risk) {
          io.stdout.write('Next: "upkeep status --json" for every reason; set "restart: always" on services that must survive a crash.\n');
        }
      }
      setExit(risk ? EXIT.findings : EXIT.ok);
    });
}
