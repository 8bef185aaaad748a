/**
 * Reads the whole actual state of a Docker host: the daemon's facts and every container's,
 * including the daemon-only flags. Level-based: callers re-read it rather than track deltas
 * (CachedHostReader re-reads only what changed).
 */
import { toContainerFacts, toDaemonFacts } from '../../core/container-facts.js';
import type { EngineContainerInspect, EngineContainerSummary, EngineInfo } from '../../core/engine-types.js';
import type { ContainerFacts } from '../../core/model.js';
import { ConfigV2FlagsReader, type DaemonFlagsReader } from './daemon-flags.js';
import type { DockerEngine } from './engine-client.js';
import type { HostState } from '../../ports/host.js';
import { compareText } from '../../core/text-order.js';

export type { HostState } from '../../ports/host.js';

const INSPECT_CONCURRENCY = 16;

/** Reads the whole host (every container inspected): `new CachedHostReader(engine).read('all')`. */
export function readHostState(engine: DockerEngine, opts: { flagsReader?: DaemonFlagsReader } = {}): Promise<HostState> {
  return new CachedHostReader(engine, opts).read('all');
}

interface Cached {
  /** State (and health) as the container list showed it when this was inspected. */
  listState: string;
  facts: ContainerFacts;
  inspect: EngineContainerInspect;
}

/**
 * Reads the host level-based but cheaply, for callers that read again and again (the agent):
 * every read lists all containers (one call) and inspects only those that are new, changed state
 * or health in the list, or are named in `dirty` (ids or names, from events). `read('all')` forgets the cache
 * and inspects everything, and asks /info again. A missed event costs at most one full read.
 */
export class CachedHostReader {
  private cache = new Map<string, Cached>();
  private info: { info: EngineInfo; apiVersion: string } | null = null;
  private flags: DaemonFlagsReader | null;
  /** Inspects done by the last read (for tests). */
  lastInspects = 0;
  /** A read with the list has filled the cache. */
  private primed = false;

  constructor(
    private readonly engine: DockerEngine,
    private readonly opts: { flagsReader?: DaemonFlagsReader } = {},
  ) {
    this.flags = opts.flagsReader ?? null;
  }

  /**
   * `eventsOnly`: the caller knows that everything that changed since the last read is in `dirty`
   * (it comes from events, on a stream connected since that read): only those are inspected, and
   * the list is not asked for (with a hundred containers the list is most of a read's time, and
   * the read is on the path from a `die` event to its alert). Health changes and anything an event
   * did not name are seen by the next read without it (the agent's resync).
   */
  async read(dirty: ReadonlySet<string> | 'all', opts: { eventsOnly?: boolean } = {}): Promise<HostState> {
    if (dirty !== 'all' && opts.eventsOnly === true && this.info !== null && this.flags !== null && this.primed) return this.readNamed(dirty);
    if (dirty === 'all') {
      this.cache.clear();
      this.info = null;
      this.flags = this.opts.flagsReader ?? null;
    }
    const [info, summaries] = await Promise.all([this.readInfo(), this.engine.listContainers({ all: true })]);
    const daemon = toDaemonFacts(info.info, info.apiVersion);
    const flags = (this.flags ??= new ConfigV2FlagsReader(this.engine.endpoint.kind === 'unix' ? daemon.rootDir : null));
    const listed = new Set(summaries.map((s) => s.Id));
    for (const id of [...this.cache.keys()]) if (!listed.has(id)) this.cache.delete(id);
    const named = (s: EngineContainerSummary) => dirty !== 'all' && (dirty.has(s.Id) || s.Names.some((n) => dirty.has(n.replace(/^\//, ''))));
    const stale = summaries.filter((s) => {
      const c = this.cache.get(s.Id);
      return c === undefined || c.listState !== listState(s) || named(s);
    });
    this.lastInspects = stale.length;
    await mapBounded(stale, INSPECT_CONCURRENCY, async (s) => {
      try {
        const [inspect, f] = await Promise.all([this.engine.inspectContainer(s.Id), flags.read(s.Id)]);
        this.cache.set(s.Id, { listState: listState(s), facts: toContainerFacts(inspect, f), inspect });
      } catch (err) {
        // Removed between list and inspect: it is simply not there any more.
        if ((err as { status?: number }).status === 404) this.cache.delete(s.Id);
        else throw err;
      }
    });
    this.primed = true;
    return this.state(daemon, info.info, flags);
  }

  /** The host as the last read left it, without asking the engine; null before a full read filled the cache. */
  cached(): HostState | null {
    if (!this.primed || this.info === null || this.flags === null) return null;
    return this.state(toDaemonFacts(this.info.info, this.info.apiVersion), this.info.info, this.flags);
  }

  /** Inspects the containers named by id in `dirty`; the rest from the cache (see read). */
  private async readNamed(dirty: ReadonlySet<string>): Promise<HostState> {
    const info = this.info!;
    const flags = this.flags!;
    const ids = [...dirty].filter((k) => CONTAINER_ID.test(k));
    this.lastInspects = ids.length;
    await mapBounded(ids, INSPECT_CONCURRENCY, async (id) => {
      try {
        const [inspect, f] = await Promise.all([this.engine.inspectContainer(id), flags.read(id)]);
        this.cache.set(id, { listState: listStateOfInspect(inspect), facts: toContainerFacts(inspect, f), inspect });
      } catch (err) {
        if ((err as { status?: number }).status === 404) this.cache.delete(id);
        else throw err;
      }
    });
    return this.state(toDaemonFacts(info.info, info.apiVersion), info.info, flags);
  }

  private state(daemon: HostState['daemon'], info: EngineInfo, flags: DaemonFlagsReader): HostState {
    const entries = [...this.cache.values()];
    const containers = entries.map((c) => c.facts).sort((a, b) => compareText(a.name, b.name));
    const inspects = new Map(entries.map((c) => [c.inspect.Id, c.inspect]));
    return { daemon, host: { id: info.ID, name: info.Name }, containers, inspects, flagsUnreadable: flags.unreadableReason, readAt: new Date() };
  }

  private async readInfo(): Promise<{ info: EngineInfo; apiVersion: string }> {
    if (this.info === null) {
      const [info, apiVersion] = await Promise.all([this.engine.info(), this.engine.apiVersion()]);
      this.info = { info, apiVersion };
    }
    return this.info;
  }
}

const CONTAINER_ID = /^[0-9a-f]{64}$/;

/** listState's string from an inspect (State.Status, and the health as the list words it). */
function listStateOfInspect(i: EngineContainerInspect): string {
  const h = i.State?.Health?.Status;
  const health = h === 'healthy' || h === 'unhealthy' ? h : h === 'starting' ? 'health: starting' : undefined;
  return health === undefined ? (i.State?.Status ?? '') : `${i.State?.Status ?? ''} ${health}`;
}

/** What the list shows of a container's state: State, and the health in Status ("Up 2 hours (healthy)"). */
function listState(s: EngineContainerSummary): string {
  const health = /\((healthy|unhealthy|health: starting)\)/.exec(s.Status ?? '')?.[1];
  return health === undefined ? s.State : `${s.State} ${health}`;
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
