/** Health checks: the probes against real servers on loopback, the thresholds, the actor; the heartbeat; the pretty log. */
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { DockerEngine } from '../../src/adapters/docker/engine-client.js';
import { dockerHealthProbe, httpProbe, tcpProbe, type ProbeResult } from '../../src/adapters/probes/probes.js';
import type { HealthCheckSpec } from '../../src/core/config/types.js';
import { HealthChecker, stepCheck, type CheckStatus, type CheckTarget } from '../../src/agent/health-checks.js';
import { Heartbeat } from '../../src/agent/heartbeat.js';
import { prettyLine, SILENT } from '../../src/agent/log.js';

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

const spec = (over: Partial<HealthCheckSpec> = {}): HealthCheckSpec =>
  ({ type: 'tcp', host: '127.0.0.1', port: 1, intervalMs: 10, timeoutMs: 500, failures: 3, successes: 2, ...over }) as HealthCheckSpec;

describe('probes', () => {
  it('docker: healthy and starting (start period) pass; unhealthy, no HEALTHCHECK and not running fail', async () => {
    // Only inspectContainer is called; the HEALTHCHECK itself on a real engine is in test/engine.
    const states: Record<string, unknown> = {
      a: { Running: true, Status: 'running', Health: { Status: 'healthy' } },
      b: { Running: true, Status: 'running', Health: { Status: 'starting' } },
      c: { Running: true, Status: 'running', Health: { Status: 'unhealthy' } },
      d: { Running: true, Status: 'running' },
      e: { Running: false, Status: 'exited' },
    };
    const engine = { inspectContainer: async (name: string) => ({ State: states[name] }) } as unknown as DockerEngine;
    const seen = await Promise.all(
      Object.keys(states).map(async (n) => {
        const r = await dockerHealthProbe(engine, n);
        return [n, r.ok, r.detail];
      }),
    );
    assert.deepEqual(seen, [
      ['a', true, 'healthy'],
      ['b', true, 'starting (start period)'],
      ['c', false, 'unhealthy'],
      ['d', false, 'the container has no HEALTHCHECK'],
      ['e', false, 'not running (exited)'],
    ]);
  });

  it('http: status and body text, a timeout, a refused connection', async () => {
    const server = createHttpServer((req, res) => {
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 1_000);
      res.writeHead(req.url === '/bad' ? 500 : 200).end(req.url === '/ok' ? 'status: ok' : 'nope');
    });
    const port = await listen(server);
    const base = `http://127.0.0.1:${port}`;
    assert.deepEqual((await httpProbe(`${base}/ok`, { status: 200, bodyContains: 'ok' }, 500)).ok, true);
    assert.equal((await httpProbe(`${base}/bad`, { status: 200, bodyContains: null }, 500)).detail, 'HTTP 500 (expected 200)');
    assert.equal((await httpProbe(`${base}/other`, { status: 200, bodyContains: 'ok' }, 500)).detail, 'HTTP 200, body lacks "ok"');
    assert.equal((await httpProbe(`${base}/slow`, { status: 200, bodyContains: null }, 100)).detail, 'timed out');
    server.closeAllConnections();
    server.close();
    assert.equal((await httpProbe(`${base}/ok`, { status: 200, bodyContains: null }, 500)).detail, 'ECONNREFUSED');
  });

  it('tcp: connected, then refused once the server is gone', async () => {
    const server = createTcpServer((s) => s.end());
    const port = await listen(server);
    assert.deepEqual([(await tcpProbe('127.0.0.1', port, 500)).ok], [true]);
    await new Promise<void>((r) => server.close(() => r()));
    const after = await tcpProbe('127.0.0.1', port, 500);
    assert.deepEqual([after.ok, after.detail], [false, 'ECONNREFUSED']);
  });
});

describe('check thresholds', () => {
  const ok: ProbeResult = { ok: true, detail: 'fine', seconds: 0 };
  const bad: ProbeResult = { ok: false, detail: 'ECONNREFUSED', seconds: 0 };
  const run = (results: ProbeResult[]) => {
    let s: CheckStatus = { service: 's', id: 'tcp', passing: null, lastDetail: '', consecutive: 0, lastAt: null };
    return results.map((r, i) => (s = stepCheck(s, spec(), r, i)).passing);
  };

  it('fails after `failures` failures in a row and passes again after `successes` successes in a row', () => {
    assert.deepEqual(run([ok, ok, bad, bad, bad, ok, bad, ok, ok]), [null, true, true, true, false, false, false, false, true]);
  });

  it('one bad probe between good ones changes nothing', () => {
    assert.deepEqual(run([ok, ok, bad, ok, bad, ok]), [null, true, true, true, true, true]);
  });

  it('the actor probes at its interval and reports each status until stopped', async () => {
    const seen: Array<boolean | null> = [];
    let n = 0;
    const target: CheckTarget = {
      service: 'web',
      id: 'tcp',
      spec: spec({ intervalMs: 5, failures: 2, successes: 1 }),
      probe: async () => (n++ < 2 ? bad : ok),
    };
    const checker = new HealthChecker([target], (_t, status) => seen.push(status.passing));
    const stop = new AbortController();
    const running = checker.run(stop.signal);
    while (seen.length < 4) await new Promise((r) => setTimeout(r, 5));
    stop.abort();
    await running;
    assert.deepEqual(seen.slice(0, 4), [null, false, true, true]);
  });

  it('with no checks the actor waits for the stop instead of returning (a returning actor stops the agent)', async () => {
    const checker = new HealthChecker([], () => undefined);
    const stop = new AbortController();
    let done = false;
    const running = checker.run(stop.signal).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(done, false);
    stop.abort();
    await running;
    assert.equal(done, true);
  });
});

describe('heartbeat', () => {
  it('GETs the URL every interval and reports success', async () => {
    const hits: string[] = [];
    const server = createHttpServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.end('ok');
    });
    const port = await listen(server);
    const oks: number[] = [];
    const beat = new Heartbeat({ url: `http://127.0.0.1:${port}/ping/abc`, intervalMs: 20, log: SILENT, onOk: (at) => oks.push(at) });
    const stop = new AbortController();
    const running = beat.run(stop.signal);
    while (oks.length < 3) await new Promise((r) => setTimeout(r, 5));
    stop.abort();
    await running;
    server.close();
    assert.deepEqual(hits.slice(0, 3), ['GET /ping/abc', 'GET /ping/abc', 'GET /ping/abc']);
    assert.ok(oks[2]! - oks[0]! >= 30, 'about one interval (20 ms) apart');
  });
});

describe('pretty log lines', () => {
  it('turns a pino JSON line into time, level, message and key=value pairs', () => {
    const line = JSON.stringify({ level: 'warn', time: '2026-11-28T10:02:03.456Z', msg: 'web stopped', container: 'web', err: 'exit 137 now' });
    assert.equal(prettyLine(line), '10:02:03 WARN  web stopped  container=web err="exit 137 now"\n');
    assert.equal(prettyLine('not json\n'), 'not json\n');
  });
});
