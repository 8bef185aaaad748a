/**
 * Scheduled maintenance, the use cases: schedule one, cancel one, list them (the CLI), and the
 * agent's tick, which does what core/maintenance-schedule.ts says is due: the announcement, the
 * reminder and the cancellation notice go to the alert channels (kind `notice`, never held by a
 * window), the window opens at its start. Each step is recorded before the next tick can see it
 * again, in one transaction with the message it queues: a restarted agent sends nothing twice.
 */
import { UsageError } from '../core/errors.js';
import { dueScheduleActions, formatSpan, formatUtc, MAX_WINDOW_MS, scheduleNotice, type ScheduledMaintenance } from '../core/maintenance-schedule.js';
import { TIMELINE_KINDS } from '../core/timeline.js';
import type { MaintenanceRepository, MaintenanceScheduleRepository } from '../ports/maintenance.js';
import type { TimelineRepository } from '../ports/timeline.js';

/** The store's parts these use cases need. */
export type ScheduleStore = MaintenanceScheduleRepository &
  Pick<MaintenanceRepository, 'startMaintenance'> &
  Pick<TimelineRepository, 'appendTimeline'> & { transaction<T>(fn: () => T): T };

/** The longest reminder lead time. */
export const MAX_REMIND_BEFORE_MS = 30 * 86_400_000;

/** Where the window the agent opens for a scheduled maintenance says it came from. */
export const SCHEDULED_SOURCE = 'scheduled';

/** One line for people: "#3 2026-12-01 03:00 UTC to 05:00 UTC (2h): kernel upgrade [announced]". */
export function describeScheduled(s: ScheduledMaintenance): string {
  const state = s.cancelledAt !== null ? 'cancelled' : s.windowId !== null ? 'window opened' : s.announcedAt !== null ? 'announced' : 'not announced yet';
  return `#${s.id} ${formatUtc(s.startsAt)} to ${formatUtc(s.endsAt)} (${formatSpan(Date.parse(s.endsAt) - Date.parse(s.startsAt))}): ${s.note} [${state}]`;
}

/**
 * Records a scheduled maintenance from `startsAt` (ms) for `durationMs`, reminded `remindBeforeMs`
 * before it starts (0: no reminder). The agent announces it. @throws UsageError for a window of
 * no length or longer than a week, or a reminder lead time out of range.
 */
export function scheduleMaintenance(
  store: ScheduleStore,
  req: { startsAt: number; durationMs: number; note: string; remindBeforeMs: number },
  now: number,
): ScheduledMaintenance {
  if (req.durationMs <= 0) throw new UsageError('--for must be longer than 0');
  if (req.durationMs > MAX_WINDOW_MS)
    throw new UsageError(`--for ${formatSpan(req.durationMs)} is longer than a week`, { hint: 'schedule a window of a week or less' });
  if (req.remindBeforeMs < 0 || req.remindBeforeMs > MAX_REMIND_BEFORE_MS) throw new UsageError('--remind-before must be between 0 and 30d');
  return store.transaction(() => {
    const s = store.scheduleMaintenance({
      startsAt: new Date(req.startsAt).toISOString(),
      endsAt: new Date(req.startsAt + req.durationMs).toISOString(),
      note: req.note,
      remindBeforeMs: req.remindBeforeMs,
      at: new Date(now).toISOString(),
    });
    store.appendTimeline({
      at: new Date(now).toISOString(),
      kind: TIMELINE_KINDS.maintenanceScheduled,
      subject: SCHEDULED_SOURCE,
      message: `maintenance scheduled: ${describeScheduled(s)}`,
      data: { ...s },
    });
    return s;
  });
}

/** Cancels scheduled maintenance `id`. @throws UsageError when there is no such id, listing the upcoming ones. */
export function cancelScheduledMaintenance(store: ScheduleStore, id: number, now: number): { schedule: ScheduledMaintenance; already: boolean } {
  const before = store.getScheduledMaintenance(id);
  if (before === null) {
    const upcoming = store.upcomingMaintenance(new Date(now).toISOString()).filter((s) => s.cancelledAt === null);
    throw new UsageError(`no scheduled maintenance #${id}`, {
      hint:
        upcoming.length > 0
          ? `upcoming: ${upcoming.map((s) => `#${s.id} ${formatUtc(s.startsAt)}`).join(', ')}`
          : 'none is scheduled (upkeep maintenance scheduled)',
    });
  }
  if (before.cancelledAt !== null) return { schedule: before, already: true };
  return store.transaction(() => {
    const s = store.cancelScheduledMaintenance(id, new Date(now).toISOString())!;
    store.appendTimeline({
      at: new Date(now).toISOString(),
      kind: TIMELINE_KINDS.maintenanceCancelled,
      subject: SCHEDULED_SOURCE,
      message: `scheduled maintenance cancelled: ${describeScheduled(s)}`,
      data: { ...s },
    });
    return { schedule: s, already: false };
  });
}

/** What the agent's alert manager takes (AlertManager.queue). */
export interface NoticeMessage {
  id: string;
  kind: 'notice';
  severity: 'info';
  subject: string;
  title: string;
  text: string;
  data: Record<string, unknown>;
}

/**
 * The agent's tick at `now`: does what is due (see the file comment) and returns when the next
 * thing falls due (null: nothing planned) and the windows it opened.
 */
export function runScheduleTick(store: ScheduleStore, now: number, queue: (m: NoticeMessage) => void): { nextDueAt: number | null; opened: number[] } {
  const { actions, nextDueAt } = dueScheduleActions(store.upcomingMaintenance(new Date(now).toISOString()), now);
  const at = new Date(now).toISOString();
  const opened: number[] = [];
  for (const action of actions) {
    const s = action.schedule;
    store.transaction(() => {
      if (action.kind === 'open') {
        const w = store.startMaintenance({ source: SCHEDULED_SOURCE, reason: s.note, at, endsAt: s.endsAt });
        if (!store.attachScheduleWindow(s.id, w.id)) return;
        opened.push(w.id);
        store.appendTimeline({
          at,
          kind: TIMELINE_KINDS.maintenanceStart,
          subject: SCHEDULED_SOURCE,
          message: `maintenance window opened as scheduled (#${s.id}): until ${s.endsAt} (${s.note})`,
          data: { ...w, schedule: s.id },
        });
        return;
      }
      store.markScheduleNotice(s.id, action.kind, at);
      const n = scheduleNotice(action, now);
      queue({
        ...n,
        kind: 'notice',
        severity: 'info',
        subject: 'maintenance',
        data: { schedule: s.id, startsAt: s.startsAt, endsAt: s.endsAt, notice: action.kind },
      });
    });
  }
  return { nextDueAt, opened };
}
