/**
 * The operator's intent, one part of the desired state (app/desired-state.ts): a container the
 * operator stopped through the Docker API while the engine ran (the agent tells such a stop from a
 * daemon's shutdown or crash, core/agent) is not desired until it is started again or somebody
 * runs `upkeep want NAME`.
 */

/** A container the operator stopped on purpose. */
export interface OperatorStop {
  /** The desired container's name. */
  name: string;
  /** When it stopped (the container's FinishedAt), ISO 8601. */
  at: string;
  /** Who decided it was the operator's: "agent" (saw it live), "cli" (`upkeep` was told). */
  by: string;
  /** One sentence: why this counts as intended. */
  reason: string;
}

export interface IntentRepository {
  /** Records (or replaces) the operator stop of `stop.name`. */
  recordOperatorStop(stop: OperatorStop): void;
  /** Removes the operator stop of `name`; returns the one removed, or null when there was none. */
  clearOperatorStop(name: string): OperatorStop | null;
  /** Every container currently stopped on purpose, by name. */
  operatorStops(): OperatorStop[];
}
