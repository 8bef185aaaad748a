/**
 * What the containers did while apt ran, as timeline entries (the same shapes the agent
 * reconstructs: container-died, container-started, with `reconstructed: true`), from one level-based
 * read of the engine right after apt: Docker's own FinishedAt and StartedAt, so the times are the
 * engine's, not upkeep's. `upkeep upgrade` starts nothing while apt runs, so a container started
 * during the apt run was started by Docker (its daemon's restart), and says so.
 */
import { reconstructEntries, type ReconstructedEntry } from '../agent/timeline-entries.js';
import type { ContainerFacts } from '../model.js';
import { TIMELINE_KINDS } from '../timeline.js';

export function aptRunEntries(input: { aptStartedAt: number; aptEndedAt: number; host: string; containers: readonly ContainerFacts[] }): ReconstructedEntry[] {
  return reconstructEntries({
    previousBootId: null,
    aliveAt: input.aptStartedAt,
    boot: null,
    host: input.host,
    containers: input.containers,
    now: input.aptEndedAt,
  }).map((e) =>
    e.kind === TIMELINE_KINDS.containerStarted
      ? { ...e, message: `${e.subject ?? 'a container'} started again by Docker while apt ran`, data: { ...e.data, by: 'docker' } }
      : e.kind === TIMELINE_KINDS.containerDied
        ? { ...e, message: `${e.subject ?? 'a container'} stopped while apt ran` }
        : e,
  );
}
