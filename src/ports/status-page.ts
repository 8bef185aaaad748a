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
}
