/**
 * The desired state, one authority: newest snapshot of this engine, minus forget, minus the
 * operator's stops recorded after the snapshot; `want` takes a stop or a forget back. Against the
 * real SQLite store in a temp directory.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import { loadDesiredState, requireDesiredState } from '../../src/app/desired-state.js';
import { forgetContainers, wantContainers } from '../../src/app/intent.js';
import { assertSameHost, engineUpgradedHere, ForeignSnapshotError } from '../../src/core/recovery/plan.js';
import { desiredOf } from '../core/recovery/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-desired-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const HOST = { id: 'ENGINE-A', name: 'wisepulse' };

function storeWith(takenAt = '2025-11-20T15:00:00.000Z') {
  const store = openStore({ stateDir: join(root, `s${n++}`), now: () => new Date('2025-11-20T15:30:00.000Z') });
  store.saveSnapshot({ host: HOST, takenAt, note: null, containers: ['redis', 'worker', 'streamlit'].map((name) => desiredOf({ name })) });
  return store;
}

describe('app/desired-state', () => {
  it('no snapshot: a problem with a hint, never a throw; require throws it', () => {
    const store = openStore({ stateDir: join(root, `s${n++}`) });
    const r = loadDesiredState(store, HOST);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.problem.kind, 'no-snapshot');
    assert.throws(() => requireDesiredState(store, HOST), /no snapshot in .* yet/);
    store.close();
  });

  it("another engine's snapshot: foreign-host, unless allowOtherHost", () => {
    const store = storeWith();
    const other = { id: 'ENGINE-B', name: 'wisepulse' };
    const r = loadDesiredState(store, other);
    assert.equal(!r.ok && r.problem.kind, 'foreign-host');
    assert.throws(
      () => requireDesiredState(store, other),
      (e: unknown) => e instanceof ForeignSnapshotError,
    );
    assert.deepEqual(
      requireDesiredState(store, other, { allowOtherHost: true }).containers.map((c) => c.name),
      ['redis', 'streamlit', 'worker'],
    );
    store.close();
  });

  it('Docker upgraded across 23 on the same host (key.json ID before, engine-id UUID now): the same host, said in a note', () => {
    const legacy = { id: 'AIO5:A2CF:AOEZ:NTEQ:KMGB:YAND:YOA3:HABV:OIKC:JEOR:45A6:4JUN', name: 'wisepulse' };
    const upgraded = { id: '0f3c9a4e-7b1d-4c2a-9e57-2d1b8c6f4a10', name: 'wisepulse' };
    const store = openStore({ stateDir: join(root, `s${n++}`) });
    store.saveSnapshot({ host: legacy, takenAt: '2025-11-20T15:00:00.000Z', note: null, containers: [desiredOf({ name: 'redis' })] });
    const r = loadDesiredState(store, upgraded);
    assert.ok(r.ok);
    assert.deepEqual(
      r.state.containers.map((c) => c.name),
      ['redis'],
    );
    assert.match(r.note ?? '', /engine ID of "wisepulse" changed from AIO5:.* to 0f3c9a4e-.*Docker is upgraded to 23 or later/);
    assert.doesNotThrow(() => assertSameHost(legacy, upgraded));
    // Not the same host: another name, the other direction, two old-style or two new-style IDs.
    for (const [from, to] of [
      [legacy, { ...upgraded, name: 'other-host' }],
      [upgraded, legacy],
      [legacy, { ...legacy, id: 'BBBB:A2CF:AOEZ:NTEQ:KMGB:YAND:YOA3:HABV:OIKC:JEOR:45A6:4JUN' }],
      [upgraded, { ...upgraded, id: '1f3c9a4e-7b1d-4c2a-9e57-2d1b8c6f4a10' }],
    ] as const) {
      assert.equal(engineUpgradedHere(from, to), null, `${from.id} -> ${to.id} (${to.name})`);
      assert.throws(() => assertSameHost(from, to), ForeignSnapshotError);
    }
    const foreign = loadDesiredState(store, { ...upgraded, name: 'other-host' });
    assert.equal(!foreign.ok && foreign.problem.kind, 'foreign-host');
    store.close();
  });

  it('an operator stop after the snapshot removes the container from the desired state, with reason and time', () => {
    const store = storeWith();
    store.recordOperatorStop({ name: 'worker', at: '2025-11-20T15:10:00.000Z', by: 'agent', reason: 'docker stop while the engine ran' });
    const s = requireDesiredState(store, HOST);
    assert.deepEqual(
      s.containers.map((c) => c.name),
      ['redis', 'streamlit'],
    );
    assert.deepEqual(s.operatorStopped, [{ name: 'worker', at: '2025-11-20T15:10:00.000Z', reason: 'docker stop while the engine ran' }]);
    store.close();
  });

  it('a snapshot taken after the stop (the container running again) supersedes it', () => {
    const store = storeWith();
    store.recordOperatorStop({ name: 'worker', at: '2025-11-20T14:00:00.000Z', by: 'agent', reason: 'docker stop' });
    assert.deepEqual(
      requireDesiredState(store, HOST).containers.map((c) => c.name),
      ['redis', 'streamlit', 'worker'],
    );
    store.close();
  });

  it('want takes back an operator stop and a forget; names in no snapshot are reported', () => {
    const store = storeWith();
    store.recordOperatorStop({ name: 'worker', at: '2025-11-20T15:10:00.000Z', by: 'agent', reason: 'docker stop' });
    assert.deepEqual(forgetContainers(store, ['streamlit']).forgotten, ['streamlit']);
    assert.deepEqual(
      requireDesiredState(store, HOST).containers.map((c) => c.name),
      ['redis'],
    );
    const r = wantContainers(store, ['worker', 'streamlit', 'redis', 'nope']);
    assert.deepEqual(
      r.wanted.map((w) => [w.name, w.operatorStop?.at ?? null, w.unforgotten]),
      [
        ['worker', '2025-11-20T15:10:00.000Z', false],
        ['streamlit', null, true],
      ],
    );
    assert.deepEqual(r.alreadyDesired, ['redis']);
    assert.deepEqual(r.unknown, ['nope']);
    assert.deepEqual(
      requireDesiredState(store, HOST).containers.map((c) => c.name),
      ['redis', 'streamlit', 'worker'],
    );
    assert.deepEqual(store.operatorStops(), []);
    assert.deepEqual(
      store.timeline().map((e) => [e.kind, e.subject]),
      [
        ['forget', 'streamlit'],
        ['want', 'worker'],
        ['want', 'streamlit'],
      ],
    );
    store.close();
  });

  it('forget also clears an operator stop of the same name (not desired at all)', () => {
    const store = storeWith();
    store.recordOperatorStop({ name: 'worker', at: '2025-11-20T15:10:00.000Z', by: 'agent', reason: 'docker stop' });
    forgetContainers(store, ['worker']);
    assert.deepEqual(store.operatorStops(), []);
    const s = requireDesiredState(store, HOST);
    assert.deepEqual(s.operatorStopped, []);
    assert.deepEqual(
      s.forgotten.map((f) => f.name),
      ['worker'],
    );
    store.close();
  });

  it('the intent store: record replaces, clear returns what it removed', () => {
    const store = storeWith();
    store.recordOperatorStop({ name: 'a', at: '2025-11-20T15:10:00.000Z', by: 'agent', reason: 'one' });
    store.recordOperatorStop({ name: 'a', at: '2025-11-20T15:11:00.000Z', by: 'cli', reason: 'two' });
    assert.deepEqual(store.operatorStops(), [{ name: 'a', at: '2025-11-20T15:11:00.000Z', by: 'cli', reason: 'two' }]);
    assert.equal(store.clearOperatorStop('a')?.reason, 'two');
    assert.equal(store.clearOperatorStop('a'), null);
    store.close();
  });
});
