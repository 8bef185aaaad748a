/**
 * Which container that exists now is which desired container: by name first, then, for
 * compose-managed ones, by compose project / service / container number (compose v1 named them
 * "proj_web_1", v2 "proj-web-1": an upgrade of compose renames them).
 */
import type { ContainerFacts } from '../model.js';
import type { DesiredContainer } from './desired-state.js';
import { compareText } from '../text-order.js';

/** The container standing for a desired one now, if any, and how it was found. */
export interface ActualMatch {
  actual: ContainerFacts | null;
  by: 'name' | 'compose' | null;
}

function sameComposeSlot(d: DesiredContainer, a: ContainerFacts): boolean {
  return (
    d.compose !== null &&
    a.compose !== null &&
    !a.compose.oneOff &&
    a.compose.project === d.compose.project &&
    a.compose.service === d.compose.service &&
    a.compose.containerNumber === d.compose.containerNumber
  );
}

const STATE_PREFERENCE: Record<ContainerFacts['state'], number> = {
  running: 0,
  restarting: 1,
  paused: 2,
  created: 3,
  exited: 4,
  dead: 5,
  removing: 6,
};

/** Matches every desired container (keyed by desired name); an actual container is claimed at most once. */
export function matchActual(desired: readonly DesiredContainer[], actual: readonly ContainerFacts[]): Map<string, ActualMatch> {
  const byName = new Map(actual.map((a) => [a.name, a]));
  const claimed = new Set<string>();
  const out = new Map<string, ActualMatch>();
  for (const d of desired) {
    const a = byName.get(d.name);
    if (a !== undefined) {
      out.set(d.name, { actual: a, by: 'name' });
      claimed.add(a.id);
    }
  }
  for (const d of desired) {
    if (out.has(d.name)) continue;
    const candidates = actual
      .filter((a) => !claimed.has(a.id) && sameComposeSlot(d, a))
      .sort((x, y) => STATE_PREFERENCE[x.state] - STATE_PREFERENCE[y.state] || compareText(x.name, y.name));
    const a = candidates[0];
    if (a !== undefined) {
      out.set(d.name, { actual: a, by: 'compose' });
      claimed.add(a.id);
    } else {
      out.set(d.name, { actual: null, by: null });
    }
  }
  return out;
}
