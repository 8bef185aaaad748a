/** Maintenance windows: alerts are held (still recorded) while one is active. */

import type { MaintenanceWindow } from '../core/maintenance-window.js';

export type { MaintenanceWindow };

export interface MaintenanceRepository {
  /**
   * Opens a window (or extends the open one of the same source) until `endsAt`. `at`, the start,
   * defaults to the store's clock; a caller that computed `endsAt` from its own reading of the
   * clock passes that reading, so the window lasts exactly what was asked.
   */
  startMaintenance(opts: { source: string; reason?: string | null; endsAt: string; at?: string }): MaintenanceWindow;
  /** Ends the open windows (of `source` only, when given); returns those it ended. */
  stopMaintenance(opts?: { source?: string }): MaintenanceWindow[];
  /** Windows open at `now` (not ended, not expired). */
  activeMaintenance(now: string): MaintenanceWindow[];
  /** Windows ended (stopped) after `since` (ISO), oldest first. */
  maintenanceEndedSince(since: string): MaintenanceWindow[];
  /** One window by id (open, ended or expired), or null. */
  getMaintenance(id: number): MaintenanceWindow | null;
  /** The newest windows by start, newest first (at most `limit`, default 10). */
  recentMaintenance(limit?: number): MaintenanceWindow[];
}
