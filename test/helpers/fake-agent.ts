/**
 * The whole agent (buildAgent, as `upkeep agent` runs it) against the fake Docker engine and a real
 * SQLite store, on a virtual clock: scenarios of minutes run in milliseconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeliveryError, type AlertMessage, type Notifier } from '../../src/adapters/notify/notifier.js';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import type { Store } from '../../src/adapters/store/store.js';
import { buildAgent, type AgentParts } from '../../src/agent/agent.js';
import { createLog, SILENT, type AgentLog } from '../../src/agent/log.js';
import { defaultConfig, type UpkeepConfig } from '../../src/core/config/types.js';
import type { KubernetesReader } from '../../src/ports/kubernetes.js';
import { FakeDocker } from './fake-docker.js';
import { VirtualClock } from './virtual-clock.js';

/** A channel that records what it got, and can be down. */
export class FakeChannel implements Notifier {
  readonly sent: AlertMessage[] = [];
  down = false;
  constructor(readonly name = 'hook') {}
  async send(m: AlertMessage): Promise<void> {
    if (this.down) throw new DeliveryError('connect ECONNREFUSED 127.0.0.1:9', true);
    this.sent.push(m);
  }
}

export function testConfig(over: (c: UpkeepConfig) => void = () => undefined): UpkeepConfig {
  const config = defaultConfig();
  config.listen = { host: '127.0.0.1', port: 0 };
  config.resyncMs = 5_000;
  config.recovery = { ...config.recovery, graceMs: 1_000, runningForMs: 500, readyTimeoutMs: 10_000 };
  config.heal = { ...config.heal, crashLoopRestarts: 3, crashLoopWindowMs: 60_000, backoffInitialMs: 200, backoffMaxMs: 1_000 };
  config.alerts = { ...config.alerts, channels: [{ type: 'webhook', name: 'hook', url: 'http://127.0.0.1:9/hook', secret: null, headers: {} }] };
  over(config);
  return config;
}

export interface FakeAgent {
  clock: VirtualClock;
  docker: FakeDocker;
  store: Store;
  channel: FakeChannel;
  parts: AgentParts;
  stateDir: string;
  /** Wakes the agent as fs.watch on the state directory would. */
  touchStateDir(): void;
  stop(): Promise<void>;
  /** Starts another agent on the same engine, store and channel (the first must be stopped). */
  restart(): Promise<FakeAgent>;
  until<T>(what: string, cond: () => T | null | undefined | false, maxMs?: number): Promise<T>;
  kinds(subject?: string): string[];
}

export async function startFakeAgent(
  opts: {
    config?: UpkeepConfig;
    clock?: VirtualClock;
    docker?: FakeDocker;
    store?: Store;
    stateDir?: string;
    channel?: FakeChannel;
    rootFlags?: boolean;
    /** The agent's log (default: silent, or UPKEEP_TEST_LOG=1 on stderr). */
    log?: AgentLog;
    /** Reads k3d clusters after a recovery (default: a reader that says no cluster answers). */
    kubernetes?: KubernetesReader;
    /** How long a cluster verification may take (virtual ms). */
    clusterVerifyMs?: number;
  } = {},
): Promise<FakeAgent> {
  const clock = opts.clock ?? new VirtualClock();
  const docker = opts.docker ?? new FakeDocker(clock);
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'upkeep-fake-agent-'));
  const store = opts.store ?? openStore({ stateDir, now: () => new Date(clock.now()) });
  const channel = opts.channel ?? new FakeChannel();
  const config = opts.config ?? testConfig();
  const watchers = new Set<() => void>();
  const log = opts.log ?? (process.env.UPKEEP_TEST_LOG ? createLog('pretty', process.stderr, 'debug') : SILENT);
  const agent = buildAgent({
    config,
    engine: docker,
    store,
    log,
    version: 'test',
    notifiers: new Map([[channel.name, channel]]),
    clock,
    flagsReader: docker.flagsReader(opts.rootFlags ?? true),
    readBoot: async () => ({ id: docker.bootId, bootTime: docker.bootTime }),
    readDaemonProcesses: async () => [], // no /proc reads under the virtual clock (real I/O would look like "nothing left to run")
    readHostFacts: async () => ({ pendingUpgrades: 0, rebootRequired: false, why: null }),
    watchStateDir: (cb) => {
      watchers.add(cb);
      return () => watchers.delete(cb);
    },
    timing: {
      debounceMs: 10,
      outboxBackoff: { initialMs: 100, maxMs: 1_000 },
      ...(opts.clusterVerifyMs !== undefined ? { clusterVerifyMs: opts.clusterVerifyMs } : {}),
    },
    // Never a real kubectl under the virtual clock.
    kubernetes: opts.kubernetes ?? { readClusterState: async () => Promise.reject(new Error('no Kubernetes API in this test')) },
  });
  const ac = new AbortController();
  const running = agent.run(ac.signal);
  const self: FakeAgent = {
    clock,
    docker,
    store,
    channel,
    parts: agent.parts,
    stateDir,
    touchStateDir: () => watchers.forEach((w) => w()),
    async stop() {
      ac.abort();
      await clock.runUntil('agent stopped', () => settled.done);
    },
    async restart() {
      return startFakeAgent({
        config,
        clock,
        docker,
        store,
        stateDir,
        channel,
        rootFlags: opts.rootFlags ?? true,
        ...(opts.kubernetes ? { kubernetes: opts.kubernetes } : {}),
        ...(opts.clusterVerifyMs !== undefined ? { clusterVerifyMs: opts.clusterVerifyMs } : {}),
      });
    },
    until: (what, cond, maxMs) => clock.runUntil(what, cond, maxMs),
    kinds: (subject) => store.timeline(subject === undefined ? {} : { subject }).map((e) => e.kind),
  };
  const settled = { done: false };
  void running.finally(() => (settled.done = true));
  await clock.runUntil('first reconcile', () => agent.parts.queue.runs > 0);
  return self;
}

export function cleanup(a: FakeAgent): void {
  a.store.close();
  rmSync(a.stateDir, { recursive: true, force: true });
}
