/** The agent's small persistent memory (alert states, crash-loop history), as JSON values by key. */
export interface AgentStateRepository {
  /** The value saved under `key`, or null. The caller validates its shape. */
  getAgentState(key: string): unknown;
  setAgentState(key: string, value: unknown): void;
}
