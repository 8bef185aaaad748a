/**
 * The store's scheduled maintenance (migration 6): recorded and read back across a reopen, listed
 * while its end is ahead, each notice recorded once, its window attached once, cancelled once; the
 * table refuses a window that ends before it starts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../../src/adapters/store/sqlite-store.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-schedule-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('store: scheduled maintenance', () => {
  it('keeps it across a reopen; notices, window and cancellation each recorded once', () => {
    const dir = join(root, 'a');
    const s = openStore({ stateDir: dir });
    const one = s.scheduleMaintenance({
      startsAt: '2026-12-01T03:00:00.000Z',
      endsAt: '2026-12-01T05:00:00.000Z',
      note: 'kernel',
      remindBeforeMs: 3_600_000,
      at: '2026-11-30T10:00:00.000Z',
    });
    const two = s.scheduleMaintenance({
      startsAt: '2026-12-02T03:00:00.000Z',
      endsAt: '2026-12-02T04:00:00.000Z',
      note: 'disk',
      remindBeforeMs: 0,
      at: '2026-11-30T10:01:00.000Z',
    });
    s.markScheduleNotice(one.id, 'announce', '2026-11-30T10:00:05.000Z');
    s.markScheduleNotice(one.id, 'announce', '2026-11-30T11:00:00.000Z');
    const w = s.startMaintenance({ source: 'scheduled', endsAt: '2026-12-01T05:00:00.000Z', at: '2026-12-01T03:00:00.000Z' });
    assert.equal(s.attachScheduleWindow(one.id, w.id), true);
    assert.equal(s.attachScheduleWindow(one.id, w.id + 1), false, 'a window only once');
    s.close();

    const again = openStore({ stateDir: dir });
    assert.deepEqual(again.getScheduledMaintenance(one.id), {
      id: one.id,
      startsAt: '2026-12-01T03:00:00.000Z',
      endsAt: '2026-12-01T05:00:00.000Z',
      note: 'kernel',
      remindBeforeMs: 3_600_000,
      createdAt: '2026-11-30T10:00:00.000Z',
      announcedAt: '2026-11-30T10:00:05.000Z',
      remindedAt: null,
      windowId: w.id,
      cancelledAt: null,
      cancelNoticeAt: null,
    });
    assert.deepEqual(
      again.upcomingMaintenance('2026-12-01T04:00:00.000Z').map((x) => x.id),
      [one.id, two.id],
    );
    assert.deepEqual(
      again.upcomingMaintenance('2026-12-01T05:00:00.000Z').map((x) => x.id),
      [two.id],
      'ended ones are not upcoming',
    );
    assert.equal(again.cancelScheduledMaintenance(two.id, '2026-11-30T12:00:00.000Z')!.cancelledAt, '2026-11-30T12:00:00.000Z');
    assert.equal(again.cancelScheduledMaintenance(two.id, '2026-11-30T13:00:00.000Z')!.cancelledAt, '2026-11-30T12:00:00.000Z', 'cancelled once');
    assert.equal(again.cancelScheduledMaintenance(999, '2026-11-30T13:00:00.000Z'), null);
    assert.throws(
      () =>
        again.scheduleMaintenance({
          startsAt: '2026-12-01T03:00:00.000Z',
          endsAt: '2026-12-01T03:00:00.000Z',
          note: 'x',
          remindBeforeMs: 0,
          at: '2026-11-30T10:00:00.000Z',
        }),
      /CHECK|constraint/i,
    );
    assert.equal(again.diagnostics().integrity, 'ok');
    again.close();
  });
});
