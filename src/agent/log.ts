/**
 * The agent's log: JSON lines (pino) on stdout, which journald keeps; `--log-format pretty` turns
 * each line into "HH:MM:SS LEVEL message key=value" for a terminal.
 */
import { pino, type Logger } from 'pino';

export interface AgentLog {
  debug(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

interface Sink {
  write(s: string): unknown;
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** A pino logger writing to `out` (default stdout) in `format`. */
export function createLog(format: 'json' | 'pretty', out: Sink = process.stdout, level = 'info'): Logger {
  const destination = format === 'json' ? out : { write: (line: string) => out.write(prettyLine(line)) };
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } }, destination);
}

/** One JSON log line as a human reads it. */
export function prettyLine(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, ...rest } = rec;
  const t = typeof time === 'string' ? time.slice(11, 19) : '';
  const lvl = typeof level === 'number' ? (LEVELS[level] ?? String(level)) : String(level ?? '').toUpperCase();
  const kv = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${t} ${lvl.padEnd(5)} ${String(msg ?? '')}${kv ? `  ${kv}` : ''}\n`;
}

/** A log that drops everything (tests). */
export const SILENT: AgentLog = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Whether the `attempt`-th failure in a row is worth a warning: the 1st, 2nd, 4th, 8th, ... (the
 * others go to debug). A reconcile fails every few seconds while dockerd stops or is down (no
 * socket), which is not news after the first lines; the engine's own down/up are in the timeline.
 */
export function warnsAtFailure(attempt: number): boolean {
  return Number.isInteger(attempt) && attempt > 0 && (attempt & (attempt - 1)) === 0;
}
