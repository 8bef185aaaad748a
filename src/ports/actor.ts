/**
 * A long-running part of the agent: `run(signal)` returns when the signal aborts. The agent
 * composes actors (src/agent/agent.ts); adapters that run for the agent's lifetime (the HTTP
 * listener) implement it.
 */
export interface Actor {
  readonly name: string;
  run(signal: AbortSignal): Promise<void>;
}
