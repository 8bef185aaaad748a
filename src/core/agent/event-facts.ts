/**
 * What a `die` event says about a container before an inspect can say it. The daemon emits `die`
 * while it still holds the container's lock (moby daemon/monitor.go, handleContainerExit), so an
 * inspect sent on the event waits until the daemon is done with it: 10-20 ms on a 2-core host, most
 * of the time between the event and an alert. The event itself carries the exit code, and the
 * agent's last read has everything else (the restart policy, the flags of a running container).
 *
 * The agent judges a death from that first, like an informer updating its cache from a watch event,
 * and only where that cannot be wrong (earlyDeathStepUsable): a container it saw running, no `kill`
 * or `stop` event for it (every stop through the API, `docker restart` and a daemon shutdown send
 * one first: moby daemon/kill.go), a stream connected since the last read, and a step whose only
 * consequences are the death itself and its `down` alert. The inspect follows at once and its step
 * decides the heal, as always. Pure.
 */
import type { EngineEvent } from '../engine-types.js';
import type { ContainerFacts } from '../model.js';
import { TIMELINE_KINDS } from '../timeline.js';
import type { StepResult } from './reconcile-step.js';

/** A container's death as its `die` event tells it. */
export interface DeathEvent {
  exitCode: number;
  /** When the event happened, ms since epoch. */
  at: number;
}

/** The death a `die` event reports; null for any other event, or one without an exit code. */
export function deathFromEvent(ev: EngineEvent): DeathEvent | null {
  if (ev.Action !== 'die') return null;
  const raw = ev.Actor?.Attributes?.exitCode;
  const exitCode = raw === undefined || raw === '' ? NaN : Number(raw);
  if (!Number.isInteger(exitCode)) return null;
  const at = Number.isFinite(ev.timeNano) && ev.timeNano > 0 ? Math.floor(ev.timeNano / 1e6) : ev.time * 1000;
  return Number.isFinite(at) ? { exitCode, at } : null;
}

/** A running container's facts after the death `d`: exited with its code at its time; the rest as last read. */
export function diedFacts(c: ContainerFacts, d: DeathEvent): ContainerFacts {
  return { ...c, state: 'exited', exitCode: d.exitCode, finishedAt: new Date(d.at).toISOString() };
}

/**
 * Can the agent act on a step made from event facts (the deaths of `died`, by name) before the
 * inspect? Only when all it would do is record those deaths and alert that each of them is down:
 * no other action than the heal (which waits for the inspect's step), no other timeline entry, no
 * run again requested, and every died container's `down` alert active. Anything else (Docker's
 * policy restarting it, a crash loop given up on, an operator stop) waits for the inspect.
 */
export function earlyDeathStepUsable(step: Pick<StepResult, 'actions' | 'timeline' | 'alerts' | 'status' | 'requeue'>, died: ReadonlySet<string>): boolean {
  if (died.size === 0 || step.status === null || step.requeue) return false;
  if (step.actions.some((a) => a.type !== 'heal')) return false;
  if (step.timeline.some((e) => e.kind !== TIMELINE_KINDS.containerDied || e.subject === null || !died.has(e.subject))) return false;
  for (const name of died) if (!step.alerts.some((c) => c.key === `down:${name}` && c.active)) return false;
  return true;
}
