/** A maintenance window: alerts are held (still recorded) while one is active (ports/maintenance.ts stores them). */
export interface MaintenanceWindow {
  id: number;
  /** Who opened it: "manual", "apt", "upgrade", ... */
  source: string;
  reason: string | null;
  startedAt: string;
  /** It ends by itself then, if nobody stops it (a forgotten window must not silence alerts for ever). */
  endsAt: string;
  endedAt: string | null;
}
