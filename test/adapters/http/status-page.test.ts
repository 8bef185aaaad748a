/**
 * The status page's HTTP layer: the agent's listener on a real loopback socket (the page loaded at
 * the first page request only, headers, the event stream ending when the listener stops), and the
 * hono app's access rules for a peer that is not on loopback.
 *
 * A non-loopback peer: the access check reads only the peer address node:http reports
 * (req.socket.remoteAddress), which the node bridge passes to the app as a binding; these tests
 * pass 192.0.2.7 (TEST-NET-1) there directly, with real Request objects, instead of binding the
 * listener to another address (which would need a network namespace of the test's own; the
 * browser test reaches the real agent on loopback). The data source is a fixed stand-in: what
 * is tested here is who may read, not what is shown.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { AgentHttpServer, type PageHandler } from '../../../src/adapters/http/agent-http.js';
import { createStatusApp, safeNext, SECURITY_HEADERS, SESSION_COOKIE, sessionValue } from '../../../src/adapters/http/status-page/app.js';
import { serveNode, type FetchApp } from '../../../src/adapters/http/status-page/node-bridge.js';
import { AgentMetrics } from '../../../src/adapters/metrics/agent-metrics.js';
import { parseTimelineFilter } from '../../../src/core/status-page/timeline-filter.js';
import type { Overview } from '../../../src/core/status-page/views.js';
import type { StatusPageSource } from '../../../src/ports/status-page.js';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const TOKEN = 'a-token-long-enough-to-be-a-real-one-0123456789';

function overview(name: string): Overview {
  return {
    generatedAt: new Date(NOW).toISOString(),
    host: {
      name,
      engineUp: true,
      docker: { version: '29.0.2', apiVersion: '1.52', liveRestore: false },
      engineConnectedSince: null,
      agent: { version: '9.9.9', startedAt: new Date(NOW).toISOString() },
      os: { name: 'Debian GNU/Linux 12 (bookworm)', why: null },
      kernel: { running: '6.1.0-41-amd64', newestInstalled: '6.1.0-41-amd64', why: null },
      rebootRequired: false,
      rebootWhy: null,
      rebootPackages: [],
      pendingUpgrades: 0,
      pendingUpgradesWhy: null,
    },
    counts: { total: 0, running: 0, down: 0, unhealthy: 0, atRisk: 0 },
    groups: [],
    maintenance: [],
    alerts: { firing: 0, pending: 0 },
    lastReconcileAt: null,
    error: null,
    notices: [],
  };
}

const source: StatusPageSource = {
  openMaintenance: () => [],
  overview: () => overview('web-1'),
  service: () => null,
  timeline: (f) => [{ at: f.since, kind: 'boot', subject: 'web-1', detail: { message: 'booted' } }],
  alerts: () => ({ generatedAt: new Date(NOW).toISOString(), alerts: [], channels: [], recent: [], maintenance: [] }),
  maintenance: () => ({ generatedAt: new Date(NOW).toISOString(), open: [], past: [], preflight: null, upgradeSteps: [], scheduled: [] }),
};

function app(token: string | null, more: { maxStreams?: number; listenHost?: string } = {}) {
  return createStatusApp({ source, token, version: '9.9.9', now: () => NOW, eventsPollMs: 20, ...more });
}

const stopping = new AbortController().signal;
const REMOTE = '192.0.2.7';

function call(a: ReturnType<typeof app>, path: string, init: RequestInit = {}, peer = REMOTE): Promise<Response> {
  return Promise.resolve(a.fetch(new Request(`http://agent.example${path}`, init), { peer, stopping }));
}

function get(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, ...opts }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A listener on a free loopback port serving `handler` for the page; `listeners()`: the 'abort' listeners on its signal. */
async function listener(handler: PageHandler, more: { status?: () => unknown; token?: string } = {}) {
  const server = new AgentHttpServer({
    host: '127.0.0.1',
    port: 0,
    metrics: new AgentMetrics({ version: '9.9.9', collectDefault: false }),
    page: async () => handler,
    ...more,
  });
  const ac = new AbortController();
  const done = server.run(ac.signal);
  await server.listening;
  return {
    port: server.address()!.port,
    listeners: () => getEventListeners(ac.signal, 'abort').length,
    stop: async () => {
      ac.abort();
      await done;
    },
  };
}

/** Waits until `cond()` holds (polling every 10 ms), failing with `what` after `ms`. */
async function until(cond: () => boolean, what: string, ms = 2_000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Opens the event stream; resolves with the client request and response once the first overview came. */
function openEvents(port: number): Promise<{ req: ReturnType<typeof request>; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/events', agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`event stream: ${res.statusCode}`));
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
        if (text.includes('event: overview')) resolve({ req, res });
      });
    });
    req.on('error', () => undefined);
    req.end();
  });
}

describe('the status page on the agent listener (loopback)', () => {
  it('loads the page code at the first page request only; /metrics, /healthz and /status do not load it', async () => {
    let loads = 0;
    const server = new AgentHttpServer({
      host: '127.0.0.1',
      port: 0,
      metrics: new AgentMetrics({ version: '9.9.9', collectDefault: false }),
      status: () => ({ ok: 1 }),
      page: async () => {
        loads++;
        const a = app(null);
        return (req, res, s) => serveNode(a, req, res, s);
      },
    });
    const ac = new AbortController();
    const done = server.run(ac.signal);
    await server.listening;
    const port = server.address()!.port;
    try {
      for (const p of ['/metrics', '/healthz', '/status']) assert.equal((await get(port, p)).status, 200, p);
      assert.equal(loads, 0);
      const page = await get(port, '/');
      assert.equal(page.status, 200);
      assert.match(page.body, /<h1>web-1<\/h1>/);
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) assert.equal(page.headers[k.toLowerCase()], v, k);
      assert.equal((await get(port, '/api/v1/overview')).status, 200);
      assert.equal((await get(port, '/assets/status.js')).headers['content-type'], 'text/javascript; charset=utf-8');
      assert.equal(loads, 1);
      const bad = await get(port, '/api/v1/timeline?since=yesterday-ish');
      assert.equal(bad.status, 400);
      assert.match((JSON.parse(bad.body) as { error: string }).error, /since "yesterday-ish" is neither a duration nor a date/);
      assert.equal((await get(port, '/nowhere')).status, 404);
    } finally {
      ac.abort();
      await done;
    }
  });

  it('the event stream sends the overview at once and ends when the listener stops', async () => {
    const server = new AgentHttpServer({
      host: '127.0.0.1',
      port: 0,
      metrics: new AgentMetrics({ version: '9.9.9', collectDefault: false }),
      page: async () => {
        const a = app(null);
        return (req, res, s) => serveNode(a, req, res, s);
      },
    });
    const ac = new AbortController();
    const done = server.run(ac.signal);
    await server.listening;
    const port = server.address()!.port;
    const first = new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/v1/events', agent: false }, (res) => {
        assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
          if (text.includes('\n\nevent: overview')) resolve(text);
        });
      });
      req.on('error', reject);
      req.end();
    });
    const text = await first;
    assert.match(text, /event: overview\ndata: \{"generatedAt"/);
    const t0 = performance.now();
    ac.abort();
    await done;
    assert.ok(performance.now() - t0 < 1_000, 'the open stream does not hold the stop');
  });
});

describe('the event stream gives back what it holds', () => {
  it('HEAD /api/v1/events answers without opening a stream: the slots stay free', async () => {
    const a = app(null, { maxStreams: 2 });
    const l = await listener((req, res, s) => serveNode(a, req, res, s));
    try {
      const base = l.listeners();
      for (let i = 0; i < 5; i++) {
        const head = await get(l.port, '/api/v1/events', { method: 'HEAD' });
        assert.equal(head.status, 200, `HEAD ${i + 1}`);
        assert.equal(head.headers['content-type'], 'text/event-stream; charset=utf-8');
      }
      assert.equal(l.listeners(), base, 'no stream is listening for the stop');
      const { req } = await openEvents(l.port);
      req.destroy();
    } finally {
      await l.stop();
    }
  });

  it("a client that goes away frees the slot and the stream's listener on the agent's signal", async () => {
    const a = app(null, { maxStreams: 1 });
    const l = await listener((req, res, s) => serveNode(a, req, res, s));
    try {
      const base = l.listeners();
      for (let i = 0; i < 3; i++) {
        const { req } = await openEvents(l.port);
        assert.equal(l.listeners(), base + 1);
        req.destroy();
        await until(() => l.listeners() === base, "the stream's abort listener is removed");
      }
    } finally {
      await l.stop();
    }
  });

  it('a client gone before the response was ready: the stream is cancelled at once', async () => {
    const a = app(null, { maxStreams: 1 });
    let served: Promise<void> | null = null;
    let reached!: () => void;
    const atServer = new Promise<void>((r) => (reached = r));
    // The handler holds the first request until its client has gone, then serves it: the race made certain.
    const l = await listener(async (req, res, s) => {
      if (served !== null) return serveNode(a, req, res, s);
      reached();
      await new Promise((r) => res.once('close', r));
      served = serveNode(a, req, res, s);
      await served;
    });
    try {
      const base = l.listeners();
      const req = request({ host: '127.0.0.1', port: l.port, path: '/api/v1/events', agent: false });
      req.on('error', () => undefined);
      req.end();
      await atServer;
      req.destroy();
      await until(() => served !== null, 'the request is served');
      await Promise.race([served!, new Promise((_, reject) => setTimeout(() => reject(new Error('serveNode still reading')), 2_000))]);
      assert.equal(l.listeners(), base);
      const { req: next } = await openEvents(l.port);
      next.destroy();
    } finally {
      await l.stop();
    }
  });

  it('writes at the pace the client reads', async () => {
    const CHUNK = 64 * 1024;
    const CHUNKS = 256; // 16 MiB
    let pulls = 0;
    let serverRes: ServerResponse | null = null;
    const big: FetchApp = {
      fetch: () =>
        new Response(
          new ReadableStream<Uint8Array>(
            {
              pull(ctrl) {
                if (++pulls > CHUNKS) ctrl.close();
                else ctrl.enqueue(new Uint8Array(CHUNK).fill(120));
              },
            },
            { highWaterMark: 0 },
          ),
        ),
    };
    const l = await listener((req, res, s) => {
      serverRes = res;
      return serveNode(big, req, res, s);
    });
    try {
      let received = 0;
      let client!: IncomingMessage;
      const ended = new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: l.port, path: '/big', agent: false }, (res) => {
          client = res;
          res.pause();
          res.on('data', (d: Buffer) => (received += d.length));
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end();
      });
      await until(
        () => (serverRes?.writableNeedDrain === true || serverRes?.writableEnded === true) && client !== undefined,
        'the response waits for the client',
      );
      assert.ok(pulls < CHUNKS / 2, `read ${pulls} chunks of ${CHUNKS} while the client read nothing`);
      client.resume();
      await ended;
      assert.equal(received, CHUNK * CHUNKS);
    } finally {
      await l.stop();
    }
  });
});

describe('a loopback client under another name (DNS rebinding)', () => {
  it('is refused unless the Host header names loopback or the listen host, or the request has the token', async () => {
    const a = app(TOKEN, { listenHost: 'agent.lan' });
    const l = await listener((req, res, s) => serveNode(a, req, res, s), { status: () => ({ containers: ['web-1'] }), token: TOKEN });
    try {
      const at = (host: string, path = '/', headers: Record<string, string> = {}) => get(l.port, path, { headers: { host, ...headers } });
      for (const host of [`127.0.0.1:${l.port}`, `localhost:${l.port}`, `LOCALHOST`, `[::1]:${l.port}`, `agent.lan:${l.port}`])
        assert.equal((await at(host)).status, 200, host);
      const page = await at(`evil.example:${l.port}`);
      assert.equal(page.status, 403);
      assert.match(page.body, /not under the name &quot;evil.example&quot;|not under the name "evil.example"/);
      const api = await at(`evil.example:${l.port}`, '/api/v1/overview');
      assert.equal(api.status, 403);
      assert.match(api.body, /localhost, 127\.0\.0\.1 or \[::1\] only/);
      assert.equal((await at('127.0.0.1.evil.example', '/api/v1/events')).status, 403);
      assert.equal((await at(`evil.example:${l.port}`, '/api/v1/overview', { authorization: `Bearer ${TOKEN}` })).status, 200, 'the token still works');
      assert.equal((await at(`evil.example:${l.port}`, '/assets/status.css')).status, 200, 'the assets name nothing');
      assert.equal((await at(`127.0.0.1:${l.port}`, '/metrics')).status, 200, 'Prometheus scraping is not affected');
      assert.equal((await at(`evil.example:${l.port}`, '/metrics')).status, 200, 'Prometheus scrapes under any target name');
      // /status (the agent listener's own route, not the page's) has the same check.
      for (const host of [`127.0.0.1:${l.port}`, `localhost:${l.port}`, `[::1]:${l.port}`]) assert.equal((await at(host, '/status')).status, 200, host);
      const status = await at(`evil.example:${l.port}`, '/status');
      assert.equal(status.status, 403);
      assert.match(status.body, /not under the name "evil\.example"/);
      assert.doesNotMatch(status.body, /web-1/);
      assert.equal((await at(`evil.example:${l.port}`, '/status', { authorization: `Bearer ${TOKEN}` })).status, 200, 'the token still works');
      assert.equal((await at(`evil.example:${l.port}`, '/status', { authorization: 'Bearer wrong' })).status, 403);
    } finally {
      await l.stop();
    }
  });
});

describe('the status page for a peer not on loopback', () => {
  it('without http.token: 403 for pages and the API', async () => {
    const a = app(null);
    assert.equal((await call(a, '/')).status, 403);
    assert.equal((await call(a, '/api/v1/overview')).status, 403);
    assert.equal((await call(a, '/', {}, '127.0.0.1')).status, 200, 'loopback needs nothing');
    assert.equal((await call(a, '/', {}, '::ffff:127.0.0.1')).status, 200);
  });

  it('with http.token: a bearer token or the login cookie; the login form sets an HttpOnly SameSite=Strict cookie that is not the token', async () => {
    const a = app(TOKEN);
    const page = await call(a, '/timeline?since=2h', { redirect: 'manual' });
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/login?next=%2Ftimeline%3Fsince%3D2h');
    const api = await call(a, '/api/v1/overview');
    assert.equal(api.status, 401);
    assert.equal(api.headers.get('www-authenticate'), 'Bearer');
    assert.equal((await call(a, '/api/v1/overview', { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await call(a, '/api/v1/overview', { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    const form = await call(a, '/login?next=%2Falerts');
    assert.equal(form.status, 200);
    assert.match(await form.text(), /<input id="token" name="token" type="password"/);
    assert.equal(form.headers.get('x-frame-options'), 'DENY');

    const post = (token: string, headers: Record<string, string> = {}) =>
      call(a, '/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ token, next: '/alerts' }).toString(),
        redirect: 'manual',
      });
    const wrong = await post('not-it');
    assert.equal(wrong.status, 303);
    assert.equal(wrong.headers.get('location'), '/login?failed=1&next=%2Falerts');
    assert.equal(wrong.headers.getSetCookie().length, 0);
    assert.equal((await post(TOKEN, { origin: 'http://elsewhere.example' })).status, 403, 'a login posted from another site');
    const ok = await post(TOKEN, { origin: 'http://agent.example' });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/alerts');
    const [cookie] = ok.headers.getSetCookie();
    assert.equal(cookie, `${SESSION_COOKIE}=${sessionValue(TOKEN)}; Path=/; HttpOnly; SameSite=Strict`);
    assert.ok(!cookie!.includes(TOKEN));
    const withCookie = await call(a, '/alerts', { headers: { cookie: `${SESSION_COOKIE}=${sessionValue(TOKEN)}` } });
    assert.equal(withCookie.status, 200);
    assert.equal((await call(a, '/alerts', { headers: { cookie: `${SESSION_COOKIE}=${sessionValue('another-token-0123456789abcdef')}` } })).status, 303);
    const next = await post(TOKEN);
    assert.equal(next.status, 303);
    const offsite = await call(a, '/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: TOKEN, next: '//elsewhere.example/' }).toString(),
      redirect: 'manual',
    });
    assert.equal(offsite.headers.get('location'), '/', 'never redirected to another origin');
  });

  it('`next` is a path on this origin only (a browser drops tabs and newlines: /\\t/evil.example reads as //evil.example)', async () => {
    const loginRedirect = await call(app(null), '/login?next=/%09/evil.example', { redirect: 'manual' }, '127.0.0.1');
    assert.equal(loginRedirect.status, 303);
    assert.equal(loginRedirect.headers.get('location'), '/');
    const form = await (await call(app(TOKEN), '/login?next=/%0a/evil.example')).text();
    assert.match(form, /<input type="hidden" name="next" value="\/"/);
    for (const bad of [
      '/\t/evil.example',
      '/\n/evil.example',
      '/\\evil.example',
      '/a\\b',
      '//evil.example',
      ' /x',
      'http://evil.example/',
      '/x y',
      '/\x7f/evil',
      '',
    ])
      assert.equal(safeNext(bad), '/', JSON.stringify(bad));
    for (const good of ['/', '/alerts', '/timeline?since=2h&kind=alert-*', '/services/web%201']) assert.equal(safeNext(good), good);
  });

  it('the timeline filter takes the forms of `upkeep timeline`', () => {
    const q = (o: Record<string, string>) => parseTimelineFilter((n) => o[n], NOW);
    assert.deepEqual(q({}), { since: '2026-11-29T12:00:00.000Z', until: null, kinds: [], subject: null, limit: 500 });
    assert.deepEqual(q({ since: '2h', kind: 'container-died, alert-*,bad kind', subject: 'web', limit: '9' }), {
      since: '2026-11-30T10:00:00.000Z',
      until: null,
      kinds: ['container-died', 'alert-*'],
      subject: 'web',
      limit: 9,
    });
    assert.throws(() => q({ limit: '0' }), /limit "0" must be a whole number/);
  });
});
