/**
 * Is an agent running on this host? Other commands ask (`maintenance stop` says whether a recovery
 * pass follows). The agent saves its pid and a sign of life (`aliveAt`, about once a minute) in the
 * store's agent state under "agent".
 */
import { parseAgentRecord } from '../core/agent/agent-record.js';
import type { AgentStateRepository } from '../ports/agent-state.js';

/** A sign of life older than this means the agent is gone (it writes one about once a minute). */
export const AGENT_SILENT_AFTER_MS = 5 * 60_000;

export function agentRunning(store: Pick<AgentStateRepository, 'getAgentState'>, now: number, processExists: (pid: number) => boolean): boolean {
  const saved = store.getAgentState('agent', parseAgentRecord);
  if (saved === null || saved.pid === null || saved.aliveAt === null) return false;
  return now - saved.aliveAt < AGENT_SILENT_AFTER_MS && processExists(saved.pid);
}
