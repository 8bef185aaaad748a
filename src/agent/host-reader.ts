/**
 * The agent's view of the engine, read level-based but cheaply: every reconcile lists all
 * containers (one call), and inspects only those that are new, changed state in the list, or were
 * named by an event since the last read. A full read (every inspect, /info again) happens on the
 * periodic resync and after the engine comes back, so a missed event costs at most one resync.
 *
 * Why: a reconcile after a `die` event must be fast (alert latency), and re-inspecting 100
 * containers plus reading 100 config.v2.json files for one death is most of that time.
 */
import { ConfigV2FlagsReader } from '../adapters/docker/daemon-flags.js';
import type { DockerEngine } from '../adapters/docker/engine-client.js';
import { mapBounded, type HostState } from '../adapters/docker/host-state.js';
import { toContainerFacts, toDaemonFacts } from '../core/container-facts.js';
import type { EngineContainerInspect, EngineInfo } from '../core/engine-types.js';
import type { ContainerFacts } from '../core/model.js';

interface Cached {
  listState: string;
  facts: ContainerFacts;
  inspect: EngineContainerInspect;
}

export class CachedHostReader {
  private cache = new Map<string, Cached>();
  private info: { info: EngineInfo; apiVersion: string } | null = null;
  private flags: ConfigV2FlagsReader | null = null;
  /** Inspects done by the last read (for tests and metrics). */
  lastInspects = 0;

  constructor(private readonly engine: DockerEngine) {}

  /** Forgets everything: the next read is a full one. */
  invalidate(): void {
    this.cache.clear();
    this.info = null;
    this.flags = null;
  }

  /** Reads the host; `dirty` are container ids (or names) to inspect again whatever the list says. */
  async read(dirty: ReadonlySet<string> | 'all'): Promise<HostState> {
    if (dirty === 'all') this.invalidate();
    if (this.info === null) {
      const [info, apiVersion] = await Promise.all([this.engine.info(), this.engine.apiVersion()]);
      this.info = { info, apiVersion };
    }
    const daemon = toDaemonFacts(this.info.info, this.info.apiVersion);
    this.flags ??= new ConfigV2FlagsReader(this.engine.endpoint.kind === 'unix' ? daemon.rootDir : null);
    const summaries = await this.engine.listContainers({ all: true });
    const listed = new Set(summaries.map((s) => s.Id));
    for (const id of [...this.cache.keys()]) if (!listed.has(id)) this.cache.delete(id);
    const isDirty = (id: string, names: string[]) => dirty !== 'all' && (dirty.has(id) || names.some((n) => dirty.has(n.replace(/^\//, ''))));
    const stale = summaries.filter((s) => {
      const c = this.cache.get(s.Id);
      return c === undefined || c.listState !== s.State || isDirty(s.Id, s.Names);
    });
    this.lastInspects = stale.length;
    const flags = this.flags;
    await mapBounded(stale, 16, async (s) => {
      try {
        const [inspect, f] = await Promise.all([this.engine.inspectContainer(s.Id), flags.read(s.Id)]);
        this.cache.set(s.Id, { listState: s.State, facts: toContainerFacts(inspect, f), inspect });
      } catch (err) {
        if ((err as { status?: number }).status === 404) this.cache.delete(s.Id);
        else throw err;
      }
    });
    const containers = [...this.cache.values()].map((c) => c.facts).sort((a, b) => a.name.localeCompare(b.name));
    const inspects = new Map([...this.cache.values()].map((c) => [c.inspect.Id, c.inspect]));
    return { daemon, host: { id: this.info.info.ID, name: this.info.info.Name }, containers, inspects, flagsUnreadable: flags.unreadableReason, readAt: new Date() };
  }
}
