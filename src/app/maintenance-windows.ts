/**
 * Opening and closing maintenance windows by hand, each recorded in the timeline
 * (`maintenance-start` / `maintenance-stop`, the same message whoever asked): `upkeep maintenance
 * start|stop` and the status page's actions. (The scheduled windows, app/maintenance-schedule.ts,
 * and `upkeep upgrade`'s own window record theirs with what they add.)
 */
import type { MaintenanceRepository, MaintenanceWindow } from '../ports/maintenance.js';
import type { TimelineRepository } from '../ports/timeline.js';
import { TIMELINE_KINDS } from '../core/timeline.js';

export type WindowStore = Pick<MaintenanceRepository, 'startMaintenance' | 'stopMaintenance'> & Pick<TimelineRepository, 'appendTimeline'>;

/** `apt since 2026-…, until 2026-… (reason)`: a window in one line. */
export function describeWindow(w: MaintenanceWindow): string {
  const ends = w.endedAt !== null ? `ended ${w.endedAt}` : `until ${w.endsAt}`;
  return `${w.source} since ${w.startedAt}, ${ends}${w.reason ? ` (${w.reason})` : ''}`;
}

/** Opens a window of `source` until `endsAt` and records it; `at` defaults to the store's clock. */
export function openMaintenanceWindow(store: WindowStore, req: { source: string; reason: string | null; endsAt: string; at?: string }): MaintenanceWindow {
  const w = store.startMaintenance(req);
  store.appendTimeline({
    ...(req.at === undefined ? {} : { at: req.at }),
    kind: TIMELINE_KINDS.maintenanceStart,
    subject: w.source,
    message: `maintenance window opened: ${describeWindow(w)}`,
    data: w,
  });
  return w;
}

/** Closes the open windows (of `source` only, when given) and records each; returns them. */
export function closeMaintenanceWindows(store: WindowStore, opts: { source?: string; at?: string } = {}): MaintenanceWindow[] {
  const ended = store.stopMaintenance(opts.source === undefined ? {} : { source: opts.source });
  for (const w of ended)
    store.appendTimeline({
      ...(opts.at === undefined ? {} : { at: opts.at }),
      kind: TIMELINE_KINDS.maintenanceStop,
      subject: w.source,
      message: `maintenance window closed: ${describeWindow(w)}`,
      data: w,
    });
  return ended;
}
