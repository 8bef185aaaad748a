/**
 * The agent, composed in one place: every actor is built here from the config and started
 * together; on SIGTERM they stop in this order (runActors):
 *
 *   event-watcher   no new triggers
 *   maintenance     no new recovery requests
 *   health-checks, heartbeat, host-facts
 *   reconciler      finishes (or aborts) the reconcile in progress
 *   outbox          last delivery attempt is recorded; undelivered alerts stay in the store
 *   http            /metrics answers until the very end
 *
 * Data flow: engine events and connection changes -> Controller (trigger) -> ReconcileQueue ->
 * Controller.reconcile -> AlertManager -> store outbox -> Outbox -> channels.
 */
import type { DockerEngine } from '../adapters/docker/engine-client.js';
import { AgentHttpServer } from '../adapters/http/agent-http.js';
import { AgentMetrics } from '../adapters/metrics/agent-metrics.js';
import { NtfyNotifier, SlackNotifier, WebhookNotifier, type Notifier } from '../adapters/notify/notifier.js';
import { dockerHealthProbe, httpProbe, tcpProbe } from '../adapters/probes/probes.js';
import type { Store } from '../adapters/store/store.js';
import type { ChannelConfig, UpkeepConfig } from '../core/config/types.js';
import { runActors, sleepUnlessAborted, type Actor } from './actor.js';
import { AlertManager } from './alerts.js';
import { Controller, type ControllerTiming } from './controller.js';
import { EventWatcher } from './event-watcher.js';
import { checkId, HealthChecker, type CheckTarget } from './health-checks.js';
import { Heartbeat } from './heartbeat.js';
import { HostFactsWatcher, type HostFacts } from './host-facts.js';
import type { AgentLog } from './log.js';
import { Outbox } from './outbox.js';
import { ReconcileQueue } from './reconcile-queue.js';

export interface AgentDeps {
  config: UpkeepConfig;
  engine: DockerEngine;
  store: Store;
  log: AgentLog;
  version: string;
  /** Built from config.alerts.channels with notifiersFor(). */
  notifiers: ReadonlyMap<string, Notifier>;
  /** Tests shorten the agent's waits. */
  timing?: Partial<ControllerTiming> & { debounceMs?: number; maintenancePollMs?: number; outboxBackoff?: { initialMs: number; maxMs: number } };
  /** Tests replace the apt simulation and reboot flag reads. */
  readHostFacts?: () => Promise<HostFacts>;
  /** Called once the HTTP listener is up (tests read the port). */
  onListening?: (address: { host: string; port: number }) => void;
}

/** Everything the running agent is made of (tests look inside). */
export interface AgentParts {
  controller: Controller;
  queue: ReconcileQueue;
  watcher: EventWatcher;
  outbox: Outbox;
  alerts: AlertManager;
  metrics: AgentMetrics;
  http: AgentHttpServer;
  checker: HealthChecker;
}

/** A notifier for one configured channel; nodemailer is only loaded when an email channel exists. */
export async function notifierFor(ch: ChannelConfig): Promise<Notifier> {
  switch (ch.type) {
    case 'webhook':
      return new WebhookNotifier({ url: ch.url, name: ch.name, headers: ch.headers, ...(ch.secret ? { secret: ch.secret } : {}) });
    case 'slack':
      return Object.assign(new SlackNotifier(ch.url), { name: ch.name });
    case 'ntfy':
      return Object.assign(new NtfyNotifier({ url: ch.url, ...(ch.token ? { token: ch.token } : {}) }), { name: ch.name });
    case 'email': {
      const { EmailNotifier } = await import('../adapters/notify/email.js');
      return Object.assign(
        new EmailNotifier({
          host: ch.host,
          port: ch.port,
          secure: ch.secure,
          from: ch.from,
          to: ch.to,
          ...(ch.user ? { user: ch.user } : {}),
          ...(ch.password ? { password: ch.password } : {}),
        }),
        { name: ch.name },
      );
    }
  }
}

/** The notifiers of every configured channel, by name. */
export async function notifiersFor(channels: readonly ChannelConfig[]): Promise<Map<string, Notifier>> {
  return new Map(await Promise.all(channels.map(async (ch) => [ch.name, await notifierFor(ch)] as const)));
}

/** Builds the agent; `run(signal)` runs it until the signal aborts. */
export function buildAgent(deps: AgentDeps): { parts: AgentParts; run: (signal: AbortSignal) => Promise<void> } {
  const { config, engine, store, log } = deps;
  const notifiers = deps.notifiers;
  const metrics = new AgentMetrics({ version: deps.version, channels: [...notifiers.keys()] });
  let maintenanceActive = false;
  const refreshMaintenance = (): boolean => {
    try {
      maintenanceActive = store.activeMaintenance(new Date().toISOString()).length > 0;
    } catch {
      /* keep the last known value */
    }
    return maintenanceActive;
  };
  refreshMaintenance();

  const outbox = new Outbox({
    store,
    notifiers,
    log,
    ...(deps.timing?.outboxBackoff ? { backoff: deps.timing.outboxBackoff } : {}),
    onResult: (channel, outcome) => metrics.alertSent(channel, outcome),
    onPending: (n) => metrics.setOutboxPending(n),
  });
  let hostName = '';
  const alerts = new AlertManager({
    store,
    host: () => hostName,
    channels: [...notifiers.keys()],
    inMaintenance: () => maintenanceActive,
    onQueued: () => outbox.kick(),
    log,
  });

  let queue: ReconcileQueue;
  let watcher: EventWatcher;
  const controller = new Controller({
    config,
    engine,
    store,
    alerts,
    metrics,
    log,
    connectedSince: () => watcher.connectedSince,
    trigger: (reason) => queue.trigger(reason),
    inMaintenance: () => maintenanceActive,
    ...(deps.timing ? { timing: deps.timing } : {}),
  });
  queue = new ReconcileQueue({
    reconcile: async (reasons, signal) => {
      await controller.reconcile(reasons, signal);
      hostName = controller.status.host?.name ?? hostName;
    },
    resyncMs: config.resyncMs,
    debounceMs: deps.timing?.debounceMs ?? 10,
    backoff: { initialMs: 250, maxMs: 5_000 },
    onError: (err, attempt) => log.warn({ err: (err as Error).message, attempt }, 'reconcile failed; retrying'),
  });
  watcher = new EventWatcher({
    engine,
    onEvent: (ev) => controller.onEvent(ev),
    onConnection: (state) => controller.onConnection(state),
  });

  const targets: CheckTarget[] = config.services.flatMap((svc) =>
    svc.checks.map((spec, i): CheckTarget => ({
      service: svc.name,
      spec,
      id: checkId(spec, i, svc.checks),
      probe: () => {
        if (spec.type === 'http') return httpProbe(spec.url, { status: spec.status, bodyContains: spec.bodyContains }, spec.timeoutMs);
        if (spec.type === 'tcp') return tcpProbe(spec.host, spec.port, spec.timeoutMs);
        const container = controller.containerNameFor(svc.name);
        return dockerHealthProbe(engine, container);
      },
    })),
  );
  const restartsOnFailure = new Set(config.services.filter((s) => s.onUnhealthy === 'restart').map((s) => s.name));
  /** Per check: when the first probe of the current group of `failures` failed probes began. */
  const groupStart = new Map<string, number>();
  const checker = new HealthChecker(targets, (t, status, result) => {
    metrics.checkResult(t.service, t.id, result.ok, result.seconds);
    if (status.passing === null) return;
    const restarts = restartsOnFailure.has(t.service);
    alerts.evaluate(`check:${t.service}/${t.id}`, { forMs: config.alerts.forMs, repeatMs: config.alerts.repeatMs }, status.passing === false, (kind) =>
      kind === 'resolved'
        ? { severity: 'warning', subject: t.service, title: `${t.service}: ${t.id} check passes again`, text: `${t.service}: the ${t.id} check passes again (${status.lastDetail}).` }
        : {
            severity: 'critical',
            subject: t.service,
            title: `${t.service}: ${t.id} check failing`,
            text: `${t.service}: the ${t.id} check failed ${-status.consecutive} times in a row: ${status.lastDetail}${restarts ? '; upkeep restarts it (on_unhealthy: restart)' : ''}.`,
          },
    );
    alerts.persist();
    // on_unhealthy: restart: when the check turns failing, and again after every further
    // `failures` failed probes in a row (the controller applies the crash-loop limit).
    if (restarts && !result.ok) {
      const key = `${t.service}/${t.id}`;
      if (-status.consecutive % t.spec.failures === 1 % t.spec.failures) groupStart.set(key, Date.now() - result.seconds * 1000);
      if (status.passing === false && -status.consecutive % t.spec.failures === 0) {
        controller.onUnhealthy(t.service, `the ${t.id} check failed ${-status.consecutive} times in a row: ${status.lastDetail}`, groupStart.get(key) ?? 0);
      }
    }
  });

  // Maintenance windows are opened and closed by other processes (the CLI, the apt hook): poll.
  let lastPoll = new Date().toISOString();
  const maintenanceWatch: Actor = {
    name: 'maintenance',
    async run(signal) {
      while (!signal.aborted) {
        await sleepUnlessAborted(deps.timing?.maintenancePollMs ?? 2_000, signal);
        if (signal.aborted) break;
        const before = maintenanceActive;
        const now = new Date().toISOString();
        refreshMaintenance();
        let ended: ReturnType<Store['maintenanceEndedSince']> = [];
        try {
          ended = store.maintenanceEndedSince(lastPoll);
        } catch {
          /* next time */
        }
        lastPoll = now;
        metrics.setMaintenance(maintenanceActive);
        if (ended.some((w) => w.source === 'apt')) controller.requestRecovery('apt');
        else if (before !== maintenanceActive) queue.trigger(maintenanceActive ? 'maintenance-started' : 'maintenance-ended');
      }
    },
  };

  const http = new AgentHttpServer({
    host: config.listen.host,
    port: config.listen.port,
    metrics: async () => metrics.render(),
    health: () => {
      const s = controller.status;
      const fresh = queue.lastSuccessAt !== null && Date.now() - queue.lastSuccessAt < config.resyncMs * 3;
      return { ok: fresh, detail: { engineUp: s.engineUp, lastReconcileAt: s.lastReconcileAt, maintenance: maintenanceActive } };
    },
    status: () => ({ ...controller.status, maintenance: maintenanceActive, alertsFiring: alerts.firing(), activeAlerts: alerts.activeKeys() }),
  });

  const hostFacts = new HostFactsWatcher({
    log,
    ...(deps.readHostFacts ? { read: deps.readHostFacts } : {}),
    onFacts: (f) => {
      if (f.pendingUpgrades !== null) metrics.setPendingUpgrades(f.pendingUpgrades);
      metrics.setRebootRequired(f.rebootRequired);
    },
  });
  const actors: Actor[] = [watcher, maintenanceWatch, checker, queue, outbox, http, hostFacts];
  if (config.heartbeat) actors.push(new Heartbeat({ url: config.heartbeat.url, intervalMs: config.heartbeat.intervalMs, log, onOk: (at) => metrics.setHeartbeatOk(at) }));

  const run = async (signal: AbortSignal): Promise<void> => {
    log.info({ version: deps.version, engine: engine.endpoint.display, listen: `${config.listen.host}:${config.listen.port}`, channels: [...notifiers.keys()] }, 'upkeep agent starting');
    void http.listening.then(() => {
      const a = http.address();
      if (a) {
        log.info({ address: `${a.host}:${a.port}` }, 'metrics and status listening');
        deps.onListening?.(a);
      }
    }, () => undefined);
    try {
      await runActors(actors, signal, log, ['event-watcher', 'maintenance', 'health-checks', 'heartbeat', 'host-facts', 'reconciler', 'outbox', 'http']);
    } finally {
      controller.stop();
      alerts.persist();
      for (const n of notifiers.values()) (n as { close?: () => void }).close?.();
      log.info({}, 'upkeep agent stopped');
    }
  };
  return { parts: { controller, queue, watcher, outbox, alerts, metrics, http, checker }, run };
}
