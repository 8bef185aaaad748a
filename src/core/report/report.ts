/**
 * The maintenance (or incident) report (`upkeep report`), shaped like the 2025-11-20 incident's:
 * title, date, host, duration, severity, a one-paragraph summary, a timeline table, per-service
 * outages (down at, back at, by whom), root cause lines from the restart semantics, what upkeep did,
 * what still needs a human, and the preflight's prediction next to what happened.
 *
 * Built only from timeline entries and what the store holds (the window, the desired set, the
 * last preflight entry). Pure: `now` comes in. Entries are hostile input: unknown kinds are
 * skipped (counted), garbled detail fields read as "unknown", nothing throws.
 *
 * Extending it: a new kind (e.g. the steps `upkeep upgrade` will write) needs one entry in ROWS
 * (its timeline row) and, when it changes a service's state, one case in `applyEntry`.
 */
import type { RollbackSection } from '../upgrade/rollback.js';
import { join as joinPath } from 'node:path/posix';
import { shQuote } from '../runbook/shell-quote.js';
import type { MaintenanceWindow } from '../maintenance-window.js';
import { formatRestartPolicy } from '../container-facts.js';
import type { DaemonFacts, LifecycleEvent, Outcome } from '../model.js';
import type { DesiredContainer } from '../recovery/desired-state.js';
import { runningFactsOf } from '../recovery/desired-state.js';
import { willComeBack } from '../restart-semantics.js';
import { TIMELINE_KINDS as K } from '../timeline.js';
import { compareText } from '../text-order.js';

/** The version of the JSON shape (docs/schemas/report.schema.json). */
export const REPORT_SCHEMA_VERSION = 1;

/**
 * Severity from the longest outage of a desired service (intended stops excluded); a service still
 * down when the report is made makes it at least "high". Seconds.
 */
export const SEVERITY_THRESHOLDS = { medium: 5 * 60, high: 30 * 60, critical: 4 * 3600 } as const;

/** After a window ends, outages that began in it are followed at most this long (ms). */
export const FOLLOW_AFTER_WINDOW_MS = 24 * 3600_000;

export type Severity = 'none' | 'low' | 'medium' | 'high' | 'critical';
export type BroughtBackBy = 'docker' | 'upkeep' | 'operator' | 'unknown';

/** A timeline entry as read from the store (its detail is not trusted). */
export interface ReportEntry {
  at: string;
  kind: string;
  subject: string | null;
  detail: unknown;
}

/** The window a report covers: a maintenance window as the store keeps it. */
export type ReportWindow = MaintenanceWindow;

export interface ReportInput {
  now: number;
  /** The host's name (from the snapshot), or null. */
  host: string | null;
  /** A maintenance window, or a period (--since/--until, or the last 24 h). */
  scope: { kind: 'maintenance'; window: ReportWindow } | { kind: 'period'; since: string; until: string };
  /** Oldest first; for a window, from its start up to FOLLOW_AFTER_WINDOW_MS after its end (or now). */
  entries: readonly ReportEntry[];
  /** The desired set the report judges against (the snapshot at the time), or null. */
  desired: { snapshotId: number; takenAt: string; containers: readonly DesiredContainer[] } | null;
  /** The last preflight entry before the end (kind `preflight`), or null. */
  preflight: ReportEntry | null;
}

export interface PackageChange {
  name: string;
  from: string | null;
  to: string | null;
}

export interface TimelineRow {
  at: string;
  kind: string;
  subject: string | null;
  event: string;
}

export interface ServiceOutage {
  container: string;
  /** "project/service" for a compose container, else null. */
  service: string | null;
  /** The restart policy in the desired set, or null when the container is not in it. */
  policy: string | null;
  desired: boolean;
  downAt: string;
  /** Null: no entry says it came back (`by` null: still down; `by` "unknown": no record either way). */
  backAt: string | null;
  /** Down for this long (to backAt, or to the end of the report when it has none). */
  seconds: number;
  by: BroughtBackBy | null;
  cause: 'daemon-stopped' | 'reboot' | 'exited' | 'operator-stop';
  exitCode: number | null;
  /** True when no entry of its own says it stopped or came back: inferred from the daemon going down and up. */
  inferred: boolean;
}

export interface PredictionRow {
  container: string;
  predicted: 'back' | 'not-back' | 'not-stopped';
  happened: 'not-down' | 'back-by-docker' | 'needed-help' | 'still-down' | 'unknown';
  verdict: 'correct' | 'wrong' | 'unknown';
}

export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  generatedAt: string;
  title: string;
  /** The day it started (YYYY-MM-DD, UTC). */
  date: string;
  host: string | null;
  scope: { kind: 'maintenance'; window: ReportWindow } | { kind: 'period' };
  /** What the report covers: the window (or period), and how far after it outages were followed. */
  period: { from: string; until: string; seconds: number; open: boolean; followedUntil: string };
  /** From the first desired service down to the last back (or the end), or null when none went down. */
  impact: { from: string; until: string; seconds: number } | null;
  severity: { level: Severity; longestSeconds: number; stillDown: number; rule: string };
  summary: string;
  packages: { count: number | null; source: 'apt' | 'preflight' | null; notable: PackageChange[] };
  timeline: TimelineRow[];
  outages: ServiceOutage[];
  rootCause: string[];
  upkeepDid: string[];
  needsHuman: string[];
  /** Null when no preflight entry exists for this period. */
  prediction: { at: string; verdict: string; rows: PredictionRow[] } | null;
  snapshot: { id: number; takenAt: string; desired: number } | null;
  notes: string[];
  /** The rollback plan `upkeep upgrade` recorded before apt (absent: none was recorded for this window). */
  rollback?: RollbackSection;
}

const NOTABLE = /^(containerd|docker|linux-image|openssh)/;
const ASSUMED_DAEMON: DaemonFacts = { liveRestore: false, serverVersion: 'unknown', apiVersion: 'unknown', rootDir: '/var/lib/docker' };

/** Reads a detail object that may be anything. */
function fields(detail: unknown): Record<string, unknown> {
  return detail !== null && typeof detail === 'object' && !Array.isArray(detail) ? (detail as Record<string, unknown>) : {};
}
function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
function time(v: unknown): number | null {
  const s = str(v);
  if (s === null) return null;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
}
const iso = (t: number): string => new Date(t).toISOString();

/** Package changes from a detail field (`packages` of apt-started, `upgrades` of preflight). */
function packagesOf(v: unknown): PackageChange[] | null {
  if (!Array.isArray(v)) return null;
  return v.flatMap((p) => {
    const f = fields(p);
    const name = str(f.name);
    return name === null ? [] : [{ name, from: str(f.from), to: str(f.to) }];
  });
}

/** Human duration: 45 s, 14 min 40 s, 2 h 05 min. */
export function formatSeconds(s: number): string {
  const t = Math.max(0, Math.round(s));
  if (t < 60) return `${t} s`;
  if (t < 3600) return `${Math.floor(t / 60)} min${t % 60 ? ` ${t % 60} s` : ''}`;
  const m = Math.floor(t / 60);
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** HH:MM:SS (UTC) of an ISO time. */
export function clock(at: string): string {
  return at.slice(11, 19);
}

interface Episode {
  downAt: number;
  upAt: number | null;
  boot: boolean;
  duringApt: boolean;
}

interface Working {
  outages: ServiceOutage[];
  open: Map<string, { o: ServiceOutage; engineUpAt: number | null; episode: Episode | null }>;
  episodes: Episode[];
  aptRuns: Array<{ from: number; to: number | null }>;
  upkeepDid: string[];
  failures: Map<string, string>;
  /** Health checks that failed at `upkeep upgrade`'s verification: one line each. */
  checksFailing: string[];
  /** Each k3d cluster's last verification in the range: the not-ready ones need a human. */
  clusters: Map<string, { ready: boolean; line: string }>;
  unknownKinds: Set<string>;
  skipped: number;
}

/** Builds the report (see the file comment). */
export function buildReport(input: ReportInput): Report {
  const { now } = input;
  const desired = new Map((input.desired?.containers ?? []).map((d) => [d.name, d]));
  const from = input.scope.kind === 'maintenance' ? Date.parse(input.scope.window.startedAt) : Date.parse(input.scope.since);
  const windowEnd =
    input.scope.kind === 'maintenance'
      ? (time(input.scope.window.endedAt) ?? Math.min(Date.parse(input.scope.window.endsAt), now))
      : Math.min(Date.parse(input.scope.until), now);
  const open = input.scope.kind === 'maintenance' && input.scope.window.endedAt === null && Date.parse(input.scope.window.endsAt) > now;
  const valid = input.entries.filter((e) => Number.isFinite(Date.parse(e.at)));
  const badTimes = input.entries.length - valid.length;
  const sorted = [...valid].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));

  // Pass 1 decides how far past the window to follow: until the outages begun in it have ended.
  let followed = windowEnd;
  if (input.scope.kind === 'maintenance' && !open) {
    const limit = Math.min(now, windowEnd + FOLLOW_AFTER_WINDOW_MS);
    const first = walk(sorted, desired, limit, from);
    const begunInWindow = first.outages.filter((o) => Date.parse(o.downAt) <= windowEnd && o.desired && o.cause !== 'operator-stop');
    for (const o of begunInWindow) followed = Math.max(followed, o.backAt === null ? limit : Date.parse(o.backAt));
  } else if (open) followed = now;
  const w = walk(sorted, desired, followed, from);

  // Before the window: the snapshot it is judged against and the preflight that predicted it.
  const before: string[] = [];
  if (input.desired !== null && Date.parse(input.desired.takenAt) < from)
    before.push(
      `${clock(input.desired.takenAt)} took snapshot ${input.desired.snapshotId} of the desired state (before the ${input.scope.kind === 'maintenance' ? 'window' : 'period'})`,
    );
  if (input.preflight !== null && Date.parse(input.preflight.at) < from)
    before.push(
      `${clock(input.preflight.at)} preflight: ${str(fields(input.preflight.detail).verdict) ?? 'unknown'} verdict (before the ${input.scope.kind === 'maintenance' ? 'window' : 'period'})`,
    );
  w.upkeepDid.unshift(...before);

  const outages = w.outages.sort((a, b) => compareText(a.downAt, b.downAt) || compareText(a.container, b.container));
  const counted = outages.filter((o) => o.desired && o.cause !== 'operator-stop');
  const stillDown = counted.filter((o) => o.backAt === null && o.by === null);
  const longest = counted.reduce((m, o) => Math.max(m, o.seconds), 0);
  const severity = severityOf(counted.length, longest, stillDown.length);
  const impact =
    counted.length === 0
      ? null
      : (() => {
          const a = Math.min(...counted.map((o) => Date.parse(o.downAt)));
          const b = Math.max(...counted.map((o) => (o.backAt === null ? followed : Date.parse(o.backAt))));
          return { from: iso(a), until: iso(b), seconds: (b - a) / 1000 };
        })();

  const aptStarted = sorted.find((e) => e.kind === K.aptStarted && Date.parse(e.at) <= followed);
  const aptPackages = aptStarted === undefined ? null : packagesOf(fields(aptStarted.detail).packages);
  const pf = input.preflight === null ? null : fields(input.preflight.detail);
  const pfPackages = pf === null ? null : packagesOf(pf.upgrades);
  const pkgList = aptPackages !== null && aptPackages.length > 0 ? aptPackages : pfPackages;
  const packages = {
    count: aptPackages !== null && aptPackages.length > 0 ? aptPackages.length : pf !== null ? (num(pf.packages) ?? pfPackages?.length ?? null) : null,
    source: aptPackages !== null && aptPackages.length > 0 ? ('apt' as const) : pfPackages !== null ? ('preflight' as const) : null,
    notable: (pkgList ?? []).filter((p) => NOTABLE.test(p.name)),
  };

  const timeline = rowsOf(sorted, followed, from, outages, packages);
  const rootCause = rootCauseOf(
    w.episodes,
    outages,
    desired,
    packages.notable,
    pf === null ? null : { at: input.preflight!.at, dockerRestarts: pf.dockerRestarts === true },
  );
  const needsHuman = [
    ...needsHumanOf(outages, desired, w.failures, open ? input.scope : null),
    ...w.checksFailing,
    ...[...w.clusters.values()].filter((c) => !c.ready).map((c) => c.line),
  ];
  const prediction = input.preflight === null || pf === null ? null : predictionOf(input.preflight.at, pf, desired, outages);
  const notes: string[] = [];
  if (badTimes > 0) notes.push(`${badTimes} entr${badTimes === 1 ? 'y' : 'ies'} with an unreadable time skipped`);
  if (w.unknownKinds.size > 0) notes.push(`entries of kinds this version does not know skipped: ${[...w.unknownKinds].sort().join(', ')}`);
  if (w.skipped > 0) notes.push(`${w.skipped} container entr${w.skipped === 1 ? 'y' : 'ies'} without a container name skipped`);
  if (input.desired === null) notes.push('no snapshot: which services should run is not known; only the services the timeline names are listed');
  if (outages.some((o) => o.inferred))
    notes.push(
      'rows marked "inferred" have no entry of their own: the service is taken to have stopped with the Docker daemon and been started by Docker when the daemon came back (wrong if live-restore is on)',
    );
  if (input.preflight === null) notes.push('no preflight ran before: no prediction to compare with');

  const title = titleOf(input, counted.length > 0);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt: iso(now),
    title,
    date: iso(from).slice(0, 10),
    host: input.host,
    scope: input.scope.kind === 'maintenance' ? { kind: 'maintenance', window: input.scope.window } : { kind: 'period' },
    period: { from: iso(from), until: iso(windowEnd), seconds: Math.max(0, (windowEnd - from) / 1000), open, followedUntil: iso(followed) },
    impact,
    severity,
    summary: summaryOf(input, sorted.length, counted, stillDown.length, longest, packages, w.episodes),
    packages,
    timeline,
    outages,
    rootCause,
    upkeepDid: w.upkeepDid,
    needsHuman,
    prediction,
    snapshot: input.desired === null ? null : { id: input.desired.snapshotId, takenAt: input.desired.takenAt, desired: input.desired.containers.length },
    notes,
  };
}

function severityOf(count: number, longest: number, stillDown: number): Report['severity'] {
  const T = SEVERITY_THRESHOLDS;
  let level: Severity = count === 0 ? 'none' : longest >= T.critical ? 'critical' : longest >= T.high ? 'high' : longest >= T.medium ? 'medium' : 'low';
  if (stillDown > 0 && (level === 'low' || level === 'medium')) level = 'high';
  const rule =
    count === 0
      ? 'no desired service was down'
      : `longest outage of a desired service ${formatSeconds(longest)}${stillDown > 0 ? `; ${stillDown} still down` : ''} (low < 5 min <= medium < 30 min <= high < 4 h <= critical; still down: at least high)`;
  return { level, longestSeconds: longest, stillDown, rule };
}

const BACK_KINDS = new Set<string>([K.containerStarted, K.healed, K.operatorStart]);
const KNOWN = new Set<string>(Object.values(K));

/** Replays the entries up to `until`: outages, daemon episodes, apt runs, what upkeep did. */
function walk(entries: readonly ReportEntry[], desired: ReadonlyMap<string, DesiredContainer>, until: number, from: number): Working {
  const w: Working = {
    outages: [],
    open: new Map(),
    episodes: [],
    aptRuns: [],
    upkeepDid: [],
    failures: new Map(),
    checksFailing: [],
    clusters: new Map(),
    unknownKinds: new Set(),
    skipped: 0,
  };
  const outageOf = (name: string, at: number, cause: ServiceOutage['cause'], inferred: boolean, episode: Episode | null): void => {
    const d = desired.get(name);
    const o: ServiceOutage = {
      container: name,
      service: d?.compose ? `${d.compose.project}/${d.compose.service}` : null,
      policy: d ? formatRestartPolicy(d.restartPolicy) : null,
      desired: d !== undefined || desired.size === 0,
      downAt: iso(at),
      backAt: null,
      seconds: 0,
      by: null,
      cause,
      exitCode: null,
      inferred,
    };
    w.outages.push(o);
    w.open.set(name, { o, engineUpAt: null, episode });
  };
  const close = (name: string, at: number, by: BroughtBackBy, inferred = false): void => {
    const cur = w.open.get(name);
    if (cur === undefined) return;
    cur.o.backAt = iso(Math.max(at, Date.parse(cur.o.downAt)));
    cur.o.by = by;
    if (!inferred && cur.o.inferred) cur.o.inferred = false;
    w.open.delete(name);
  };
  /** Inferred outages still open after the daemon came back: Docker started them, when the restart semantics say so. */
  const settleEpisode = (): void => {
    for (const [name, cur] of [...w.open]) {
      if (!cur.o.inferred || cur.engineUpAt === null) continue;
      const d = desired.get(name);
      const outcome = d === undefined || cur.episode === null ? 'unknown' : predicted(d, cur.episode, 'back').outcome;
      if (outcome === 'back') close(name, cur.engineUpAt, 'docker', true);
      else if (outcome === 'unknown') {
        cur.o.by = 'unknown';
        w.open.delete(name);
      }
    }
  };
  let episode: Episode | null = null;
  let apt: { from: number; to: number | null } | null = null;

  for (const e of entries) {
    const at = Date.parse(e.at);
    if (at > until) break;
    if (at < from) continue;
    if (!KNOWN.has(e.kind)) {
      w.unknownKinds.add(e.kind);
      continue;
    }
    const f = fields(e.detail);
    const name = e.subject;
    switch (e.kind) {
      case K.aptStarted:
        apt = { from: at, to: null };
        w.aptRuns.push(apt);
        break;
      case K.aptEnded:
        if (apt !== null) apt.to = at;
        else w.aptRuns.push({ from, to: at });
        apt = null;
        break;
      case K.engineDown:
      case K.boot: {
        if (e.kind === K.boot && episode !== null && episode.upAt === null) {
          episode.boot = true;
          break;
        }
        settleEpisode();
        const downAt = e.kind === K.boot ? (time(f.bootTime) ?? at) : at;
        episode = { downAt, upAt: e.kind === K.boot ? at : null, boot: e.kind === K.boot, duringApt: apt !== null };
        w.episodes.push(episode);
        for (const d of desired.keys()) if (!w.open.has(d)) outageOf(d, downAt, e.kind === K.boot ? 'reboot' : 'daemon-stopped', true, episode);
        if (e.kind === K.boot) for (const cur of w.open.values()) if (cur.o.inferred) cur.engineUpAt = at;
        break;
      }
      case K.engineUp:
        if (episode !== null && episode.upAt === null) {
          episode.upAt = at;
          for (const cur of w.open.values()) if (cur.o.inferred) cur.engineUpAt = at;
        }
        break;
      case K.containerDied:
      case K.operatorStop: {
        if (name === null) {
          w.skipped++;
          break;
        }
        const downAt = time(f.finishedAt) ?? at;
        const cur = w.open.get(name);
        const exit = num(f.exitCode);
        if (cur !== undefined && cur.o.by === null) {
          // Confirms an inferred stop with its real time, or repeats a known one.
          if (cur.o.inferred) cur.o.downAt = iso(downAt);
          cur.o.inferred = false;
          if (cur.engineUpAt !== null && downAt >= cur.engineUpAt) cur.engineUpAt = null;
          cur.o.exitCode = exit ?? cur.o.exitCode;
          if (e.kind === K.operatorStop) cur.o.cause = 'operator-stop';
        } else {
          const ep = episode !== null && (episode.upAt === null || downAt < episode.upAt) ? episode : null;
          outageOf(name, downAt, e.kind === K.operatorStop ? 'operator-stop' : ep !== null ? (ep.boot ? 'reboot' : 'daemon-stopped') : 'exited', false, ep);
          w.open.get(name)!.o.exitCode = exit;
        }
        break;
      }
      default:
        if (BACK_KINDS.has(e.kind)) {
          if (name === null) {
            w.skipped++;
            break;
          }
          const by: BroughtBackBy = e.kind === K.healed ? 'upkeep' : e.kind === K.operatorStart ? 'operator' : byOf(f.by);
          close(name, time(f.startedAt) ?? at, by);
          if (e.kind === K.healed) w.upkeepDid.push(`${clock(e.at)} started ${name} again (it had stopped)`);
          w.failures.delete(name);
        } else if (e.kind === K.recovery || e.kind === K.recover) {
          const outcomes = Array.isArray(f.outcomes) ? f.outcomes.map(fields) : [];
          const started = outcomes.filter((o) => o.outcome === 'started' || o.outcome === 'recreated').flatMap((o) => str(o.container) ?? []);
          const failed = outcomes.filter((o) => o.outcome === 'failed');
          for (const c of started) {
            close(c, at, 'upkeep');
            w.failures.delete(c);
          }
          for (const o of failed) {
            const c = str(o.container);
            if (c !== null) w.failures.set(c, str(o.error) ?? 'the recovery failed');
          }
          const who = e.kind === K.recover ? '`upkeep recover`' : 'recovery pass';
          const secs = num(f.seconds);
          if (started.length + failed.length > 0 || f.error !== undefined)
            w.upkeepDid.push(
              `${clock(e.at)} ${who}${started.length ? `: started ${started.join(', ')}` : ''}${failed.length ? `; could not start ${failed.map((o) => str(o.container) ?? 'unknown').join(', ')}` : ''}${typeof f.error === 'string' ? `: failed (${f.error})` : ''}${secs !== null ? ` in ${secs.toFixed(1)} s` : ''}`,
            );
        } else if (e.kind === K.healFailed || e.kind === K.gaveUp) {
          if (name !== null) w.failures.set(name, e.kind === K.gaveUp ? 'upkeep gave up on it (crash loop)' : (str(f.error) ?? 'its start failed'));
        } else if (e.kind === K.snapshot) {
          w.upkeepDid.push(`${clock(e.at)} took snapshot ${num(f.id) ?? 'unknown'} of the desired state${str(f.note) ? ` ("${str(f.note)}")` : ''}`);
        } else if (e.kind === K.preflight) {
          w.upkeepDid.push(`${clock(e.at)} preflight: ${str(f.verdict) ?? 'unknown'} verdict`);
        } else if (e.kind === K.fixApplied) {
          w.upkeepDid.push(`${clock(e.at)} fixed ${name ?? 'a file'} (${str(f.rule) ?? 'unknown rule'})`);
        } else if (e.kind === K.livePolicyChanged) {
          w.upkeepDid.push(`${clock(e.at)} changed ${name ?? 'a container'}'s restart policy from ${str(f.from) ?? 'unknown'} to ${str(f.to) ?? 'unknown'}`);
        } else if (e.kind === K.reboot) {
          w.upkeepDid.push(
            `${clock(e.at)} rebooted the host (\`upkeep upgrade --reboot\`${Array.isArray(f.why) && f.why.length ? `: ${f.why.map(String).join('; ')}` : ''})`,
          );
        } else if (e.kind === K.clusterVerified && name !== null) {
          const pods = Array.isArray(f.podsNotReady) ? f.podsNotReady.flatMap((p) => str(p) ?? []) : [];
          const nodes = Array.isArray(f.nodesNotReady) ? f.nodesNotReady.flatMap((p) => str(p) ?? []) : [];
          const ready = f.state === 'ready';
          w.clusters.set(name, {
            ready,
            line: `k3d cluster ${name}: ${f.state === 'not-ready' ? 'not ready' : 'not verified'} after the recovery${nodes.length ? `; nodes not ready: ${nodes.join('; ')}` : ''}${pods.length ? `; pods not ready: ${pods.join('; ')}` : ''}${!ready && str(f.error) ? ` (${str(f.error)})` : ''}: look at it (\`kubectl get pods -A\`).`,
          });
          if (ready) w.upkeepDid.push(`${clock(e.at)} verified k3d cluster ${name}: ready${str(f.summary) ? ` (${str(f.summary)})` : ''}`);
        } else if (e.kind === K.unhealthy && f.source === 'upgrade-verification') {
          w.checksFailing.push(
            `${name ?? 'a container'}: its health check ${str(f.check) ?? ''} failed at the verification (${str(f.detail) ?? 'no detail'}): look at it (\`upkeep status\`, \`docker logs ${name ?? 'NAME'}\`).`,
          );
        }
    }
  }
  settleEpisode();
  for (const o of w.outages) o.seconds = Math.max(0, ((o.backAt === null ? until : Date.parse(o.backAt)) - Date.parse(o.downAt)) / 1000);
  return w;
}

function byOf(v: unknown): BroughtBackBy {
  return v === 'docker' || v === 'upkeep' || v === 'operator' ? v : v === 'agent' ? 'upkeep' : 'unknown';
}

/** The restart semantics for the episode (daemon restart, reboot, or a crash when nothing says otherwise). */
function predicted(d: DesiredContainer, ep: Episode, happened: 'back' | 'not-back'): { event: LifecycleEvent; outcome: Outcome; reason: string } {
  const facts = runningFactsOf(d, null);
  if (ep.boot) return { event: 'reboot', ...willComeBack(facts, ASSUMED_DAEMON, 'reboot') };
  if (ep.duringApt) return { event: 'daemon-restart', ...willComeBack(facts, ASSUMED_DAEMON, 'daemon-restart') };
  // Outside apt the timeline cannot tell a clean restart from a crash: the one matching what happened.
  const restart = willComeBack(facts, ASSUMED_DAEMON, 'daemon-restart');
  const crash = willComeBack(facts, ASSUMED_DAEMON, 'daemon-crash');
  if (restart.outcome === crash.outcome) return { event: 'daemon-restart', ...restart };
  return restart.outcome === happened ? { event: 'daemon-restart', ...restart } : { event: 'daemon-crash', ...crash };
}

const BY_WORDS: Record<BroughtBackBy, string> = {
  docker: 'started by Docker',
  upkeep: 'brought back by upkeep',
  operator: 'brought back by the operator',
  unknown: 'back (by whom is not recorded)',
};

function rowsOf(entries: readonly ReportEntry[], until: number, from: number, outages: readonly ServiceOutage[], packages: Report['packages']): TimelineRow[] {
  const rows: TimelineRow[] = [];
  const notable = packages.notable.map(changeText).join(', ');
  for (const e of entries) {
    const at = Date.parse(e.at);
    if (at > until || at < from - 1000) continue;
    const f = fields(e.detail);
    const s = e.subject;
    const row = (event: string): void => void rows.push({ at: e.at, kind: e.kind, subject: s, event });
    switch (e.kind) {
      case K.maintenanceStart:
        row(`maintenance window opened (${str(f.source) ?? s ?? 'unknown'}${str(f.reason) ? `: ${str(f.reason)}` : ''})`);
        break;
      case K.maintenanceStop:
        row(`maintenance window closed (${str(f.source) ?? s ?? 'unknown'})`);
        break;
      case K.aptStarted:
        row(`apt started${packages.count !== null ? `: ${packages.count} package(s)` : ''}${notable ? ` including ${notable}` : ''}`);
        break;
      case K.aptEnded:
        row(`apt finished${num(f.exitCode) !== null && f.exitCode !== 0 ? ` with exit code ${String(f.exitCode)}` : ''}`);
        break;
      case K.preflight:
        row(`preflight: ${str(f.verdict) ?? 'unknown'} (${num(f.packages) ?? 'unknown'} package(s))`);
        break;
      case K.snapshot:
        row(`snapshot ${num(f.id) ?? 'unknown'} taken`);
        break;
      case K.engineDown: {
        const upAt = entries.find((x) => x.kind === K.engineUp && Date.parse(x.at) > at);
        const end = upAt === undefined ? Infinity : Date.parse(upAt.at);
        const n = outages.filter((o) => o.cause === 'daemon-stopped' && Date.parse(o.downAt) >= at && Date.parse(o.downAt) <= end).length;
        row(`Docker daemon stopped answering (daemon stopped or restarted)${n > 0 ? `: ${n} service(s) stopped with it` : ''}`);
        break;
      }
      case K.engineUp: {
        const byDocker = outages.filter((o) => o.by === 'docker' && o.backAt === e.at).map((o) => o.container);
        row(`Docker daemon answers again${byDocker.length ? `; started by Docker: ${byDocker.join(', ')}` : ''}`);
        break;
      }
      case K.engineVersionChanged:
        row(`Docker engine ${str(f.from) ?? 'unknown'} -> ${str(f.to) ?? 'unknown'}`);
        break;
      case K.boot: {
        const bt = time(f.bootTime);
        row(`host booted${bt !== null && bt < at ? ` (boot took ${formatSeconds((at - bt) / 1000)} until upkeep saw it)` : ''}`);
        break;
      }
      case K.containerDied:
        row(`${s ?? 'unknown'} down${num(f.exitCode) !== null ? ` (exit ${String(f.exitCode)})` : ''}`);
        break;
      case K.operatorStop:
        row(`${s ?? 'unknown'} stopped by the operator`);
        break;
      case K.containerStarted:
        row(`${s ?? 'unknown'} back: ${BY_WORDS[byOf(f.by)]}`);
        break;
      case K.operatorStart:
        row(`${s ?? 'unknown'} back: ${BY_WORDS.operator}`);
        break;
      case K.healed:
        row(`${s ?? 'unknown'} back: ${BY_WORDS.upkeep}`);
        break;
      case K.healFailed:
        row(`upkeep could not start ${s ?? 'unknown'}: ${str(f.error) ?? 'unknown error'}`);
        break;
      case K.gaveUp:
        row(`upkeep gave up on ${s ?? 'unknown'} (crash loop)`);
        break;
      case K.recovery:
      case K.recover: {
        const started = (Array.isArray(f.outcomes) ? f.outcomes.map(fields) : []).filter((o) => o.outcome === 'started' || o.outcome === 'recreated');
        const names = started.flatMap((o) => str(o.container) ?? []);
        const remaining = Array.isArray(f.remaining) ? f.remaining.flatMap((r) => str(r) ?? []) : [];
        row(
          `${e.kind === K.recover ? '`upkeep recover`' : 'upkeep recovery pass'}: ${names.length ? `brought back ${names.join(', ')}` : 'nothing to start'}${remaining.length ? `; still down: ${remaining.join(', ')}` : ''}`,
        );
        break;
      }
      case K.fixApplied:
        row(`audit fix applied to ${s ?? 'unknown'}`);
        break;
      case K.reboot:
        row(`reboot by \`upkeep upgrade --reboot\`${Array.isArray(f.why) && f.why.length ? ` (${f.why.map(String).join('; ')})` : ''}`);
        break;
      case K.clusterVerified: {
        const pods = Array.isArray(f.podsNotReady) ? f.podsNotReady.length : 0;
        row(
          `k3d cluster ${s ?? 'unknown'}: ${f.state === 'ready' ? 'verified ready' : f.state === 'not-ready' ? `NOT READY (${pods} pod(s) not ready)` : 'could not be verified'}`,
        );
        break;
      }
      case K.unhealthy:
        if (f.source === 'upgrade-verification')
          row(`${s ?? 'unknown'}: health check ${str(f.check) ?? ''} failing at the verification (${str(f.detail) ?? 'no detail'})`);
        break;
      case K.livePolicyChanged:
        row(`${s ?? 'unknown'}: restart policy ${str(f.from) ?? 'unknown'} -> ${str(f.to) ?? 'unknown'}`);
        break;
      default:
        break;
    }
  }
  // Services Docker started with the daemon, inferred (no entry of their own): on the engine-up row.
  for (const o of outages)
    if (o.inferred && o.by === 'docker' && o.backAt !== null && !rows.some((r) => r.kind === K.engineUp && r.at === o.backAt))
      rows.push({ at: o.backAt, kind: 'inferred', subject: o.container, event: `${o.container} back: started by Docker (inferred)` });
  return rows.sort((a, b) => compareText(a.at, b.at));
}

function changeText(p: PackageChange): string {
  return `${p.name} ${p.from ?? 'unknown'} -> ${p.to ?? 'unknown'}`;
}

function names(list: readonly string[]): string {
  return list.length <= 4 ? list.join(', ') : `${list.slice(0, 3).join(', ')} and ${list.length - 3} more`;
}

const FATE: Record<BroughtBackBy, string> = {
  docker: 'Docker started it again',
  upkeep: 'it stayed down until upkeep brought it back',
  operator: 'it stayed down until the operator brought it back',
  unknown: 'no entry says when or how it came back',
};

function rootCauseOf(
  episodes: readonly Episode[],
  outages: readonly ServiceOutage[],
  desired: ReadonlyMap<string, DesiredContainer>,
  notable: readonly PackageChange[],
  /** The preflight before the run: whether it found that the upgrade restarts docker.service. */
  preflight: { at: string; dockerRestarts: boolean } | null,
): string[] {
  const lines: string[] = [];
  const has = (re: RegExp) => notable.find((p) => re.test(p.name));
  for (const ep of episodes) {
    const when = clock(iso(ep.downAt));
    if (ep.boot) lines.push(`The host rebooted (the daemon was down from ${when}): at boot Docker starts only the containers its restart policies name.`);
    else if (ep.duringApt) {
      const dockerCe = has(/^docker-ce$/);
      const dockerIo = has(/^docker\.io$/);
      const containerd = has(/^containerd/);
      if (dockerCe)
        lines.push(`The Docker daemon was restarted at ${when} during the apt run: ${changeText(dockerCe)}, whose postinst restarts docker.service.`);
      else if (dockerIo)
        lines.push(
          `The Docker daemon stopped at ${when} during the apt run; ${changeText(dockerIo)} is Debian's package, whose postinst only starts docker.service: the restart came from something else.`,
        );
      else if (preflight?.dockerRestarts)
        lines.push(
          `The Docker daemon was restarted at ${when} during the apt run, as the preflight at ${clock(preflight.at)} predicted (a package of this run restarts docker.service).`,
        );
      else lines.push(`The Docker daemon stopped at ${when} during the apt run; no package of this run is known to restart docker.service.`);
      if (containerd)
        lines.push(
          `${changeText(containerd)}: its postinst restarts containerd.service, which running containers survive (their shims keep running); it is not what stopped them.`,
        );
    } else lines.push(`The Docker daemon stopped at ${when} outside an apt run: a crash, an OOM kill, or someone restarting it.`);
  }
  // Per reason from the restart semantics: which services it kept down and which Docker started.
  const groups = new Map<string, string[]>();
  for (const o of outages) {
    if (o.cause !== 'daemon-stopped' && o.cause !== 'reboot') continue;
    const d = desired.get(o.container);
    const ep = episodes.find((x) => x.downAt <= Date.parse(o.downAt) && (x.upAt === null || Date.parse(o.downAt) <= x.upAt)) ?? null;
    if (d === undefined || ep === null) continue;
    const happened = o.by === 'docker' ? 'back' : 'not-back';
    const p = predicted(d, ep, happened);
    const fate = o.by === 'docker' ? 'Docker started it again' : o.by === null ? 'it stayed down' : FATE[o.by];
    const unexpected = p.outcome !== 'unknown' && p.outcome !== happened ? ' (not what the restart semantics predict: check it)' : '';
    const key = `${p.reason}: ${fate}${unexpected}`;
    groups.set(key, [...(groups.get(key) ?? []), o.container]);
  }
  for (const [reason, list] of groups) lines.push(`${names(list)}: ${reason}.`);
  for (const o of outages.filter((x) => x.cause === 'exited'))
    lines.push(`${o.container} stopped by itself while the daemon ran${o.exitCode !== null ? ` (exit ${o.exitCode})` : ''}.`);
  return lines;
}

function needsHumanOf(
  outages: readonly ServiceOutage[],
  desired: ReadonlyMap<string, DesiredContainer>,
  failures: ReadonlyMap<string, string>,
  openScope: ReportInput['scope'] | null,
): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const o of outages) {
    if (!o.desired || o.cause === 'operator-stop') continue;
    if (o.backAt === null && o.by === null) {
      seen.add(o.container);
      out.push(
        `${o.container} is still down (since ${clock(o.downAt)})${failures.has(o.container) ? `: ${failures.get(o.container)}` : ''}: \`upkeep recover\` or \`docker start ${o.container}\`.`,
      );
    } else if (o.backAt === null) out.push(`${o.container}: no entry says whether it came back: check it with \`upkeep status\`.`);
  }
  const policyFix: string[] = [];
  for (const o of outages) {
    if (o.by !== 'upkeep' && o.by !== 'operator') continue;
    const d = desired.get(o.container);
    if (d === undefined || policyFix.includes(o.container)) continue;
    if (willComeBack(runningFactsOf(d, null), ASSUMED_DAEMON, 'daemon-restart').outcome === 'not-back') policyFix.push(o.container);
  }
  if (policyFix.length > 0)
    out.push(
      `${names(policyFix)}: Docker will not start ${policyFix.length === 1 ? 'it' : 'them'} after the next daemon restart either (restart policy); give ${policyFix.length === 1 ? 'it' : 'them'} \`restart: always\`: ${fixCommands(policyFix, desired).join('; ')}.`,
    );
  if (openScope !== null && openScope.kind === 'maintenance')
    out.push(`The maintenance window is still open (until ${openScope.window.endsAt}): \`upkeep maintenance stop\` when done.`);
  return out;
}

/**
 * The exact commands that give `containers` a restart policy Docker acts on: per compose project,
 * `upkeep audit --fix --apply-live` on its compose files (the file fixed byte-preserving, the running
 * containers updated without a recreate); for a standalone container, `docker update --restart always`.
 */
function fixCommands(containers: readonly string[], desired: ReadonlyMap<string, DesiredContainer>): string[] {
  // One command per project: its compose files, as sh words (the Set keeps the first order).
  const projects = new Set<string>();
  const standalone: string[] = [];
  for (const name of containers) {
    const c = desired.get(name)?.compose ?? null;
    const paths = c === null ? [] : c.configFiles.map((f) => (f.startsWith('/') || c.workingDir === null ? f : joinPath(c.workingDir, f)));
    if (c === null || paths.length === 0 || !paths.every((f) => f.startsWith('/'))) standalone.push(name);
    else projects.add(paths.map(shQuote).join(' '));
  }
  const out = [...projects].map((f) => `\`upkeep audit --fix --apply-live ${f}\``);
  if (standalone.length > 0) out.push(`\`docker update --restart always ${standalone.map(shQuote).join(' ')}\``);
  return out;
}

function predictionOf(
  at: string,
  pf: Record<string, unknown>,
  desired: ReadonlyMap<string, DesiredContainer>,
  outages: readonly ServiceOutage[],
): Report['prediction'] {
  const notBack = new Set(Array.isArray(pf.notBack) ? pf.notBack.flatMap((n) => str(n) ?? []) : []);
  const stops = pf.dockerRestarts === true || pf.reboot === true;
  const containers = [...new Set([...desired.keys(), ...notBack])].sort();
  const rows = containers.map((c): PredictionRow => {
    const predictedOutcome: PredictionRow['predicted'] = notBack.has(c) ? 'not-back' : stops ? 'back' : 'not-stopped';
    const mine = outages.filter((o) => o.container === c && o.cause !== 'operator-stop');
    const last = mine[mine.length - 1];
    const happened: PredictionRow['happened'] =
      last === undefined
        ? 'not-down'
        : last.backAt === null && last.by === null
          ? 'still-down'
          : last.by === 'docker'
            ? 'back-by-docker'
            : last.by === 'upkeep' || last.by === 'operator'
              ? 'needed-help'
              : 'unknown';
    const ok =
      happened === 'unknown'
        ? null
        : predictedOutcome === 'not-back'
          ? happened === 'needed-help' || happened === 'still-down'
          : predictedOutcome === 'back'
            ? happened === 'back-by-docker' || happened === 'not-down'
            : happened === 'not-down';
    return { container: c, predicted: predictedOutcome, happened, verdict: ok === null ? 'unknown' : ok ? 'correct' : 'wrong' };
  });
  return { at, verdict: str(pf.verdict) ?? 'unknown', rows };
}

function titleOf(input: ReportInput, anyDown: boolean): string {
  const host = input.host ?? 'this host';
  if (input.scope.kind === 'maintenance') {
    const w = input.scope.window;
    return `Maintenance report: ${w.reason ?? `${w.source} window ${w.id}`} on ${host}${anyDown ? ', services down' : ''}`;
  }
  return `Incident report: ${host}, ${input.scope.since.slice(0, 16).replace('T', ' ')} to ${input.scope.until.slice(0, 16).replace('T', ' ')} UTC`;
}

function summaryOf(
  input: ReportInput,
  entryCount: number,
  counted: readonly ServiceOutage[],
  stillDown: number,
  longest: number,
  packages: Report['packages'],
  episodes: readonly Episode[],
): string {
  if (entryCount === 0) return 'Nothing recorded: the timeline holds no entry for this period (was the agent running, and is this the right state directory?).';
  const parts: string[] = [];
  if (packages.count !== null)
    parts.push(
      `An apt run of ${packages.count} package(s)${packages.notable.length ? ` (${packages.notable.map((p) => p.name).join(', ')})` : ''} took place.`,
    );
  if (episodes.length > 0)
    parts.push(
      `The Docker daemon went down ${episodes.length === 1 ? 'once' : `${episodes.length} times`}${episodes.some((e) => e.boot) ? ' (with a reboot)' : ''}.`,
    );
  const services = new Set(counted.map((o) => o.container));
  const desiredCount = input.desired?.containers.length ?? null;
  if (services.size === 0) parts.push(`No desired service was down${desiredCount !== null ? ` (${desiredCount} desired)` : ''}.`);
  else {
    const by = (b: BroughtBackBy) => new Set(counted.filter((o) => o.by === b && o.backAt !== null).map((o) => o.container)).size;
    const bits = [
      by('docker') ? `Docker started ${by('docker')} again` : '',
      by('upkeep') ? `upkeep brought back ${by('upkeep')}` : '',
      by('operator') ? `the operator brought back ${by('operator')}` : '',
      by('unknown') ? `${by('unknown')} came back by unknown means` : '',
      stillDown ? `${stillDown} ${stillDown === 1 ? 'is' : 'are'} still down` : '',
    ].filter((b) => b !== '');
    parts.push(
      `${services.size}${desiredCount !== null ? ` of ${desiredCount}` : ''} desired service(s) went down; ${bits.join(', ') || 'whether they came back is not recorded'}. The longest outage lasted ${formatSeconds(longest)}.`,
    );
  }
  return parts.join(' ');
}

/** Words for people, shared by the renderers. */
export const WORDS = {
  severity: { none: 'None', low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' } satisfies Record<Severity, string>,
  by: { docker: 'Docker', upkeep: 'upkeep', operator: 'the operator', unknown: 'unknown' } satisfies Record<BroughtBackBy, string>,
  predicted: { back: 'comes back by itself', 'not-back': 'does not come back (or maybe not)', 'not-stopped': 'not stopped' } satisfies Record<
    PredictionRow['predicted'],
    string
  >,
  happened: {
    'not-down': 'never down',
    'back-by-docker': 'came back by itself (Docker)',
    'needed-help': 'needed upkeep or the operator',
    'still-down': 'still down',
    unknown: 'unknown',
  } satisfies Record<PredictionRow['happened'], string>,
  verdict: { correct: 'predicted correctly', wrong: 'predicted wrongly', unknown: 'no prediction' } satisfies Record<PredictionRow['verdict'], string>,
} as const;

/** The lines of the report's header (date, host, duration, severity), as label and text. */
export function headerLines(r: Report): Array<[string, string]> {
  const window =
    r.scope.kind === 'maintenance'
      ? `window ${clock(r.period.from)} to ${r.period.open ? `now (still open, until ${clock(r.scope.window.endsAt)})` : clock(r.period.until)} (${formatSeconds(r.period.seconds)})`
      : `period ${r.period.from.slice(0, 16).replace('T', ' ')} to ${r.period.until.slice(0, 16).replace('T', ' ')} (${formatSeconds(r.period.seconds)})`;
  const impact =
    r.impact === null
      ? 'no desired service down'
      : `${formatSeconds(r.impact.seconds)} with services down (${clock(r.impact.from)} to ${clock(r.impact.until)})`;
  return [
    ['Date', r.date],
    ['Host', r.host ?? 'unknown'],
    ['Duration', `${impact}; ${window}; times in UTC`],
    ['Severity', `${WORDS.severity[r.severity.level]}: ${r.severity.rule}`],
  ];
}

/** "15:41:10", or "still down" / "unknown" for an outage without an end. */
export function backText(o: ServiceOutage): string {
  return o.backAt !== null ? clock(o.backAt) : o.by === null ? 'still down' : 'unknown';
}
