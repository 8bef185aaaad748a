/**
 * The store's journal of `upkeep upgrade` runs (migration 5): a run and its step records read back
 * in order; a run ends once; a window is ended by id, and one already ended keeps its end.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../../src/adapters/store/sqlite-store.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-upgrade-journal-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('store: upgrade journal', () => {
  it('keeps a run, its steps in order, its window and its outcome, across a reopen', () => {
    const dir = join(root, 'a');
    const s = openStore({ stateDir: dir, now: () => new Date('2026-11-30T10:00:00.000Z') });
    assert.equal(s.latestUpgradeRun(), null);
    const run = s.startUpgradeRun({ mode: 'full-upgrade', pid: 123, at: '2026-11-30T10:00:00.000Z' });
    s.recordUpgradeStep(run.id, { step: 'check', status: 'started', at: '2026-11-30T10:00:01.000Z', detail: null });
    s.recordUpgradeStep(run.id, { step: 'check', status: 'finished', at: '2026-11-30T10:00:02.000Z', detail: { line: 'ok', risk: false } });
    const w = s.startMaintenance({ source: 'upgrade', endsAt: '2026-11-30T12:00:00.000Z' });
    s.setUpgradeRunWindow(run.id, w.id);
    s.close();

    const again = openStore({ stateDir: dir, now: () => new Date('2026-11-30T10:05:00.000Z') });
    const read = again.latestUpgradeRun()!;
    assert.deepEqual(
      { ...read, records: read.records.map((r) => [r.step, r.status, r.detail]) },
      {
        id: run.id,
        startedAt: '2026-11-30T10:00:00.000Z',
        mode: 'full-upgrade',
        pid: 123,
        maintenanceId: w.id,
        endedAt: null,
        outcome: null,
        records: [
          ['check', 'started', null],
          ['check', 'finished', { line: 'ok', risk: false }],
        ],
      },
    );
    again.endUpgradeRun(run.id, { at: '2026-11-30T10:05:00.000Z', outcome: 'done' });
    again.endUpgradeRun(run.id, { at: '2026-11-30T10:06:00.000Z', outcome: 'failed' });
    assert.deepEqual([again.latestUpgradeRun()!.endedAt, again.latestUpgradeRun()!.outcome], ['2026-11-30T10:05:00.000Z', 'done'], 'a run ends once');
    assert.equal(again.diagnostics().integrity, 'ok');
    again.close();
  });

  it('ends a window by id; one ended already, or past its end time, keeps its end', () => {
    const s = openStore({ stateDir: join(root, 'b'), now: () => new Date('2026-11-30T10:00:00.000Z') });
    const w = s.startMaintenance({ source: 'upgrade', endsAt: '2026-11-30T11:00:00.000Z' });
    assert.equal(s.endMaintenanceWindow(w.id, '2026-11-30T10:30:00.000Z')?.endedAt, '2026-11-30T10:30:00.000Z');
    assert.equal(s.endMaintenanceWindow(w.id, '2026-11-30T10:40:00.000Z')?.endedAt, '2026-11-30T10:30:00.000Z');
    const old = s.startMaintenance({ source: 'other', endsAt: '2026-11-30T10:10:00.000Z' });
    assert.equal(s.endMaintenanceWindow(old.id, '2026-11-30T10:20:00.000Z')?.endedAt, null, 'expired: its end is its end time');
    assert.equal(s.endMaintenanceWindow(999, '2026-11-30T10:20:00.000Z'), null);
    s.close();
  });
});
