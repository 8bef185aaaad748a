/**
 * The agent's HTTP listener (an actor, name 'http'): GET /metrics for Prometheus, GET /healthz for
 * liveness probes, GET /status for people and scripts. Default address 127.0.0.1:9465 (config
 * `listen:`); port 0 picks a free port (tests).
 *
 *   GET /metrics  200, the Prometheus text format
 *   GET /healthz  200 {"ok":true,...detail} or 503 {"ok":false,...detail}
 *   GET /status   200, JSON from the status callback
 *   other paths   the status page and its JSON API when `page` is given (loaded on the first such
 *                 request: an agent nobody looks at never loads it; docs/status-page.md), else 404;
 *                 other methods on the three paths above 405 (Allow: GET)
 *
 * `run(signal)` listens, and on abort stops accepting, closes idle keep-alive connections at once,
 * lets requests in flight finish for up to `closeTimeoutMs` and then cuts them, and resolves once
 * the server is closed. A listen error (port in use, no permission) rejects `run()` and `listening`
 * with a message naming the address.
 */
import { nodeCrypto } from '../../core/lazy-crypto.js';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Actor } from '../../ports/actor.js';
import { foreignNameText, isLoopback, localHostCheck } from './host-header.js';

// Not `import { createServer } from 'node:http'`: see src/adapters/http/request.ts (an ESM import of
// node:http loads undici on Node 24).
const { createServer } = process.getBuiltinModule('node:http');

export interface HealthReport {
  ok: boolean;
  detail: Record<string, unknown>;
}

export interface MetricsText {
  contentType: string;
  body: string;
}

export interface AgentHttpOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 9465; 0 picks a free port. */
  port?: number;
  /** The metrics text: a function, or anything with `render()` (AgentMetrics). */
  metrics: (() => Promise<MetricsText> | MetricsText) | { render(): Promise<MetricsText> };
  /** Liveness; without it /healthz always answers 200 {"ok":true}. */
  health?: () => Promise<HealthReport> | HealthReport;
  /** The body of /status (JSON-serializable); without it /status is 404. */
  status?: () => Promise<unknown> | unknown;
  /** On abort, how long requests in flight may take before their connections are cut. Default 2000. */
  closeTimeoutMs?: number;
  /**
   * /metrics and /status name containers: a peer that is not on loopback gets them only with
   * `Authorization: Bearer <token>` (401 with a wrong or missing one), and never without a token
   * configured (403). /healthz is open to every peer.
   */
  token?: string | null;
  /**
   * The status page: every other path goes to the handler this loads, once, on the first such
   * request (the page's code is not loaded before). It does its own access checks and headers.
   */
  page?: () => Promise<PageHandler>;
}

/** Serves one request of the status page; `stopping` aborts when the listener stops (event streams end). */
export type PageHandler = (req: IncomingMessage, res: ServerResponse, stopping: AbortSignal) => Promise<void>;

export const DEFAULT_LISTEN = { host: '127.0.0.1', port: 9465 } as const;

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'address not available on this host',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
};

/** `127.0.0.1:9465`, `[::1]:9465`. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The error `run()` rejects with when the server cannot listen; names the address and the fix. */
export function listenError(host: string, port: number, err: NodeJS.ErrnoException): Error {
  const code = err.code ?? '';
  const what = LISTEN_ERRORS[code] ? `${LISTEN_ERRORS[code]} (${code})` : err.message;
  return new Error(`cannot listen on ${formatAddress(host, port)}: ${what}; set listen: in the config`, { cause: err });
}

/** A node:http or node:https server (the fleet metrics listener may use TLS). */
type AnyServer = Server | HttpsServer;

/** Listens on host:port; rejects with listenError's message (the address and the fix). */
export function listenOn(server: AnyServer, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(listenError(host, port, err));
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Serves until `signal` aborts, then stops accepting, closes idle keep-alive connections at once,
 * lets requests in flight finish for up to `closeTimeoutMs` and then cuts them; resolves once closed.
 */
export async function serveUntilAborted(server: AnyServer, signal: AbortSignal, closeTimeoutMs: number): Promise<void> {
  await new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await new Promise<void>((resolve) => {
    const cut = setTimeout(() => server.closeAllConnections(), closeTimeoutMs);
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}

export class AgentHttpServer implements Actor {
  readonly name = 'http';
  /** Resolves once the server listens; rejects when it cannot. */
  readonly listening: Promise<void>;

  private readonly host: string;
  private readonly port: number;
  private readonly closeTimeoutMs: number;
  private readonly opts: AgentHttpOptions;
  private server: Server | null = null;
  private bound: { host: string; port: number } | null = null;
  private settleListening!: (err?: Error) => void;
  private page: Promise<PageHandler> | null = null;
  private stopping: AbortSignal = new AbortController().signal;
  private readonly localHost: (header: string | undefined) => boolean;

  constructor(opts: AgentHttpOptions) {
    this.opts = opts;
    this.host = opts.host ?? DEFAULT_LISTEN.host;
    this.port = opts.port ?? DEFAULT_LISTEN.port;
    this.closeTimeoutMs = opts.closeTimeoutMs ?? 2_000;
    this.localHost = localHostCheck(this.host);
    this.listening = new Promise<void>((resolve, reject) => {
      this.settleListening = (err) => (err ? reject(err) : resolve());
    });
    // The rejection is also delivered through run(); nobody has to observe this promise.
    this.listening.catch(() => undefined);
  }

  /** Where the server listens (the real port when 0 was asked for); null when not listening. */
  address(): { host: string; port: number } | null {
    return this.bound;
  }

  async run(signal: AbortSignal): Promise<void> {
    if (this.server) throw new Error('http: run() called twice');
    if (signal.aborted) return;
    this.stopping = signal;
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;

    try {
      await listenOn(server, this.host, this.port);
    } catch (err) {
      this.server = null;
      this.settleListening(err as Error);
      throw err;
    }
    const a = server.address() as AddressInfo;
    this.bound = { host: a.address, port: a.port };
    this.settleListening();
    server.on('error', () => undefined);

    await serveUntilAborted(server, signal, this.closeTimeoutMs);
    this.bound = null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = requestPath(req.url);
    const route = ROUTES.get(path);
    if (!route && this.opts.page) return this.servePage(req, res);
    if (!route) return send(res, 404, 'text/plain; charset=utf-8', `not found: ${path}; try /metrics, /healthz or /status\n`);
    if (route === 'status' && !this.opts.status) return send(res, 404, 'text/plain; charset=utf-8', 'not found: /status\n');
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET');
      return send(res, 405, 'text/plain; charset=utf-8', `method ${req.method} not allowed; use GET\n`);
    }
    const refusal = accessRefusal(path, req.socket.remoteAddress, req.headers.authorization, this.opts.token ?? null, {
      header: req.headers.host,
      local: this.localHost(req.headers.host),
    });
    if (refusal !== null) {
      if (refusal.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
      return send(res, refusal.status, 'text/plain; charset=utf-8', refusal.body);
    }
    try {
      if (route === 'metrics') {
        const m = this.opts.metrics;
        const { contentType, body } = await (typeof m === 'function' ? m() : m.render());
        return send(res, 200, contentType, body);
      }
      if (route === 'healthz') {
        const h = this.opts.health ? await this.opts.health() : { ok: true, detail: {} };
        const { ok: _ignored, ...detail } = h.detail;
        return sendJson(res, h.ok ? 200 : 503, { ok: h.ok, ...detail });
      }
      return sendJson(res, 200, await this.opts.status!());
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      if (route === 'healthz') return sendJson(res, 503, { ok: false, error: message });
      return send(res, 500, 'text/plain; charset=utf-8', `error: ${message}\n`);
    }
  }

  private async servePage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      this.page ??= this.opts.page!();
      const handler = await this.page.catch((err: unknown) => {
        this.page = null; // tried again at the next request
        throw err;
      });
      await handler(req, res, this.stopping);
    } catch (err) {
      if (res.headersSent) res.destroy();
      else send(res, 500, 'text/plain; charset=utf-8', `error: ${(err as Error)?.message ?? String(err)}\n`);
    }
  }
}

const ROUTES = new Map<string, 'metrics' | 'healthz' | 'status'>([
  ['/metrics', 'metrics'],
  ['/healthz', 'healthz'],
  ['/status', 'status'],
]);

/** The path of a request target (origin-form `/metrics?x` or absolute-form `http://h/metrics`). */
function requestPath(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://agent').pathname;
  } catch {
    return url ?? '/';
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`);
}

/**
 * Who may read a page (see AgentHttpOptions.token): null when the request may go on, else the
 * status and text to answer with. `name`: the Host header, and whether it names loopback or the
 * listen host (host-header.ts). A loopback client under another name gets /status only with the
 * token (DNS rebinding: a site whose name its owner points at 127.0.0.1 would have a browser read
 * it). /metrics does not look at the name: Prometheus scrapes under whatever name its target has.
 */
export function accessRefusal(
  path: string,
  peer: string | undefined,
  authorization: string | undefined,
  token: string | null,
  name: { header: string | undefined; local: boolean },
): { status: 401 | 403; body: string } | null {
  if (path === '/healthz') return null;
  if (isLoopback(peer)) {
    if (path !== '/status' || name.local || (token !== null && bearerMatches(authorization, token))) return null;
    return { status: 403, body: `${foreignNameText(name.header)}\n` };
  }
  if (token === null)
    return { status: 403, body: `${path} is served to loopback only; set http.token in the config to allow other peers with a bearer token\n` };
  if (!bearerMatches(authorization, token)) return { status: 401, body: 'a valid "Authorization: Bearer <token>" is required\n' };
  return null;
}

/** Compares the bearer token in constant time. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!, 'utf8');
  const want = Buffer.from(token, 'utf8');
  return given.length === want.length && nodeCrypto().timingSafeEqual(given, want);
}
