/**
 * Prometheus Alertmanager as a channel (API v2).
 *
 * Alerts: `POST /api/v2/alerts`. A firing alert is posted without `endsAt`, so Alertmanager holds
 * it for its `resolve_timeout` (5 min by default) and then resolves it on its own: this notifier
 * therefore keeps the alerts it announced and posts them again every `resendMs` (default 60 s)
 * while they fire (the `run(signal)` actor), and a resolution is posted with `endsAt`. The firing
 * set is saved in the agent's state (`useStore`), so a restarted agent keeps re-sending what it
 * announced before, and Alertmanager does not resolve an alert that still fires.
 *
 * An alert that stops firing inside a maintenance window gets no "resolved" message (held, like
 * every message during a window): before each re-send the notifier asks the agent's alerts which
 * keys still fire (`useFiring`), and posts the others once with `endsAt` (resolved) instead.
 *
 * Labels (what Alertmanager groups, routes, inhibits and silences on): alertname, host, severity,
 * project and service (a compose container's project and service; a plain container's name is its
 * service), container or check. Annotations: summary (the title), description (the reason) and fix
 * (where to look). `generatorURL`: the agent's page.
 *
 * Summaries and maintenance notices are not alerts: this channel does not forward them (the other
 * channels do).
 *
 * Silences: `createSilence` / `expireSilence` / `silenceState` (`POST /api/v2/silences`,
 * `DELETE /api/v2/silence/{id}`, `GET /api/v2/silence/{id}`),
 * used by the agent's maintenance windows (src/agent/silences.ts).
 */
import { hostname as osHostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AlertMessage } from '../../core/alerts/alert-message.js';
import type { Actor } from '../../ports/actor.js';
import type { AgentStateRepository } from '../../ports/agent-state.js';
import { networkFailure, readText, request, type HttpResponse } from '../http/request.js';
import { DeliveryError, redact, type Notifier } from './notifier.js';

export interface AlertmanagerOptions {
  name?: string;
  /** Alertmanager's base URL, e.g. http://alertmanager:9093 (a path prefix such as /am is kept). */
  url: string;
  /** The agent's page, linked from each alert (generatorURL). */
  generatorUrl: string;
  /** Basic auth (user, password) or a bearer token, for an Alertmanager behind a proxy. */
  auth?: { user: string; password: string } | { bearer: string } | null;
  /** Post firing alerts again this often (well under Alertmanager's resolve_timeout). Default 60 s. */
  resendMs?: number;
  /** Also create a silence for the host while a maintenance window is open (src/agent/silences.ts). */
  silence?: boolean;
  /** Extra labels on every alert (e.g. `env: prod`). */
  labels?: Record<string, string>;
}

/** One alert as Alertmanager's API v2 takes it (postableAlert). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL: string;
}

const TIMEOUT_MS = 10_000;

/**
 * The agent's page as linked from Alertmanager: `http://LISTEN/`; a wildcard listen address
 * (0.0.0.0, ::) is replaced by this host's name.
 */
export function agentPageUrl(listen: { host: string; port: number }, hostname: string = osHostname()): string {
  const h = listen.host === '0.0.0.0' || listen.host === '::' || listen.host === '' ? hostname : listen.host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${listen.port}/`;
}
const STATE_PREFIX = 'alertmanager-firing:';

/** Alertmanager's alertname for each kind of upkeep alert key (`down:lapis` -> UpkeepContainerDown). */
const ALERTNAMES: Record<string, string> = {
  engine: 'UpkeepEngineDown',
  down: 'UpkeepContainerDown',
  crashloop: 'UpkeepCrashLoop',
  check: 'UpkeepCheckFailing',
};

/** The alert key of a message: set by the agent, else read from its id (`down:lapis@1700000000000:firing`). */
export function alertKey(message: AlertMessage): string {
  if (message.key) return message.key;
  const at = message.id.lastIndexOf('@');
  return at > 0 ? message.id.slice(0, at) : message.id;
}

/** The Alertmanager alert for an upkeep message (firing or reminder: no endsAt; resolved: endsAt = its time). */
export function toPostableAlert(message: AlertMessage, generatorUrl: string, extraLabels: Record<string, string> = {}): PostableAlert {
  const key = alertKey(message);
  const colon = key.indexOf(':');
  const kind = colon > 0 ? key.slice(0, colon) : key;
  const rest = colon > 0 ? key.slice(colon + 1) : '';
  const data = message.data ?? {};
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  const labels: Record<string, string> = { ...extraLabels, alertname: ALERTNAMES[kind] ?? 'UpkeepAlert', host: message.host, severity: message.severity };
  let project = str(data['project']);
  let service = str(data['service']);
  if (kind === 'down' || kind === 'crashloop') {
    labels['container'] = rest;
    service ??= rest;
  } else if (kind === 'check') {
    const slash = rest.lastIndexOf('/');
    const svc = slash > 0 ? rest.slice(0, slash) : rest;
    labels['check'] = slash > 0 ? rest.slice(slash + 1) : rest;
    // A configured service is a container name or compose "project/service".
    const ps = svc.indexOf('/');
    if (ps > 0) {
      project ??= svc.slice(0, ps);
      service ??= svc.slice(ps + 1);
    } else service ??= svc;
  }
  if (project !== null) labels['project'] = project;
  if (service !== null) labels['service'] = service;
  // A firing alert starts when it started firing (stable across re-sends: Alertmanager keeps one alert).
  const since = /@(\d+):/.exec(message.id)?.[1];
  const startsAt = since !== undefined ? new Date(Number(since)).toISOString() : message.at;
  const alert: PostableAlert = {
    labels,
    annotations: { summary: message.title, description: message.text, fix: fixFor(kind, message.host, labels['container'] ?? service ?? '') },
    startsAt,
    generatorURL: generatorUrl,
  };
  if (message.kind === 'resolved') alert.endsAt = message.at > startsAt ? message.at : new Date(Date.parse(startsAt) + 1).toISOString();
  return alert;
}

function fixFor(kind: string, host: string, name: string): string {
  switch (kind) {
    case 'engine':
      return `on ${host}: systemctl status docker; journalctl -u docker`;
    case 'down':
      return `on ${host}: upkeep timeline shows why ${name} stopped and what upkeep did; docker logs ${name}`;
    case 'crashloop':
      return `on ${host}: docker logs ${name}; upkeep timeline; fix the cause, then start it again`;
    case 'check':
      return `on ${host}: upkeep status; upkeep timeline; the check's target and the service's logs`;
    default:
      return `on ${host}: upkeep status; upkeep timeline`;
  }
}

export class AlertmanagerNotifier implements Notifier, Actor {
  readonly name: string;
  readonly groups = false;
  readonly silence: boolean;
  private readonly base: string;
  private readonly resendMs: number;
  /** Alerts announced and not resolved, by alert key: posted again every resendMs. */
  private firing = new Map<string, PostableAlert>();
  private state: AgentStateRepository | null = null;
  /** The alert keys that still fire (the agent's alert states); null: every announced alert is re-sent. */
  private stillFiring: (() => Iterable<string>) | null = null;
  /** Posts one at a time: a re-send never overtakes a resolution. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Re-sends done (tests wait on it). */
  resends = 0;

  constructor(private readonly opts: AlertmanagerOptions) {
    this.name = opts.name ?? 'alertmanager';
    this.silence = opts.silence ?? false;
    this.base = opts.url.replace(/\/+$/, '');
    this.resendMs = opts.resendMs ?? 60_000;
  }

  /** Keeps the firing set in the agent's state (read now, written on every change). */
  useStore(state: AgentStateRepository): void {
    this.state = state;
    const saved = state.getAgentState(STATE_PREFIX + this.name, (v) =>
      v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, PostableAlert>) : null,
    );
    this.firing = new Map(Object.entries(saved ?? {}).filter(([, a]) => a !== null && typeof a === 'object' && typeof a.labels === 'object'));
  }

  /**
   * Where to ask which alert keys still fire: an alert that stopped firing without a "resolved"
   * message (it resolved during a maintenance window) is resolved in Alertmanager by the next re-send.
   */
  useFiring(keys: () => Iterable<string>): void {
    this.stillFiring = keys;
  }

  /** The alerts currently re-sent (tests). */
  firingAlerts(): PostableAlert[] {
    return [...this.firing.values()];
  }

  async send(message: AlertMessage, signal?: AbortSignal): Promise<void> {
    if (message.kind !== 'firing' && message.kind !== 'reminder' && message.kind !== 'resolved') return;
    const alert = toPostableAlert(message, this.opts.generatorUrl, this.opts.labels);
    const key = alertKey(message);
    // The set changes before the post: a resolution that fails (and is retried by the outbox) is
    // not re-sent as firing meanwhile.
    if (message.kind === 'resolved') this.firing.delete(key);
    else this.firing.set(key, alert);
    this.save();
    await this.serial(() => this.call('POST', '/api/v2/alerts', [alert], signal));
  }

  /** Posts every firing alert again (one request); a failure waits for the next round. */
  async resend(signal?: AbortSignal): Promise<void> {
    if (this.firing.size === 0) return;
    // Alerts no longer firing are posted once more, with endsAt: Alertmanager resolves them. (If that
    // post fails, Alertmanager still resolves them after its resolve_timeout: they are not re-sent.)
    const resolved: PostableAlert[] = [];
    if (this.stillFiring !== null) {
      const keys = new Set(this.stillFiring());
      const now = Date.now();
      for (const [key, alert] of this.firing) {
        if (keys.has(key)) continue;
        this.firing.delete(key);
        resolved.push({ ...alert, endsAt: new Date(Math.max(now, Date.parse(alert.startsAt) + 1)).toISOString() });
      }
      if (resolved.length > 0) this.save();
    }
    await this.serial(() => this.call('POST', '/api/v2/alerts', [...this.firing.values(), ...resolved], signal));
    this.resends++;
  }

  /** Re-sends the firing alerts every resendMs until the signal aborts (at once at the start: a restarted agent). */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.resend(signal);
      } catch {
        /* Alertmanager unreachable: the next round tries again; the outbox reports delivery failures */
      }
      await sleep(this.resendMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /**
   * Creates (or, with `id`, updates) a silence; returns its id (a new one when Alertmanager made a
   * new silence). An update of a silence Alertmanager no longer has (404 "silence not found": it
   * restarted without its data) creates a new one.
   */
  async createSilence(
    s: { matchers: Record<string, string>; startsAt: string; endsAt: string; comment: string; id?: string },
    signal?: AbortSignal,
  ): Promise<string> {
    try {
      return await this.postSilence(s, signal);
    } catch (err) {
      if (!s.id || !(err instanceof DeliveryError) || !/ answered 404\b/.test(err.message)) throw err;
      const { id: _gone, ...rest } = s;
      return this.postSilence(rest, signal);
    }
  }

  /** The state of a silence ('active', 'pending', 'expired'), or null when Alertmanager does not have it (404). */
  async silenceState(id: string, signal?: AbortSignal): Promise<string | null> {
    let text: string;
    try {
      text = await this.serial(() => this.call('GET', `/api/v2/silence/${encodeURIComponent(id)}`, undefined, signal));
    } catch (err) {
      if (err instanceof DeliveryError && / answered 404\b/.test(err.message)) return null;
      throw err;
    }
    let state: unknown;
    try {
      state = (JSON.parse(text) as { status?: { state?: unknown } }).status?.state;
    } catch {
      /* below */
    }
    if (typeof state !== 'string') throw new DeliveryError(`GET ${redact(this.base)}/api/v2/silence/${id}: no status.state in the answer`, true);
    return state;
  }

  private async postSilence(
    s: { matchers: Record<string, string>; startsAt: string; endsAt: string; comment: string; id?: string },
    signal?: AbortSignal,
  ): Promise<string> {
    const body = {
      ...(s.id ? { id: s.id } : {}),
      matchers: Object.entries(s.matchers).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
      startsAt: s.startsAt,
      endsAt: s.endsAt,
      createdBy: 'upkeep',
      comment: s.comment,
    };
    const text = await this.serial(() => this.call('POST', '/api/v2/silences', body, signal));
    let id: unknown;
    try {
      id = (JSON.parse(text) as { silenceID?: unknown }).silenceID;
    } catch {
      /* below */
    }
    if (typeof id !== 'string' || id === '') throw new DeliveryError(`POST ${redact(this.base)}/api/v2/silences: no silenceID in the answer`, true);
    return id;
  }

  /** Expires a silence now; one already expired or gone counts as done. */
  async expireSilence(id: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.serial(() => this.call('DELETE', `/api/v2/silence/${encodeURIComponent(id)}`, undefined, signal));
    } catch (err) {
      // Alertmanager answers 404 for an unknown silence and 500 "silence ... already expired".
      if (err instanceof DeliveryError && /answered (404|500)\b.*(not found|already expired|expired)/i.test(err.message)) return;
      throw err;
    }
  }

  private save(): void {
    try {
      this.state?.setAgentState(STATE_PREFIX + this.name, Object.fromEntries(this.firing));
    } catch {
      /* kept in memory; saved with the next change */
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** One request; 2xx returns the body; 408, 429, 5xx and network errors are retryable, other 4xx not. */
  private async call(method: 'GET' | 'POST' | 'DELETE', path: string, body: unknown, signal?: AbortSignal): Promise<string> {
    const url = this.base + path;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const auth = this.opts.auth;
    if (auth && 'bearer' in auth) headers.authorization = `Bearer ${auth.bearer}`;
    else if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.user}:${auth.password}`, 'utf8').toString('base64')}`;
    let res: HttpResponse;
    let text: string;
    try {
      res = await request(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]) : AbortSignal.timeout(TIMEOUT_MS),
        idleTimeoutMs: TIMEOUT_MS,
      });
      text = await readText(res, 65_536);
    } catch (err) {
      if (err instanceof TypeError) throw new DeliveryError(`${method} ${redact(url)}: ${err.message}`, false);
      throw new DeliveryError(
        `${method} ${redact(url)} failed: ${networkFailure(err) ?? ((err as { cause?: Error }).cause?.message || (err as Error).message)}`,
        true,
      );
    }
    if (res.status >= 200 && res.status < 300) return text;
    const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
    throw new DeliveryError(`${method} ${redact(url)} answered ${res.status} ${text.slice(0, 200).trim()}`, retryable);
  }
}
