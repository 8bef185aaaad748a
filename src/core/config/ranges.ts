/**
 * The allowed range of every duration in the config file (docs/config.md, docs/limits.md).
 * Node's timers fire at once for a delay of 2^31 ms (about 24.8 days) or more, so every duration
 * the agent may wait on with a timer has a maximum of at most 24 days: `resync: 720h` used to give
 * hundreds of reconciles a second. `timeline.retention` is not a timer (the agent prunes daily), so
 * it may be longer. Pure.
 */

/** The largest delay setTimeout honours; anything the agent sleeps on must stay below it. */
export const TIMER_LIMIT_MS = 2 ** 31 - 1;

export interface DurationRange {
  /** The bounds as written in messages and docs ("1s", "24h"); the *Ms fields are the same in ms. */
  min: string;
  max: string;
  minMs: number;
  maxMs: number;
  /** 0 is also allowed and means this (e.g. "no reminders"). */
  zero?: string;
  /** True when the agent waits on it with a timer (max must stay below TIMER_LIMIT_MS). */
  timer: boolean;
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function ms(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`bad range bound ${text}`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

function range(min: string, max: string, opts: { zero?: string; timer?: boolean } = {}): DurationRange {
  return { min, max, minMs: ms(min), maxMs: ms(max), ...(opts.zero !== undefined ? { zero: opts.zero } : {}), timer: opts.timer ?? true };
}

/** Every duration key of the file (dotted; a health check's keys as `checks[].KEY`) and its range. */
export const DURATION_RANGES = {
  resync: range('1s', '24h'),
  'heal.crash_loop.within': range('1s', '24h'),
  'heal.backoff.initial': range('100ms', '1h'),
  'heal.backoff.max': range('100ms', '24h'),
  'recovery.grace': range('0s', '1h'),
  'recovery.ready_timeout': range('1s', '24h'),
  'recovery.running_for': range('0s', '1h'),
  'recovery.cluster_timeout': range('1s', '24h'),
  'checks[].interval': range('1s', '24h'),
  'checks[].timeout': range('100ms', '1h'),
  'alerts.for': range('0s', '7d'),
  'alerts.repeat': range('1m', '24d', { zero: 'no reminders' }),
  'heartbeat.interval': range('10s', '24h'),
  'timeline.retention': range('1d', '3650d', { timer: false }),
  // Alertmanager resolves an alert not re-sent within its resolve_timeout (5 min by default).
  'alerts.channels[].resend': range('1s', '1h'),
} satisfies Record<string, DurationRange>;

export type DurationKey = keyof typeof DURATION_RANGES;

/** 90000 -> "90s", 7200000 -> "2h", 172800000 -> "2d": the largest unit that divides evenly (days from 2d on). */
export function formatDuration(ms: number): string {
  if (ms >= 2 * UNITS.d! && ms % UNITS.d! === 0) return `${ms / UNITS.d!}d`;
  for (const [unit, size] of [
    ['h', UNITS.h!],
    ['m', UNITS.m!],
    ['s', UNITS.s!],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return ms === 0 ? '0s' : `${ms}ms`;
}

/** "a duration from 1s to 24h", "0 (no reminders) or a duration from 1m to 24d". */
export function describeRange(r: DurationRange): string {
  const span = `a duration from ${r.min} to ${r.max}`;
  return r.zero !== undefined ? `0 (${r.zero}) or ${span}` : span;
}

export function inRange(ms: number, r: DurationRange): boolean {
  return (r.zero !== undefined && ms === 0) || (ms >= r.minMs && ms <= r.maxMs);
}
