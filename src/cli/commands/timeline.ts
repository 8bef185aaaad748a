/**
 * `upkeep timeline`: what happened on this host and what upkeep did, oldest first: the engine going
 * away and back, boots, containers dying and coming back (and who brought them back), the
 * operator's stops, recovery passes, snapshots, fixes, preflights, maintenance windows, apt runs,
 * alerts. Written by every part of upkeep (docs/timeline.md).
 */
import type { Command } from 'commander';
import { readTimeline } from '../../app/timeline.js';
import { parseTimePoint } from '../../core/duration.js';
import { EXIT, UsageError } from '../../core/errors.js';
import { printJson, type Io } from '../io.js';
import { withOptionalStore } from '../state.js';

interface TimelineOptions {
  since?: string;
  until?: string;
  kind?: string[];
  subject?: string;
  limit?: string;
  json?: boolean;
  stateDir?: string;
}

export function registerTimeline(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('timeline')
    .description('What happened on this host and what upkeep did, oldest first')
    .option('--since <when>', 'from this time on: a duration back from now (30m, 2h, 7d) or a date/time in UTC (2025-11-20T15:00)', '24h')
    .option('--until <when>', 'up to this time (same forms)')
    .option('--kind <kind...>', 'only these kinds (e.g. container-died healed; "alert-*" for all alert kinds)')
    .option('--subject <name>', 'only entries about this container, host or alert')
    .option('--limit <n>', 'only the newest N entries', '1000')
    .option('--json', 'print JSON for scripts: {"entries":[{"at","kind","subject","detail"}]}')
    .option('--state-dir <dir>', 'where the state database lives')
    .addHelpText(
      'after',
      `
Entries the agent rebuilt after the fact (what happened while no agent ran, e.g. a boot) are
marked "reconstructed". Kinds: docs/timeline.md. Exit codes: 0 listed (also when empty), 2 could not run.`,
    )
    .action(async (opts: TimelineOptions) => {
      const now = Date.now();
      const since = parseTimePoint(opts.since ?? '24h', '--since', now);
      const until = opts.until === undefined ? undefined : parseTimePoint(opts.until, '--until', now);
      const limit = Number(opts.limit ?? '1000');
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit "${opts.limit}" must be a whole number of 1 or more`);
      const entries = await withOptionalStore(io, opts, async (store, problem) => {
        if (problem !== null) throw new UsageError(problem);
        if (store === null) return [];
        return readTimeline(store, {
          since,
          ...(until ? { until } : {}),
          ...(opts.kind ? { kinds: opts.kind } : {}),
          ...(opts.subject ? { subject: opts.subject } : {}),
          limit,
        });
      });
      if (opts.json) printJson(io, { since, until: until ?? null, entries });
      else if (entries.length === 0) io.stdout.write(`Nothing recorded since ${since}${opts.kind ? ` of kind ${opts.kind.join(', ')}` : ''}.\n`);
      else {
        const kindWidth = Math.min(24, Math.max(...entries.map((e) => e.kind.length)));
        for (const e of entries) {
          const when = e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
          const mark = e.detail.reconstructed ? ' (reconstructed)' : '';
          io.stdout.write(`${when}  ${e.kind.padEnd(kindWidth)}  ${e.subject ?? '-'}: ${oneLine(e.detail.message)}${mark}\n`);
        }
      }
      setExit(EXIT.ok);
    });
}

/** Messages can span lines (log excerpts): the listing keeps one line per entry. */
function oneLine(text: string): string {
  const first = text.split('\n')[0] ?? '';
  // Container names and log lines reach the terminal: no control characters (escape sequences).
  const safe = [...first].map((c) => (isControl(c.codePointAt(0)!) ? '?' : c)).join('');
  return first.length < text.length ? `${safe} [...]` : safe;
}

/** C0 and C1 control characters and DEL, except the tab. */
function isControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09) || (code >= 0x7f && code <= 0x9f);
}
