/**
 * The alert state machine, after Prometheus' rules/alerting.go, as pure functions:
 *
 *   inactive --condition--> pending --held for `forMs`--> firing --condition gone--> resolved (inactive)
 *                              \--condition gone before forMs--> inactive (nothing sent)
 *
 * A firing alert is sent once when it starts firing, again every `repeatMs` while it fires (a
 * reminder), and a "resolved" message once when it stops, but only if "firing" was sent. During a
 * maintenance window nothing is sent, but the transitions are still recorded; a firing alert
 * that was held is sent when the window ends, if it still fires.
 *
 * A firing alert can be acknowledged (someone is on it: acknowledgeAlert): it then sends no
 * reminder; its "resolved" is still sent, and once it resolves the acknowledgement is gone with
 * the rest of its state, so an alert that fires again is not acknowledged. A held alert that was
 * acknowledged during the window is still announced when the window ends (the others on the
 * channel learn of it), once.
 */

export type AlertPhase = 'inactive' | 'pending' | 'firing';

export interface AlertState {
  phase: AlertPhase;
  /** When the condition became true (start of pending), ms since epoch. */
  activeSince: number | null;
  /** When it started firing. */
  firingSince: number | null;
  /** When the last firing/reminder message was sent (not held). */
  lastSentAt: number | null;
  /** True when "firing" was actually sent, so that "resolved" is owed. */
  announced: boolean;
  /** Who acknowledged it while it fired, and when (ms); absent or null: nobody. */
  acknowledged?: AlertAcknowledgement | null;
}

export interface AlertAcknowledgement {
  /** Who: the status page's peer address. */
  by: string;
  at: number;
}

export interface AlertRule {
  /** How long the condition must hold before the alert fires (0: at once). */
  forMs: number;
  /** Reminder interval while firing; 0: no reminders. */
  repeatMs: number;
}

export type AlertTransition = 'pending' | 'firing' | 'reminder' | 'resolved' | 'cleared' | 'held';

export interface AlertStep {
  state: AlertState;
  /** A message to send now, if any. */
  send: 'firing' | 'reminder' | 'resolved' | null;
  /** What happened, for the timeline (null when nothing changed). */
  transition: AlertTransition | null;
}

export const INACTIVE: AlertState = { phase: 'inactive', activeSince: null, firingSince: null, lastSentAt: null, announced: false };

/** One evaluation: `active` is whether the condition holds now. */
export function stepAlert(prev: AlertState, rule: AlertRule, active: boolean, now: number, inMaintenance = false): AlertStep {
  if (!active) {
    if (prev.phase === 'inactive') return { state: prev, send: null, transition: null };
    if (prev.phase === 'pending') return { state: INACTIVE, send: null, transition: 'cleared' };
    // firing -> resolved: owed only if firing was announced; a held resolution is simply recorded.
    const send = prev.announced && !inMaintenance ? 'resolved' : null;
    return { state: INACTIVE, send, transition: 'resolved' };
  }

  if (prev.phase === 'inactive') {
    const pending: AlertState = { ...INACTIVE, phase: 'pending', activeSince: now };
    if (rule.forMs > 0) return { state: pending, send: null, transition: 'pending' };
    return fire(pending, now, inMaintenance);
  }
  if (prev.phase === 'pending') {
    if (now - (prev.activeSince ?? now) >= rule.forMs) return fire(prev, now, inMaintenance);
    return { state: prev, send: null, transition: null };
  }

  // firing
  if (inMaintenance) return { state: prev, send: null, transition: null };
  if (!prev.announced) {
    // Held during a maintenance window that has ended: announce now.
    return { state: { ...prev, announced: true, lastSentAt: now }, send: 'firing', transition: 'firing' };
  }
  if (rule.repeatMs > 0 && prev.lastSentAt !== null && now - prev.lastSentAt >= rule.repeatMs && !prev.acknowledged) {
    return { state: { ...prev, lastSentAt: now }, send: 'reminder', transition: 'reminder' };
  }
  return { state: prev, send: null, transition: null };
}

function fire(prev: AlertState, now: number, inMaintenance: boolean): AlertStep {
  const firing: AlertState = { ...prev, phase: 'firing', firingSince: now };
  if (inMaintenance) return { state: { ...firing, announced: false }, send: null, transition: 'held' };
  return { state: { ...firing, announced: true, lastSentAt: now }, send: 'firing', transition: 'firing' };
}

/**
 * Acknowledges a firing alert (`state`: its state, undefined when it is inactive). Only a firing
 * alert can be acknowledged; acknowledging it again keeps the first acknowledgement.
 * `firingSince` (ms), when given: the episode the person saw; the alert must still be firing
 * since then (not resolved and fired again meanwhile: an episode nobody has seen is not acknowledged).
 */
export function acknowledgeAlert(
  state: AlertState | undefined,
  by: string,
  now: number,
  firingSince?: number,
): { ok: true; state: AlertState; already: boolean } | { ok: false; reason: string } {
  if (state === undefined || state.phase === 'inactive') return { ok: false, reason: 'it is not firing (resolved, or never fired)' };
  if (state.phase === 'pending') return { ok: false, reason: 'it is pending, not firing yet' };
  if (firingSince !== undefined && state.firingSince !== firingSince)
    return { ok: false, reason: 'it resolved and fired again since the page was loaded: look at it again, then acknowledge' };
  if (state.acknowledged) return { ok: true, state, already: true };
  return { ok: true, state: { ...state, acknowledged: { by, at: now } }, already: false };
}
