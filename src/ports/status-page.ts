/** The status page's data source (app/status-page.ts implements it; the HTTP adapter reads it). */
import type { MaintenanceWindow } from '../core/maintenance-window.js';
import type { TimelineFilter } from '../core/status-page/timeline-filter.js';
import type { AlertsView, MaintenanceView, Overview, PublicEntry, ServiceView } from '../core/status-page/views.js';

export interface StatusPageSource {
  /** The maintenance windows open at `now` (ms). */
  openMaintenance(now: number): MaintenanceWindow[];
  overview(now: number): Overview;
  /** null: no container of that name. */
  service(name: string, now: number): ServiceView | null;
  timeline(filter: TimelineFilter): PublicEntry[];
  alerts(now: number): AlertsView;
  maintenance(now: number): MaintenanceView;
  /** The actions, when the agent offers them (each is recorded in the timeline); absent: read-only. */
  actions?: StatusPageActions;
}

/** What the status page may change; `peer` is who asked (recorded). */
export interface StatusPageActions {
  /** Opens a window from the page (source "status-page") for `forMs`. */
  openMaintenance(opts: { reason: string | null; forMs: number; peer: string }, now: number): MaintenanceWindow;
  /** Closes the open windows but apt's (dpkg may be running); returns those closed. */
  closeMaintenance(opts: { peer: string }, now: number): MaintenanceWindow[];
  /** Asks the agent for a recovery pass now. */
  recoverNow(opts: { peer: string }, now: number): void;
  /**
   * Acknowledges firing alert `key` (no reminder until it resolves); absent: not offered. Not ok
   * when it is not firing, or (`firingSince`, ISO, as the page showed it) when it has fired again
   * since. `already`: it was acknowledged before (nothing recorded again).
   */
  acknowledgeAlert?(
    opts: { key: string; peer: string; firingSince?: string },
    now: number,
  ): { ok: true; acknowledged: { by: string; at: string }; already: boolean } | { ok: false; reason: string };
}
