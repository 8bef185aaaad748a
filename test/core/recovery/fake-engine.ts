/**
 * An in-memory Docker host for executor tests, on a virtual clock: sleeps resolve in time order as
 * soon as every task is waiting, so a test of minutes of retries and health waits runs in
 * milliseconds and is deterministic. The fake models what the executor depends on: start (with
 * scripted failures), health that turns healthy after a while (or never), containers that exit
 * right after a start, create, compose up, an engine that answers only after some time, and
 * Docker starting a container by itself at a given time.
 */
import type { ContainerFacts, ContainerState, HealthStatus, RestartPolicy } from '../../../src/core/model.js';
import type { DesiredContainer, HostIdentity } from '../../../src/core/recovery/desired-state.js';
import type { CreateRequest, RecoveryEffects } from '../../../src/core/recovery/executor.js';
import type { ComposeUpCommand } from '../../../src/core/recovery/plan.js';

export const T0 = Date.parse('2025-11-20T16:00:00.000Z');

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

/** Virtual time: `sleep` registers a timer; `drive` fires timers in order whenever all tasks wait. */
export class VirtualClock {
  now = T0;
  private timers: Timer[] = [];
  private seq = 0;

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new Error('aborted'));
      const timer: Timer = { at: this.now + Math.max(0, ms), seq: this.seq++, fire: resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.timers = this.timers.filter((t) => t !== timer);
          reject(new Error('aborted'));
        },
        { once: true },
      );
    });
  }

  /** Runs `fn` at virtual time `at`. */
  at(at: number, fn: () => void): void {
    this.timers.push({ at, seq: this.seq++, fire: fn });
  }

  /** Fires the earliest timer; false when there is none. */
  advance(): boolean {
    if (this.timers.length === 0) return false;
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const t = this.timers.shift() as Timer;
    this.now = Math.max(this.now, t.at);
    t.fire();
    return true;
  }

  /** Settles `p`, advancing virtual time whenever nothing else can run. */
  async drive<T>(p: Promise<T>): Promise<T> {
    let settled = false;
    p.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let idle = 0; !settled;) {
      await new Promise((r) => setImmediate(r));
      if (settled) break;
      if (this.advance()) idle = 0;
      else if (++idle > 3) throw new Error('deadlock: nothing to run and no timer pending');
    }
    return p;
  }
}

export interface Behaviour {
  /** The first n starts fail with `startError`. */
  failStarts?: number;
  startError?: string;
  /** Healthcheck: healthy this long after the start (default 2000). */
  healthyAfterMs?: number;
  /** Healthcheck never passes (starting, then unhealthy). */
  neverHealthy?: boolean;
  /** The process exits (code 1) this long after each start. */
  exitAfterMs?: number;
  /** How long a start call takes. */
  startTakesMs?: number;
}

export interface FakeContainer {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  restartPolicy: RestartPolicy;
  compose: ContainerFacts['compose'];
  state: ContainerState;
  exitCode: number | null;
  startedAt: number | null;
  hasHealthcheck: boolean;
  behaviour: Behaviour;
  starts: number;
}

export interface LogEntry {
  at: number;
  op: 'start' | 'create' | 'compose-up' | 'start-failed';
  name: string;
  detail?: string;
}

let nextId = 1;
function freshId(): string {
  return (nextId++).toString(16).padStart(64, 'c');
}

export class FakeHost implements RecoveryEffects {
  readonly clock = new VirtualClock();
  readonly containers = new Map<string, FakeContainer>();
  readonly log: LogEntry[] = [];
  identity: HostIdentity = { id: 'ENGINE-A', name: 'covid-host' };
  /** The engine answers from this (virtual) time on. */
  answersFrom = T0;
  /** Never answers (a hung engine): engineIdentity never settles. */
  hangs = false;
  /** Behaviour applied to containers re-created by create/compose, by name. */
  behaviourOnCreate = new Map<string, Behaviour>();
  inFlight = 0;
  maxInFlight = 0;
  calls = 0;

  /** Adds a container as the desired one exists now. */
  add(d: DesiredContainer, state: ContainerState, behaviour: Behaviour = {}, opts: { id?: string; name?: string } = {}): FakeContainer {
    const c: FakeContainer = {
      id: opts.id ?? d.id,
      name: opts.name ?? d.name,
      image: d.image,
      labels: { ...(d.createConfig.Labels ?? {}) },
      restartPolicy: { ...d.restartPolicy },
      compose: d.compose ? { ...d.compose, dependsOn: d.compose.dependsOn.map((x) => x.name), oneOff: false } : null,
      state,
      exitCode: state === 'exited' ? 137 : null,
      startedAt: state === 'running' ? T0 - 3_600_000 : null,
      hasHealthcheck: d.healthcheck !== null,
      behaviour,
      starts: 0,
    };
    this.containers.set(c.id, c);
    return c;
  }

  byName(name: string): FakeContainer | undefined {
    return [...this.containers.values()].find((c) => c.name === name);
  }

  remove(name: string): void {
    const c = this.byName(name);
    if (c) this.containers.delete(c.id);
  }

  /** Docker itself starts `name` at `at` (a restart policy at daemon start, say). */
  dockerStartsAt(name: string, at: number): void {
    this.clock.at(at, () => {
      const c = this.byName(name);
      if (c) this.run(c);
    });
  }

  private run(c: FakeContainer): void {
    c.state = 'running';
    c.exitCode = null;
    c.startedAt = this.clock.now;
    c.starts++;
  }

  /** Applies time-driven changes (an exit after start) before anything reads the container. */
  private settle(c: FakeContainer): void {
    const exitAfter = c.behaviour.exitAfterMs;
    if (c.state === 'running' && exitAfter !== undefined && c.startedAt !== null && this.clock.now - c.startedAt >= exitAfter) {
      c.state = 'exited';
      c.exitCode = 1;
    }
  }

  private health(c: FakeContainer): { status: HealthStatus; failingStreak: number } | null {
    if (!c.hasHealthcheck) return null;
    if (c.state !== 'running' || c.startedAt === null) return { status: 'unhealthy', failingStreak: 0 };
    const up = this.clock.now - c.startedAt;
    if (c.behaviour.neverHealthy) return up > 3000 ? { status: 'unhealthy', failingStreak: Math.floor(up / 1000) } : { status: 'starting', failingStreak: 0 };
    return up >= (c.behaviour.healthyAfterMs ?? 2000) ? { status: 'healthy', failingStreak: 0 } : { status: 'starting', failingStreak: 0 };
  }

  facts(c: FakeContainer): ContainerFacts {
    this.settle(c);
    return {
      id: c.id,
      name: c.name,
      image: c.image,
      imageId: `sha256:${'ab'.repeat(32)}`,
      state: c.state,
      exitCode: c.exitCode,
      restartPolicy: { ...c.restartPolicy },
      restartCount: 0,
      manuallyStopped: null,
      startedBefore: null,
      stopSignal: 'SIGTERM',
      startedAt: c.startedAt === null ? null : new Date(c.startedAt).toISOString(),
      finishedAt: null,
      health: this.health(c),
      compose: c.compose,
      labels: { ...c.labels },
      autoRemove: false,
    };
  }

  private async call<T>(fn: () => T | Promise<T>, takesMs = 0): Promise<T> {
    this.calls++;
    if (this.clock.now < this.answersFrom) throw new Error('connect ECONNREFUSED /var/run/docker.sock');
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (takesMs > 0) await this.clock.sleep(takesMs);
      return await fn();
    } finally {
      this.inFlight--;
    }
  }

  // ---- RecoveryEffects ----

  engineIdentity(): Promise<HostIdentity> {
    if (this.hangs) return new Promise(() => undefined);
    if (this.clock.now < this.answersFrom) return Promise.reject(new Error('connect ECONNREFUSED /var/run/docker.sock'));
    return Promise.resolve({ ...this.identity });
  }

  listContainers(): Promise<ContainerFacts[]> {
    return this.call(() => [...this.containers.values()].map((c) => this.facts(c)));
  }

  inspect(idOrName: string): Promise<ContainerFacts | null> {
    return this.call(() => {
      const c = this.containers.get(idOrName) ?? this.byName(idOrName);
      return c ? this.facts(c) : null;
    });
  }

  start(id: string): Promise<void> {
    const c = this.containers.get(id);
    return this.call(() => {
      if (!c) throw Object.assign(new Error(`container ${id}: no such container`), { status: 404 });
      this.settle(c);
      if (c.state === 'running') return;
      if ((c.behaviour.failStarts ?? 0) > 0) {
        c.behaviour.failStarts = (c.behaviour.failStarts ?? 0) - 1;
        const error = c.behaviour.startError ?? 'driver failed programming external connectivity: Bind for 127.0.0.1:8080 failed: port is already allocated';
        this.log.push({ at: this.clock.now, op: 'start-failed', name: c.name, detail: error });
        throw new Error(error);
      }
      this.run(c);
      this.log.push({ at: this.clock.now, op: 'start', name: c.name });
    }, c?.behaviour.startTakesMs ?? 0);
  }

  createAndStart(req: CreateRequest): Promise<{ id: string }> {
    return this.call(() => {
      if (this.byName(req.name)) throw new Error(`Conflict. The container name "/${req.name}" is already in use`);
      const id = freshId();
      const c: FakeContainer = {
        id,
        name: req.name,
        image: req.config.Image,
        labels: { ...(req.config.Labels ?? {}) },
        restartPolicy: { name: (req.config.HostConfig.RestartPolicy?.Name || 'no') as RestartPolicy['name'], maximumRetryCount: 0 },
        compose: null,
        state: 'created',
        exitCode: null,
        startedAt: null,
        hasHealthcheck: req.config.Healthcheck !== undefined,
        behaviour: this.behaviourOnCreate.get(req.name) ?? {},
        starts: 0,
      };
      this.containers.set(id, c);
      this.log.push({ at: this.clock.now, op: 'create', name: req.name, detail: JSON.stringify(req.config) });
      if ((c.behaviour.failStarts ?? 0) > 0) {
        c.behaviour.failStarts = (c.behaviour.failStarts ?? 0) - 1;
        throw new Error(c.behaviour.startError ?? 'error while creating mount source path: no such file or directory');
      }
      this.run(c);
      this.log.push({ at: this.clock.now, op: 'start', name: req.name });
      return { id };
    });
  }

  /** Compose re-creates every missing container of the service from `templates` (desired containers). */
  templates = new Map<string, DesiredContainer>();

  composeUp(cmd: ComposeUpCommand): Promise<void> {
    return this.call(() => {
      this.log.push({ at: this.clock.now, op: 'compose-up', name: `${cmd.project}/${cmd.service}`, detail: cmd.args.join(' ') });
      for (const d of this.templates.values()) {
        if (d.compose?.project !== cmd.project || d.compose.service !== cmd.service) continue;
        const existing = this.byName(d.name);
        if (existing) {
          if (existing.state !== 'running') {
            this.run(existing);
            this.log.push({ at: this.clock.now, op: 'start', name: d.name });
          }
          continue;
        }
        const c = this.add(d, 'created', this.behaviourOnCreate.get(d.name) ?? {}, { id: freshId() });
        this.run(c);
        this.log.push({ at: this.clock.now, op: 'start', name: d.name });
      }
    }, 200);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.clock.sleep(ms, signal);
  }

  now(): number {
    return this.clock.now;
  }

  /** When `name` was (last) started, in virtual ms since T0. */
  startedAt(name: string): number | undefined {
    const entries = this.log.filter((l) => l.name === name && l.op === 'start');
    const last = entries[entries.length - 1];
    return last === undefined ? undefined : last.at - T0;
  }

  runningNames(): string[] {
    return [...this.containers.values()]
      .map((c) => this.facts(c))
      .filter((c) => c.state === 'running')
      .map((c) => c.name)
      .sort();
  }
}
