/**
 * A small typed client for the Docker Engine API over a unix socket or TCP (node:http, one
 * keep-alive pool per client). The API version is negotiated once, from /_ping and /version, on
 * first use.
 */
import { discard, errorCode, isAbort, readBody, readText, request, type HttpResponse } from '../http/request.js';
import { negotiateApiVersion } from '../../core/api-version.js';
import type { DockerEndpoint } from '../../core/docker-host.js';
import { DockerApiError, DockerUnavailableError, UpkeepError } from '../../core/errors.js';
import type { EngineContainerInspect, EngineContainerSummary, EngineEvent, EngineInfo, EngineVersion } from '../../core/engine-types.js';
import { JsonLineSplitter } from '../../core/json-lines.js';
import type { RestartPolicy } from '../../core/model.js';

// Not `import { Agent } from 'node:http'`: see src/adapters/http/request.ts (an ESM import of
// node:http loads undici on Node 24).
const { Agent } = process.getBuiltinModule('node:http');

export interface EventQuery {
  /** Unix seconds (may be fractional), as the Engine API takes it. */
  since?: number;
  filters?: Record<string, string[]>;
  signal?: AbortSignal;
}

/** The calls upkeep makes; commands and the agent receive this interface, tests may pass another. */
export interface DockerEngine {
  readonly endpoint: DockerEndpoint;
  ping(): Promise<{ apiVersion: string }>;
  apiVersion(): Promise<string>;
  version(): Promise<EngineVersion>;
  info(): Promise<EngineInfo>;
  listContainers(opts?: { all?: boolean; filters?: Record<string, string[]> }): Promise<EngineContainerSummary[]>;
  inspectContainer(id: string): Promise<EngineContainerInspect>;
  /** Resolves to "started" (204) or "already-running" (304). */
  startContainer(id: string): Promise<'started' | 'already-running'>;
  stopContainer(id: string, timeoutSeconds?: number): Promise<'stopped' | 'already-stopped'>;
  restartContainer(id: string, timeoutSeconds?: number): Promise<void>;
  updateRestartPolicy(id: string, policy: RestartPolicy): Promise<void>;
  createContainer(name: string, config: Record<string, unknown>): Promise<{ id: string }>;
  removeContainer(id: string, opts?: { force?: boolean }): Promise<void>;
  connectNetwork(network: string, containerId: string, endpointConfig?: Record<string, unknown>): Promise<void>;
  /** The event stream; ends (without throwing) when the daemon goes away or the signal aborts. */
  events(query?: EventQuery): AsyncIterable<EngineEvent>;
  /** The last `tail` lines of a container's stdout and stderr, as text (for alerts). */
  logs?(id: string, tail: number): Promise<string[]>;
  close(): Promise<void>;
}

const REQUEST_TIMEOUT_MS = 30_000;

export class EngineClient implements DockerEngine {
  readonly endpoint: DockerEndpoint;
  /** Idle sockets are closed after 10 s: an agent that reconciles every few minutes holds none. */
  private readonly pool = new Agent({ keepAlive: true, timeout: 10_000, maxFreeSockets: 4 });
  private readonly origin: string;
  private readonly socketPath: string | undefined;
  private negotiated: Promise<string> | undefined;
  /** The API version the engine last said it speaks (its /_ping header). */
  private serverApiVersion: string | null = null;

  constructor(endpoint: DockerEndpoint) {
    this.endpoint = endpoint;
    this.origin = endpoint.kind === 'unix' ? 'http://docker' : endpoint.baseUrl;
    this.socketPath = endpoint.kind === 'unix' ? endpoint.socketPath : undefined;
  }

  async ping(): Promise<{ apiVersion: string }> {
    const res = await this.raw('GET', '/_ping');
    const header = res.headers['api-version'];
    await discard(res);
    if (res.status !== 200) throw this.unexpected('GET /_ping', res.status, '');
    const apiVersion = Array.isArray(header) ? (header[0] ?? '') : (header ?? '');
    // Another engine answers on the socket (an upgrade in place: 20.10 -> 28 -> 29, whose minimum
    // is above what an older one offered): the version is negotiated again on the next request.
    if (apiVersion !== '' && this.serverApiVersion !== null && apiVersion !== this.serverApiVersion) this.negotiated = undefined;
    if (apiVersion !== '') this.serverApiVersion = apiVersion;
    return { apiVersion };
  }

  apiVersion(): Promise<string> {
    // A negotiation that failed (the engine went away in the middle of it) is not kept: the next
    // request negotiates again. Kept, it failed every request of a long-running agent until its restart.
    this.negotiated ??= this.negotiate().catch((err: unknown) => {
      this.negotiated = undefined;
      throw err;
    });
    return this.negotiated;
  }

  private async negotiate(): Promise<string> {
    const { apiVersion } = await this.ping();
    let serverMax = apiVersion;
    let serverMin: string | null = null;
    const res = await this.raw('GET', '/version', undefined, { versioned: false });
    if (res.status === 200) {
      const v = JSON.parse(await readText(res)) as EngineVersion;
      serverMax = serverMax === '' ? v.ApiVersion : serverMax;
      serverMin = v.MinAPIVersion ?? null;
    } else {
      await discard(res);
    }
    const n = negotiateApiVersion(serverMax, serverMin);
    if (!n.ok) throw new DockerUnavailableError(`cannot talk to the Docker engine at ${this.endpoint.display}: ${n.reason}`);
    return n.version;
  }

  version(): Promise<EngineVersion> {
    return this.json<EngineVersion>('GET', '/version');
  }

  info(): Promise<EngineInfo> {
    return this.json<EngineInfo>('GET', '/info');
  }

  listContainers(opts: { all?: boolean; filters?: Record<string, string[]> } = {}): Promise<EngineContainerSummary[]> {
    const q = new URLSearchParams();
    if (opts.all !== false) q.set('all', '1');
    if (opts.filters) q.set('filters', JSON.stringify(opts.filters));
    return this.json<EngineContainerSummary[]>('GET', `/containers/json?${q.toString()}`);
  }

  inspectContainer(id: string): Promise<EngineContainerInspect> {
    return this.json<EngineContainerInspect>('GET', `/containers/${encodeURIComponent(id)}/json`, undefined, `container ${id}`);
  }

  async startContainer(id: string): Promise<'started' | 'already-running'> {
    const status = await this.noContent('POST', `/containers/${encodeURIComponent(id)}/start`, [204, 304], `container ${id}`);
    return status === 304 ? 'already-running' : 'started';
  }

  async stopContainer(id: string, timeoutSeconds?: number): Promise<'stopped' | 'already-stopped'> {
    const q = timeoutSeconds === undefined ? '' : `?t=${timeoutSeconds}`;
    const status = await this.noContent('POST', `/containers/${encodeURIComponent(id)}/stop${q}`, [204, 304], `container ${id}`);
    return status === 304 ? 'already-stopped' : 'stopped';
  }

  async restartContainer(id: string, timeoutSeconds?: number): Promise<void> {
    const q = timeoutSeconds === undefined ? '' : `?t=${timeoutSeconds}`;
    await this.noContent('POST', `/containers/${encodeURIComponent(id)}/restart${q}`, [204], `container ${id}`);
  }

  async updateRestartPolicy(id: string, policy: RestartPolicy): Promise<void> {
    const body = {
      RestartPolicy: {
        Name: policy.name,
        MaximumRetryCount: policy.name === 'on-failure' ? policy.maximumRetryCount : 0,
      },
    };
    await this.json<unknown>('POST', `/containers/${encodeURIComponent(id)}/update`, body, `container ${id}`);
  }

  async createContainer(name: string, config: Record<string, unknown>): Promise<{ id: string }> {
    const r = await this.json<{ Id: string }>('POST', `/containers/create?name=${encodeURIComponent(name)}`, config, `container ${name}`);
    return { id: r.Id };
  }

  async removeContainer(id: string, opts: { force?: boolean } = {}): Promise<void> {
    const q = opts.force ? '?force=1' : '';
    await this.noContent('DELETE', `/containers/${encodeURIComponent(id)}${q}`, [204], `container ${id}`);
  }

  async connectNetwork(network: string, containerId: string, endpointConfig: Record<string, unknown> = {}): Promise<void> {
    await this.json<unknown>(
      'POST',
      `/networks/${encodeURIComponent(network)}/connect`,
      { Container: containerId, EndpointConfig: endpointConfig },
      `network ${network}`,
    );
  }

  async *events(query: EventQuery = {}): AsyncIterable<EngineEvent> {
    const q = new URLSearchParams();
    if (query.since !== undefined) q.set('since', String(query.since));
    if (query.filters) q.set('filters', JSON.stringify(query.filters));
    let res: HttpResponse;
    try {
      res = await this.raw('GET', `/events?${q.toString()}`, undefined, { signal: query.signal, streaming: true });
    } catch (err) {
      if (query.signal?.aborted) return;
      throw err;
    }
    if (res.status !== 200) throw this.unexpected('GET /events', res.status, await readText(res));
    const splitter = new JsonLineSplitter<EngineEvent>();
    try {
      for await (const chunk of res.body) {
        for (const ev of splitter.push(chunk as Buffer)) yield ev;
      }
      for (const ev of splitter.end()) yield ev;
    } catch (err) {
      // The daemon went away (socket closed) or the caller aborted: the stream simply ends.
      if (query.signal?.aborted || isConnectionLoss(err)) return;
      throw err;
    } finally {
      res.body.destroy();
    }
  }

  async logs(id: string, tail: number): Promise<string[]> {
    const res = await this.raw('GET', `/containers/${encodeURIComponent(id)}/logs?stdout=1&stderr=1&tail=${Math.max(0, Math.floor(tail))}`);
    const body = await readBody(res, 1024 * 1024);
    if (res.status !== 200) throw this.unexpected(`GET logs of ${id}`, res.status, body.toString('utf8'), `container ${id}`);
    return demuxLogs(body)
      .split('\n')
      .map((l) => l.replace(/\r$/, ''))
      .filter((l, i, all) => l !== '' || i < all.length - 1);
  }

  async close(): Promise<void> {
    this.pool.destroy();
  }

  // ---- plumbing ----

  private async versionedPath(path: string): Promise<string> {
    return `/v${await this.apiVersion()}${path}`;
  }

  private async raw(
    method: HttpMethod,
    path: string,
    body?: unknown,
    opts: { signal?: AbortSignal | undefined; streaming?: boolean; versioned?: boolean } = {},
  ): Promise<HttpResponse> {
    const fullPath = path === '/_ping' || opts.versioned === false ? path : await this.versionedPath(path);
    try {
      return await request(`${this.origin}${fullPath}`, {
        method,
        agent: this.pool,
        socketPath: this.socketPath,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: opts.signal,
        idleTimeoutMs: opts.streaming ? 0 : REQUEST_TIMEOUT_MS,
      });
    } catch (err) {
      throw this.connectionError(err);
    }
  }

  /** Reads a whole body; a connection lost halfway is reported like one lost before the answer. */
  private async text(res: HttpResponse): Promise<string> {
    try {
      return await readText(res);
    } catch (err) {
      throw this.connectionError(err);
    }
  }

  private async json<T>(method: HttpMethod, path: string, body?: unknown, subject?: string): Promise<T> {
    const res = await this.raw(method, path, body);
    const text = await this.text(res);
    if (res.status < 200 || res.status >= 300) throw this.unexpected(`${method} ${path}`, res.status, text, subject);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  private async noContent(method: HttpMethod, path: string, ok: number[], subject: string): Promise<number> {
    const res = await this.raw(method, path);
    const text = await this.text(res);
    if (!ok.includes(res.status)) throw this.unexpected(`${method} ${path}`, res.status, text, subject);
    return res.status;
  }

  private unexpected(what: string, status: number, text: string, subject?: string): DockerApiError {
    let message = text.trim();
    try {
      const parsed = JSON.parse(text) as { message?: string };
      if (typeof parsed.message === 'string') message = parsed.message;
    } catch {
      /* plain text body */
    }
    if (status === 404 && subject !== undefined) {
      return new DockerApiError(404, `${subject}: no such container (${message})`);
    }
    return new DockerApiError(status, `the Docker engine at ${this.endpoint.display} refused ${what}: ${status} ${message}`);
  }

  private connectionError(err: unknown): Error {
    if (err instanceof UpkeepError) return err;
    const code = errorCode(err);
    const where = this.endpoint.display;
    if (this.endpoint.kind === 'unix') {
      const sock = this.endpoint.socketPath;
      if (code === 'ENOENT') {
        return new DockerUnavailableError(`no Docker socket at ${sock}: is docker running?`, {
          hint: 'check with `systemctl status docker`, or point DOCKER_HOST at the right socket (unix:///path/to/docker.sock)',
          cause: err,
        });
      }
      if (code === 'EACCES' || code === 'EPERM') {
        return new DockerUnavailableError(`permission denied on the Docker socket ${sock}`, {
          hint: 'run as root (sudo upkeep ...) or add the user to the docker group',
          cause: err,
        });
      }
      if (code === 'ECONNREFUSED') {
        return new DockerUnavailableError(`the Docker socket ${sock} exists but no daemon answers: is docker running?`, {
          hint: 'check with `systemctl status docker` and `journalctl -u docker`',
          cause: err,
        });
      }
    } else if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT') {
      return new DockerUnavailableError(`cannot reach the Docker engine at ${where} (${code})`, {
        hint: 'check DOCKER_HOST and that the daemon listens there',
        cause: err,
      });
    }
    if (isAbort(err)) return err as Error;
    const detail = err instanceof Error ? err.message : String(err);
    return new DockerUnavailableError(`cannot talk to the Docker engine at ${where}: ${detail}`, {
      hint: 'check with `systemctl status docker`',
      cause: err,
    });
  }
}

type HttpMethod = 'GET' | 'POST' | 'DELETE';

/** The daemon went away mid-stream (Node reports a closed response as ECONNRESET "aborted"). */
function isConnectionLoss(err: unknown): boolean {
  const code = errorCode(err);
  return isAbort(err) || code === 'ECONNRESET' || code === 'EPIPE' || (err instanceof Error && err.message === 'aborted');
}

/**
 * A non-TTY container's log stream is multiplexed: frames of an 8-byte header (stream type, 3
 * zero bytes, big-endian length) and a payload. A TTY container's is plain text: no valid header.
 */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const type = buf[at];
    if ((type !== 0 && type !== 1 && type !== 2) || buf[at + 1] !== 0 || buf[at + 2] !== 0 || buf[at + 3] !== 0) return buf.toString('utf8');
    const len = buf.readUInt32BE(at + 4);
    parts.push(buf.subarray(at + 8, at + 8 + len));
    at += 8 + len;
  }
  if (at !== buf.length && parts.length === 0) return buf.toString('utf8');
  return Buffer.concat(parts).toString('utf8');
}
