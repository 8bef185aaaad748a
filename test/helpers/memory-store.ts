/**
 * The parts of the Store the agent's controller, alert manager and outbox use, in memory (the
 * randomized agent test opens thousands; SQLite files would dominate its time). Same semantics as
 * sqlite-store.ts for those methods: outbox rows in queue order per channel, timeline read back
 * ordered by time, maintenance windows by the store's clock.
 */
import type { Store } from '../../src/adapters/store/store.js';
import type { Snapshot } from '../../src/core/recovery/desired-state.js';
import type { OutboxEntry } from '../../src/ports/alert-outbox.js';
import { CURRENT_SCHEMA_VERSION } from '../../src/adapters/store/migrations.js';
import type { OperatorStop } from '../../src/ports/intent.js';
import type { MaintenanceWindow, ScheduledMaintenance } from '../../src/ports/maintenance.js';
import type { StoredSnapshot } from '../../src/ports/snapshots.js';
import type { NewTimelineEntry, TimelineEntry, TimelineQuery } from '../../src/ports/timeline.js';

export class MemoryStore {
  readonly path = '/memory/upkeep.db';
  readonly schemaVersion = CURRENT_SCHEMA_VERSION;
  snapshots: StoredSnapshot[] = [];
  stops = new Map<string, OperatorStop>();
  entries: TimelineEntry[] = [];
  rows: OutboxEntry[] = [];
  windows: MaintenanceWindow[] = [];
  state = new Map<string, string>();

  constructor(private readonly now: () => number) {}

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  saveSnapshot(s: Snapshot) {
    const id = this.snapshots.length + 1;
    this.snapshots.push({ ...s, id, forgotten: [] });
    return { id, host: s.host, takenAt: s.takenAt, note: s.note, containerCount: s.containers.length, names: s.containers.map((c) => c.name).sort() };
  }
  latestSnapshot(hostId: string): StoredSnapshot | null {
    return [...this.snapshots].reverse().find((s) => s.host.id === hostId) ?? null;
  }
  getSnapshot(id: number): StoredSnapshot | null {
    return this.snapshots.find((s) => s.id === id) ?? null;
  }
  listSnapshots(opts: { limit?: number } = {}) {
    return [...this.snapshots]
      .reverse()
      .slice(0, opts.limit ?? 100)
      .map((s) => ({
        id: s.id,
        host: s.host,
        takenAt: s.takenAt,
        note: s.note,
        containerCount: s.containers.length,
        names: s.containers.map((c) => c.name).sort(),
      }));
  }

  recordOperatorStop(stop: OperatorStop): void {
    this.stops.set(stop.name, { ...stop });
  }
  clearOperatorStop(name: string): OperatorStop | null {
    const s = this.stops.get(name) ?? null;
    this.stops.delete(name);
    return s;
  }
  operatorStops(): OperatorStop[] {
    return [...this.stops.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  appendTimeline(e: NewTimelineEntry): TimelineEntry {
    const fields = (e.data && typeof e.data === 'object' ? e.data : {}) as Record<string, unknown>;
    const entry: TimelineEntry = {
      id: this.entries.length + 1,
      at: e.at ?? this.iso(),
      kind: e.kind,
      subject: e.subject ?? null,
      detail: { ...fields, ...(e.reconstructed ? { reconstructed: true } : {}), message: e.message },
    };
    this.entries.push(entry);
    return entry;
  }
  timeline(q: TimelineQuery = {}): TimelineEntry[] {
    return this.entries
      .filter(
        (e) =>
          (q.since === undefined || e.at >= q.since) &&
          (q.until === undefined || e.at < q.until) &&
          (q.kind === undefined || e.kind === q.kind) &&
          (q.subject === undefined || e.subject === q.subject),
      )
      .sort((a, b) => a.at.localeCompare(b.at) || a.id - b.id);
  }
  pruneTimeline(before: string): number {
    const n = this.entries.length;
    this.entries = this.entries.filter((e) => e.at >= before);
    return n - this.entries.length;
  }

  /** Transactions run (outermost only; no rollback here: tests of that use SQLite). */
  transactions = 0;
  private depth = 0;
  transaction<T>(fn: () => T): T {
    if (this.depth === 0) this.transactions++;
    this.depth++;
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }

  enqueueAlert(messageId: string, message: unknown, channels: readonly string[], at?: string): number {
    let added = 0;
    for (const channel of channels) {
      if (this.rows.some((r) => r.messageId === messageId && r.channel === channel)) continue;
      this.rows.push({
        messageId,
        channel,
        message: JSON.parse(JSON.stringify(message)),
        createdAt: at ?? this.iso(),
        attempts: 0,
        nextAttemptAt: at ?? this.iso(),
        lastError: null,
        deliveredAt: null,
        givenUpAt: null,
      });
      added++;
    }
    return added;
  }
  undeliveredAlerts(): OutboxEntry[] {
    return this.rows.filter((r) => r.deliveredAt === null && r.givenUpAt === null).map((r) => ({ ...r }));
  }
  markDelivered(messageId: string, channel: string, at: string): void {
    const r = this.rows.find((x) => x.messageId === messageId && x.channel === channel)!;
    r.attempts++;
    r.deliveredAt = at;
  }
  markFailed(messageId: string, channel: string, error: string, next: string | null, at: string): void {
    const r = this.rows.find((x) => x.messageId === messageId && x.channel === channel)!;
    r.attempts++;
    r.lastError = error;
    if (next === null) r.givenUpAt = at;
    else r.nextAttemptAt = next;
  }
  outboxPending() {
    const p = this.undeliveredAlerts();
    return { count: p.length, nextAttemptAt: p.map((r) => r.nextAttemptAt).sort()[0] ?? null };
  }

  startMaintenance(opts: { source: string; reason?: string | null; endsAt: string; at?: string }): MaintenanceWindow {
    const w: MaintenanceWindow = {
      id: this.windows.length + 1,
      source: opts.source,
      reason: opts.reason ?? null,
      startedAt: opts.at ?? this.iso(),
      endsAt: opts.endsAt,
      endedAt: null,
    };
    this.windows.push(w);
    return w;
  }
  stopMaintenance(): MaintenanceWindow[] {
    const at = this.iso();
    const open = this.activeMaintenance(at);
    for (const w of open) w.endedAt = at;
    return open;
  }
  activeMaintenance(now: string): MaintenanceWindow[] {
    return this.windows.filter((w) => w.endedAt === null && w.endsAt > now).map((w) => ({ ...w }));
  }
  maintenanceEndedSince(since: string): MaintenanceWindow[] {
    return this.windows.filter((w) => w.endedAt !== null && w.endedAt > since).map((w) => ({ ...w }));
  }

  getMaintenance(id: number): MaintenanceWindow | null {
    const w = this.windows.find((x) => x.id === id);
    return w === undefined ? null : { ...w };
  }
  recentMaintenance(limit = 10): MaintenanceWindow[] {
    return [...this.windows]
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id - a.id)
      .slice(0, limit)
      .map((w) => ({ ...w }));
  }

  schedules: ScheduledMaintenance[] = [];
  scheduleMaintenance(opts: { startsAt: string; endsAt: string; note: string; remindBeforeMs: number; at: string }): ScheduledMaintenance {
    const s: ScheduledMaintenance = {
      id: this.schedules.length + 1,
      startsAt: opts.startsAt,
      endsAt: opts.endsAt,
      note: opts.note,
      remindBeforeMs: opts.remindBeforeMs,
      createdAt: opts.at,
      announcedAt: null,
      remindedAt: null,
      windowId: null,
      cancelledAt: null,
      cancelNoticeAt: null,
    };
    this.schedules.push(s);
    return { ...s };
  }
  upcomingMaintenance(now: string): ScheduledMaintenance[] {
    return this.schedules.filter((s) => s.endsAt > now).map((s) => ({ ...s }));
  }
  getScheduledMaintenance(id: number): ScheduledMaintenance | null {
    const s = this.schedules.find((x) => x.id === id);
    return s === undefined ? null : { ...s };
  }
  cancelScheduledMaintenance(id: number, at: string): ScheduledMaintenance | null {
    const s = this.schedules.find((x) => x.id === id);
    if (s !== undefined && s.cancelledAt === null) s.cancelledAt = at;
    return s === undefined ? null : { ...s };
  }
  markScheduleNotice(id: number, notice: 'announce' | 'remind' | 'cancel-notice', at: string): void {
    const s = this.schedules.find((x) => x.id === id);
    if (s === undefined) return;
    const field = ({ announce: 'announcedAt', remind: 'remindedAt', 'cancel-notice': 'cancelNoticeAt' } as const)[notice];
    s[field] ??= at;
  }
  attachScheduleWindow(id: number, windowId: number): boolean {
    const s = this.schedules.find((x) => x.id === id);
    if (s === undefined || s.windowId !== null) return false;
    s.windowId = windowId;
    return true;
  }

  getAgentState<T>(key: string, parse: (value: unknown) => T | null): T | null {
    const v = this.state.get(key);
    return v === undefined ? null : parse(JSON.parse(v) as unknown);
  }
  setAgentState(key: string, value: unknown): void {
    this.state.set(key, JSON.stringify(value ?? null));
  }

  asStore(): Store {
    return this as unknown as Store;
  }
}
