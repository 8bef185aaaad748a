/**
 * `upkeep status` and the container part of `upkeep check`: per container, will it be running after
 * a daemon restart, a daemon crash, a reboot; and a one-line verdict over the running ones.
 */
import { formatRestartPolicy } from './container-facts.js';
import { clustersOf, type ClusterStatus } from './k3d/cluster.js';
import type { ContainerFacts, DaemonFacts, LifecycleEvent, Prediction } from './model.js';
import { predictAll } from './restart-semantics.js';
import type { DesiredState } from './recovery/desired-state.js';
import { matchActual } from './recovery/match.js';

export interface StatusEntry {
  id: string;
  name: string;
  image: string;
  state: ContainerFacts['state'];
  exitCode: number | null;
  restartPolicy: ContainerFacts['restartPolicy'];
  restartCount: number;
  manuallyStopped: boolean | null;
  compose: { project: string; service: string; workingDir: string | null; configFiles: string[] } | null;
  health: ContainerFacts['health'];
  /**
   * What the desired state (app/desired-state.ts) says of it: "desired", "operator-stopped" (stopped
   * on purpose: not desired), "forgotten", "not-desired" (in no snapshot); null when upkeep has no
   * desired state (no snapshot yet, or no state directory).
   */
  desired: DesiredMark | null;
  comesBack: {
    daemonRestart: Prediction;
    daemonCrash: Prediction;
    reboot: Prediction;
    afterManualStop: Prediction;
  };
}

export type DesiredMark = 'desired' | 'operator-stopped' | 'forgotten' | 'not-desired';

export interface StatusReport {
  daemon: DaemonFacts;
  containers: StatusEntry[];
  summary: StatusSummary;
  /** k3d clusters, each as one unit with its nodes' verdicts (core/k3d/cluster.ts); their nodes are also in `containers`. */
  clusters: ClusterStatus[];
  notices: string[];
  /** The desired state the marks come from: its snapshot, and what it leaves out; null without one. */
  desired: { snapshotId: number; takenAt: string; operatorStopped: DesiredState['operatorStopped']; forgotten: DesiredState['forgotten'] } | null;
}

export interface EventTally {
  back: number;
  notBack: number;
  unknown: number;
  /** Names of running containers that will not be running after the event. */
  notBackNames: string[];
}

export interface StatusSummary {
  total: number;
  running: number;
  /** Over running containers only: what each event would do to what runs now. */
  daemonRestart: EventTally;
  daemonCrash: EventTally;
  reboot: EventTally;
  /** Stopped containers the next daemon start would start (policy "always", or on-failure after a failure). */
  stoppedButWillStart: string[];
}

export function buildStatusReport(
  daemon: DaemonFacts,
  containers: readonly ContainerFacts[],
  notices: string[] = [],
  desired: DesiredState | null = null,
): StatusReport {
  const marks = desired === null ? null : desiredMarks(desired, containers);
  const entries = containers.map((c): StatusEntry => {
    const p = predictAll(c, daemon);
    return {
      id: c.id,
      name: c.name,
      image: c.image,
      state: c.state,
      exitCode: c.exitCode,
      restartPolicy: c.restartPolicy,
      restartCount: c.restartCount,
      manuallyStopped: c.manuallyStopped,
      compose: c.compose
        ? { project: c.compose.project, service: c.compose.service, workingDir: c.compose.workingDir, configFiles: c.compose.configFiles }
        : null,
      health: c.health,
      desired: marks === null ? null : (marks.get(c.id) ?? 'not-desired'),
      comesBack: {
        daemonRestart: p['daemon-restart'],
        daemonCrash: p['daemon-crash'],
        reboot: p.reboot,
        afterManualStop: p['daemon-restart-after-manual-stop'],
      },
    };
  });
  const allNotices = [...notices];
  for (const s of desired?.operatorStopped ?? []) {
    allNotices.push(`${s.name} was stopped on purpose at ${s.at} (${s.reason}): not desired; \`upkeep want ${s.name}\` makes it desired again`);
  }
  return {
    daemon,
    containers: entries,
    summary: summarize(entries),
    clusters: clustersOf(entries.map((e, i) => ({ ...e, labels: containers[i]?.labels ?? {} }))),
    notices: allNotices,
    desired:
      desired === null
        ? null
        : { snapshotId: desired.snapshot.id, takenAt: desired.snapshot.takenAt, operatorStopped: desired.operatorStopped, forgotten: desired.forgotten },
  };
}

/** The desired-state mark of every container that stands for a desired, stopped or forgotten one, by container id. */
function desiredMarks(desired: DesiredState, containers: readonly ContainerFacts[]): Map<string, DesiredMark> {
  const marks = new Map<string, DesiredMark>();
  const mark = (names: ReadonlySet<string>, as: DesiredMark) => {
    // The same matching recover uses (by id, then name, then compose identity).
    for (const [, m] of matchActual(
      desired.containers.filter((d) => names.has(d.name)),
      containers,
    ))
      if (m.actual) marks.set(m.actual.id, as);
  };
  mark(new Set(desired.containers.map((d) => d.name)), 'desired');
  for (const c of containers) {
    if (desired.operatorStopped.some((s) => s.name === c.name)) marks.set(c.id, 'operator-stopped');
    else if (desired.forgotten.some((f) => f.name === c.name)) marks.set(c.id, 'forgotten');
  }
  return marks;
}

function isRunning(e: StatusEntry): boolean {
  return e.state === 'running' || e.state === 'restarting';
}

function tally(entries: StatusEntry[], pick: (e: StatusEntry) => Prediction): EventTally {
  const t: EventTally = { back: 0, notBack: 0, unknown: 0, notBackNames: [] };
  for (const e of entries) {
    const p = pick(e);
    if (p.outcome === 'back') t.back++;
    else if (p.outcome === 'unknown') t.unknown++;
    else {
      t.notBack++;
      t.notBackNames.push(e.name);
    }
  }
  return t;
}

function summarize(entries: StatusEntry[]): StatusSummary {
  const running = entries.filter(isRunning);
  return {
    total: entries.length,
    running: running.length,
    daemonRestart: tally(running, (e) => e.comesBack.daemonRestart),
    daemonCrash: tally(running, (e) => e.comesBack.daemonCrash),
    reboot: tally(running, (e) => e.comesBack.reboot),
    stoppedButWillStart: entries.filter((e) => !isRunning(e) && e.comesBack.daemonRestart.outcome === 'back').map((e) => e.name),
  };
}

/** Whether the report shows risk: some running container would not (or might not) come back. */
export function hasRisk(summary: StatusSummary): boolean {
  return [summary.daemonRestart, summary.daemonCrash, summary.reboot].some((t) => t.notBack > 0 || t.unknown > 0);
}

/** One line for people: "3 of 7 running containers would not come back after a reboot; ...". */
export function statusVerdict(s: StatusSummary): string {
  if (s.running === 0) return `No running containers (${s.total} in all): nothing to lose.`;
  const parts: string[] = [];
  // The first part names the whole ("N of M running containers ..."); the later ones are short.
  const part = (n: number, full: string, short: string) =>
    parts.push(parts.length === 0 ? `${n} of ${s.running} running container${s.running === 1 ? '' : 's'} ${full}` : `${n} ${short}`);
  if (s.reboot.notBack > 0) part(s.reboot.notBack, 'would not come back after a reboot', 'not after a reboot');
  if (s.daemonRestart.notBack > 0 && s.daemonRestart.notBack !== s.reboot.notBack)
    part(s.daemonRestart.notBack, 'would not come back after a daemon restart', 'not after a daemon restart');
  if (s.daemonCrash.notBack > 0)
    part(s.daemonCrash.notBack, 'would not come back after a daemon crash or power loss', 'not after a daemon crash or power loss');
  const unknown = Math.max(s.reboot.unknown, s.daemonRestart.unknown, s.daemonCrash.unknown);
  if (unknown > 0) part(unknown, 'cannot be predicted (see the notes)', 'cannot be predicted (see the notes)');
  if (parts.length === 0) return `All ${s.running} running containers would come back after a daemon restart, a daemon crash and a reboot.`;
  return `${parts.join('; ')}.`;
}

export const EVENT_COLUMNS: ReadonlyArray<{ event: LifecycleEvent; key: 'daemonRestart' | 'daemonCrash' | 'reboot'; title: string }> = [
  { event: 'daemon-restart', key: 'daemonRestart', title: 'DAEMON RESTART' },
  { event: 'daemon-crash', key: 'daemonCrash', title: 'DAEMON CRASH' },
  { event: 'reboot', key: 'reboot', title: 'REBOOT' },
];

export interface StatusTable {
  header: string[];
  rows: Array<{ cells: string[]; outcomes: Array<Prediction['outcome'] | null> }>;
  footnotes: string[];
}

/**
 * Running containers: "back", "NOT BACK (n)", "UNKNOWN (n)". Stopped ones: "stays down", or
 * "STARTS (n)" when the next daemon start would start it (a surprise worth a footnote).
 */
function outcomeCell(p: Prediction, running: boolean, noteNumber: (reason: string) => number): string {
  if (p.outcome === 'unknown') return `UNKNOWN (${noteNumber(p.reason)})`;
  if (running) return p.outcome === 'back' ? 'back' : `NOT BACK (${noteNumber(p.reason)})`;
  return p.outcome === 'back' ? `STARTS (${noteNumber(p.reason)})` : 'stays down';
}

/** Lays the report out as a table with numbered footnotes for every reason that is not "back". */
export function statusTable(report: StatusReport): StatusTable {
  const footnotes: string[] = [];
  const noteNumber = (reason: string): number => {
    let i = footnotes.indexOf(reason);
    if (i === -1) {
      footnotes.push(reason);
      i = footnotes.length - 1;
    }
    return i + 1;
  };
  const header = ['CONTAINER', 'PROJECT/SERVICE', 'STATE', 'POLICY', ...EVENT_COLUMNS.map((c) => c.title)];
  const rows = report.containers.map((e) => {
    const state = e.state === 'exited' ? `exited (${e.exitCode ?? '?'})` : e.health && e.state === 'running' ? `running (${e.health.status})` : e.state;
    const cells = [e.name, e.compose ? `${e.compose.project}/${e.compose.service}` : '-', state, formatRestartPolicy(e.restartPolicy)];
    const outcomes: Array<Prediction['outcome'] | null> = [null, null, null, null];
    const running = e.state === 'running' || e.state === 'restarting';
    for (const col of EVENT_COLUMNS) {
      const p = e.comesBack[col.key];
      outcomes.push(p.outcome);
      cells.push(outcomeCell(p, running, noteNumber));
    }
    return { cells, outcomes };
  });
  return { header, rows, footnotes };
}
