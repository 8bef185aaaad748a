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
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { AgentHttpServer } from '../../../src/adapters/http/agent-http.js';
import { createStatusApp, SECURITY_HEADERS, SESSION_COOKIE, sessionValue } from '../../../src/adapters/http/status-page/app.js';
import { serveNode } from '../../../src/adapters/http/status-page/node-bridge.js';
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
      rebootRequired: false,
      rebootWhy: null,
      pendingUpgrades: 0,
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

function app(token: string | null) {
  return createStatusApp({ source, token, version: '9.9.9', now: () => NOW, eventsPollMs: 20 });
}

const stopping = new AbortController().signal;
const REMOTE = '192.0.2.7';

function call(a: ReturnType<typeof app>, path: string, init: RequestInit = {}, peer = REMOTE): Promise<Response> {
  return Promise.resolve(a.fetch(new Request(`http://agent.example${path}`, init), { peer, stopping }));
}

function get(port: number, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
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
