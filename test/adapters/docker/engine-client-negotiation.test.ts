/**
 * The Engine API client's version negotiation against a stand-in engine on a unix socket (no
 * dockerd needed): a negotiation cut off by the engine going away is not kept (the next request
 * negotiates again; kept, it failed every request of a long-running agent until its restart, as a
 * daemon crash during the agent's start showed), and another engine answering on the socket (an
 * upgrade in place to an engine whose minimum API is above the old one's) is negotiated again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EngineClient } from '../../../src/adapters/docker/engine-client.js';
import { parseDockerHost } from '../../../src/core/docker-host.js';

const dir = mkdtempSync(join(tmpdir(), 'upkeep-negotiation-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An engine speaking `api` (minimum `min`); `cutVersion` requests to /version are cut off unanswered. */
function engine(socket: string, state: { api: string; min: string; cutVersion: number; paths: string[] }): Promise<Server> {
  const s = createServer((req, res) => {
    const url = req.url ?? '';
    state.paths.push(url);
    if (url === '/_ping') {
      res.writeHead(200, { 'Api-Version': state.api });
      res.end('OK');
    } else if (url === '/version') {
      if (state.cutVersion > 0) {
        state.cutVersion--;
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ ApiVersion: state.api, MinAPIVersion: state.min, Version: 'stand-in' }));
    } else if (/^\/v[\d.]+\/containers\/json/.test(url)) {
      const v = /^\/v([\d.]+)\//.exec(url)![1]!;
      if (Number(v.split('.')[1]) < Number(state.min.split('.')[1])) {
        res.writeHead(400, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ message: `client version ${v} is too old. Minimum supported API version is ${state.min}` }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('[]');
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => s.listen(socket, () => resolve(s)));
}

describe('the Engine API client negotiates again when it must', () => {
  it('a negotiation cut off by the engine is not kept: the next request negotiates again and succeeds', async () => {
    const socket = join(dir, 'cut.sock');
    const state = { api: '1.41', min: '1.12', cutVersion: 1, paths: [] as string[] };
    const server = await engine(socket, state);
    const client = new EngineClient(parseDockerHost(`unix://${socket}`));
    try {
      await assert.rejects(client.listContainers(), /cannot talk to the Docker engine|socket hang up|ECONNRESET/);
      assert.deepEqual(await client.listContainers(), []);
      assert.equal(await client.apiVersion(), '1.41');
      assert.equal(state.paths.filter((p) => p === '/version').length, 2, 'negotiated twice: the failed one was not kept');
    } finally {
      await client.close();
      server.close();
    }
  });

  it('another engine on the socket (its ping says another API version): negotiated again, above the old minimum', async () => {
    const socket = join(dir, 'upgrade.sock');
    const state = { api: '1.41', min: '1.12', cutVersion: 0, paths: [] as string[] };
    const server = await engine(socket, state);
    const client = new EngineClient(parseDockerHost(`unix://${socket}`));
    try {
      assert.deepEqual(await client.listContainers(), []);
      assert.equal(await client.apiVersion(), '1.41');
      // The upgrade in place: the new engine speaks 1.52 and refuses anything below 1.44.
      state.api = '1.52';
      state.min = '1.44';
      await client.ping(); // what the agent's event watcher does when it reconnects
      assert.deepEqual(await client.listContainers(), []);
      assert.match(state.paths.at(-1)!, /^\/v1\.(4[4-9]|5\d)\/containers\/json/);
      // The same engine pinged again: nothing negotiated again.
      const versions = state.paths.filter((p) => p === '/version').length;
      await client.ping();
      await client.listContainers();
      assert.equal(state.paths.filter((p) => p === '/version').length, versions);
    } finally {
      await client.close();
      server.close();
    }
  });
});
