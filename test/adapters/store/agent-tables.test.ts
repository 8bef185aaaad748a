import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../../src/adapters/store/sqlite-store.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-agent-tables-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function fresh(now = () => new Date('2026-11-28T10:00:00.000Z')) {
  return openStore({ stateDir: join(root, `s${n++}`), now });
}

describe('store: alert outbox', () => {
  it('queues a message once per channel, idempotently, and tracks delivery, retry and giving up', () => {
    const s = fresh();
    const msg = { id: 'down:web@1:firing', title: 'web is down' };
    assert.equal(s.enqueueAlert(msg.id, msg, ['hook', 'mail']), 2);
    assert.equal(s.enqueueAlert(msg.id, msg, ['hook', 'mail']), 0, 'the same message is not queued twice');
    assert.deepEqual(s.outboxPending(), { count: 2, nextAttemptAt: '2026-11-28T10:00:00.000Z' });
    const due = s.dueAlerts('2026-11-28T10:00:00.000Z');
    assert.deepEqual(
      due.map((d) => [d.channel, d.attempts]),
      [
        ['hook', 0],
        ['mail', 0],
      ],
    );
    assert.deepEqual(due[0]?.message, msg);

    s.markFailed(msg.id, 'hook', 'POST answered 503', '2026-11-28T10:00:05.000Z', '2026-11-28T10:00:00.500Z');
    s.markDelivered(msg.id, 'mail', '2026-11-28T10:00:00.600Z');
    assert.deepEqual(s.dueAlerts('2026-11-28T10:00:01.000Z'), [], 'not due before its next attempt');
    const retry = s.dueAlerts('2026-11-28T10:00:05.000Z');
    assert.deepEqual(
      retry.map((r) => [r.channel, r.attempts, r.lastError]),
      [['hook', 1, 'POST answered 503']],
    );

    s.markFailed(msg.id, 'hook', 'POST answered 404', null, '2026-11-28T10:00:06.000Z');
    assert.deepEqual(s.outboxPending(), { count: 0, nextAttemptAt: null });
    const rows = s.outbox({ messageId: msg.id });
    assert.deepEqual(
      rows.map((r) => [r.channel, r.attempts, r.deliveredAt, r.givenUpAt]),
      [
        ['hook', 2, null, '2026-11-28T10:00:06.000Z'],
        ['mail', 1, '2026-11-28T10:00:00.600Z', null],
      ],
    );
    s.close();
  });

  it('keeps undelivered messages across a reopen (an agent restart)', () => {
    const dir = join(root, `s${n++}`);
    const a = openStore({ stateDir: dir });
    a.enqueueAlert('m1', { id: 'm1' }, ['hook']);
    a.close();
    const b = openStore({ stateDir: dir });
    assert.equal(b.outboxPending().count, 1);
    b.close();
  });
});

describe('store: maintenance windows', () => {
  it('opens, extends per source, lists active ones, ends them, and expires them by time', () => {
    let now = new Date('2026-11-28T10:00:00.000Z');
    const s = fresh(() => now);
    const w = s.startMaintenance({ source: 'apt', endsAt: '2026-11-28T12:00:00.000Z' });
    assert.equal(w.source, 'apt');
    const again = s.startMaintenance({ source: 'apt', endsAt: '2026-11-28T11:00:00.000Z', reason: 'dpkg' });
    assert.equal(again.id, w.id, 'the open window of the same source is reused');
    assert.equal(again.endsAt, '2026-11-28T12:00:00.000Z', 'never shortened');
    s.startMaintenance({ source: 'manual', endsAt: '2026-11-28T10:30:00.000Z' });
    assert.deepEqual(
      s.activeMaintenance('2026-11-28T10:10:00.000Z').map((x) => x.source),
      ['apt', 'manual'],
    );
    assert.deepEqual(
      s.activeMaintenance('2026-11-28T10:45:00.000Z').map((x) => x.source),
      ['apt'],
      'the manual one expired',
    );

    now = new Date('2026-11-28T10:20:00.000Z');
    const ended = s.stopMaintenance({ source: 'apt' });
    assert.deepEqual(
      ended.map((x) => [x.source, x.endedAt]),
      [['apt', '2026-11-28T10:20:00.000Z']],
    );
    assert.deepEqual(
      s.activeMaintenance('2026-11-28T10:20:00.000Z').map((x) => x.source),
      ['manual'],
    );
    assert.deepEqual(
      s.maintenanceEndedSince('2026-11-28T10:19:00.000Z').map((x) => x.source),
      ['apt'],
    );
    assert.deepEqual(s.maintenanceEndedSince('2026-11-28T10:20:00.000Z'), []);
    s.close();
  });

  it('reads one window by id and the newest ones first (for upkeep report)', () => {
    let now = new Date('2026-11-28T10:00:00.000Z');
    const s = fresh(() => now);
    const a = s.startMaintenance({ source: 'apt', endsAt: '2026-11-28T11:00:00.000Z', reason: 'kernel' });
    s.stopMaintenance({ source: 'apt' });
    now = new Date('2026-11-28T12:00:00.000Z');
    const b = s.startMaintenance({ source: 'manual', endsAt: '2026-11-28T13:00:00.000Z' });
    assert.deepEqual(s.getMaintenance(a.id), { ...a, endedAt: '2026-11-28T10:00:00.000Z' });
    assert.equal(s.getMaintenance(b.id)?.endedAt, null);
    assert.equal(s.getMaintenance(999), null);
    assert.deepEqual(
      s.recentMaintenance().map((w) => w.id),
      [b.id, a.id],
    );
    assert.deepEqual(
      s.recentMaintenance(1).map((w) => w.id),
      [b.id],
    );
    s.close();
  });
});

describe('store: agent state', () => {
  it('stores JSON values by key and replaces them', () => {
    const s = fresh();
    const asIs = (v: unknown): unknown => v;
    assert.equal(s.getAgentState('alerts', asIs), null);
    s.setAgentState('alerts', { 'down:web': { phase: 'firing' } });
    s.setAgentState('alerts', { 'down:api': { phase: 'pending' } });
    assert.deepEqual(s.getAgentState('alerts', asIs), { 'down:api': { phase: 'pending' } });
    // The reader decides what fits: a value of another shape reads as null, never as a wrong type.
    assert.equal(
      s.getAgentState('alerts', (v) => (typeof v === 'number' ? v : null)),
      null,
    );
    s.close();
  });
});
