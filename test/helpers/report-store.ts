/**
 * Seeds a real store in `stateDir` with the incident of report-fixture.ts through the store's own
 * methods (its clock set to the incident's times): the snapshot, the scratch container forgotten,
 * the apt window opened and closed, every timeline entry.
 */
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import { incidentSnapshot } from './runbook-fixture.js';
import { WINDOW, incidentEntries } from './report-fixture.js';

export function seedIncident(stateDir: string): void {
  let now = new Date('2025-11-20T15:21:00.000Z');
  const store = openStore({ stateDir, now: () => now });
  try {
    store.saveSnapshot(incidentSnapshot());
    store.forget(['scratch-debug']);
    now = new Date(WINDOW.startedAt);
    const w = store.startMaintenance({ source: WINDOW.source, endsAt: WINDOW.endsAt });
    if (w.id !== WINDOW.id) throw new Error(`expected window ${WINDOW.id}, got ${w.id}`);
    now = new Date(WINDOW.endedAt!);
    store.stopMaintenance({ source: WINDOW.source });
    for (const e of incidentEntries()) store.appendTimeline(e);
  } finally {
    store.close();
  }
}
