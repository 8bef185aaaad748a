/**
 * Alert channels. Each channel is a Notifier; the agent's outbox calls `send` and retries with
 * backoff while the error is retryable. `message.id` is the idempotency key: the same id is sent
 * again only after a failure, and receivers can drop duplicates by it.
 */
import { nodeCrypto } from '../../core/lazy-crypto.js';
import { networkFailure, readText, request, type HttpResponse } from '../http/request.js';

export type { AlertMessage } from '../../core/alerts/alert-message.js';
import type { AlertMessage } from '../../core/alerts/alert-message.js';

export interface Notifier {
  readonly name: string;
  /**
   * Read by people (Slack, ntfy, email, webhooks unless `group: false`): alerts queued together
   * (one reconcile: 50 containers dying at once) arrive as ONE message listing them. Machine
   * receivers that group by themselves get one message per alert.
   */
  readonly groups?: boolean;
  send(message: AlertMessage, signal?: AbortSignal): Promise<void>;
}

/** A failed delivery; `retryable` false means retrying will not help (bad URL, 4xx). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

const TIMEOUT_MS = 10_000;

/** POSTs and maps the outcome: 2xx ok; 408, 429, 5xx and network errors retryable; other 4xx not. */
export async function postOrThrow(url: string, body: string, headers: Record<string, string>, signal?: AbortSignal): Promise<void> {
  let res: HttpResponse;
  let text: string;
  try {
    res = await request(url, {
      method: 'POST',
      body,
      headers,
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]) : AbortSignal.timeout(TIMEOUT_MS),
      idleTimeoutMs: TIMEOUT_MS,
    });
    text = await readText(res, 4096);
  } catch (err) {
    if (err instanceof TypeError) throw new DeliveryError(`POST ${redact(url)}: ${err.message}`, false);
    throw new DeliveryError(
      `POST ${redact(url)} failed: ${networkFailure(err) ?? ((err as { cause?: Error }).cause?.message || (err as Error).message)}`,
      true,
    );
  }
  if (res.status >= 200 && res.status < 300) return;
  const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
  throw new DeliveryError(`POST ${redact(url)} answered ${res.status} ${text.slice(0, 200)}`, retryable);
}

/** Hides credentials and tokens in URLs printed in logs (Slack webhook URLs are secrets). */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    const path = u.pathname.length > 12 ? `${u.pathname.slice(0, 12)}…` : u.pathname;
    return `${u.protocol}//${u.host}${path}`;
  } catch {
    return '<invalid url>';
  }
}

/** Generic JSON webhook, with an optional HMAC-SHA256 signature of the body. */
export class WebhookNotifier implements Notifier {
  readonly name: string;
  readonly groups: boolean;
  constructor(private readonly opts: { url: string; secret?: string; name?: string; headers?: Record<string, string>; group?: boolean }) {
    this.name = opts.name ?? 'webhook';
    this.groups = opts.group ?? false;
  }

  async send(message: AlertMessage, signal?: AbortSignal): Promise<void> {
    const body = JSON.stringify({ version: 1, ...message });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': message.id, ...this.opts.headers };
    if (this.opts.secret) headers['x-upkeep-signature'] = `sha256=${signBody(this.opts.secret, body)}`;
    await postOrThrow(this.opts.url, body, headers, signal);
  }
}

export function signBody(secret: string, body: string): string {
  return nodeCrypto().createHmac('sha256', secret).update(body).digest('hex');
}

const EMOJI: Record<AlertMessage['kind'], string> = {
  firing: ':red_circle:',
  reminder: ':red_circle:',
  resolved: ':white_check_mark:',
  summary: ':information_source:',
  notice: ':calendar:',
};

/** Slack-compatible incoming webhook (also Mattermost, Rocket.Chat). */
export class SlackNotifier implements Notifier {
  readonly name = 'slack';
  readonly groups = true;
  constructor(private readonly url: string) {}

  async send(message: AlertMessage, signal?: AbortSignal): Promise<void> {
    const text = `${EMOJI[message.kind]} *${message.title}* (${message.host})\n${message.text}`;
    await postOrThrow(this.url, JSON.stringify({ text }), { 'content-type': 'application/json' }, signal);
  }
}

/** ntfy: a POST of the text to the topic URL, with title, priority and tags as headers. */
export class NtfyNotifier implements Notifier {
  readonly name = 'ntfy';
  readonly groups = true;
  constructor(private readonly opts: { url: string; token?: string }) {}

  async send(message: AlertMessage, signal?: AbortSignal): Promise<void> {
    const headers: Record<string, string> = {
      title: asciiHeader(`${message.title} (${message.host})`),
      priority: message.severity === 'critical' && message.kind !== 'resolved' ? 'high' : 'default',
      tags: message.kind === 'resolved' ? 'white_check_mark' : message.severity === 'critical' ? 'rotating_light' : 'information_source',
      'x-upkeep-id': message.id,
    };
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    await postOrThrow(this.opts.url, message.text, headers, signal);
  }
}

/** HTTP header values must be ASCII; ntfy also accepts RFC 2047, but plain ASCII is simplest. */
function asciiHeader(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}
