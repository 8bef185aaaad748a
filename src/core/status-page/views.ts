/**
 * What the status page shows, as data (the JSON API's bodies, which the HTML pages render):
 * built by app/status-page.ts, rendered by adapters/http/status-page/.
 */
import type { AlertState } from '../alerts/alert-state.js';
import type { MaintenanceWindow } from '../maintenance-window.js';
import type { Report } from '../report/report.js';
import type { CheckPoint } from './check-history.js';
import type { OverviewCounts, OverviewGroup, OverviewService } from './overview.js';
import type { UptimeBar } from './uptime.js';

export type { AlertState };

/** A timeline entry in its public shape (ports/timeline.ts without the store id). */
export interface PublicEntry {
  at: string;
  kind: string;
  subject: string | null;
  detail: { message: string; [field: string]: unknown };
}

export interface Overview {
  generatedAt: string;
  host: {
    name: string | null;
    engineUp: boolean;
    docker: { version: string; apiVersion: string; liveRestore: boolean } | null;
    engineConnectedSince: string | null;
    agent: { version: string; startedAt: string };
    /** PRETTY_NAME of /etc/os-release; null with why when unknown. */
    os: { name: string | null; why: string | null };
    /** `uname -r` and the newest installed kernel image; null with why when unknown. */
    kernel: { running: string | null; newestInstalled: string | null; why: string | null };
    /** null: unknown (the agent has not read the host facts yet; rebootWhy says so). */
    rebootRequired: boolean | null;
    /** Why a reboot is required, or why that is unknown; null otherwise. */
    rebootWhy: string | null;
    /** The packages /var/run/reboot-required.pkgs names. */
    rebootPackages: string[];
    pendingUpgrades: number | null;
    /** Why pendingUpgrades is null. */
    pendingUpgradesWhy: string | null;
  };
  counts: OverviewCounts;
  groups: OverviewGroup[];
  maintenance: MaintenanceWindow[];
  alerts: { firing: number; pending: number };
  lastReconcileAt: string | null;
  error: { message: string; hint: string | null } | null;
  notices: string[];
}

export interface ServiceView {
  generatedAt: string;
  service: OverviewService;
  group: { kind: OverviewGroup['kind']; name: string };
  uptime: UptimeBar[];
  checks: Array<{ check: string; points: CheckPoint[] }>;
  /** Heals, deaths, give-ups, health changes and alerts about it, newest last (90 days). */
  events: PublicEntry[];
  /** The last log lines upkeep captured when it gave up (secrets masked), or null. */
  lastLogs: { at: string; text: string } | null;
  /**
   * The live audit's findings about it (the same rules as `upkeep audit`, default target policy
   * `always`), with the command that fixes it when `upkeep audit --apply-live` can; [] before the
   * agent has read the engine.
   */
  findings: Array<{ ruleId: string; severity: string; message: string; fix: string | null; docs: string }>;
  maintenance: MaintenanceWindow[];
}

export interface AlertsView {
  generatedAt: string;
  alerts: Array<{
    key: string;
    phase: string;
    activeSince: string | null;
    firingSince: string | null;
    held: boolean;
    /** Who acknowledged it (the peer) and when; null: nobody (or it resolved since). */
    acknowledged: { by: string; at: string } | null;
  }>;
  /** Last 7 days of deliveries, per channel. */
  channels: Array<{ channel: string; delivered: number; failed: number; lastError: string | null; lastFailureAt: string | null }>;
  recent: PublicEntry[];
  maintenance: MaintenanceWindow[];
}

export interface MaintenanceView {
  generatedAt: string;
  open: MaintenanceWindow[];
  /** The newest windows with their reports. */
  past: Array<{ window: MaintenanceWindow; report: Report }>;
  /** The last preflight (risk of the pending upgrades) and its age. */
  preflight: (PublicEntry & { ageSeconds: number }) | null;
  /** The running or last `upkeep upgrade`'s steps. */
  upgradeSteps: PublicEntry[];
  scheduled: PublicEntry[];
}
