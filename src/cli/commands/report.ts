/**
 * `upkeep report`: the maintenance (or incident) report, built from the timeline and the store:
 * what happened when, which services were down and who brought them back, why (the restart
 * semantics), what upkeep did, what still needs a human, and the preflight's prediction next to
 * what happened; as Markdown, JSON or one HTML file (docs/report.md).
 */
import type { Command } from 'commander';
import { writeGeneratedFile } from '../../adapters/files/generated-file.js';
import { makeReport, type ReportRequest } from '../../app/report.js';
import { parseTimePoint } from '../../core/duration.js';
import { EXIT, UsageError } from '../../core/errors.js';
import { renderReportHtml } from '../../core/report/render-html.js';
import { renderReportMarkdown } from '../../core/report/render-markdown.js';
import type { Io } from '../io.js';
import { withOptionalStore } from '../state.js';

interface ReportOptions {
  since?: string;
  until?: string;
  format?: string;
  output?: string;
  stateDir?: string;
}

const FORMATS = ['md', 'json', 'html'] as const;

export function registerReport(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('report')
    .description('Write the report of a maintenance window or an incident: timeline, outages, root cause, what upkeep did, what needs a human')
    .argument('[maintenance-id]', 'the maintenance window (default: the newest one, or the last 24 h when there is none)')
    .option('--since <when>', 'a period instead of a window: a duration back from now (30m, 2h, 7d) or a date/time in UTC (2025-11-20T15:00)')
    .option('--until <when>', 'the end of that period (same forms; default now)')
    .option('--format <format>', 'md (GitHub Markdown), json (docs/schemas/report.schema.json) or html (one self-contained file)', 'md')
    .option('--output <file>', 'write it to FILE (atomically, mode 0644) instead of stdout')
    .option('--state-dir <dir>', 'where the state database lives')
    .addHelpText(
      'after',
      `
Built only from the timeline and the store (no engine needed). upkeep report lists the recent
windows when the id is unknown. Severity comes from the longest outage of a desired service
(docs/report.md). Exit codes: 0 written (also when nothing was recorded), 2 could not run.`,
    )
    .action(async (id: string | undefined, opts: ReportOptions) => {
      const format = opts.format ?? 'md';
      if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format "${format}" must be one of ${FORMATS.join(', ')}`);
      const now = Date.now();
      let req: ReportRequest;
      if (id !== undefined) {
        if (opts.since !== undefined || opts.until !== undefined) throw new UsageError('give a maintenance id or --since/--until, not both');
        if (!/^[1-9]\d{0,9}$/.test(id))
          throw new UsageError(`maintenance id "${id}" must be a whole number`, { hint: 'upkeep timeline --kind maintenance-start lists them' });
        req = { maintenanceId: Number(id) };
      } else if (opts.since !== undefined || opts.until !== undefined) {
        if (opts.since === undefined) throw new UsageError('--until needs --since');
        const since = parseTimePoint(opts.since, '--since', now);
        const until = opts.until === undefined ? new Date(now).toISOString() : parseTimePoint(opts.until, '--until', now);
        if (until <= since) throw new UsageError(`--until (${until}) must be after --since (${since})`);
        req = { since, until };
      } else req = { newest: true };
      const report = await withOptionalStore(io, opts, async (store, problem) => {
        if (problem !== null) throw new UsageError(problem);
        return makeReport(store, req, now);
      });
      const text = format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : format === 'html' ? renderReportHtml(report) : renderReportMarkdown(report);
      if (opts.output === undefined) io.stdout.write(text);
      else {
        // A report is named by the user: replace what is there (atomically), as any -o does.
        await writeGeneratedFile(opts.output, text, { marker: '', force: true, what: 'report' });
        io.stderr.write(`upkeep: report written to ${opts.output}\n`);
      }
      setExit(EXIT.ok);
    });
}
