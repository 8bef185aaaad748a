/** AgentHttpServer on a real socket (port 0): routes, 404/405, prompt stop, listen errors. */
import assert from 'node:assert/strict';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { AgentHttpServer, type AgentHttpOptions } from '../../../src/adapters/http/agent-http.js';
import { AgentMetrics } from '../../../src/adapters/metrics/agent-metrics.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function get(port: number, path: string, opts: { method?: string; agent?: Agent } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', agent: opts.agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Starts a server on 127.0.0.1:0; `stop()` aborts it and resolves with how long run() took to return. */
async function start(overrides: Partial<AgentHttpOptions> = {}) {
  const metrics = new AgentMetrics({ version: '9.9.9', collectDefault: false });
  const server = new AgentHttpServer({ host: '127.0.0.1', port: 0, metrics, ...overrides });
  const ac = new AbortController();
  const done = server.run(ac.signal);
  await server.listening;
  const port = server.address()!.port;
  const stop = async (): Promise<number> => {
    const t0 = performance.now();
    ac.abort();
    await done;
    return performance.now() - t0;
  };
  return { server, port, metrics, stop, done };
}

describe('AgentHttpServer', () => {
  it('serves /metrics in the Prometheus text format', async () => {
    const { server, port, metrics, stop } = await start();
    try {
      assert.equal(server.name, 'http');
      assert.deepEqual(server.address(), { host: '127.0.0.1', port });
      metrics.setEngineUp(true);
      const r = await get(port, '/metrics');
      assert.equal(r.status, 200);
      assert.match(r.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
      assert.match(r.body, /^upkeep_build_info\{version="9\.9\.9"\} 1$/m);
      assert.match(r.body, /^upkeep_engine_up 1$/m);
      assert.equal((await get(port, '/metrics?debug=1')).status, 200, 'a query string is ignored');
    } finally {
      await stop();
    }
    assert.equal(server.address(), null);
  });

  it('takes a metrics function as well as an AgentMetrics', async () => {
    const { port, stop } = await start({ metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'x 1\n' }) });
    try {
      assert.equal((await get(port, '/metrics')).body, 'x 1\n');
    } finally {
      await stop();
    }
  });

  it('answers /healthz 200 when healthy, 503 when not or when the callback throws', async () => {
    let health: NonNullable<AgentHttpOptions['health']> = () => ({ ok: true, detail: { engineUp: true, lastReconcileAt: 'then' } });
    const { port, stop } = await start({ health: () => health() });
    try {
      let r = await get(port, '/healthz');
      assert.equal(r.status, 200);
      assert.match(r.headers['content-type'] ?? '', /^application\/json/);
      assert.deepEqual(JSON.parse(r.body), { ok: true, engineUp: true, lastReconcileAt: 'then' });

      health = async () => ({ ok: false, detail: { engineUp: false, ok: true } });
      r = await get(port, '/healthz');
      assert.equal(r.status, 503);
      assert.deepEqual(JSON.parse(r.body), { ok: false, engineUp: false }, 'detail cannot override ok');

      health = () => {
        throw new Error('store locked');
      };
      r = await get(port, '/healthz');
      assert.equal(r.status, 503);
      assert.deepEqual(JSON.parse(r.body), { ok: false, error: 'store locked' });
    } finally {
      await stop();
    }
  });

  it('answers /healthz 200 {"ok":true} without a health callback, and /status 404 without a status callback', async () => {
    const { port, stop } = await start();
    try {
      const r = await get(port, '/healthz');
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body), { ok: true });
      assert.equal((await get(port, '/status')).status, 404);
    } finally {
      await stop();
    }
  });

  it('serves /status as JSON from the callback; a failing callback gives 500', async () => {
    let fail = false;
    const { port, stop } = await start({
      status: async () => {
        if (fail) throw new Error('boom');
        return { engineUp: true, containers: [{ name: 'web' }] };
      },
    });
    try {
      let r = await get(port, '/status');
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body), { engineUp: true, containers: [{ name: 'web' }] });
      fail = true;
      r = await get(port, '/status');
      assert.equal(r.status, 500);
      assert.match(r.body, /boom/);
    } finally {
      await stop();
    }
  });

  it('answers 404 for other paths and 405 (Allow: GET) for other methods', async () => {
    const { port, stop } = await start({ status: () => ({}) });
    try {
      for (const path of ['/', '/metric', '/metrics/x', '/favicon.ico', '/constructor', '/__proto__']) {
        assert.equal((await get(port, path)).status, 404, path);
      }
      for (const method of ['POST', 'PUT', 'DELETE', 'HEAD']) {
        for (const path of ['/metrics', '/healthz', '/status']) {
          const r = await get(port, path, { method });
          assert.equal(r.status, 405, `${method} ${path}`);
          assert.equal(r.headers.allow, 'GET');
        }
      }
    } finally {
      await stop();
    }
  });

  it('stops promptly on abort while a keep-alive client holds a connection', async () => {
    const agent = new Agent({ keepAlive: true, keepAliveMsecs: 60_000 });
    const { port, stop } = await start();
    try {
      const r = await get(port, '/metrics', { agent });
      assert.equal(r.status, 200);
      assert.equal(r.headers.connection, 'keep-alive');
      assert.equal(Object.values(agent.freeSockets).flat().length, 1, 'the client keeps an idle connection open');
      const ms = await stop();
      // Without closing idle connections it would wait for the client's keep-alive (60 s) or the
      // server's idle timeout (5 s): well apart from a prompt return even on a loaded machine.
      assert.ok(ms < 4_000, `run() took ${ms.toFixed(0)} ms to return`);
      await assert.rejects(get(port, '/metrics'), /ECONNREFUSED/);
    } finally {
      agent.destroy();
    }
  });

  it('cuts a request still in flight after closeTimeoutMs', async () => {
    let arrived = false;
    const status = () => ((arrived = true), new Promise<never>(() => undefined));
    const { port, stop } = await start({ status, closeTimeoutMs: 200 });
    const pending = get(port, '/status');
    pending.catch(() => undefined);
    // In flight: the handler has it (not a guess of how long the request takes to arrive).
    const deadline = Date.now() + 10_000;
    while (!arrived) {
      assert.ok(Date.now() < deadline, 'the request never reached the handler');
      await new Promise((r) => setTimeout(r, 5));
    }
    const ms = await stop();
    // Without the cut it would never return (the handler never answers).
    assert.ok(ms >= 150 && ms < 10_000, `run() took ${ms.toFixed(0)} ms to return`);
    await assert.rejects(pending, /socket hang up|ECONNRESET/);
  });

  it('fails run() and listening with a message naming the address when the port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const server = new AgentHttpServer({ host: '127.0.0.1', port, metrics: new AgentMetrics({ collectDefault: false }) });
      const expected = `cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE); set listen: in the config`;
      await assert.rejects(server.run(new AbortController().signal), (err: Error) => {
        assert.equal(err.message, expected);
        assert.equal((err.cause as NodeJS.ErrnoException).code, 'EADDRINUSE');
        return true;
      });
      await assert.rejects(server.listening, { message: expected });
      assert.equal(server.address(), null);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('returns at once when the signal is already aborted', async () => {
    const server = new AgentHttpServer({ host: '127.0.0.1', port: 0, metrics: new AgentMetrics({ collectDefault: false }) });
    const ac = new AbortController();
    ac.abort();
    await server.run(ac.signal);
    assert.equal(server.address(), null);
  });
});

describe('who may read /metrics and /status', () => {
  const TOKEN = 'a-long-enough-token-1234';
  /** Asked for by a local name (the Host check passes). */
  const LOCAL = { header: 'localhost:9465', local: true };
  it('loopback peers always; /healthz for everyone', async () => {
    const { accessRefusal } = await import('../../../src/adapters/http/agent-http.js');
    for (const peer of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) assert.equal(accessRefusal('/status', peer, undefined, null, LOCAL), null, peer);
    assert.equal(accessRefusal('/healthz', '192.0.2.7', undefined, null, LOCAL), null);
  });

  it('another peer: 403 without a configured token, 401 with a wrong or missing one, served with the right one', async () => {
    const { accessRefusal } = await import('../../../src/adapters/http/agent-http.js');
    assert.equal(accessRefusal('/status', '192.0.2.7', undefined, null, LOCAL)?.status, 403);
    assert.equal(accessRefusal('/metrics', '::ffff:192.0.2.7', `Bearer ${TOKEN}`, null, LOCAL)?.status, 403);
    assert.equal(accessRefusal('/status', '192.0.2.7', undefined, TOKEN, LOCAL)?.status, 401);
    assert.equal(accessRefusal('/status', '192.0.2.7', 'Bearer wrong', TOKEN, LOCAL)?.status, 401);
    assert.equal(accessRefusal('/status', '192.0.2.7', `Basic ${TOKEN}`, TOKEN, LOCAL)?.status, 401);
    assert.equal(accessRefusal('/status', '192.0.2.7', `Bearer ${TOKEN}`, TOKEN, LOCAL), null);
    assert.equal(accessRefusal('/metrics', undefined, `Bearer ${TOKEN}`, TOKEN, LOCAL), null);
    assert.equal(accessRefusal('/metrics', undefined, undefined, TOKEN, LOCAL)?.status, 401);
  });
});
