/**
 * Health probes the agent runs: an HTTP(S) request (status, body text), a TCP connect, and the
 * container's own Docker HEALTHCHECK status. Each resolves to ok or a reason; never throws.
 */
import { connect } from 'node:net';
import { discard, networkFailure, readText, request } from '../http/request.js';
import type { DockerEngine } from '../docker/engine-client.js';

export interface ProbeResult {
  ok: boolean;
  /** Why it failed, or what was seen (status code). */
  detail: string;
  seconds: number;
}

async function timed(fn: () => Promise<{ ok: boolean; detail: string }>): Promise<ProbeResult> {
  const t0 = performance.now();
  const r = await fn().catch((err: unknown) => ({ ok: false, detail: errorText(err) }));
  return { ...r, seconds: (performance.now() - t0) / 1000 };
}

function errorText(err: unknown): string {
  const failure = networkFailure(err);
  if (failure !== undefined) return failure;
  if ((err as Error)?.name === 'AbortError') return 'timed out';
  return (err as Error)?.message ?? String(err);
}

export function httpProbe(url: string, expect: { status: number; bodyContains: string | null }, timeoutMs: number): Promise<ProbeResult> {
  return timed(async () => {
    // Redirects are not followed: a 301 from a health URL is an answer worth seeing.
    const res = await request(url, { signal: AbortSignal.timeout(timeoutMs), idleTimeoutMs: timeoutMs });
    const body = expect.bodyContains === null ? (await discard(res), '') : await readText(res, 1024 * 1024);
    if (res.status !== expect.status) return { ok: false, detail: `HTTP ${res.status} (expected ${expect.status})` };
    if (expect.bodyContains !== null && !body.includes(expect.bodyContains))
      return { ok: false, detail: `HTTP ${res.status}, body lacks "${expect.bodyContains}"` };
    return { ok: true, detail: `HTTP ${res.status}` };
  });
}

export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return timed(
    () =>
      new Promise((resolve) => {
        const socket = connect({ host, port });
        const done = (ok: boolean, detail: string) => {
          clearTimeout(timer);
          socket.destroy();
          resolve({ ok, detail });
        };
        const timer = setTimeout(() => done(false, 'timed out'), timeoutMs);
        socket.once('connect', () => done(true, 'connected'));
        socket.once('error', (err) => done(false, errorText(err)));
      }),
  );
}

export function dockerHealthProbe(engine: DockerEngine, container: string): Promise<ProbeResult> {
  return timed(async () => {
    const inspect = await engine.inspectContainer(container);
    if (!inspect.State.Running) return { ok: false, detail: `not running (${inspect.State.Status})` };
    const health = (inspect.State as { Health?: { Status?: string } }).Health?.Status;
    if (health === undefined) return { ok: false, detail: 'the container has no HEALTHCHECK' };
    // "starting": inside its start period, or not yet probed. Docker itself does not count that as
    // failing, and neither does upkeep (or on_unhealthy: restart would restart slow starters).
    if (health === 'starting') return { ok: true, detail: 'starting (start period)' };
    return { ok: health === 'healthy', detail: health };
  });
}
