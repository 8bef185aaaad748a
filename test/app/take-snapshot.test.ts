/**
 * The snapshot use case (snapshot, install and the agent all use it): compose v1 writes no
 * depends_on label, so the order comes from the compose file; an unreadable file is a note.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import { takeSnapshot } from '../../src/app/take-snapshot.js';
import type { ReadTextFile } from '../../src/ports/files.js';
import type { HostState } from '../../src/ports/host.js';
import { pairOf, type ContainerSpec } from '../core/recovery/fixtures.js';
import { daemon } from '../helpers/facts.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-take-'));
after(() => rmSync(root, { recursive: true, force: true }));

const COMPOSE = `services:
  redis:
    image: redis
  worker:
    image: worker
    depends_on:
      redis:
        condition: service_healthy
`;

function hostOf(specs: ContainerSpec[]): HostState {
  const pairs = specs.map(pairOf);
  return {
    daemon: daemon(),
    host: { id: 'E', name: 'h' },
    containers: pairs.map((p) => p.facts),
    inspects: new Map(pairs.map((p) => [p.facts.id, p.inspect])),
    flagsUnreadable: null,
    readAt: new Date(),
  };
}

describe('app/take-snapshot', () => {
  it("fills compose v1 depends_on from the project's file, saves, and records it in the timeline", async () => {
    const store = openStore({ stateDir: join(root, 'a') });
    const files: Record<string, string> = { '/srv/vps/docker-compose.yml': COMPOSE };
    const read: ReadTextFile = async (p) => (p in files ? { ok: true, text: files[p]! } : { ok: false, why: 'ENOENT' });
    const state = hostOf([
      { name: 'vps_redis_1', compose: { project: 'vps', service: 'redis', workingDir: '/srv/vps', files: ['docker-compose.yml'] } },
      { name: 'vps_worker_1', compose: { project: 'vps', service: 'worker', workingDir: '/srv/vps', files: ['docker-compose.yml'] } },
    ]);
    const r = await takeSnapshot({ store, readTextFile: read, now: () => Date.parse('2025-11-20T15:00:00.000Z') }, state, { note: 'before', by: 'agent' });
    assert.deepEqual(r.notes, []);
    const worker = store.latestSnapshot('E')?.containers.find((c) => c.name === 'vps_worker_1');
    assert.deepEqual(worker?.compose?.dependsOn, [{ name: 'redis', condition: 'service_healthy', on: 'service' }]);
    const [entry] = store.timeline({ kind: 'snapshot' });
    assert.equal(entry?.at, '2025-11-20T15:00:00.000Z');
    assert.deepEqual([entry?.detail.id, entry?.detail.by, entry?.detail.desired], [r.saved.id, 'agent', ['vps_redis_1', 'vps_worker_1']]);
    store.close();
  });

  it('a compose file it cannot read leaves the order unknown, said in a note with the reason', async () => {
    const store = openStore({ stateDir: join(root, 'b') });
    const state = hostOf([{ name: 'x_web_1', compose: { project: 'x', service: 'web', workingDir: '/srv/x', files: ['/etc/shadow'] } }]);
    const r = await takeSnapshot({ store, readTextFile: async () => ({ ok: false, why: 'not a regular file' }), now: Date.now }, state);
    assert.deepEqual(r.notes, ['x_web_1: compose file /etc/shadow could not be read (not a regular file); its depends_on is unknown']);
    store.close();
  });
});
