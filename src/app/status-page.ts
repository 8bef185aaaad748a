/**
 * The status page's data (the JSON API under /api/v1/ and the HTML pages both read it): the
 * existing use cases composed, nothing decided here that `upkeep status`, `upkeep timeline` and
 * `upkeep report` do not decide. The agent hands in what it holds live (its last read of the
 * engine, its verdicts, its alert states, the checks' last results); the rest is read from the store.
 * Reads only.
 */
import type { HostFacts } from '../core/host-facts.js';
import type { acknowledgeAlert, AlertState } from '../core/alerts/alert-state.js';
import type { AlertsView, MaintenanceView, Overview, PublicEntry, ServiceView } from '../core/status-page/views.js';
import type { StatusPageActions, StatusPageSource } from '../ports/status-page.js';
import { overviewCounts, overviewGroups, type AgentVerdictRow } from '../core/status-page/overview.js';
import { CheckHistory } from '../core/status-page/check-history.js';
import type { TimelineFilter } from '../core/status-page/timeline-filter.js';
import type { TimelineQuery, TimelineRepository } from '../ports/timeline.js';
import { uptimeBars, UPTIME_KINDS, UPTIME_SPANS } from '../core/status-page/uptime.js';
import { TIMELINE_KINDS } from '../core/timeline.js';
import type { MaintenanceWindow } from '../core/maintenance-window.js';
import type { HostState } from '../ports/host.js';
import type { MaintenanceRepository } from '../ports/maintenance.js';
import type { DesiredStateSource } from './desired-state.js';
import { auditLive } from '../core/live-audit/rules.js';
import { loadDesiredState } from './desired-state.js';
import { hostStatus } from './host-status.js';
import { closeMaintenanceWindows, openMaintenanceWindow } from './maintenance-windows.js';
import { makeReport, type ReportStore } from './report.js';
import { readTimeline } from './timeline.js';

export type StatusPageStore = ReportStore & DesiredStateSource & Pick<MaintenanceRepository, 'activeMaintenance' | 'recentMaintenance' | 'getMaintenance'>;

/** What the agent holds live, read at each request. */
export interface LiveAgentState {
  /** The engine as the agent's last reconcile read it; null before the first read. */
  host: HostState | null;
  engineUp: boolean;
  /** Since when the engine's event stream is connected (ms), or null. */
  engineConnectedSince: number | null;
  agentStartedAt: number;
  agentVersion: string;
  lastReconcileAt: string | null;
  error: { message: string; hint: string | null } | null;
  rows: readonly AgentVerdictRow[];
  /**
   * The host-facts actor's last read (agent/host-facts.ts; null before the first): pending
   * upgrades (null unknown), reboot required and why, the OS, the kernels (absent: not read).
   */
  hostFacts: HostFacts | null;
  alerts: ReadonlyArray<[string, AlertState]>;
}

export interface StatusPageDeps {
  store: StatusPageStore & Pick<MaintenanceRepository, 'startMaintenance' | 'stopMaintenance'> & Pick<TimelineRepository, 'appendTimeline'>;
  live: () => LiveAgentState;
  checks: CheckHistory;
  /** Asks the agent for a recovery pass (the page's "recover now"); absent: the page offers no action. */
  requestRecovery?: () => void;
  /**
   * Acknowledges a firing alert in the agent's alert states (agent/alerts.ts AlertManager.acknowledge,
   * which persists it); absent: not offered.
   */
  acknowledgeAlert?: (key: string, by: string, now: number, firingSince?: number) => ReturnType<typeof acknowledgeAlert>;
  /** The most up/down entries a service page's uptime bars read (default UPTIME_ENTRIES; tests set fewer). */
  uptimeEntries?: number;
}

const DAY = 86_400_000;
const FACTS_NOT_READ = 'the agent has not read the host facts yet (it reads them at its start, then hourly)';
const iso = (t: number) => new Date(t).toISOString();

/** The use cases behind every page and API route. */
export class StatusPage implements StatusPageSource {
  readonly actions?: StatusPageActions;

  constructor(private readonly deps: StatusPageDeps) {
    if (deps.requestRecovery) this.actions = pageActions(deps.store, deps.requestRecovery, deps.acknowledgeAlert);
  }

  /** The windows open at `now`. */
  openMaintenance(now: number): MaintenanceWindow[] {
    return this.deps.store.activeMaintenance(iso(now));
  }

  overview(now: number): Overview {
    const live = this.deps.live();
    const report = live.host === null ? null : hostStatus(live.host, this.deps.store);
    const groups = report === null ? [] : overviewGroups(report, live.rows);
    const d = live.host?.daemon ?? null;
    return {
      generatedAt: iso(now),
      host: {
        name: live.host?.host.name ?? null,
        engineUp: live.engineUp,
        docker: d === null ? null : { version: d.serverVersion, apiVersion: d.apiVersion, liveRestore: d.liveRestore },
        engineConnectedSince: live.engineConnectedSince === null ? null : iso(live.engineConnectedSince),
        agent: { version: live.agentVersion, startedAt: iso(live.agentStartedAt) },
        os: live.hostFacts?.os ?? { name: null, why: FACTS_NOT_READ },
        kernel: live.hostFacts?.kernel ?? { running: null, newestInstalled: null, why: FACTS_NOT_READ },
        rebootRequired: live.hostFacts?.rebootRequired ?? null,
        rebootWhy: live.hostFacts === null ? FACTS_NOT_READ : live.hostFacts.why,
        rebootPackages: live.hostFacts?.rebootPackages ?? [],
        pendingUpgrades: live.hostFacts?.pendingUpgrades ?? null,
        pendingUpgradesWhy:
          live.hostFacts === null
            ? FACTS_NOT_READ
            : live.hostFacts.pendingUpgrades === null
              ? (live.hostFacts.pendingWhy ?? "apt's simulation could not be read")
              : null,
      },
      counts: overviewCounts(groups),
      groups,
      maintenance: this.openMaintenance(now),
      alerts: { firing: live.alerts.filter(([, s]) => s.phase === 'firing').length, pending: live.alerts.filter(([, s]) => s.phase === 'pending').length },
      lastReconcileAt: live.lastReconcileAt,
      error: live.error,
      notices: report?.notices ?? (live.host === null ? ['the agent has not read the engine yet'] : []),
    };
  }

  /** One container's page; null when no container has that name. */
  service(name: string, now: number): ServiceView | null {
    const ov = this.overview(now);
    const group = ov.groups.find((g) => g.services.some((s) => s.name === name));
    const service = group?.services.find((s) => s.name === name);
    if (!group || !service) return null;
    const from = iso(now - UPTIME_SPANS[UPTIME_SPANS.length - 1]!.spanMs);
    const events = readTimeline(this.deps.store, { subject: name, since: from, limit: 5_000 });
    // The bars read the up/down entries alone. When there are more than the limit (a crash loop),
    // the newest are read, and the time before the first of them is "no data": not the state of
    // its last entry before the span, which would fill the gap with a state it may have left.
    const most = this.deps.uptimeEntries ?? UPTIME_ENTRIES;
    const changes = readTimeline(this.deps.store, { subject: name, since: from, kinds: UPTIME_KINDS, limit: most });
    // The state it entered the longest span in: its last up/down entry before it.
    const before = changes.length >= most ? [] : readTimeline(this.deps.store, { subject: name, until: from, kinds: UPTIME_KINDS, limit: 1 });
    const facts = this.deps.live().host?.containers.find((c) => c.name === name) ?? null;
    const up = service.state === 'running' || service.state === 'restarting';
    const sinceText = facts === null ? null : up ? facts.startedAt : facts.finishedAt;
    const since = sinceText === null ? null : Date.parse(sinceText);
    const gaveUp = [...events].reverse().find((e) => e.kind === TIMELINE_KINDS.gaveUp && /\n/.test(e.detail.message));
    const checkService = service.role !== null && group.kind === 'compose' ? `${group.name}/${service.role}` : null;
    return {
      generatedAt: iso(now),
      service,
      group: { kind: group.kind, name: group.name },
      uptime: uptimeBars([...before, ...changes], { up, since: since !== null && Number.isFinite(since) ? since : null }, now),
      checks: [...this.deps.checks.of(name), ...(checkService ? this.deps.checks.of(checkService) : [])],
      events: events.slice(-200),
      lastLogs: gaveUp ? { at: gaveUp.at, text: gaveUp.detail.message } : null,
      findings: this.findings(name),
      maintenance: ov.maintenance,
    };
  }

  /** `upkeep audit`'s live findings about container `name` (its default target policy, always). */
  private findings(name: string): ServiceView['findings'] {
    const host = this.deps.live().host;
    if (host === null) return [];
    let desired: ReadonlySet<string> | null = null;
    try {
      const r = loadDesiredState(this.deps.store, host.host);
      if (r.ok) desired = new Set(r.state.containers.map((c) => c.name));
    } catch {
      desired = null; // no desired state: the rules that need it do not run, as in `upkeep audit`
    }
    return auditLive({
      daemon: host.daemon,
      containers: host.containers,
      desired,
      dockerEnabledAtBoot: null,
      targetPolicy: { name: 'always', maximumRetryCount: 0 },
    })
      .filter((f) => f.subject === name)
      .map((f) => ({ ruleId: f.ruleId, severity: f.severity, message: f.message, fix: f.applicable ? 'upkeep audit --apply-live' : null, docs: f.docsUrl }));
  }

  timeline(filter: TimelineFilter): PublicEntry[] {
    return readTimeline(this.deps.store, timelineQueryOf(filter));
  }

  alerts(now: number): AlertsView {
    const live = this.deps.live();
    const open = this.openMaintenance(now);
    const recent = readTimeline(this.deps.store, { kinds: ['alert-*'], since: iso(now - 7 * DAY), limit: 2_000 });
    const channels = new Map<string, AlertsView['channels'][number]>();
    for (const e of recent) {
      const ch = typeof e.detail.channel === 'string' ? e.detail.channel : null;
      if (ch === null || (e.kind !== TIMELINE_KINDS.alertDelivered && e.kind !== TIMELINE_KINDS.alertFailed)) continue;
      let c = channels.get(ch);
      if (!c) channels.set(ch, (c = { channel: ch, delivered: 0, failed: 0, lastError: null, lastFailureAt: null }));
      if (e.kind === TIMELINE_KINDS.alertDelivered) c.delivered++;
      else {
        c.failed++;
        c.lastError = typeof e.detail.error === 'string' ? e.detail.error : e.detail.message;
        c.lastFailureAt = e.at;
      }
    }
    return {
      generatedAt: iso(now),
      alerts: live.alerts.map(([key, s]) => ({
        key,
        phase: s.phase,
        activeSince: s.activeSince === null ? null : iso(s.activeSince),
        firingSince: s.firingSince === null ? null : iso(s.firingSince),
        held: open.length > 0,
        acknowledged: s.acknowledged ? { by: s.acknowledged.by, at: iso(s.acknowledged.at) } : null,
      })),
      channels: [...channels.values()],
      recent: recent.slice(-100),
      maintenance: open,
    };
  }

  maintenance(now: number): MaintenanceView {
    const { store } = this.deps;
    const past = store
      .recentMaintenance(5)
      .filter((w) => w.endedAt !== null || Date.parse(w.endsAt) <= now)
      .map((w) => ({ window: w, report: makeReport(store, { maintenanceId: w.id }, now) }));
    const preflight = store.timeline({ kind: TIMELINE_KINDS.preflight, since: iso(now - 30 * DAY), limit: 1 }).pop();
    const steps = readTimeline(store, { kind: TIMELINE_KINDS.upgradeStep, since: iso(now - 7 * DAY), limit: 200 });
    const lastRun = steps.length > 0 ? steps[steps.length - 1]!.detail.run : undefined;
    return {
      generatedAt: iso(now),
      open: this.openMaintenance(now),
      past,
      preflight:
        preflight === undefined
          ? null
          : {
              at: preflight.at,
              kind: preflight.kind,
              subject: preflight.subject,
              detail: preflight.detail,
              ageSeconds: Math.max(0, Math.round((now - Date.parse(preflight.at)) / 1000)),
            },
      upgradeSteps: lastRun === undefined ? [] : steps.filter((s) => s.detail.run === lastRun),
      scheduled: readTimeline(store, { kinds: ['maintenance-scheduled', 'maintenance-cancelled'], since: iso(now - 30 * DAY), limit: 50 }),
    };
  }
}

export { CheckHistory };

/** The most up/down entries the uptime bars read (the newest; 90 days of a container restarting every 5 min is about 26,000). */
const UPTIME_ENTRIES = 20_000;

/** The store query of a filter. */
/** The page's actions, each recorded in the timeline (kind page-action, and what it did). */
function pageActions(store: StatusPageDeps['store'], requestRecovery: () => void, acknowledge: StatusPageDeps['acknowledgeAlert']): StatusPageActions {
  const record = (action: string, peer: string, now: number, message: string, more: Record<string, unknown> = {}) =>
    store.appendTimeline({ at: iso(now), kind: TIMELINE_KINDS.pageAction, subject: action, message, data: { action, peer, ...more } });
  const acknowledgeAlert: StatusPageActions['acknowledgeAlert'] = acknowledge
    ? ({ key, peer, firingSince }, now) => {
        const r = acknowledge(key, peer, now, firingSince === undefined ? undefined : Date.parse(firingSince));
        if (!r.ok) return { ok: false, reason: `alert ${key} cannot be acknowledged: ${r.reason}` };
        if (!r.already)
          record('alert-acknowledge', peer, now, `alert ${key} was acknowledged on the status page from ${peer}: no reminder until it resolves`, {
            alert: key,
          });
        return { ok: true, acknowledged: { by: r.state.acknowledged!.by, at: iso(r.state.acknowledged!.at) }, already: r.already };
      }
    : undefined;
  return {
    ...(acknowledgeAlert ? { acknowledgeAlert } : {}),
    openMaintenance({ reason, forMs, peer }, now) {
      record('maintenance-open', peer, now, `a maintenance window was opened on the status page from ${peer}`);
      return openMaintenanceWindow(store, { source: 'status-page', reason, at: iso(now), endsAt: iso(now + forMs) });
    },
    closeMaintenance({ peer }, now) {
      const sources = new Set(store.activeMaintenance(iso(now)).map((w) => w.source));
      sources.delete('apt');
      const ended = [...sources].flatMap((source) => closeMaintenanceWindows(store, { source, at: iso(now) }));
      record('maintenance-close', peer, now, `the open maintenance windows were closed on the status page from ${peer} (${ended.length})`);
      return ended;
    },
    recoverNow({ peer }, now) {
      record('recover', peer, now, `a recovery pass was asked for on the status page from ${peer}`);
      requestRecovery();
    },
  };
}

function timelineQueryOf(f: TimelineFilter): TimelineQuery {
  return {
    since: f.since,
    ...(f.until !== null ? { until: f.until } : {}),
    ...(f.kinds.length > 0 ? { kinds: f.kinds } : {}),
    ...(f.subject !== null ? { subject: f.subject } : {}),
    limit: f.limit,
  };
}
