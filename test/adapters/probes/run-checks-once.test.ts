/**
 * The configured health checks run once each (`upkeep upgrade`'s verification): real probes on
 * loopback (a listening TCP port, a closed one, an HTTP server answering 503), a compose
 * `project/service` resolved to its container, and a Docker HEALTHCHECK probe bounded by the
 * check's timeout (an engine that never answers).
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { DockerEngine } from '../../../src/adapters/docker/engine-client.js';
import { checksRunner } from '../../../src/adapters/probes/run-checks-once.js';
import type { HealthCheckSpec, ServiceConfig } from '../../../src/core/config/types.js';
import type { HostState } from '../../../src/ports/host.js';
import { container, daemon } from '../../helpers/facts.js';

let tcp: Server;
let http: HttpServer;
let closedPort = 0;
before(async () => {
  tcp = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  http = createHttpServer((_req, res) => res.writeHead(503).end('down'));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  // A port that was free a moment ago: nothing listens on it.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});
after(() => {
  tcp.close();
  http.close();
});

const timing = { intervalMs: 30_000, timeoutMs: 2_000, failures: 3, successes: 1 };
const svc = (name: string, checks: HealthCheckSpec[]): ServiceConfig => ({ name, heal: 'desired', onUnhealthy: 'alert', checks }) as ServiceConfig;

function state(): HostState {
  return {
    daemon: daemon(),
    host: { id: 'h', name: 'host' },
    containers: [
      container({ name: 'silo' }),
      container({ name: 'srsilo-lapis-1', compose: { project: 'srsilo', service: 'lapis' } as never }),
      container({ name: 'web' }),
    ],
    inspects: new Map(),
    flagsUnreadable: null,
    readAt: new Date(),
  };
}

describe('checksRunner', () => {
  it('runs each check once: passing and failing per container, a compose service resolved, ids numbered per type', async () => {
    const port = (tcp.address() as AddressInfo).port;
    const httpPort = (http.address() as AddressInfo).port;
    const engine = {
      inspectContainer: async (name: string) => ({ State: { Running: true, Status: 'running', Health: { Status: name === 'web' ? 'healthy' : 'unhealthy' } } }),
    } as unknown as DockerEngine;
    const run = checksRunner(
      [
        svc('silo', [
          { type: 'tcp', host: '127.0.0.1', port, ...timing },
          { type: 'tcp', host: '127.0.0.1', port: closedPort, ...timing },
        ] as HealthCheckSpec[]),
        svc('srsilo/lapis', [{ type: 'http', url: `http://127.0.0.1:${httpPort}/health`, status: 200, bodyContains: null, ...timing }] as HealthCheckSpec[]),
        svc('web', [{ type: 'docker', ...timing }] as HealthCheckSpec[]),
      ],
      engine,
    );
    const results = await run(state());
    assert.deepEqual(
      results.map((r) => [r.service, r.container, r.check, r.ok]),
      [
        ['silo', 'silo', 'tcp1', true],
        ['silo', 'silo', 'tcp2', false],
        ['srsilo/lapis', 'srsilo-lapis-1', 'http', false],
        ['web', 'web', 'docker', true],
      ],
    );
    assert.match(results[2]!.detail, /HTTP 503 \(expected 200\)/);
  });

  it('a Docker HEALTHCHECK probe that never answers fails at the check timeout; nothing configured: none', async () => {
    const engine = { inspectContainer: () => new Promise(() => undefined) } as unknown as DockerEngine;
    const [r] = await checksRunner([svc('web', [{ type: 'docker', ...timing, timeoutMs: 100 }] as HealthCheckSpec[])], engine)(state());
    assert.deepEqual([r!.ok, r!.detail], [false, 'timed out']);
    assert.deepEqual(await checksRunner([], engine)(state()), []);
  });
});
