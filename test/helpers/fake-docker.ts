/**
 * An in-memory Docker engine at the Engine API level (the DockerEngine port the agent uses), on a
 * virtual clock, with the restart semantics of FACTS.md:
 *
 * - a container that exits while the daemon runs is restarted by Docker by its policy (always,
 *   unless-stopped unless stopped by hand, on-failure on a non-zero exit), RestartCount rising;
 * - `docker stop` sets HasBeenManuallyStopped; `docker start` clears it;
 * - graceful daemon stop (apt, clean reboot): containers stop without the flag; at the next start
 *   always / unless-stopped / on-failure(137) come back, `no` stays down;
 * - daemon crash (SIGKILL): the next daemon kills the orphans at its start, which flags them
 *   manually stopped: unless-stopped and `no` stay down;
 * - the event stream ends when the daemon goes away; events are not replayed.
 *
 * `flagsReader` gives the daemon-only flag as root would read it.
 */
import type { DaemonFlagsReader } from '../../src/adapters/docker/daemon-flags.js';
import type { DockerEngine } from '../../src/adapters/docker/engine-client.js';
import type { DockerEndpoint } from '../../src/core/docker-host.js';
import type { EngineContainerInspect, EngineContainerSummary, EngineEvent, EngineInfo } from '../../src/core/engine-types.js';
import type { RestartPolicy } from '../../src/core/model.js';
import type { VirtualClock } from './virtual-clock.js';

export interface FakeContainerSpec {
  name: string;
  policy?: RestartPolicy['name'];
  /** Exits with this code right after every start (a crash loop) while true. */
  crashing?: boolean;
  /** Container labels (compose labels, upkeep.role, ...). */
  labels?: Record<string, string>;
}

interface Box {
  id: string;
  name: string;
  policy: RestartPolicy;
  running: boolean;
  exitCode: number;
  startedAt: number | null;
  finishedAt: number | null;
  restartCount: number;
  manuallyStopped: boolean;
  labels: Record<string, string>;
  crashing: boolean;
  created: number;
}

const ZERO = '0001-01-01T00:00:00Z';
const iso = (t: number | null) => (t === null ? ZERO : new Date(t).toISOString());

class DownError extends Error {
  readonly code = 'ECONNREFUSED';
  constructor() {
    super('connect ECONNREFUSED /run/fake-docker.sock');
  }
}

export class FakeDocker implements DockerEngine {
  /** The engine's version (an upgrade changes it across a daemon restart). */
  serverVersion = '20.10.24';
  /** Every API start call, with its (virtual) time. */
  readonly startAttempts: Array<{ name: string; at: number }> = [];
  private readonly failingStarts = new Map<string, number>();
  private readonly heldStarts = new Map<string, Promise<void>>();
  private readonly heldInspects = new Map<string, Promise<void>>();
  /** Inspects of a held container waiting now (holdInspects). */
  inspectsWaiting = 0;
  // tcp: nothing reads config.v2.json files from this machine (the flags come from flagsReader()).
  readonly endpoint = { kind: 'tcp', baseUrl: 'http://fake-docker:2375', display: 'tcp://fake-docker:2375' } as unknown as DockerEndpoint;
  private boxes = new Map<string, Box>();
  private seq = 0;
  /** The daemon answers (false while it is down). */
  up = true;
  private streams = new Set<{ push: (e: EngineEvent | null) => void }>();
  /** Every start, by who: 'docker' (policy), 'api' (upkeep or the operator through the API). */
  readonly starts: Array<{ at: number; name: string; by: 'docker' | 'api' | 'operator' }> = [];
  bootId = 'boot-1';
  bootTime: number;

  constructor(
    readonly clock: VirtualClock,
    readonly identity = { ID: 'ENGINE-FAKE', Name: 'fake-host' },
  ) {
    this.bootTime = clock.now() - 3_600_000;
  }

  // ---- the world ----

  add(spec: FakeContainerSpec): string {
    const id = (++this.seq).toString(16).padStart(64, 'f');
    const now = this.clock.now();
    this.boxes.set(id, {
      id,
      name: spec.name,
      policy: { name: spec.policy ?? 'no', maximumRetryCount: 0 },
      running: true,
      exitCode: 0,
      startedAt: now - 60_000,
      finishedAt: null,
      restartCount: 0,
      manuallyStopped: false,
      crashing: spec.crashing ?? false,
      labels: spec.labels ?? {},
      created: now - 120_000,
    });
    return id;
  }

  box(name: string): Box {
    const b = [...this.boxes.values()].find((x) => x.name === name);
    if (!b) throw new Error(`no container ${name}`);
    return b;
  }

  isRunning(name: string): boolean {
    return this.box(name).running;
  }

  runningNames(): string[] {
    return [...this.boxes.values()]
      .filter((b) => b.running)
      .map((b) => b.name)
      .sort();
  }

  setCrashing(name: string, crashing: boolean): void {
    this.box(name).crashing = crashing;
  }

  /** The process dies (SIGKILL from inside, OOM, a bug): exit `code`; Docker applies the policy. */
  die(name: string, code = 137): void {
    const b = this.box(name);
    if (!this.up || !b.running) return;
    this.exit(b, code, 'die');
    this.policyRestart(b);
  }

  /** `docker stop` by the operator. */
  operatorStop(name: string): void {
    const b = this.box(name);
    if (!this.up || !b.running) return; // stopping a stopped container changes nothing (304)
    b.manuallyStopped = true;
    this.emit(b, 'kill');
    this.exit(b, 137, 'die');
    this.emit(b, 'stop');
  }

  /** `docker start` by the operator. */
  operatorStart(name: string): void {
    if (!this.up) return;
    this.startBox(this.box(name), 'operator');
  }

  /** dockerd SIGKILLed: down for `downMs`, then the next daemon kills the orphans and applies policies. */
  crashDaemon(downMs = 1_000): void {
    if (!this.up) return;
    this.goDown();
    const at = this.clock.now();
    this.clock.at(at + downMs, () => this.comeUp('crash'));
  }

  /** dockerd stopped gracefully (apt restarting docker.service) and started again after `downMs`. */
  restartDaemon(downMs = 1_000): void {
    if (!this.up) return;
    // The daemon stops each container as `docker stop` would (a `kill` event first), without the flag.
    for (const b of this.boxes.values()) if (b.running) this.kill(b, 137);
    this.goDown();
    this.clock.at(this.clock.now() + downMs, () => this.comeUp('graceful'));
  }

  /** A clean reboot: like a graceful daemon restart, with a new boot id. */
  reboot(downMs = 20_000): void {
    if (!this.up) return;
    for (const b of this.boxes.values()) if (b.running) this.kill(b, 143);
    this.goDown();
    this.clock.at(this.clock.now() + downMs, () => {
      this.bootId = `boot-${++this.seq}`;
      this.bootTime = this.clock.now() - 5_000;
      this.comeUp('graceful');
    });
  }

  private goDown(): void {
    this.up = false;
    for (const s of this.streams) s.push(null);
    this.streams.clear();
  }

  private comeUp(how: 'crash' | 'graceful'): void {
    const now = this.clock.now();
    if (how === 'crash') {
      for (const b of this.boxes.values()) {
        if (!b.running) continue;
        b.running = false;
        b.exitCode = 137;
        b.finishedAt = now - 1; // killed while the daemon starts, before its API answers
        b.manuallyStopped = true;
      }
    }
    this.up = true;
    // The API answers a moment after the daemon started (orphans killed and policies applied first).
    for (const b of this.boxes.values()) {
      if (b.running) continue;
      if (this.wouldRestartAtStart(b)) this.startBox(b, 'docker', false);
    }
    void now;
  }

  private wouldRestartAtStart(b: Box): boolean {
    switch (b.policy.name) {
      case 'always':
        return b.finishedAt !== null;
      case 'unless-stopped':
        return b.finishedAt !== null && !b.manuallyStopped;
      case 'on-failure':
        // FACTS.md: after `docker stop` (137) and a daemon restart, on-failure comes back.
        return b.finishedAt !== null && b.exitCode !== 0;
      default:
        return false;
    }
  }

  private policyRestart(b: Box): void {
    const p = b.policy.name;
    const restart = !b.manuallyStopped && (p === 'always' || p === 'unless-stopped' || (p === 'on-failure' && b.exitCode !== 0));
    if (!restart) return;
    this.clock.at(this.clock.now() + 100, () => {
      if (!this.up || b.running || b.manuallyStopped) return;
      b.restartCount++;
      this.startBox(b, 'docker');
    });
  }

  /** Stopped by a signal the daemon sends (its `kill` event, then `die`). */
  private kill(b: Box, code: number): void {
    this.emit(b, 'kill');
    this.exit(b, code, 'die');
  }

  private exit(b: Box, code: number, action: string): void {
    b.running = false;
    b.exitCode = code;
    b.finishedAt = this.clock.now();
    this.emit(b, action);
  }

  private startBox(b: Box, by: 'docker' | 'api' | 'operator', events = true): void {
    if (b.running) return;
    b.running = true;
    b.manuallyStopped = false;
    b.startedAt = this.clock.now();
    this.starts.push({ at: b.startedAt, name: b.name, by });
    if (events) this.emit(b, 'start');
    if (b.crashing) {
      this.clock.at(this.clock.now() + 50, () => {
        if (b.running && b.crashing && this.up) {
          this.exit(b, 3, 'die');
          this.policyRestart(b);
        }
      });
    }
  }

  private emit(b: Box, action: string): void {
    const t = this.clock.now();
    const ev: EngineEvent = {
      Type: 'container',
      Action: action,
      // Docker's `die` carries the exit code (the agent judges a death from it before the inspect).
      Actor: { ID: b.id, Attributes: action === 'die' ? { name: b.name, exitCode: String(b.exitCode) } : { name: b.name } },
      time: Math.floor(t / 1000),
      timeNano: t * 1e6,
    };
    for (const s of this.streams) s.push(ev);
  }

  private check(): void {
    if (!this.up) throw new DownError();
  }

  // ---- DockerEngine ----

  async ping(): Promise<{ apiVersion: string }> {
    this.check();
    return { apiVersion: '1.41' };
  }
  async apiVersion(): Promise<string> {
    this.check();
    return '1.41';
  }
  async version() {
    this.check();
    return { Version: this.serverVersion, ApiVersion: '1.41', MinAPIVersion: '1.12', Os: 'linux', Arch: 'amd64', KernelVersion: '6.1' };
  }
  async info(): Promise<EngineInfo> {
    this.check();
    return {
      ...this.identity,
      ServerVersion: this.serverVersion,
      DockerRootDir: '/var/lib/docker',
      LiveRestoreEnabled: false,
      Containers: this.boxes.size,
      ContainersRunning: this.runningNames().length,
    };
  }
  async listContainers(): Promise<EngineContainerSummary[]> {
    this.check();
    return [...this.boxes.values()].map((b) => ({
      Id: b.id,
      Names: [`/${b.name}`],
      Image: 'busybox',
      ImageID: `sha256:${'a'.repeat(64)}`,
      State: b.running ? 'running' : 'exited',
      Status: b.running ? 'Up' : `Exited (${b.exitCode})`,
      Labels: { ...b.labels },
      Created: Math.floor(b.created / 1000),
    }));
  }
  async inspectContainer(id: string): Promise<EngineContainerInspect> {
    this.check();
    const found = this.boxes.get(id) ?? [...this.boxes.values()].find((x) => x.name === id);
    const held = found && this.heldInspects.get(found.name);
    if (held !== undefined) {
      this.inspectsWaiting++;
      await held.finally(() => this.inspectsWaiting--);
    }
    const b = this.boxes.get(id) ?? [...this.boxes.values()].find((x) => x.name === id);
    if (!b) throw Object.assign(new Error(`No such container: ${id}`), { status: 404 });
    return {
      Id: b.id,
      Name: `/${b.name}`,
      Image: `sha256:${'a'.repeat(64)}`,
      Created: iso(b.created),
      RestartCount: b.restartCount,
      State: {
        Status: b.running ? 'running' : 'exited',
        Running: b.running,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: b.running ? 100 : 0,
        ExitCode: b.running ? 0 : b.exitCode,
        Error: '',
        StartedAt: iso(b.startedAt),
        FinishedAt: iso(b.finishedAt),
      },
      Config: { Image: 'busybox', Labels: { ...b.labels }, Cmd: ['sleep', '1000000'], StopSignal: 'SIGTERM' },
      HostConfig: { RestartPolicy: { Name: b.policy.name, MaximumRetryCount: 0 }, AutoRemove: false, NetworkMode: 'none' },
      NetworkSettings: { Networks: {} },
      Mounts: [],
    };
  }
  async startContainer(id: string): Promise<'started' | 'already-running'> {
    this.check();
    const b = this.boxes.get(id);
    if (!b) throw Object.assign(new Error(`No such container: ${id}`), { status: 404 });
    if (b.running) return 'already-running';
    this.startAttempts.push({ name: b.name, at: this.clock.now() });
    const held = this.heldStarts.get(b.name);
    if (held !== undefined) await held;
    const failing = this.failingStarts.get(b.name) ?? 0;
    if (failing > 0) {
      this.failingStarts.set(b.name, failing - 1);
      throw Object.assign(new Error(`error while creating mount source path '/srv/${b.name}': no such file or directory`), { status: 500 });
    }
    this.startBox(b, 'api');
    return 'started';
  }

  /** API starts of `name` do not return until the returned function is called (a slow start). */
  holdStarts(name: string): () => void {
    let release = (): void => undefined;
    this.heldStarts.set(name, new Promise<void>((r) => (release = r)));
    return () => {
      this.heldStarts.delete(name);
      release();
    };
  }

  /**
   * Inspects of `name` do not answer until the returned function is called: the daemon holding the
   * container's lock while it handles its exit (it sends `die` before it lets go).
   */
  holdInspects(name: string): () => void {
    let release = (): void => undefined;
    this.heldInspects.set(name, new Promise<void>((r) => (release = r)));
    return () => {
      this.heldInspects.delete(name);
      release();
    };
  }

  /** API starts of `name` fail the next `n` times (a bind-mount source that is not there yet). */
  failStarts(name: string, n: number): void {
    this.failingStarts.set(name, n);
  }
  async stopContainer(id: string): Promise<'stopped' | 'already-stopped'> {
    this.check();
    const b = this.boxes.get(id)!;
    if (!b.running) return 'already-stopped';
    this.operatorStop(b.name);
    return 'stopped';
  }
  async restartContainer(id: string): Promise<void> {
    this.check();
    const b = this.boxes.get(id)!;
    if (b.running) this.kill(b, 137);
    this.startBox(b, 'api');
  }
  async updateRestartPolicy(): Promise<void> {}
  async createContainer(): Promise<{ id: string }> {
    throw new Error('the fake engine does not create containers');
  }
  async removeContainer(): Promise<void> {}
  async connectNetwork(): Promise<void> {}
  async logs(id: string, tail: number): Promise<string[]> {
    this.check();
    const b = this.boxes.get(id);
    return Array.from({ length: Math.min(tail, 3) }, (_, i) => `boom ${b?.name ?? id} ${i}`);
  }
  async close(): Promise<void> {}

  events(query: { signal?: AbortSignal } = {}): AsyncIterable<EngineEvent> {
    const queue: Array<EngineEvent | null> = [];
    let wake: (() => void) | null = null;
    const stream = {
      push: (e: EngineEvent | null) => {
        queue.push(e);
        wake?.();
      },
    };
    if (!this.up) queue.push(null);
    else this.streams.add(stream);
    const streams = this.streams;
    query.signal?.addEventListener('abort', () => stream.push(null), { once: true });
    return {
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            while (queue.length === 0) await new Promise<void>((r) => (wake = r));
            wake = null;
            const e = queue.shift()!;
            if (e === null) return;
            yield e;
          }
        } finally {
          streams.delete(stream);
        }
      },
    };
  }

  /** The daemon-only flag (HasBeenManuallyStopped) as root reads it; `readable: false` as non-root. */
  flagsReader(readable = true): DaemonFlagsReader {
    return {
      unreadableReason: readable ? null : 'not root',
      read: async (id: string) => {
        const b = this.boxes.get(id);
        return { manuallyStopped: readable && b ? b.manuallyStopped : null, startedBefore: b ? b.startedAt !== null : null };
      },
    };
  }
}
