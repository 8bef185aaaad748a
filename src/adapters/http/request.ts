/**
 * One small HTTP client over Node's own http/https modules, used by the Engine API client, the
 * alert channels, the probes and the heartbeat. Not fetch or undici: the agent runs for months
 * on a small server, and loading undici costs about 20 MiB of resident memory (docs/benchmarks.md).
 *
 * `request` resolves when the response headers arrive; the body is a stream the caller reads
 * (readBody, readText) or discards. `idleTimeoutMs` is an inactivity timeout on the socket
 * (connect, headers and body alike); 0 disables it (event streams).
 */
import type { Agent as HttpAgent, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';

/**
 * node:http through process.getBuiltinModule, not an ESM import: an ESM import builds the module's
 * namespace by reading every export, and on Node 24 that includes http's lazy `WebSocket`,
 * `CloseEvent` and `MessageEvent` getters, which load undici (about 13 MiB of resident memory for
 * the agent; docs/benchmarks.md, "Agent memory on Node 24"). Same for node:https below.
 */
const http = process.getBuiltinModule('node:http');

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal | undefined;
  idleTimeoutMs?: number;
  /** For unix sockets: the URL then only supplies the path. */
  socketPath?: string;
  agent?: HttpAgent | HttpsAgent;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

/** A socket inactivity timeout; `code` ETIMEDOUT so callers treat it like other network errors. */
export class HttpTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

let httpsModule: typeof import('node:https') | undefined;

export async function request(url: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
  const u = new URL(url);
  const secure = u.protocol === 'https:';
  if (!secure && u.protocol !== 'http:') throw new TypeError(`unsupported URL scheme ${u.protocol} in ${u.origin}`);
  // https is loaded only when a URL needs it (most hosts alert over plain loopback or not at all).
  const mod = secure ? (httpsModule ??= process.getBuiltinModule('node:https')) : http;
  const body = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body, 'utf8');
  const headers: Record<string, string> = { ...opts.headers };
  if (body !== undefined) headers['content-length'] = String(body.length);
  return new Promise<HttpResponse>((resolve, reject) => {
    const req = mod.request(
      {
        method: opts.method ?? 'GET',
        ...(opts.socketPath === undefined
          ? { hostname: u.hostname.replace(/^\[|\]$/g, ''), port: u.port === '' ? undefined : Number(u.port) }
          : { socketPath: opts.socketPath, hostname: u.hostname }),
        path: `${u.pathname}${u.search}`,
        auth: u.username === '' ? undefined : `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`,
        headers,
        signal: opts.signal,
        agent: opts.agent as HttpAgent | undefined,
      },
      (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
    );
    req.once('error', reject);
    const idle = opts.idleTimeoutMs ?? 30_000;
    if (idle > 0) req.setTimeout(idle, () => req.destroy(new HttpTimeoutError(idle)));
    req.end(body);
  });
}

/** The whole body, at most `limit` bytes (the rest is dropped, the stream still drained). */
export async function readBody(res: HttpResponse, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    const buf = chunk as Buffer;
    if (size < limit) chunks.push(size + buf.length > limit ? buf.subarray(0, limit - size) : buf);
    size += buf.length;
  }
  return Buffer.concat(chunks);
}

export async function readText(res: HttpResponse, limit?: number): Promise<string> {
  return (await readBody(res, limit)).toString('utf8');
}

/** Reads and drops the body, so a keep-alive socket goes back to its pool. Never throws. */
export async function discard(res: HttpResponse): Promise<void> {
  try {
    for await (const _ of res.body) {
      /* drain */
    }
  } catch {
    /* the connection went away: nothing to reuse */
  }
}

/** The first system error code (ECONNREFUSED, ...) in an error's cause chain. */
export function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e !== null && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    const errors = (e as { errors?: unknown[] }).errors;
    e = Array.isArray(errors) && errors.length > 0 ? errors[0] : (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** "timed out" for a timeout (an AbortSignal.timeout or the idle timeout), else the system error code. */
export function networkFailure(err: unknown): string | undefined {
  const name = (err as Error | null)?.name;
  const reason = (err as { cause?: { name?: string } } | null)?.cause?.name;
  if (name === 'TimeoutError' || reason === 'TimeoutError') return 'timed out';
  return errorCode(err);
}

export function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR');
}
