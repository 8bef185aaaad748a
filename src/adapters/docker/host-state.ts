/**
 * Reads the whole actual state of a Docker host: the daemon's facts and every container's,
 * including the daemon-only flags. Level-based: callers re-read it rather than track deltas.
 */
import { toContainerFacts, toDaemonFacts } from '../../core/container-facts.js';
import type { EngineContainerInspect } from '../../core/engine-types.js';
import type { ContainerFacts, DaemonFacts } from '../../core/model.js';
import { ConfigV2FlagsReader, type DaemonFlagsReader } from './daemon-flags.js';
import type { DockerEngine } from './engine-client.js';

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

const INSPECT_CONCURRENCY = 16;
// The order of String#localeCompare (no arguments), set up once rather than per comparison.
const collator = new Intl.Collator();

export async function readHostState(
  engine: DockerEngine,
  opts: { flagsReader?: DaemonFlagsReader } = {},
): Promise<HostState> {
  const [info, apiVersion, summaries] = await Promise.all([engine.info(), engine.apiVersion(), engine.listContainers({ all: true })]);
  const daemon = toDaemonFacts(info, apiVersion);
  const flagsReader = opts.flagsReader ?? new ConfigV2FlagsReader(engine.endpoint.kind === 'unix' ? daemon.rootDir : null);
  const inspects = new Map<string, EngineContainerInspect>();
  const containers = await mapBounded(summaries, INSPECT_CONCURRENCY, async (s) => {
    try {
      const [inspect, flags] = await Promise.all([engine.inspectContainer(s.Id), flagsReader.read(s.Id)]);
      inspects.set(inspect.Id, inspect);
      return toContainerFacts(inspect, flags);
    } catch (err) {
      // Removed between list and inspect: it is simply not there any more.
      if ((err as { status?: number }).status === 404) return null;
      throw err;
    }
  });
  const present = containers.filter((c): c is ContainerFacts => c !== null);
  present.sort((a, b) => collator.compare(a.name, b.name));
  return { daemon, host: { id: info.ID, name: info.Name }, containers: present, inspects, flagsUnreadable: flagsReader.unreadableReason, readAt: new Date() };
}

/** Maps with at most `limit` calls in flight, keeping order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return out;
}
