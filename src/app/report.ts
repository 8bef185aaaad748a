/**
 * The report as a use case (`upkeep report`): pick the maintenance window (by id, or the newest)
 * or the period, read its timeline entries, the desired set of the time and the last preflight
 * before it from the store, and build the report (core/report/report.ts). Reads only; never
 * prints, never writes.
 */
import { UsageError } from '../core/errors.js';
import { buildReport, FOLLOW_AFTER_WINDOW_MS, type Report, type ReportInput, type ReportWindow } from '../core/report/report.js';
import { rollbackSection } from '../core/upgrade/rollback.js';
import type { MaintenanceRepository } from '../ports/maintenance.js';
import type { RollbackPlanSource } from '../ports/rollback.js';
import type { SnapshotRepository } from '../ports/snapshots.js';
import type { TimelineRepository } from '../ports/timeline.js';

export type ReportStore = Pick<TimelineRepository, 'timeline'> &
  Pick<MaintenanceRepository, 'getMaintenance' | 'recentMaintenance'> &
  Pick<SnapshotRepository, 'listSnapshots' | 'getSnapshot'> &
  Partial<RollbackPlanSource>;

/** Which report: one window, a period, or the default (the newest window, else the last 24 h). */
export type ReportRequest = { maintenanceId: number } | { since: string; until: string } | { newest: true };

/** How far before the period a preflight still counts as its prediction. */
const PREFLIGHT_LOOKBACK_MS = 24 * 3600_000;
const DAY_MS = 24 * 3600_000;
/** More entries than any report reads (the agent writes a few per event). */
const ENTRY_LIMIT = 100_000;

/** Builds the report; `store` null (no state database yet) gives a "nothing recorded" report. */
export function makeReport(store: ReportStore | null, req: ReportRequest, now: number): Report {
  const scope = scopeOf(store, req, now);
  const from = Date.parse(scope.kind === 'maintenance' ? scope.window.startedAt : scope.since);
  const end =
    scope.kind === 'maintenance'
      ? Math.min(now, Date.parse(scope.window.endedAt ?? scope.window.endsAt) + FOLLOW_AFTER_WINDOW_MS)
      : Math.min(now, Date.parse(scope.until));
  const iso = (t: number) => new Date(t).toISOString();
  const entries = store === null ? [] : store.timeline({ since: iso(from), until: iso(end + 1), limit: ENTRY_LIMIT });
  const preflight = store === null ? undefined : store.timeline({ kind: 'preflight', since: iso(from - PREFLIGHT_LOOKBACK_MS), until: iso(end + 1) }).pop();
  const snapshot = store === null ? null : snapshotAt(store, scope.kind === 'maintenance' ? scope.window.startedAt : iso(end));
  const input: ReportInput = {
    now,
    host: snapshot?.host.name ?? null,
    scope,
    entries: entries.map(({ at, kind, subject, detail }) => ({ at, kind, subject, detail })),
    desired: snapshot === null ? null : { snapshotId: snapshot.id, takenAt: snapshot.takenAt, containers: snapshot.containers },
    preflight: preflight === undefined ? null : { at: preflight.at, kind: preflight.kind, subject: preflight.subject, detail: preflight.detail },
  };
  const report = buildReport(input);
  const rollback = scope.kind === 'maintenance' ? (store?.rollbackPlan?.({ maintenanceId: scope.window.id }) ?? null) : null;
  if (rollback !== null) report.rollback = rollbackSection(rollback.plan);
  if (entries.length >= ENTRY_LIMIT) report.notes.push(`only the first ${ENTRY_LIMIT} entries were read`);
  return report;
}

function scopeOf(store: ReportStore | null, req: ReportRequest, now: number): ReportInput['scope'] {
  if ('since' in req) return { kind: 'period', since: req.since, until: req.until };
  if ('maintenanceId' in req) {
    const w = store?.getMaintenance(req.maintenanceId) ?? null;
    if (w === null) {
      const recent = store?.recentMaintenance(5) ?? [];
      throw new UsageError(`no maintenance window ${req.maintenanceId} in the store`, {
        hint:
          recent.length === 0
            ? 'no maintenance window was ever recorded here: use --since and --until for a period'
            : `recent ones: ${recent.map((r) => `${r.id} (${r.source}, ${r.startedAt})`).join('; ')}`,
      });
    }
    return { kind: 'maintenance', window: toWindow(w) };
  }
  const newest = store?.recentMaintenance(1)[0];
  if (newest !== undefined) return { kind: 'maintenance', window: toWindow(newest) };
  return { kind: 'period', since: new Date(now - DAY_MS).toISOString(), until: new Date(now).toISOString() };
}

function toWindow(w: ReportWindow): ReportWindow {
  return { id: w.id, source: w.source, reason: w.reason, startedAt: w.startedAt, endsAt: w.endsAt, endedAt: w.endedAt };
}

/** The newest snapshot taken at or before `at` (what should have run then), else the oldest one after. */
function snapshotAt(store: ReportStore, at: string) {
  const list = store.listSnapshots({ limit: 200 });
  const pick = list.find((s) => s.takenAt <= at) ?? list[list.length - 1];
  return pick === undefined ? null : store.getSnapshot(pick.id);
}
