/** CachedHostReader: lists every time, inspects only what changed (fake engine: counts calls). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DockerEngine } from '../../../src/adapters/docker/engine-client.js';
import { CachedHostReader } from '../../../src/adapters/docker/host-state.js';
import type { EngineContainerInspect, EngineContainerSummary } from '../../../src/core/engine-types.js';
import { inspectOf } from '../../core/recovery/fixtures.js';

function fakeEngine(containers: Map<string, EngineContainerInspect>) {
  const calls = { info: 0, inspect: 0, list: 0 };
  const engine = {
    endpoint: { kind: 'tcp', baseUrl: 'http://fake', display: 'fake' },
    async info() {
      calls.info++;
      return { ID: 'ENGINE', Name: 'host', ServerVersion: '20.10.24', DockerRootDir: '/var/lib/docker', LiveRestoreEnabled: false };
    },
    async apiVersion() {
      return '1.41';
    },
    async listContainers(): Promise<EngineContainerSummary[]> {
      calls.list++;
      return [...containers.values()].map((c) => ({
        Id: c.Id,
        Names: [c.Name],
        Image: '',
        ImageID: '',
        State: c.State.Status,
        Status: '',
        Labels: {},
        Created: 0,
      }));
    },
    async inspectContainer(id: string) {
      calls.inspect++;
      const c = containers.get(id);
      if (!c) throw Object.assign(new Error('gone'), { status: 404 });
      return c;
    },
  } as unknown as DockerEngine;
  return { engine, calls };
}

/** Containers a and b, running, on a fake engine, and a reader of it. */
function twoContainers() {
  const a = inspectOf({ name: 'a', id: 'a'.repeat(64) });
  const b = inspectOf({ name: 'b', id: 'b'.repeat(64) });
  const containers = new Map([
    [a.Id, a],
    [b.Id, b],
  ]);
  const { engine, calls } = fakeEngine(containers);
  return { a, b, containers, engine, calls, reader: new CachedHostReader(engine) };
}

describe('CachedHostReader', () => {
  it('inspects everything on the first read, then only new, changed or event-named containers', async () => {
    const { a, b, containers, calls, reader } = twoContainers();
    const first = await reader.read('all');
    assert.deepEqual([first.containers.map((c) => c.name), reader.lastInspects, calls.info], [['a', 'b'], 2, 1]);

    await reader.read(new Set());
    assert.equal(reader.lastInspects, 0, 'nothing changed: no inspect');

    containers.set(a.Id, { ...a, State: { ...a.State, Status: 'exited', Running: false, ExitCode: 137 } });
    const second = await reader.read(new Set());
    assert.equal(reader.lastInspects, 1);
    assert.equal(second.containers.find((c) => c.name === 'a')?.state, 'exited');

    await reader.read(new Set(['b']));
    assert.equal(reader.lastInspects, 1, 'named by an event');

    containers.delete(b.Id);
    const third = await reader.read(new Set());
    assert.deepEqual(
      third.containers.map((c) => c.name),
      ['a'],
      'a removed container disappears',
    );

    await reader.read('all');
    assert.deepEqual([reader.lastInspects, calls.info], [1, 2], 'a full read inspects all and asks /info again');
  });

  it('eventsOnly: inspects the ids events named and asks for no list; a removed one disappears; not before a first listed read', async () => {
    const { a, b, containers, calls, reader } = twoContainers();
    await reader.read(new Set([a.Id]), { eventsOnly: true });
    assert.equal(calls.list, 1, 'the first read lists, whatever the caller says');

    containers.set(a.Id, { ...a, State: { ...a.State, Status: 'exited', Running: false, ExitCode: 137 } });
    const died = await reader.read(new Set([a.Id, 'a']), { eventsOnly: true });
    assert.deepEqual([calls.list, reader.lastInspects], [1, 1], 'one inspect (by id; the name is not asked twice), no list');
    assert.deepEqual(
      died.containers.map((c) => [c.name, c.state]),
      [
        ['a', 'exited'],
        ['b', 'running'],
      ],
    );

    containers.delete(b.Id);
    const gone = await reader.read(new Set([b.Id]), { eventsOnly: true });
    assert.deepEqual(
      gone.containers.map((c) => c.name),
      ['a'],
    );
    // The next read without it lists again, and sees the inspect's state as the list's (no re-inspect).
    await reader.read(new Set());
    assert.deepEqual([calls.list, reader.lastInspects], [2, 0]);
  });
});
