/**
 * The agent's Prometheus metrics (docs/metrics.md), in a Registry of their own: prom-client's
 * global registry is never touched, so two agents (or tests) in one process do not share series.
 *
 * The agent pushes its last known state in (`observeContainers`, `setEngineUp`, ...); a scrape
 * renders that state. Counters whose label values are known in advance are created at 0, so
 * `increase()` in the alert rules (deploy/prometheus/upkeep.rules.yml) sees their first event.
 */
// prom-client's files one by one, not its index: see prom-client-lib.d.ts (about 14 MiB of RSS).
import Counter from 'prom-client/lib/counter.js';
import Gauge from 'prom-client/lib/gauge.js';
import Histogram from 'prom-client/lib/histogram.js';
import eventLoopLag from 'prom-client/lib/metrics/eventLoopLag.js';
import gc from 'prom-client/lib/metrics/gc.js';
import heapSizeAndUsed from 'prom-client/lib/metrics/heapSizeAndUsed.js';
import heapSpacesSizeAndUsed from 'prom-client/lib/metrics/heapSpacesSizeAndUsed.js';
import osMemoryHeap from 'prom-client/lib/metrics/osMemoryHeap.js';
import processHandles from 'prom-client/lib/metrics/processHandles.js';
import processMaxFileDescriptors from 'prom-client/lib/metrics/processMaxFileDescriptors.js';
import processOpenFileDescriptors from 'prom-client/lib/metrics/processOpenFileDescriptors.js';
import processRequests from 'prom-client/lib/metrics/processRequests.js';
import processResources from 'prom-client/lib/metrics/processResources.js';
import processStartTime from 'prom-client/lib/metrics/processStartTime.js';
import version from 'prom-client/lib/metrics/version.js';
import Registry from 'prom-client/lib/registry.js';

/** One container as the last reconcile saw it. */
export interface ContainerSample {
  container: string;
  /** Compose `project/service`, or the container name when not from compose. */
  service: string;
  desired: boolean;
  running: boolean;
  /** Docker HEALTHCHECK says healthy; null: no healthcheck (the series is left out). */
  healthy: boolean | null;
}

export type HealOutcome = 'started' | 'restarted' | 'failed' | 'gave_up';
export type RecoveryTrigger = 'startup' | 'daemon_restart' | 'apt' | 'manual';
export type RecoveryOutcome = 'complete' | 'incomplete';
export type DeliveryOutcome = 'delivered' | 'failed' | 'given_up';

export interface AgentMetricsOptions {
  /** Also collect prom-client's default process_* and nodejs_* metrics. Default true. */
  collectDefault?: boolean;
  /** upkeep's version, for upkeep_build_info{version}. Default "unknown". */
  version?: string;
  /** Alert channel names: their delivery counters start at 0 for every outcome. */
  channels?: string[];
  /** Clock for the start-time default of upkeep_last_reconcile_timestamp_seconds. */
  now?: () => number;
}

const HEAL_OUTCOMES: readonly HealOutcome[] = ['started', 'restarted', 'failed', 'gave_up'];
const RECOVERY_TRIGGERS: readonly RecoveryTrigger[] = ['startup', 'daemon_restart', 'apt', 'manual'];
const RECOVERY_OUTCOMES: readonly RecoveryOutcome[] = ['complete', 'incomplete'];
const DELIVERY_OUTCOMES: readonly DeliveryOutcome[] = ['delivered', 'failed', 'given_up'];

/** prom-client default metrics that are gauges with a _total suffix. */
const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Seconds; checks are probes with timeouts of a few seconds. */
const CHECK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds; a reconcile lists containers and may start some and wait for them. */
const RECONCILE_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Seconds; a heal is a start (and its wait for running_for) after the death was seen, or a backoff later. */
const HEAL_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];

const bool = (b: boolean): number => (b ? 1 : 0);

/** The agent's metrics; see docs/metrics.md for every series. */
export class AgentMetrics {
  readonly registry: Registry;

  private readonly containerDesired: Gauge<'container' | 'service'>;
  private readonly containerRunning: Gauge<'container' | 'service'>;
  private readonly containerHealthy: Gauge<'container' | 'service'>;
  private readonly desiredTotal: Gauge;
  private readonly desiredRunning: Gauge;
  private readonly heals: Counter<'container' | 'outcome'>;
  private readonly recoveries: Counter<'trigger' | 'outcome'>;
  private readonly deliveries: Counter<'channel' | 'outcome'>;
  private readonly alertsFiring: Gauge;
  private readonly outboxPending: Gauge;
  private readonly checkUp: Gauge<'service' | 'check'>;
  private readonly checkDuration: Histogram<'service' | 'check'>;
  private readonly lastReconcile: Gauge;
  private readonly reconcileDuration: Histogram;
  private readonly engineUp: Gauge;
  private readonly maintenance: Gauge;
  private readonly pendingUpgrades: Gauge;
  private readonly rebootRequired: Gauge;
  private readonly lastHeartbeat: Gauge;
  private readonly healSeconds: Histogram;

  /** Label sets currently exported per container, so vanished containers can be removed. */
  private readonly exported = new Map<string, { service: string; healthy: boolean }>();
  private readonly healsInitialized = new Set<string>();
  private readonly channelsInitialized = new Set<string>();

  constructor(opts: AgentMetricsOptions = {}) {
    const registry = new Registry();
    this.registry = registry;
    const registers = [registry];
    const containerLabels = ['container', 'service'] as const;

    new Gauge({
      name: 'upkeep_build_info',
      help: 'Always 1; the version label says which upkeep is running.',
      labelNames: ['version'],
      registers,
    }).set({ version: opts.version ?? 'unknown' }, 1);

    this.containerDesired = new Gauge({
      name: 'upkeep_container_desired',
      help: '1 when the container should be running (in the desired state and not stopped on purpose), else 0.',
      labelNames: containerLabels,
      registers,
    });
    this.containerRunning = new Gauge({
      name: 'upkeep_container_running',
      help: '1 when the container is running, else 0 (also 0 when it does not exist).',
      labelNames: containerLabels,
      registers,
    });
    this.containerHealthy = new Gauge({
      name: 'upkeep_container_healthy',
      help: "1 when the container's Docker healthcheck says healthy, else 0; no series without a healthcheck.",
      labelNames: containerLabels,
      registers,
    });
    this.desiredTotal = new Gauge({
      name: 'upkeep_desired_containers',
      help: 'Number of containers that should be running.',
      registers,
    });
    this.desiredRunning = new Gauge({
      name: 'upkeep_desired_containers_running',
      help: 'Number of containers that should be running and are.',
      registers,
    });
    this.heals = new Counter({
      name: 'upkeep_heals_total',
      help: 'Heal attempts on desired containers, by outcome (started: a stopped one; restarted: a failing check, on_unhealthy: restart; failed; gave_up: crash loop, no more attempts).',
      labelNames: ['container', 'outcome'],
      registers,
    });
    this.recoveries = new Counter({
      name: 'upkeep_recoveries_total',
      help: 'Full recoveries of the desired state, by trigger and outcome (complete: everything desired runs afterwards).',
      labelNames: ['trigger', 'outcome'],
      registers,
    });
    this.deliveries = new Counter({
      name: 'upkeep_alert_deliveries_total',
      help: 'Alert notification delivery attempts, by channel and outcome (given_up: the notification was dropped).',
      labelNames: ['channel', 'outcome'],
      registers,
    });
    this.alertsFiring = new Gauge({ name: 'upkeep_alerts_firing', help: "Number of upkeep's own alerts firing now.", registers });
    this.outboxPending = new Gauge({
      name: 'upkeep_alert_outbox_pending',
      help: 'Alert notifications waiting for delivery (queued or retrying).',
      registers,
    });
    this.checkUp = new Gauge({
      name: 'upkeep_check_up',
      help: 'Result of the last run of a configured health check: 1 passed, 0 failed.',
      labelNames: ['service', 'check'],
      registers,
    });
    this.checkDuration = new Histogram({
      name: 'upkeep_check_duration_seconds',
      help: 'Time a configured health check took, in seconds.',
      labelNames: ['service', 'check'],
      buckets: CHECK_BUCKETS,
      registers,
    });
    this.lastReconcile = new Gauge({
      name: 'upkeep_last_reconcile_timestamp_seconds',
      help: 'Unix time of the last completed reconcile (before the first one: the time the agent started).',
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'upkeep_reconcile_duration_seconds',
      help: 'Time a reconcile (compare desired and actual state, heal) took, in seconds.',
      buckets: RECONCILE_BUCKETS,
      registers,
    });
    this.engineUp = new Gauge({ name: 'upkeep_engine_up', help: '1 when the Docker engine answers, else 0.', registers });
    this.maintenance = new Gauge({
      name: 'upkeep_maintenance_active',
      help: '1 while a maintenance window is open (apt upgrade, upkeep maintenance), else 0.',
      registers,
    });
    this.pendingUpgrades = new Gauge({
      name: 'upkeep_pending_upgrades',
      help: 'Number of packages apt would upgrade; NaN until read, and when apt could not simulate.',
      registers,
    });
    this.rebootRequired = new Gauge({
      name: 'upkeep_reboot_required',
      help: '1 when the host needs a reboot to finish an upgrade (e.g. a new kernel), else 0; NaN until read, and when the flag or the kernels could not be read.',
      registers,
    });
    // Not read yet is not "nothing pending" nor "no reboot": the host facts are read after the start.
    this.pendingUpgrades.set(Number.NaN);
    this.rebootRequired.set(Number.NaN);
    this.lastHeartbeat = new Gauge({
      name: 'upkeep_last_heartbeat_timestamp_seconds',
      help: 'Unix time of the last successful heartbeat ping; 0 when none yet (or no heartbeat configured).',
      registers,
    });

    this.healSeconds = new Histogram({
      name: 'upkeep_heal_seconds',
      help: 'Time from upkeep seeing a desired container down to upkeep having started it again, in seconds.',
      buckets: HEAL_BUCKETS,
      registers,
    });

    this.lastReconcile.set((opts.now ?? Date.now)() / 1000);
    for (const trigger of RECOVERY_TRIGGERS) {
      for (const outcome of RECOVERY_OUTCOMES) this.recoveries.inc({ trigger, outcome }, 0);
    }
    for (const channel of opts.channels ?? []) this.initChannel(channel);
    if (opts.collectDefault ?? true) {
      // The event-loop delay monitor is a libuv timer: at prom-client's default precision (10 ms)
      // it woke the idle agent about 100 times a second, half its idle CPU (docs/benchmarks.md).
      collectDefaultMetrics(registry, { eventLoopMonitoringPrecision: 1_000 });
      // Gauges named *_total break Prometheus naming rules (promtool check metrics says so); the
      // same numbers are in nodejs_active_handles etc., by type.
      for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
    }
  }

  /**
   * The containers of the last reconcile: sets the per-container gauges and the totals, and
   * removes the series of containers that are no longer in `samples`.
   */
  observeContainers(samples: ContainerSample[]): void {
    const latest = new Map<string, ContainerSample>();
    for (const s of samples) latest.set(s.container, s);

    for (const [container, prev] of this.exported) {
      const next = latest.get(container);
      if (next === undefined || next.service !== prev.service) {
        this.removeContainer(container, prev.service, prev.healthy);
        this.exported.delete(container);
      } else if (next.healthy === null && prev.healthy) {
        this.containerHealthy.remove({ container, service: prev.service });
      }
    }

    let desired = 0;
    let running = 0;
    for (const s of latest.values()) {
      const labels = { container: s.container, service: s.service };
      this.containerDesired.set(labels, bool(s.desired));
      this.containerRunning.set(labels, bool(s.running));
      if (s.healthy !== null) this.containerHealthy.set(labels, bool(s.healthy));
      this.exported.set(s.container, { service: s.service, healthy: s.healthy !== null });
      if (s.desired) {
        desired++;
        if (s.running) running++;
        this.initHeals(s.container);
      }
    }
    this.desiredTotal.set(desired);
    this.desiredRunning.set(running);
  }

  /** One heal attempt on a container and how it went. */
  heal(container: string, outcome: HealOutcome): void {
    this.initHeals(container);
    this.heals.inc({ container, outcome });
  }

  /** One full recovery of the desired state. */
  /** A heal succeeded `seconds` after upkeep first saw the container down. */
  healed(seconds: number): void {
    this.healSeconds.observe(Math.max(0, seconds));
  }

  recovery(trigger: RecoveryTrigger, outcome: RecoveryOutcome): void {
    this.recoveries.inc({ trigger, outcome });
  }

  /** One delivery attempt of an alert notification on a channel. */
  alertSent(channel: string, outcome: DeliveryOutcome): void {
    this.initChannel(channel);
    this.deliveries.inc({ channel, outcome });
  }

  setAlertsFiring(n: number): void {
    this.alertsFiring.set(n);
  }

  setOutboxPending(n: number): void {
    this.outboxPending.set(n);
  }

  /** One run of a configured health check. */
  checkResult(service: string, check: string, ok: boolean, seconds: number): void {
    this.checkUp.set({ service, check }, bool(ok));
    this.checkDuration.observe({ service, check }, seconds);
  }

  /** A reconcile completed at `atMs` (Unix milliseconds) after `seconds`. */
  reconciled(atMs: number, seconds: number): void {
    this.lastReconcile.set(atMs / 1000);
    this.reconcileDuration.observe(seconds);
  }

  setEngineUp(up: boolean): void {
    this.engineUp.set(bool(up));
  }

  setMaintenance(active: boolean): void {
    this.maintenance.set(bool(active));
  }

  /** null: not known (apt's simulation failed): NaN, never a count it did not read. */
  setPendingUpgrades(n: number | null): void {
    this.pendingUpgrades.set(n ?? Number.NaN);
  }

  /** null: not known (the reboot-required flag or the installed kernels could not be read): NaN, never 0. */
  setRebootRequired(required: boolean | null): void {
    this.rebootRequired.set(required === null ? Number.NaN : bool(required));
  }

  /** The heartbeat URL answered at `atMs` (Unix milliseconds). */
  setHeartbeatOk(atMs: number): void {
    this.lastHeartbeat.set(atMs / 1000);
  }

  /** The Prometheus text exposition of every metric, for GET /metrics. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private removeContainer(container: string, service: string, healthy: boolean): void {
    const labels = { container, service };
    this.containerDesired.remove(labels);
    this.containerRunning.remove(labels);
    if (healthy) this.containerHealthy.remove(labels);
  }

  private initHeals(container: string): void {
    if (this.healsInitialized.has(container)) return;
    this.healsInitialized.add(container);
    for (const outcome of HEAL_OUTCOMES) this.heals.inc({ container, outcome }, 0);
  }

  private initChannel(channel: string): void {
    if (this.channelsInitialized.has(channel)) return;
    this.channelsInitialized.add(channel);
    for (const outcome of DELIVERY_OUTCOMES) this.deliveries.inc({ channel, outcome }, 0);
  }
}

/**
 * prom-client's collectDefaultMetrics (15.1), in its order, without loading its file: that file
 * loads every default metric, and process_cpu_* loads @opentelemetry/api (for exemplars, unused
 * here), about 8 MiB of resident memory on Node 24. process_cpu_* is therefore done here, as
 * prom-client does it without exemplars.
 */
function collectDefaultMetrics(registry: Registry, config: { eventLoopMonitoringPrecision: number }): void {
  processCpuTotal(registry);
  for (const metric of [
    processStartTime,
    osMemoryHeap,
    processOpenFileDescriptors,
    processMaxFileDescriptors,
    eventLoopLag,
    processResources,
    processHandles,
    processRequests,
    heapSizeAndUsed,
    heapSpacesSizeAndUsed,
    version,
    gc,
  ]) {
    metric(registry, config);
  }
}

/** process_cpu_user_seconds_total, process_cpu_system_seconds_total, process_cpu_seconds_total. */
function processCpuTotal(registry: Registry): void {
  let last = process.cpuUsage();
  const registers = [registry];
  const user = new Counter({
    name: 'process_cpu_user_seconds_total',
    help: 'Total user CPU time spent in seconds.',
    registers,
    // This one metric's `collect` sets all three, as in prom-client.
    collect() {
      const now = process.cpuUsage();
      const userMicros = now.user - last.user;
      const systemMicros = now.system - last.system;
      last = now;
      user.inc(userMicros / 1e6);
      system.inc(systemMicros / 1e6);
      total.inc((userMicros + systemMicros) / 1e6);
    },
  });
  const system = new Counter({ name: 'process_cpu_system_seconds_total', help: 'Total system CPU time spent in seconds.', registers });
  const total = new Counter({ name: 'process_cpu_seconds_total', help: 'Total user and system CPU time spent in seconds.', registers });
}
