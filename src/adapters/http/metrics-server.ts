/**
 * A second listener for a fleet Prometheus (an actor, name 'metrics-http'): GET /metrics only,
 * protected the way Prometheus exporters are, by the exporter-toolkit web configuration file
 * (config `metrics.web_config`, the same format as node_exporter's `--web.config.file`):
 *
 *   tls_server_config:          # optional: HTTPS
 *     cert_file: /etc/upkeep/metrics.crt
 *     key_file: /etc/upkeep/metrics.key
 *   basic_auth_users:           # optional: user -> bcrypt hash (htpasswd -nBC 10 prometheus)
 *     prometheus: $2y$10$...
 *
 * The agent's main listener (pages, API, /metrics with its bearer token) is unchanged. A file that
 * uses other keys of the toolkit's format (client certificates, TLS versions, headers) is refused
 * with the key's name, rather than ignored. Relative paths are relative to the file.
 *
 * Basic auth: a bcrypt check costs about a quarter of a second of CPU at cost 10 (src/adapters/http/bcrypt.ts, bcryptjs);
 * credentials that passed once are remembered (by a SHA-256 of user and password, as the toolkit
 * does), and checks of unknown credentials are limited to 5 per 10 s per peer address (an IPv6
 * peer's /64; at most 256 peers kept, the oldest dropped) and 10 per 10 s in all (then 429), so
 * wrong passwords cannot keep the agent's event loop busy, and one client with a wrong password
 * does not lock out a Prometheus scraping from another address.
 */
import { nodeCrypto } from '../../core/lazy-crypto.js';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { bcryptVerify, isBcryptHash, loadBcrypt } from './bcrypt.js';
import type { Actor } from '../../ports/actor.js';
import { listenOn, serveUntilAborted, type MetricsText } from './agent-http.js';

// Not ESM imports of node:http/https: see src/adapters/http/request.ts (they load undici on Node 24).
// node:https (TLS, OpenSSL) only when the web configuration asks for TLS: an agent without it never loads it.
const http = process.getBuiltinModule('node:http');

export interface WebConfig {
  tls: { cert: Buffer; key: Buffer; certFile: string; keyFile: string } | null;
  /** user -> bcrypt hash; empty: no authentication. */
  users: Map<string, string>;
}

/**
 * Reads and checks an exporter web configuration file; rejects with an Error naming the file and
 * the key. The YAML parser is loaded here, not at the top: an agent without a web configuration
 * never loads it (test/cli/agent-memory.test.ts).
 */
export async function loadWebConfig(file: string): Promise<WebConfig> {
  const { parse: parseYaml } = await import('yaml');
  const where = `metrics.web_config ${file}`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${where}: cannot read it: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 10 });
  } catch (err) {
    throw new Error(`${where}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${where}: expected a mapping with tls_server_config and/or basic_auth_users`);
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d))
    if (k !== 'tls_server_config' && k !== 'basic_auth_users')
      throw new Error(`${where}: ${k} is not supported by upkeep (supported: tls_server_config.cert_file, tls_server_config.key_file, basic_auth_users)`);
  const rel = (p: string) => resolve(dirname(file), p);
  let tls: WebConfig['tls'] = null;
  if (d['tls_server_config'] !== undefined && d['tls_server_config'] !== null) {
    const t = d['tls_server_config'];
    if (typeof t !== 'object' || Array.isArray(t)) throw new Error(`${where}: tls_server_config: expected a mapping with cert_file and key_file`);
    const tt = t as Record<string, unknown>;
    for (const k of Object.keys(tt))
      if (k !== 'cert_file' && k !== 'key_file') throw new Error(`${where}: tls_server_config.${k} is not supported by upkeep (only cert_file and key_file)`);
    const certFile = tt['cert_file'];
    const keyFile = tt['key_file'];
    if (typeof certFile !== 'string' || certFile === '' || typeof keyFile !== 'string' || keyFile === '')
      throw new Error(`${where}: tls_server_config needs both cert_file and key_file (paths)`);
    const read = (p: string, what: string) => {
      try {
        return readFileSync(rel(p));
      } catch (err) {
        throw new Error(`${where}: tls_server_config.${what} ${rel(p)}: ${(err as Error).message}`);
      }
    };
    tls = { cert: read(certFile, 'cert_file'), key: read(keyFile, 'key_file'), certFile: rel(certFile), keyFile: rel(keyFile) };
  }
  const users = new Map<string, string>();
  const u = d['basic_auth_users'];
  if (u !== undefined && u !== null) {
    if (typeof u !== 'object' || Array.isArray(u)) throw new Error(`${where}: basic_auth_users: expected a mapping of user name to bcrypt hash`);
    for (const [name, hash] of Object.entries(u as Record<string, unknown>)) {
      if (typeof hash !== 'string' || !isBcryptHash(hash))
        throw new Error(`${where}: basic_auth_users.${name}: expected a bcrypt hash ($2y$10$..., e.g. from htpasswd -nBC 10 ${name}), found something else`);
      if (name.includes(':')) throw new Error(`${where}: basic_auth_users: a user name cannot contain ":"`);
      users.set(name, hash);
    }
  }
  return { tls, users };
}

export interface MetricsServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** The exporter web configuration file, or null (plain HTTP, no authentication). */
  webConfigFile: string | null;
  metrics: () => Promise<MetricsText> | MetricsText;
  clock?: () => number;
}

export class MetricsServer implements Actor {
  readonly name = 'metrics-http';
  readonly listening: Promise<void>;
  private settle!: (err?: Error) => void;
  private bound: { host: string; port: number; tls: boolean } | null = null;
  private config: WebConfig = { tls: null, users: new Map() };
  /** SHA-256 of "user:password" that passed bcrypt. */
  private readonly passed = new Set<string>();
  /** Times of bcrypt checks in the last 10 s: all, and by peer (insertion order: the oldest peer first). */
  private checks: number[] = [];
  private readonly peerChecks = new Map<string, number[]>();

  constructor(private readonly opts: MetricsServerOptions) {
    this.listening = new Promise<void>((res, rej) => (this.settle = (err) => (err ? rej(err) : res())));
    this.listening.catch(() => undefined);
  }

  address(): { host: string; port: number; tls: boolean } | null {
    return this.bound;
  }

  async run(signal: AbortSignal): Promise<void> {
    let server: Server;
    try {
      if (this.opts.webConfigFile !== null) this.config = await loadWebConfig(this.opts.webConfigFile);
      if (this.config.users.size > 0) await loadBcrypt();
      const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
      server = this.config.tls
        ? process.getBuiltinModule('node:https').createServer({ cert: this.config.tls.cert, key: this.config.tls.key }, handler)
        : http.createServer(handler);
      await listenOn(server, this.opts.host, this.opts.port);
    } catch (err) {
      const e = new Error(`metrics listener: ${(err as Error).message.replace('set listen: in the config', 'set metrics.listen: in the config')}`);
      this.settle(e);
      throw e;
    }
    const a = server.address() as AddressInfo;
    this.bound = { host: a.address, port: a.port, tls: this.config.tls !== null };
    this.settle();
    server.on('error', () => undefined);
    server.on('tlsClientError', () => undefined);
    await serveUntilAborted(server, signal, 2_000);
    this.bound = null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://agent').pathname;
    if (path !== '/metrics') return send(res, 404, `not found: ${path}; this listener serves /metrics only\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, `method ${req.method} not allowed; use GET\n`);
    }
    if (this.config.users.size > 0) {
      const verdict = this.authorize(req.headers.authorization, peerKey(req.socket.remoteAddress));
      if (verdict === 'limited') return send(res, 429, 'too many failed authentication attempts; try again in a few seconds\n');
      if (verdict !== 'ok') {
        res.setHeader('WWW-Authenticate', 'Basic realm="upkeep metrics"');
        return send(res, 401, 'basic authentication required (metrics.web_config basic_auth_users)\n');
      }
    }
    try {
      const { contentType, body } = await this.opts.metrics();
      res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      send(res, 500, `error: ${(err as Error).message}\n`);
    }
  }

  private authorize(header: string | undefined, peer: string): 'ok' | 'denied' | 'limited' {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
    if (!m) return 'denied';
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return 'denied';
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const hash = this.config.users.get(user);
    if (hash === undefined) return 'denied';
    const key = nodeCrypto().createHash('sha256').update(`${user}\0${password}\0${hash}`).digest('hex');
    if (this.passed.has(key)) return 'ok';
    const now = (this.opts.clock ?? Date.now)();
    const recent = (ts: readonly number[]) => ts.filter((t) => now - t < 10_000);
    this.checks = recent(this.checks);
    const mine = recent(this.peerChecks.get(peer) ?? []);
    if (mine.length >= PEER_CHECKS || this.checks.length >= ALL_CHECKS) return 'limited';
    this.checks.push(now);
    mine.push(now);
    this.peerChecks.delete(peer);
    this.peerChecks.set(peer, mine);
    if (this.peerChecks.size > MAX_PEERS) this.peerChecks.delete(this.peerChecks.keys().next().value!);
    if (!bcryptVerify(password, hash)) return 'denied';
    if (this.passed.size >= 64) this.passed.clear();
    this.passed.add(key);
    return 'ok';
  }
}

/** bcrypt checks of unknown credentials per 10 s: per peer, in all; peers kept. */
const PEER_CHECKS = 5;
const ALL_CHECKS = 10;
const MAX_PEERS = 256;

/** The rate limit's key for a peer: its IPv4 address (also when IPv4-mapped), or an IPv6 address's /64. */
export function peerKey(address: string | undefined): string {
  if (address === undefined) return '';
  const a = address.replace(/%.*$/, '').toLowerCase();
  const v4 = /^(?:::ffff:)?(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4) return v4[1]!;
  const [head = '', tail] = a.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
