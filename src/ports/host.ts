/** The Docker host as upkeep reads it: one whole, level-based read (adapters/docker/host-state.ts). */
import type { EngineContainerInspect } from '../core/engine-types.js';
import type { ContainerFacts, DaemonFacts } from '../core/model.js';

export interface HostState {
  daemon: DaemonFacts;
  /** The engine's identity (/info ID and Name): snapshots belong to one engine. */
  host: { id: string; name: string };
  containers: ContainerFacts[];
  /** The raw inspect JSON of each container, by id (snapshots keep what re-creating needs). */
  inspects: Map<string, EngineContainerInspect>;
  /** Set when HasBeenManuallyStopped could not be read for some container; one line for the user. */
  flagsUnreadable: string | null;
  readAt: Date;
}

/** Reads the whole host now. */
export type ReadHost = () => Promise<HostState>;
