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

/** One look at the engine while apt ran: did it answer /_ping at `at`? */
export interface EngineSample {
  at: number;
  ok: boolean;
}

/**
 * A graceful dockerd stop stops every container first (in parallel, each within its stop timeout,
 * 10 s by default) and only then stops answering: a container stop this long before the first
 * unanswered ping belongs to the same shutdown.
 */
export const SHUTDOWN_SPAN_MS = 15_000;

/**
 * The daemon's restarts while apt ran, from the pings `upkeep upgrade` made during the run:
 * `engine-down` at the start of the shutdown (the earliest container stop, `containerStops`, within
 * SHUTDOWN_SPAN_MS before the first unanswered ping, else the last answered ping), `engine-up` at
 * the first answered ping after the silence. A restart shorter than the interval between pings is
 * not seen.
 */
export function engineEntries(
  samples: readonly EngineSample[],
  input: { host: string; aptStartedAt: number; containerStops?: readonly number[] },
): ReconstructedEntry[] {
  const out: ReconstructedEntry[] = [];
  let lastOk = input.aptStartedAt;
  let down: number | null = null;
  for (const s of samples) {
    if (!s.ok && down === null) {
      const silentAt = s.at;
      const stops = (input.containerStops ?? []).filter((t) => t <= silentAt && t >= silentAt - SHUTDOWN_SPAN_MS && t >= input.aptStartedAt);
      down = Math.min(lastOk, ...stops);
      out.push({
        at: new Date(down).toISOString(),
        kind: TIMELINE_KINDS.engineDown,
        subject: input.host,
        message: 'the Docker daemon stopped answering while apt ran',
        data: { error: 'no answer to /_ping', during: 'apt', firstUnanswered: new Date(s.at).toISOString() },
      });
    } else if (s.ok && down !== null) {
      out.push({
        at: new Date(s.at).toISOString(),
        kind: TIMELINE_KINDS.engineUp,
        subject: input.host,
        message: `the Docker daemon answers again (it was silent for ${Math.round((s.at - down) / 100) / 10} s while apt ran)`,
        data: { during: 'apt' },
      });
      down = null;
    }
    if (s.ok) lastOk = s.at;
  }
  return out;
}
