/**
 * The config file's schema (zod 4) and its translation to UpkeepConfig (types.ts). The file uses
 * snake_case keys, durations like "30s" (a bare number = seconds), and strict mappings: an unknown
 * key is an error with a "did you mean" suggestion. Missing sections and an empty file mean
 * defaultConfig(). Pure: parseConfigObject() takes the parsed YAML value and returns the config or
 * every issue, each with the path of the offending value (docs/config.md).
 */
// The namespace import, not `import { z }`: a bundler then keeps only the parts used, where
// `{ z }` (an object holding every export) carries all of zod's 60 locales and its JSON-schema
// compiler into the bundle: 450 KB of the agent's file, 2.7 MiB of its idle memory
// (docs/benchmarks.md; test/scripts/bundle.test.ts checks it).
import * as z from 'zod';
import { parseDuration } from '../duration.js';
import { formatPath, type ConfigIssue, type ConfigPath } from './issues.js';
import { maskUrlSecrets } from './url-secrets.js';
import { describeRange, DURATION_RANGES, formatDuration, inRange, type DurationKey, type DurationRange } from './ranges.js';
import { defaultConfig, type ChannelConfig, type HealthCheckSpec, type ServiceConfig, type UpkeepConfig } from './types.js';

/** Keys whose values are secrets: never shown in messages or output. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['secret', 'password', 'token', 'headers']);

/** http.token: long enough not to be guessed (e.g. `openssl rand -hex 32`). */
export const MIN_TOKEN_LENGTH = 16;

// ---------- building blocks ----------

/** The closest known key to an unknown one, when close enough to be a likely typo. */
export function suggestKey(unknown: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDist = Infinity;
  for (const k of known) {
    const d = editDistance(unknown.toLowerCase().replace(/-/g, '_'), k);
    if (d < bestDist) [best, bestDist] = [k, d];
  }
  return best !== null && bestDist <= Math.max(2, Math.floor(best.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** One line per unknown key, in the order of `keys` (split apart again in toIssues). */
function unknownKeyLines(keys: readonly string[], known: readonly string[]): string {
  return keys
    .map((k) => {
      const s = suggestKey(k, known);
      return s !== null ? `unknown key "${k}" (did you mean "${s}"?)` : `unknown key "${k}"; known keys here: ${known.join(', ')}`;
    })
    .join('\n');
}

/** A mapping that rejects unknown keys; `null` (a key with nothing under it) means an empty mapping. */
function strict<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? unknownKeyLines(iss.keys, known) : undefined),
  });
}

/** A section that may be left out or empty: then every key inside takes its default. */
function section<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === null ? undefined : v), schema.prefault({} as never));
}

/**
 * "500ms", "10s", "2m", "1h", "7d" or a number of seconds -> milliseconds, within the key's range
 * (ranges.ts): a value outside it is an issue naming the range.
 */
function duration(key: DurationKey) {
  const range: DurationRange = DURATION_RANGES[key];
  return z.unknown().transform((v, ctx) => {
    const ms = toMs(v);
    if (ms === null) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a ${range.minMs > 0 && range.zero === undefined ? 'positive ' : ''}duration like 500ms, 10s, 2m or 1h (a bare number is seconds), found ${describe(v)}`,
        input: v,
      });
      return z.NEVER;
    }
    if (!inRange(ms, range)) {
      ctx.addIssue({ code: 'custom', message: `expected ${describeRange(range)}, found ${describe(v)}`, input: v });
      return z.NEVER;
    }
    return ms;
  });
}

function toMs(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.round(v * 1000) : null;
  if (typeof v !== 'string') return null;
  try {
    return parseDuration(v, 'duration');
  } catch {
    return null;
  }
}

const healMode = z.enum(['desired', 'always', 'never']);
const count = (min: number) => z.int().min(min);
const port = z.int().min(1).max(65535);

/** An http(s) URL (credentials allowed; they are masked in output). */
const httpUrl = z.string().refine(
  (s) => {
    try {
      return ['http:', 'https:'].includes(new URL(s).protocol);
    } catch {
      return false;
    }
  },
  { error: 'expected an http:// or https:// URL' },
);

/** "host:port", IPv6 in brackets: "[::1]:9465". */
const listen = z.string().transform((v, ctx) => {
  const m = /^(.*):(\d{1,5})$/.exec(v);
  const p = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || !(p >= 1 && p <= 65535)) {
    ctx.addIssue({ code: 'custom', message: `expected HOST:PORT like 127.0.0.1:9465, found ${describe(v)}`, input: v });
    return z.NEVER;
  }
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port: p };
});

// ---------- the file ----------

const checkSchema = strict({
  http: strict({ url: httpUrl, status: z.int().min(100).max(599).default(200), body_contains: z.string().optional() }).optional(),
  tcp: strict({ host: z.string().min(1), port }).optional(),
  docker: z.literal(true).optional(),
  interval: duration('checks[].interval').default(30_000),
  timeout: duration('checks[].timeout').default(5_000),
  failures: count(1).default(3),
  successes: count(1).default(1),
}).superRefine((c, ctx) => {
  const kinds = (['http', 'tcp', 'docker'] as const).filter((k) => c[k] !== undefined);
  if (kinds.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: `expected exactly one of http, tcp or docker in a check, found ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`,
    });
  }
});

const serviceSchema = section(
  strict({ heal: healMode.optional(), on_unhealthy: z.enum(['alert', 'restart']).default('alert'), checks: z.array(checkSchema).default([]) }),
);

const name = z.string().min(1).optional();
const channelSchema = z.discriminatedUnion(
  'type',
  [
    strict({
      type: z.literal('webhook'),
      name,
      url: httpUrl,
      secret: z.string().nullish(),
      headers: z.record(z.string(), z.string()).default({}),
      group: z.boolean().default(true),
    }),
    strict({ type: z.literal('slack'), name, url: httpUrl }),
    strict({
      type: z.literal('alertmanager'),
      name,
      url: httpUrl,
      user: z.string().min(1).nullish(),
      password: z.string().nullish(),
      token: z.string().min(1).nullish(),
      resend: duration('alerts.channels[].resend').default(60_000),
      silence: z.boolean().default(false),
      external_url: httpUrl.nullish(),
      labels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected a label name like env'), z.string()).default({}),
    }),
    strict({ type: z.literal('ntfy'), name, url: httpUrl, token: z.string().nullish() }),
    strict({
      type: z.literal('email'),
      name,
      host: z.string().min(1),
      port: port.default(587),
      secure: z.boolean().optional(),
      user: z.string().nullish(),
      password: z.string().nullish(),
      from: z.string().min(1),
      to: z.union([
        z
          .string()
          .min(1)
          .transform((s) => [s]),
        z.array(z.string().min(1)).min(1),
      ]),
    }),
  ],
  {
    error: (iss) => {
      if (iss.code !== 'invalid_union') return undefined;
      const type = (iss.input as Record<string, unknown> | null | undefined)?.['type'];
      return type === undefined
        ? 'missing required key "type" (expected webhook, slack, ntfy, email or alertmanager)'
        : `expected type to be one of webhook, slack, ntfy, email, alertmanager, found ${describe(type)}`;
    },
  },
);

export const fileSchema = section(
  strict({
    state_dir: z.string().min(1).nullish(),
    listen: listen.optional(),
    log_format: z.enum(['json', 'pretty']).default('json'),
    resync: duration('resync').default(60_000),
    heal: section(
      strict({
        default: healMode.default('desired'),
        crash_loop: section(strict({ restarts: count(1).default(5), within: duration('heal.crash_loop.within').default(120_000) })),
        backoff: section(strict({ initial: duration('heal.backoff.initial').default(1_000), max: duration('heal.backoff.max').default(60_000) })),
      }),
    ),
    recovery: section(
      strict({
        grace: duration('recovery.grace').default(10_000),
        ready_timeout: duration('recovery.ready_timeout').default(120_000),
        running_for: duration('recovery.running_for').default(5_000),
        concurrency: count(1).default(8),
        cluster_timeout: duration('recovery.cluster_timeout').default(120_000),
      }),
    ),
    services: z.preprocess((v) => (v === null ? undefined : v), z.record(z.string().min(1), serviceSchema).default({})),
    alerts: section(
      strict({
        for: duration('alerts.for').default(0),
        repeat: duration('alerts.repeat').default(4 * 3_600_000),
        channels: z.preprocess((v) => (v === null ? undefined : v), z.array(channelSchema).default([])),
      }),
    ),
    heartbeat: strict({ url: httpUrl, interval: duration('heartbeat.interval').default(60_000) }).nullish(),
    preflight: section(strict({ block: z.boolean().default(false) })),
    http: section(strict({ token: z.string().min(MIN_TOKEN_LENGTH).nullish() })),
    metrics: strict({ listen, web_config: z.string().min(1).nullish() }).nullish(),
    timeline: section(strict({ retention: duration('timeline.retention').default(90 * 86_400_000) })),
    clusters: z.preprocess(
      (v) => (v === null ? undefined : v),
      z
        .record(
          z.string().min(1),
          z.preprocess((v) => (v === null ? {} : v), strict({ kubeconfig: z.string().min(1).nullish(), context: z.string().min(1).nullish() })),
        )
        .default({}),
    ),
  }),
);

type FileConfig = z.output<typeof fileSchema>;

/** Whether the agent's HTTP listener on `host` is reachable from this host only. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || /^(0:){7}1$/.test(h) || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * What is valid but probably not meant, with the path of the value to look at: a listener that
 * other hosts can reach (/metrics and /status name the containers).
 */
export function configWarnings(config: UpkeepConfig): ConfigIssue[] {
  const m = config.metrics;
  const metricsWarning: ConfigIssue[] =
    m && m.webConfig === null && !isLoopback(m.listen.host)
      ? [
          {
            path: ['metrics', 'listen'],
            message:
              'not a loopback address and no metrics.web_config: other hosts can read /metrics (it names your containers) without a password, over plain http; set metrics.web_config (basic_auth_users, tls_server_config)',
          },
        ]
      : [];
  if (isLoopback(config.listen.host)) return metricsWarning;
  return [
    ...metricsWarning,
    config.http.token === null
      ? {
          path: ['listen'],
          message:
            'not a loopback address: other hosts can connect, and /metrics and /status name your containers; set http.token (other hosts must then send Authorization: Bearer TOKEN) or listen on 127.0.0.1',
        }
      : {
          path: ['listen'],
          message:
            'not a loopback address: other hosts can connect; they must send Authorization: Bearer <http.token> for /metrics and /status, over plain http (use a TLS proxy or a private network)',
        },
  ];
}

// ---------- translation ----------

export type ParseResult = { ok: true; config: UpkeepConfig } | { ok: false; issues: ConfigIssue[] };

/**
 * Validates the parsed YAML value and returns the complete config, or every issue found.
 * `sensitivePaths` (e.g. interpolated values) are never quoted in messages.
 */
export function parseConfigObject(value: unknown, opts: { sensitivePaths?: ConfigPath[] } = {}): ParseResult {
  const r = fileSchema.safeParse(value === undefined ? null : value, { reportInput: true });
  if (!r.success) return { ok: false, issues: toIssues(r.error.issues, opts.sensitivePaths ?? []) };
  const issues: ConfigIssue[] = crossFieldIssues(r.data, value);
  const config = toConfig(r.data, issues);
  return issues.length ? { ok: false, issues } : { ok: true, config };
}

/** The value at `path` in the parsed file, or undefined. */
function rawAt(value: unknown, path: ConfigPath): unknown {
  let v = value;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/**
 * Checks between keys: heal.backoff.initial <= heal.backoff.max. The issue points at the key the
 * file sets (initial when both are written), so FILE:LINE:COL lands on something to change.
 */
function crossFieldIssues(f: FileConfig, value: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const { initial, max } = f.heal.backoff;
  if (initial > max) {
    const initialPath = ['heal', 'backoff', 'initial'];
    const maxPath = ['heal', 'backoff', 'max'];
    const rawInitial = rawAt(value, initialPath);
    issues.push(
      rawInitial !== undefined && rawInitial !== null
        ? { path: initialPath, message: `expected at most heal.backoff.max (${formatDuration(max)}), found ${describe(rawInitial)}` }
        : { path: maxPath, message: `expected at least heal.backoff.initial (${formatDuration(initial)}), found ${describe(rawAt(value, maxPath))}` },
    );
  }
  return issues;
}

function toConfig(f: FileConfig, issues: ConfigIssue[]): UpkeepConfig {
  const d = defaultConfig();
  const heal = { ...d.heal, default: f.heal.default };
  return {
    stateDir: f.state_dir ?? null,
    listen: f.listen ?? d.listen,
    logFormat: f.log_format,
    heal: {
      ...heal,
      crashLoopRestarts: f.heal.crash_loop.restarts,
      crashLoopWindowMs: f.heal.crash_loop.within,
      backoffInitialMs: f.heal.backoff.initial,
      backoffMaxMs: f.heal.backoff.max,
    },
    recovery: {
      graceMs: f.recovery.grace,
      readyTimeoutMs: f.recovery.ready_timeout,
      runningForMs: f.recovery.running_for,
      concurrency: f.recovery.concurrency,
      clusterTimeoutMs: f.recovery.cluster_timeout,
    },
    resyncMs: f.resync,
    services: Object.entries(f.services).map(([name, s]) => toService(name, s, f.heal.default)),
    alerts: { forMs: f.alerts.for, repeatMs: f.alerts.repeat, channels: nameChannels(f.alerts.channels, issues) },
    heartbeat: f.heartbeat ? { url: f.heartbeat.url, intervalMs: f.heartbeat.interval } : null,
    preflight: { block: f.preflight.block },
    http: { token: f.http.token ?? null },
    ...(f.metrics ? { metrics: { listen: f.metrics.listen, webConfig: f.metrics.web_config ?? null } } : {}),
    timeline: { retentionMs: f.timeline.retention },
    clusters: Object.entries(f.clusters).map(([name, c]) => ({ name, kubeconfig: c.kubeconfig ?? null, context: c.context ?? null })),
  };
}

type FileService = FileConfig['services'][string];
type FileChannel = FileConfig['alerts']['channels'][number];

function toService(name: string, s: FileService, healDefault: ServiceConfig['heal']): ServiceConfig {
  return { name, heal: s.heal ?? healDefault, onUnhealthy: s.on_unhealthy, checks: s.checks.map(toCheck) };
}

function toCheck(c: FileService['checks'][number]): HealthCheckSpec {
  const timing = { intervalMs: c.interval, timeoutMs: c.timeout, failures: c.failures, successes: c.successes };
  if (c.http) return { type: 'http', url: c.http.url, status: c.http.status, bodyContains: c.http.body_contains ?? null, ...timing };
  if (c.tcp) return { type: 'tcp', host: c.tcp.host, port: c.tcp.port, ...timing };
  return { type: 'docker', ...timing };
}

/**
 * Channel names: an explicit `name` must be unique (a duplicate is an issue at its `name`); a
 * channel without one is named after its type, then type-2, type-3, ... avoiding taken names.
 */
function nameChannels(channels: FileChannel[], issues: ConfigIssue[]): ChannelConfig[] {
  const taken = new Set<string>();
  channels.forEach((c, i) => {
    if (c.name === undefined) return;
    if (taken.has(c.name)) issues.push({ path: ['alerts', 'channels', i, 'name'], message: `expected a unique channel name, found "${c.name}" a second time` });
    taken.add(c.name);
  });
  return channels.map((c) => {
    let n = c.name;
    if (n === undefined) {
      n = c.type;
      for (let k = 2; taken.has(n); k++) n = `${c.type}-${k}`;
      taken.add(n);
    }
    return toChannel(c, n);
  });
}

function toChannel(c: FileChannel, name: string): ChannelConfig {
  switch (c.type) {
    case 'webhook':
      return { type: 'webhook', name, url: c.url, secret: c.secret ?? null, headers: c.headers, group: c.group };
    case 'slack':
      return { type: 'slack', name, url: c.url };
    case 'alertmanager':
      return {
        type: 'alertmanager',
        name,
        url: c.url,
        auth: c.token ? { bearer: c.token } : c.user ? { user: c.user, password: c.password ?? '' } : null,
        resendMs: c.resend,
        silence: c.silence,
        externalUrl: c.external_url ?? null,
        labels: c.labels,
      };
    case 'ntfy':
      return { type: 'ntfy', name, url: c.url, token: c.token ?? null };
    case 'email':
      return {
        type: 'email',
        name,
        host: c.host,
        port: c.port,
        secure: c.secure ?? c.port === 465,
        user: c.user ?? null,
        password: c.password ?? null,
        from: c.from,
        to: c.to,
      };
  }
}

// ---------- messages ----------

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  record: 'a mapping',
};

/** A found value for a message: quoted when short and not secret, otherwise only its kind. */
export function describe(v: unknown, hide = false): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (hide) return `a ${typeof v} (hidden)`;
  if (typeof v === 'string') {
    const shown = maskUrlSecrets(v);
    return shown.length > 60 ? `${JSON.stringify(shown.slice(0, 57))}...` : JSON.stringify(shown);
  }
  return String(v);
}

function isSensitive(path: ConfigPath, sensitive: ConfigPath[]): boolean {
  if (path.some((seg) => typeof seg === 'string' && SECRET_KEYS.has(seg))) return true;
  const key = formatPath(path);
  return sensitive.some((p) => formatPath(p) === key);
}

/** zod's issues -> ours: what was expected and what was found, one issue per unknown key. */
function toIssues(zodIssues: readonly z.core.$ZodIssue[], sensitive: ConfigPath[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const iss of zodIssues) {
    const path = iss.path.filter((p): p is string | number => typeof p !== 'symbol');
    const input = (iss as { input?: unknown }).input;
    const found = describe(input, isSensitive(path, sensitive));
    switch (iss.code) {
      case 'unrecognized_keys': {
        const lines = iss.message.split('\n');
        iss.keys.forEach((k, i) => out.push({ path: [...path, k], message: lines[i] ?? `unknown key "${k}"`, at: 'key' }));
        break;
      }
      case 'invalid_type': {
        const expected = TYPE_NAMES[iss.expected] ?? iss.expected;
        const last = path[path.length - 1];
        out.push(
          input === undefined && typeof last === 'string'
            ? { path, message: `missing required key "${last}" (expected ${expected})` }
            : { path, message: `expected ${expected}, found ${found}` },
        );
        break;
      }
      case 'invalid_value':
        out.push({
          path,
          message: `expected ${iss.values
            .map((v) => String(v))
            .join(', ')
            .replace(/, ([^,]*)$/, ' or $1')}, found ${found}`,
        });
        break;
      case 'too_small':
      case 'too_big':
        out.push({ path, message: `${rangeExpectation(iss)}, found ${found}` });
        break;
      case 'invalid_union':
        out.push({
          path: iss.path.length || !('discriminator' in iss) ? path : [...path, 'type'],
          message: /expected|missing/.test(iss.message) ? iss.message : `expected ${unionExpectation(path)}, found ${found}`,
        });
        break;
      default:
        out.push({ path, message: iss.code === 'custom' || iss.message.includes('found') ? withFound(iss.message, found) : `${iss.message}, found ${found}` });
    }
  }
  return out;
}

function withFound(message: string, found: string): string {
  return message.includes(', found ') ? message : `${message}, found ${found}`;
}

function unionExpectation(path: ConfigPath): string {
  return path[path.length - 1] === 'to' ? 'an address or a list of addresses' : 'one of the allowed forms';
}

function rangeExpectation(iss: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const op = iss.code === 'too_small' ? (iss.inclusive ? '>=' : '>') : iss.inclusive ? '<=' : '<';
  const bound = iss.code === 'too_small' ? iss.minimum : iss.maximum;
  if (iss.origin === 'string')
    return iss.code === 'too_small' && Number(bound) === 1 ? 'expected a non-empty string' : `expected a string of length ${op} ${bound}`;
  if (iss.origin === 'array') return `expected a list with ${op} ${bound} entries`;
  return `expected a number ${op} ${bound}`;
}
