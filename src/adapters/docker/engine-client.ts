/**
 * A small typed client for the Docker Engine API over a unix socket or TCP (undici).
 * The API version is negotiated once, from /_ping and /version, on first use.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { negotiateApiVersion } from '../../core/api-version.js';
import type { DockerEndpoint } from '../../core/docker-host.js';
import { DockerApiError, DockerUnavailableError, UpkeepError } from '../../core/errors.js';
import type {
  EngineContainerInspect,
  EngineContainerSummary,
  EngineEvent,
  EngineInfo,
  EngineVersion,
} from '../../core/engine-types.js';
import { JsonLineSplitter } from '../../core/json-lines.js';
import type { RestartPolicy } from '../../core/model.js';

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
  private readonly dispatcher: Dispatcher;
  private readonly origin: string;
  private negotiated: Promise<string> | undefined;

  constructor(endpoint: DockerEndpoint) {
    this.endpoint = endpoint;
    if (endpoint.kind === 'unix') {
      this.dispatcher = new Agent({ connect: { socketPath: endpoint.socketPath }, keepAliveTimeout: 10_000 });
      this.origin = 'http://docker';
    } else {
      this.dispatcher = new Agent({ keepAliveTimeout: 10_000 });
      this.origin = endpoint.baseUrl;
    }
  }

  async ping(): Promise<{ apiVersion: string }> {
    const res = await this.raw('GET', '/_ping');
    const header = res.headers['api-version'];
    await res.body.text();
    if (res.statusCode !== 200) throw this.unexpected('GET /_ping', res.statusCode, '');
    return { apiVersion: Array.isArray(header) ? (header[0] ?? '') : (header ?? '') };
  }

  apiVersion(): Promise<string> {
    this.negotiated ??= this.negotiate();
    return this.negotiated;
  }

  private async negotiate(): Promise<string> {
    const { apiVersion } = await this.ping();
    let serverMax = apiVersion;
    let serverMin: string | null = null;
    const res = await this.raw('GET', '/version', undefined, { versioned: false });
    if (res.statusCode === 200) {
      const v = (await res.body.json()) as EngineVersion;
      serverMax = serverMax === '' ? v.ApiVersion : serverMax;
      serverMin = v.MinAPIVersion ?? null;
    } else {
      await res.body.text();
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
    await this.json<unknown>('POST', `/networks/${encodeURIComponent(network)}/connect`, { Container: containerId, EndpointConfig: endpointConfig }, `network ${network}`);
  }

  async *events(query: EventQuery = {}): AsyncIterable<EngineEvent> {
    const q = new URLSearchParams();
    if (query.since !== undefined) q.set('since', String(query.since));
    if (query.filters) q.set('filters', JSON.stringify(query.filters));
    let res: Dispatcher.ResponseData;
    try {
      res = await this.raw('GET', `/events?${q.toString()}`, undefined, { signal: query.signal, streaming: true });
    } catch (err) {
      if (query.signal?.aborted) return;
      throw err;
    }
    if (res.statusCode !== 200) throw this.unexpected('GET /events', res.statusCode, await res.body.text());
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
    const body = Buffer.from(await res.body.arrayBuffer());
    if (res.statusCode !== 200) throw this.unexpected(`GET logs of ${id}`, res.statusCode, body.toString('utf8'), `container ${id}`);
    return demuxLogs(body)
      .split('\n')
      .map((l) => l.replace(/\r$/, ''))
      .filter((l, i, all) => l !== '' || i < all.length - 1);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  // ---- plumbing ----

  private async versionedPath(path: string): Promise<string> {
    return `/v${await this.apiVersion()}${path}`;
  }

  private async raw(
    method: Dispatcher.HttpMethod,
    path: string,
    body?: unknown,
    opts: { signal?: AbortSignal | undefined; streaming?: boolean; versioned?: boolean } = {},
  ): Promise<Dispatcher.ResponseData> {
    const fullPath = path === '/_ping' || opts.versioned === false ? path : await this.versionedPath(path);
    try {
      return await request(`${this.origin}${fullPath}`, {
        method,
        dispatcher: this.dispatcher,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
        signal: opts.signal,
        headersTimeout: opts.streaming ? 0 : REQUEST_TIMEOUT_MS,
        bodyTimeout: opts.streaming ? 0 : REQUEST_TIMEOUT_MS,
      });
    } catch (err) {
      throw this.connectionError(err);
    }
  }

  private async json<T>(method: Dispatcher.HttpMethod, path: string, body?: unknown, subject?: string): Promise<T> {
    const res = await this.raw(method, path, body);
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) throw this.unexpected(`${method} ${path}`, res.statusCode, text, subject);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  private async noContent(method: Dispatcher.HttpMethod, path: string, ok: number[], subject: string): Promise<number> {
    const res = await this.raw(method, path);
    const text = await res.body.text();
    if (!ok.includes(res.statusCode)) throw this.unexpected(`${method} ${path}`, res.statusCode, text, subject);
    return res.statusCode;
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

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e !== null && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'UND_ERR_ABORTED');
}

function isConnectionLoss(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return (
    isAbort(err) ||
    code === 'UND_ERR_SOCKET' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'UND_ERR_CLOSED' ||
    (err instanceof Error && /terminated|other side closed/i.test(err.message))
  );
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
