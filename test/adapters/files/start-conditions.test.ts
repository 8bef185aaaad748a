/**
 * The watch a blocked start waits on (adapters/files/start-conditions.ts): a path that appears
 * (directories made one by one under a watched ancestor), a port that frees; each resolves as the
 * condition holds, or at its bound, or on abort.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { blockerCleared, pathAppears, portListened } from '../../../src/adapters/files/start-conditions.js';

const root = mkdtempSync(join(tmpdir(), 'upk-cond-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('start conditions: waiting for a blocker to clear', () => {
  it('a path two levels below what exists: resolves when it is made, long before the bound', async () => {
    const target = join(root, 'disk', 'data');
    const began = Date.now();
    const waiting = pathAppears(target, 60_000);
    setImmediate(() => {
      mkdirSync(join(root, 'disk'));
      setImmediate(() => mkdirSync(target));
    });
    await waiting;
    assert.ok(Date.now() - began < 10_000, `took ${Date.now() - began} ms`);
  });

  it('a path that exists resolves at once; one that never appears at the bound; an abort ends the wait', async () => {
    await pathAppears(root, 60_000);
    const began = Date.now();
    await pathAppears(join(root, 'never'), 50);
    assert.ok(Date.now() - began >= 40);
    const stop = new AbortController();
    const waiting = pathAppears(join(root, 'never', 'either'), 60_000, stop.signal);
    stop.abort();
    await waiting;
  });

  it('a port: listened while a server holds it, free when it closes', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    assert.equal(portListened(port), true);
    const waiting = blockerCleared({ kind: 'port', port }, 60_000);
    server.close();
    await waiting;
    assert.equal(portListened(port), false);
  });
});
