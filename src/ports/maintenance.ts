/** Maintenance windows: alerts are held (still recorded) while one is active. */

import type { MaintenanceWindow } from '../core/maintenance-window.js';
import type { ScheduledMaintenance } from '../core/maintenance-schedule.js';

export type { MaintenanceWindow, ScheduledMaintenance };

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

/** Scheduled maintenance (core/maintenance-schedule.ts): what is planned, and what was done about it. */
export interface MaintenanceScheduleRepository {
  /** Records a scheduled maintenance. */
  scheduleMaintenance(opts: { startsAt: string; endsAt: string; note: string; remindBeforeMs: number; at: string }): ScheduledMaintenance;
  /** Scheduled maintenance whose end is after `now` (cancelled ones included), by start. */
  upcomingMaintenance(now: string): ScheduledMaintenance[];
  /** One by id, or null. */
  getScheduledMaintenance(id: number): ScheduledMaintenance | null;
  /** Cancels one (null: no such id; an already cancelled one is returned as it is). */
  cancelScheduledMaintenance(id: number, at: string): ScheduledMaintenance | null;
  /** Records that the announcement, reminder or cancellation notice went out (once: a second call changes nothing). */
  markScheduleNotice(id: number, notice: 'announce' | 'remind' | 'cancel-notice', at: string): void;
  /** Records the window opened for it (once: returns false when it had one already). */
  attachScheduleWindow(id: number, windowId: number): boolean;
}
