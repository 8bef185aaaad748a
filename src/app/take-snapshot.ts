/**
 * Take a snapshot: record what runs now as the desired state. One use case for `upkeep snapshot`,
 * `upkeep install` (its first snapshot) and the agent (its first snapshot when there is none).
 * read (the host, the previous snapshot, the compose files) -> plan (buildSnapshot, pure) ->
 * apply (save, record in the timeline).
 */
import { buildSnapshot, type BuiltSnapshot, type DesiredContainer } from '../core/recovery/desired-state.js';
import { TIMELINE_KINDS } from '../core/timeline.js';
import type { ReadTextFile } from '../ports/files.js';
import type { HostState } from '../ports/host.js';
import type { SnapshotRepository, SnapshotSummary } from '../ports/snapshots.js';
import type { TimelineRepository } from '../ports/timeline.js';

export interface TakeSnapshotDeps {
  store: Pick<SnapshotRepository, 'latestSnapshot' | 'saveSnapshot'> & Pick<TimelineRepository, 'appendTimeline'>;
  readTextFile: ReadTextFile;
  now: () => number;
}

export interface TakeSnapshotRequest {
  /** Only these compose projects or container names; the rest of the previous snapshot is kept. */
  only?: readonly string[];
  note?: string | null;
  /** Who asked, for the timeline: "cli", "install", "agent". */
  by?: string;
}

export interface TakenSnapshot {
  saved: SnapshotSummary;
  built: BuiltSnapshot;
  /** Things a person should know (a compose file that could not be read, ...). */
  notes: string[];
}

/** Takes and saves a snapshot of `state` (the host as read just before). */
export async function takeSnapshot(deps: TakeSnapshotDeps, state: HostState, req: TakeSnapshotRequest = {}): Promise<TakenSnapshot> {
  const previous = deps.store.latestSnapshot(state.host.id);
  const built = buildSnapshot(
    state.containers.flatMap((facts) => {
      const inspect = state.inspects.get(facts.id);
      return inspect === undefined ? [] : [{ facts, inspect }];
    }),
    {
      host: state.host,
      takenAt: new Date(deps.now()).toISOString(),
      ...(req.only ? { only: req.only } : {}),
      previous,
      note: req.note ?? null,
    },
  );
  const notes = await fillComposeDependsOn(built.snapshot.containers, deps.readTextFile);
  const saved = deps.store.saveSnapshot(built.snapshot);
  const desired = built.snapshot.containers.map((c) => c.name);
  deps.store.appendTimeline({
    at: saved.takenAt,
    kind: TIMELINE_KINDS.snapshot,
    subject: state.host.name,
    message: `snapshot ${saved.id}: ${desired.length} desired containers${req.note ? ` (${req.note})` : ''}`,
    data: { id: saved.id, desired, note: req.note ?? null, by: req.by ?? 'cli' },
  });
  return { saved, built, notes };
}

/**
 * Compose v1 writes no depends_on label: read it from the project's compose files, so that the
 * recovery order is known. Files that cannot be read leave the container without dependencies
 * (and a note says so). Changes `containers` in place.
 */
export async function fillComposeDependsOn(containers: DesiredContainer[], readTextFile: ReadTextFile): Promise<string[]> {
  const notes: string[] = [];
  const cache = new Map<string, Awaited<ReturnType<ReadTextFile>>>();
  for (const c of containers) {
    if (c.compose === null || c.compose.dependsOn.length > 0 || c.compose.configFiles.length === 0) continue;
    for (const f of c.compose.configFiles) {
      const path = f.startsWith('/') ? f : c.compose.workingDir ? `${c.compose.workingDir.replace(/\/+$/, '')}/${f}` : null;
      if (path === null) continue;
      if (!cache.has(path)) cache.set(path, await readTextFile(path));
      const read = cache.get(path)!;
      if (!read.ok) {
        notes.push(`${c.name}: compose file ${path} could not be read (${read.why}); its depends_on is unknown`);
        continue;
      }
      // Loaded only here: the YAML parser stays out of the agent's memory unless a compose v1
      // project needs it (docs/benchmarks.md, "Agent memory on Node 24").
      const { dependsOnFromComposeFile } = await import('../core/recovery/compose-file-depends-on.js');
      for (const dep of dependsOnFromComposeFile(read.text, c.compose.service) ?? []) {
        if (!c.compose.dependsOn.some((d) => d.name === dep.name)) c.compose.dependsOn.push(dep);
      }
    }
  }
  return notes;
}
