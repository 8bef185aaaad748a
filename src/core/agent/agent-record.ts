/**
 * What the agent saves about itself (agent state "agent" and "engine"), read back safely: another
 * upkeep version may have written it.
 */

/** Its process, the boot it ran in, and its last sign of life (ms since the epoch). */
export interface AgentRecord {
  pid: number | null;
  bootId: string | null;
  aliveAt: number | null;
}

export function parseAgentRecord(value: unknown): AgentRecord | null {
  if (value === null || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  return {
    pid: typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0 ? v.pid : null,
    bootId: typeof v.bootId === 'string' ? v.bootId : null,
    aliveAt: typeof v.aliveAt === 'number' && Number.isFinite(v.aliveAt) ? v.aliveAt : null,
  };
}

/** The engine version the agent saw last. */
export function parseEngineRecord(value: unknown): { version: string } | null {
  if (value === null || typeof value !== 'object') return null;
  const version = (value as Record<string, unknown>).version;
  return typeof version === 'string' ? { version } : null;
}
