/**
 * The agent's small persistent memory (alert states, crash-loop history, its last sign of life),
 * as JSON values by key. A value may have been written by another upkeep version: every read
 * passes it through the caller's `parse`, which returns the typed value or null when it does not
 * fit (so no caller casts what it reads).
 */
export interface AgentStateRepository {
  /** The value saved under `key`, as `parse` reads it; null when none (or `parse` refused it). */
  getAgentState<T>(key: string, parse: (value: unknown) => T | null): T | null;
  setAgentState(key: string, value: unknown): void;
}
