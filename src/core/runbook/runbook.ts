/**
 * The host's runbook (`upkeep runbook`): per compose project, k3d cluster and standalone container,
 * the command that brings it back, the variables its compose files need and where they come from,
 * and whether each container comes back after a daemon restart, a daemon crash and a reboot (the
 * restart-semantics model); then this host's risks before an upgrade. Built from the desired state
 * (the newest snapshot) and, when the engine answered, what runs now. Pure: the files are read by
 * the caller (app/runbook.ts), which hands in what it read.
 *
 * No value of any variable appears here: names only, and where they come from.
 */
import type { RollbackSection } from '../upgrade/rollback.js';
import { isAbsolute, normalize, relative } from 'node:path/posix';
import { formatRestartPolicy } from '../container-facts.js';
import type { ContainerFacts, DaemonFacts, LifecycleEvent, Prediction } from '../model.js';
import { willComeBack } from '../restart-semantics.js';
import { projectNameProblem } from '../recovery/compose-command.js';
import { runningFactsOf, type DesiredContainer, type DesiredState, type HostIdentity } from '../recovery/desired-state.js';
import { matchActual } from '../recovery/match.js';
import { envFileNames, composeVariables, type VariableUse } from './compose-variables.js';
import { hasControlCharacters, shQuote } from './shell-quote.js';

/** The label k3d puts on its node containers: the cluster's name. */
export const K3D_CLUSTER_LABEL = 'k3d.cluster';

/** What the three events do to one container. */
export interface ComesBack {
  daemonRestart: Prediction;
  daemonCrash: Prediction;
  reboot: Prediction;
}

export interface RunbookContainer {
  name: string;
  /** Compose service, for a compose project's containers. */
  service: string | null;
  /** As the live container has it when the engine answered, else as the snapshot recorded it. */
  policy: string;
  /** "running", "exited (0)", "missing" (not on the engine), or null when the engine did not answer. */
  now: string | null;
  comesBack: ComesBack;
}

/** Where a variable's value comes from when the command runs. */
export type VariableSource = 'env-file' | 'default' | 'only-when-set' | 'environment';

export interface RunbookVariable {
  name: string;
  source: VariableSource;
  /** `${VAR:?...}`: compose refuses to run without it. */
  required: boolean;
}

export interface RunbookFile {
  path: string;
  /** Why it was not read or not used, or null when its variables are listed. */
  problem: string | null;
}

export interface RunbookProject {
  project: string;
  workingDir: string | null;
  /** As the labels name them (absolute, or relative to the working directory). */
  configFiles: string[];
  /** The shell command that brings it back, or null when none can be written safely (see `commandProblem`). */
  command: string | null;
  commandProblem: string | null;
  files: RunbookFile[];
  /** `.env` in the working directory: "present", "absent", or why it could not be read. */
  envFile: string;
  variables: RunbookVariable[];
  containers: RunbookContainer[];
}

export interface RunbookCluster {
  cluster: string;
  command: string | null;
  commandProblem: string | null;
  containers: RunbookContainer[];
}

export interface RunbookStandalone extends RunbookContainer {
  command: string | null;
  commandProblem: string | null;
}

/** A desired container that would not be running after a daemon restart or a reboot. */
export interface RunbookRisk {
  container: string;
  event: 'daemon-restart' | 'reboot';
  outcome: 'not-back' | 'unknown';
  reason: string;
}

export interface Runbook {
  generatedAt: string;
  host: HostIdentity;
  snapshot: { id: number; takenAt: string; note: string | null };
  engine: { reachable: true; serverVersion: string; liveRestore: boolean } | { reachable: false; problem: string };
  stateDir: string;
  projects: RunbookProject[];
  k3dClusters: RunbookCluster[];
  standalone: RunbookStandalone[];
  risks: RunbookRisk[];
  /** Desired state left out: forgotten or stopped on purpose since the snapshot. */
  notDesired: Array<{ name: string; why: string }>;
  /** Running now but in no snapshot (only when the engine answered). */
  undesiredRunning: string[];
  notices: string[];
  /** The rollback plan of the last `upkeep upgrade` (absent: none recorded). */
  rollback?: RollbackSection & { runId: number; maintenanceId: number | null };
}

/** A compose project as the desired containers' labels describe it, with the files to read. */
export interface ProjectToRead {
  project: string;
  workingDir: string | null;
  configFiles: string[];
  /** Absolute paths of the config files (relative ones against the working directory); null when it has none. */
  absoluteFiles: Array<string | null>;
  /** `.env` in the working directory, or null without a usable working directory. */
  envFile: string | null;
}

/** What the caller read of a file: its text, or why not. */
export type FileRead = { ok: true; text: string } | { ok: false; why: string };

export interface RunbookInput {
  generatedAt: string;
  stateDir: string;
  desired: DesiredState;
  /** What runs now, or null when the engine did not answer (engineProblem says why). */
  live: { daemon: DaemonFacts; containers: readonly ContainerFacts[] } | null;
  engineProblem: string | null;
  /** By absolute path: what was read of each config file and `.env` that projectsToRead named. */
  files: ReadonlyMap<string, FileRead>;
  notices?: readonly string[];
}

/** The daemon assumed when the engine does not answer: live-restore off (Docker's default). */
const ASSUMED_DAEMON: DaemonFacts = { liveRestore: false, serverVersion: 'unknown', apiVersion: 'unknown', rootDir: '/var/lib/docker' };

function labelsOf(d: DesiredContainer, live: ContainerFacts | null): Record<string, string> {
  return live?.labels ?? d.createConfig.Labels ?? {};
}

function clusterOf(d: DesiredContainer, live: ContainerFacts | null): string | null {
  const c = labelsOf(d, live)[K3D_CLUSTER_LABEL];
  return c === undefined || c === '' ? null : c;
}

/** The compose projects of the desired containers (k3d nodes excluded), with the files to read. */
export function projectsToRead(desired: readonly DesiredContainer[]): ProjectToRead[] {
  const byProject = new Map<string, ProjectToRead>();
  for (const d of desired) {
    if (d.compose === null || clusterOf(d, null) !== null || byProject.has(d.compose.project)) continue;
    const wd = d.compose.workingDir !== null && isAbsolute(d.compose.workingDir) ? normalize(d.compose.workingDir) : null;
    byProject.set(d.compose.project, {
      project: d.compose.project,
      workingDir: d.compose.workingDir,
      configFiles: [...d.compose.configFiles],
      absoluteFiles: d.compose.configFiles.map((f) => (isAbsolute(f) ? normalize(f) : wd === null ? null : normalize(`${wd}/${f}`))),
      envFile: wd === null ? null : `${wd === '/' ? '' : wd}/.env`,
    });
  }
  return [...byProject.values()].sort((a, b) => cmp(a.project, b.project));
}

/** Builds the runbook (see the file comment). */
export function buildRunbook(input: RunbookInput): Runbook {
  const { desired } = input;
  const daemon = input.live?.daemon ?? ASSUMED_DAEMON;
  const matches = input.live === null ? null : matchActual(desired.containers, input.live.containers);
  const notices = [...(input.notices ?? [])];

  const entry = (d: DesiredContainer): { c: RunbookContainer; live: ContainerFacts | null } => {
    const live = matches?.get(d.name)?.actual ?? null;
    const facts = runningFactsOf(d, live);
    return {
      live,
      c: {
        name: d.name,
        service: d.compose?.service ?? null,
        policy: formatRestartPolicy(facts.restartPolicy),
        now: matches === null ? null : live === null ? 'missing' : live.state === 'exited' ? `exited (${live.exitCode ?? '?'})` : live.state,
        comesBack: {
          daemonRestart: willComeBack(facts, daemon, 'daemon-restart'),
          daemonCrash: willComeBack(facts, daemon, 'daemon-crash'),
          reboot: willComeBack(facts, daemon, 'reboot'),
        },
      },
    };
  };

  const projects = new Map<string, RunbookContainer[]>();
  const clusters = new Map<string, RunbookContainer[]>();
  const standalone: RunbookStandalone[] = [];
  const all: RunbookContainer[] = [];
  for (const d of desired.containers) {
    const { c, live } = entry(d);
    all.push(c);
    const cluster = clusterOf(d, live);
    if (cluster !== null) clusters.set(cluster, [...(clusters.get(cluster) ?? []), c]);
    else if (d.compose !== null) projects.set(d.compose.project, [...(projects.get(d.compose.project) ?? []), c]);
    else standalone.push({ ...c, ...commandOrProblem(['docker', 'start', d.name]) });
  }

  const risks: RunbookRisk[] = [];
  for (const c of all) {
    for (const [event, p] of [
      ['daemon-restart', c.comesBack.daemonRestart],
      ['reboot', c.comesBack.reboot],
    ] as const) {
      if (p.outcome !== 'back') risks.push({ container: c.name, event, outcome: p.outcome, reason: p.reason });
    }
  }

  const desiredNames = new Set(desired.containers.map((d) => d.name));
  const claimed = new Set([...(matches?.values() ?? [])].map((m) => m.actual?.id).filter((id) => id !== undefined));
  const undesiredRunning = (input.live?.containers ?? [])
    .filter((c) => (c.state === 'running' || c.state === 'restarting') && !desiredNames.has(c.name) && !claimed.has(c.id))
    .map((c) => c.name)
    .sort(cmp);

  return {
    generatedAt: input.generatedAt,
    host: desired.snapshot.host,
    snapshot: { id: desired.snapshot.id, takenAt: desired.snapshot.takenAt, note: desired.snapshot.note },
    engine:
      input.live === null
        ? { reachable: false, problem: input.engineProblem ?? 'unknown reason' }
        : { reachable: true, serverVersion: daemon.serverVersion, liveRestore: daemon.liveRestore },
    stateDir: input.stateDir,
    projects: projectsToRead(desired.containers)
      .filter((p) => projects.has(p.project))
      .map((p) => projectOf(p, projects.get(p.project)!, input.files)),
    k3dClusters: [...clusters.entries()]
      .sort(([a], [b]) => cmp(a, b))
      .map(([cluster, containers]) => ({ cluster, ...commandOrProblem(['k3d', 'cluster', 'start', cluster]), containers })),
    standalone: standalone.sort((a, b) => cmp(a.name, b.name)),
    risks,
    notDesired: [
      ...desired.forgotten.map((f) => ({ name: f.name, why: `forgotten (upkeep forget) at ${f.at}` })),
      ...desired.operatorStopped.map((s) => ({ name: s.name, why: `stopped on purpose at ${s.at} (upkeep want ${s.name} makes it desired again)` })),
    ].sort((a, b) => cmp(a.name, b.name)),
    undesiredRunning,
    notices,
  };
}

/**
 * The facts the model judges: the container as it would be if it runs when the event comes (a
 * runbook answers "once it runs, does it survive?"). The live container's policy and stop signal
 * when it exists (they may have been changed since the snapshot), else the snapshot's.
 */
function commandOrProblem(words: string[]): { command: string | null; commandProblem: string | null } {
  const bad = words.find(hasControlCharacters);
  if (bad !== undefined) return { command: null, commandProblem: `${JSON.stringify(bad)} holds control characters: no command written for it` };
  return { command: words.map(shQuote).join(' '), commandProblem: null };
}

/** A config file as `-f` takes it in the working directory: relative when inside it, never starting with "-". */
function fileArgument(file: string, workingDir: string | null): string {
  let f = file;
  if (workingDir !== null && isAbsolute(file) && isAbsolute(workingDir)) {
    const rel = relative(normalize(workingDir), normalize(file));
    if (rel !== '' && rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel)) f = rel;
  }
  return f.startsWith('-') ? `./${f}` : f;
}

function projectOf(p: ProjectToRead, containers: RunbookContainer[], files: ReadonlyMap<string, FileRead>): RunbookProject {
  // The command.
  let command: string | null = null;
  let commandProblem: string | null = projectNameProblem(p.project);
  const wdUsable = p.workingDir !== null && isAbsolute(p.workingDir);
  if (commandProblem === null && p.configFiles.length === 0)
    commandProblem = 'its containers carry no config-files label: run compose by hand in its directory';
  if (commandProblem === null && !wdUsable && p.configFiles.some((f) => !isAbsolute(f))) {
    commandProblem = 'its config files are relative, but it has no absolute working directory label';
  }
  if (commandProblem === null) {
    const compose = [
      'docker',
      'compose',
      '-p',
      p.project,
      ...p.configFiles.flatMap((f) => ['-f', fileArgument(f, wdUsable ? p.workingDir : null)]),
      'up',
      '-d',
    ];
    const words = wdUsable ? ['cd', p.workingDir!, '&&', ...compose] : compose;
    const bad = words.find(hasControlCharacters);
    if (bad !== undefined) commandProblem = `${JSON.stringify(bad)} holds control characters: no command written for it`;
    else command = words.map((w) => (w === '&&' ? w : shQuote(w))).join(' ');
  }

  // The files and their variables.
  const uses = new Map<string, VariableUse[]>();
  const runbookFiles: RunbookFile[] = p.configFiles.map((given, i) => {
    const abs = p.absoluteFiles[i] ?? null;
    if (abs === null) return { path: given, problem: 'relative, and the project has no absolute working directory: not read' };
    const read = files.get(abs);
    if (read === undefined) return { path: abs, problem: 'not read' };
    if (!read.ok) return { path: abs, problem: read.why };
    const vars = composeVariables(read.text);
    if (!vars.ok) return { path: abs, problem: vars.why };
    for (const v of vars.variables) uses.set(v.name, [...(uses.get(v.name) ?? []), v]);
    return { path: abs, problem: null };
  });
  let envFile = 'absent';
  let envNames = new Set<string>();
  if (p.envFile === null) envFile = 'not looked for (no absolute working directory)';
  else {
    const r = files.get(p.envFile);
    if (r === undefined) envFile = 'not read';
    else if (r.ok) {
      envFile = 'present';
      envNames = new Set(envFileNames(r.text));
    } else if (r.why !== 'absent') envFile = `could not be read: ${r.why}`;
  }
  const variables = [...uses.entries()]
    .map(([name, us]): RunbookVariable => {
      const hasDefault = us.some((u) => u.hasDefault);
      const source: VariableSource = envNames.has(name)
        ? 'env-file'
        : hasDefault
          ? 'default'
          : us.every((u) => u.onlyWhenSet)
            ? 'only-when-set'
            : 'environment';
      return { name, source, required: us.some((u) => u.required) };
    })
    .sort((a, b) => cmp(a.name, b.name));

  return {
    project: p.project,
    workingDir: p.workingDir,
    configFiles: p.configFiles,
    command,
    commandProblem,
    files: runbookFiles,
    envFile,
    variables,
    containers: [...containers].sort((a, b) => cmp(a.service ?? a.name, b.service ?? b.name) || cmp(a.name, b.name)),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The events a runbook shows, in column order. */
export const RUNBOOK_EVENTS: ReadonlyArray<{ key: keyof ComesBack; event: LifecycleEvent; title: string }> = [
  { key: 'daemonRestart', event: 'daemon-restart', title: 'daemon restart' },
  { key: 'daemonCrash', event: 'daemon-crash', title: 'daemon crash' },
  { key: 'reboot', event: 'reboot', title: 'reboot' },
];
