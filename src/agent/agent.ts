/**
 * The agent, composed in one place: every actor is built here from the config and started
 * together; on SIGTERM they stop in this order (runActors):
 *
 *   event-watcher   no new triggers
 *   maintenance     no new recovery requests
 *   health-checks, heartbeat, host-facts, timeline-retention, cluster-verifier
 *   reconciler      finishes (or aborts) the reconcile in progress
 *   outbox          last delivery attempt is recorded; undelivered alerts stay in the store
 *   http            /metrics answers until the very end
 *
 * Data flow: engine events and connection changes -> Controller (trigger) -> ReconcileQueue ->
 * Controller.reconcile -> AlertManager -> store outbox -> Outbox -> channels.
 */
import { watch } from 'node:fs';
import { dirname } from 'node:path';
import type { DaemonFlagsReader } from '../adapters/docker/daemon-flags.js';
import type { DockerEngine } from '../adapters/docker/engine-client.js';
import { simulateUpgradeCached } from '../adapters/apt/simulation-cache.js';
import { AgentHttpServer, DEFAULT_LISTEN } from '../adapters/http/agent-http.js';
import { MetricsServer } from '../adapters/http/metrics-server.js';
import { AgentMetrics } from '../adapters/metrics/agent-metrics.js';
import { KubectlReader } from '../adapters/kubernetes/kubectl.js';
import { AlertmanagerNotifier, agentPageUrl } from '../adapters/notify/alertmanager.js';
import { NtfyNotifier, SlackNotifier, WebhookNotifier, type Notifier } from '../adapters/notify/notifier.js';
import { dockerHealthProbe, httpProbe, tcpProbe } from '../adapters/probes/probes.js';
import type { Store } from '../adapters/store/store.js';
import { runScheduleTick } from '../app/maintenance-schedule.js';
import { makeReport } from '../app/report.js';
import { NEW_CHECK, onCheckResult, type CheckTrack } from '../core/agent/check-result.js';
import { maintenanceSummary } from '../core/report/summary-message.js';
import type { ChannelConfig, UpkeepConfig } from '../core/config/types.js';
import type { Clock } from '../ports/clock.js';
import type { KubernetesReader } from '../ports/kubernetes.js';
import { runActors, sleepUnlessAborted, Wakeup, type Actor } from './actor.js';
import { AlertManager } from './alerts.js';
import { ClusterVerifier } from './cluster-verifier.js';
import { Controller, TerminalReconcileError, type ControllerTiming } from './controller.js';
import { EventWatcher } from './event-watcher.js';
import { checkId, HealthChecker, type CheckTarget } from './health-checks.js';
import { Heartbeat } from './heartbeat.js';
import { HostFactsWatcher, readHostFacts, type HostFacts } from './host-facts.js';
import { warnsAtFailure, type AgentLog } from './log.js';
import { Outbox } from './outbox.js';
import { SilenceSync } from './silences.js';
import { readBoot } from './boot-id.js';
import { resumeUpgradeAtStart } from './resume-upgrade.js';
import type { ProcessImage } from '../core/upgrade/replaced-binaries.js';
import { systemClock } from './system-clock.js';
import { ReconcileQueue } from './reconcile-queue.js';
import { CheckHistory } from '../core/status-page/check-history.js';
import { statusPageLoader } from './status-page.js';

export interface AgentDeps {
  config: UpkeepConfig;
  engine: DockerEngine;
  store: Store;
  log: AgentLog;
  version: string;
  /** Built from config.alerts.channels with notifiersFor(). */
  notifiers: ReadonlyMap<string, Notifier>;
  /** Tests shorten the agent's waits. maintenancePollMs: the fallback poll of the windows (default 10 s). */
  timing?: Partial<ControllerTiming> & {
    debounceMs?: number;
    maintenancePollMs?: number;
    outboxBackoff?: { initialMs: number; maxMs: number };
    /** How long a k3d cluster may take to be ready after a recovery (default recovery.cluster_timeout). */
    clusterVerifyMs?: number;
  };
  /** Time for every actor (default the system clock; tests pass a virtual one). */
  clock?: Clock;
  /** This boot's id and time (default: /proc). */
  readBoot?: () => Promise<{ id: string; bootTime: number | null } | null>;
  /** dockerd's and containerd's processes, for the verification of an upgrade finished at start (default: /proc). */
  readDaemonProcesses?: () => Promise<ProcessImage[]>;
  /** Reads HasBeenManuallyStopped (default: config.v2.json under DockerRootDir). */
  flagsReader?: DaemonFlagsReader;
  /** Calls `onChange` when the state directory changes; returns the unwatch (default fs.watch). */
  watchStateDir?: (onChange: () => void) => () => void;
  /** Tests replace the apt simulation and reboot flag reads. */
  readHostFacts?: () => Promise<HostFacts>;
  /** The state directory, where apt's simulation is cached (absent: apt runs every time). */
  stateDir?: string;
  /** Reads k3d clusters' nodes and pods after a recovery (default: kubectl, `UPKEEP_KUBECTL` or on PATH). */
  kubernetes?: KubernetesReader;
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
  /** The fleet Prometheus' listener (config metrics:), or null. */
  metricsHttp: MetricsServer | null;
}

/** A notifier for one configured channel; nodemailer is only loaded when an email channel exists. */
export async function notifierFor(ch: ChannelConfig, listen: { host: string; port: number } = DEFAULT_LISTEN): Promise<Notifier> {
  switch (ch.type) {
    case 'alertmanager':
      return new AlertmanagerNotifier({
        name: ch.name,
        url: ch.url,
        generatorUrl: ch.externalUrl ?? agentPageUrl(listen),
        auth: ch.auth,
        resendMs: ch.resendMs,
        silence: ch.silence,
        labels: ch.labels,
      });
    case 'webhook':
      return new WebhookNotifier({ url: ch.url, name: ch.name, headers: ch.headers, group: ch.group === true, ...(ch.secret ? { secret: ch.secret } : {}) });
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
export async function notifiersFor(channels: readonly ChannelConfig[], listen?: { host: string; port: number }): Promise<Map<string, Notifier>> {
  return new Map(await Promise.all(channels.map(async (ch) => [ch.name, await notifierFor(ch, listen)] as const)));
}

/** Builds the agent; `run(signal)` runs it until the signal aborts. */
export function buildAgent(deps: AgentDeps): { parts: AgentParts; run: (signal: AbortSignal) => Promise<void> } {
  const { config, engine, store, log } = deps;
  const clock = deps.clock ?? systemClock;
  const notifiers = deps.notifiers;
  const metrics = new AgentMetrics({ version: deps.version, channels: [...notifiers.keys()] });
  const startedAt = clock.now();
  // The checks' last results and apt's facts, kept for the status page.
  const checkHistory = new CheckHistory();
  let lastHostFacts: HostFacts | null = null;

  const outbox = new Outbox({
    store,
    notifiers,
    log,
    clock,
    ...(deps.timing?.outboxBackoff ? { backoff: deps.timing.outboxBackoff } : {}),
    onResult: (channel, outcome) => metrics.alertSent(channel, outcome),
    onPending: (n) => metrics.setOutboxPending(n),
  });
  let hostName = '';
  // Alertmanager channels re-send firing alerts (kept in the store across restarts) and silence the host during maintenance.
  const alertmanagers = [...notifiers.values()].filter((n): n is AlertmanagerNotifier => n instanceof AlertmanagerNotifier);
  for (const n of alertmanagers) n.useStore(store);
  const resenders: Actor[] = alertmanagers.map((n) => ({ name: `alertmanager-resend:${n.name}`, run: (signal) => n.run(signal) }));
  const silences = new SilenceSync({ store, channels: alertmanagers.filter((n) => n.silence), host: () => hostName, log, clock });
  const alerts = new AlertManager({
    store,
    host: () => hostName,
    channels: [...notifiers.keys()],
    onQueued: (rows) => outbox.kick(rows),
    log,
    clock,
  });
  // An alert resolved during a maintenance window sends no "resolved": the re-sends ask what still fires.
  for (const n of alertmanagers) n.useFiring(() => alerts.firingKeys());

  // The one message at the end of a maintenance window (core/report/summary-message.ts), from the
  // window's report. An apt window's waits for the recovery pass its end asks for, and takes that
  // pass's own summary in (one message, not two); any other window's leaves when the end is seen.
  const summaryAfterRecovery: number[] = [];
  const sendMaintenanceSummary = (id: number, extra: readonly string[]): void => {
    // A window that ends inside another still open one (the apt hook's inside `upkeep upgrade`'s):
    // the outer window's summary covers it.
    if (alerts.inMaintenance()) return;
    try {
      const report = makeReport(store, { maintenanceId: id }, clock.now());
      const s = maintenanceSummary(report, extra);
      alerts.queue({
        id: s.id,
        kind: 'summary',
        severity: s.severity,
        subject: report.host ?? (hostName || 'host'),
        title: s.title,
        text: s.text,
        data: s.data,
      });
    } catch (err) {
      log.warn({ err: (err as Error).message, maintenance: id }, 'the maintenance summary could not be made; the timeline and `upkeep report` have it');
    }
  };

  // k3d clusters whose nodes a recovery pass started are verified through their Kubernetes API,
  // apart from the reconcile loop (cluster-verifier.ts).
  const clusterVerifier = new ClusterVerifier({
    reader: deps.kubernetes ?? new KubectlReader(process.env.UPKEEP_KUBECTL ?? 'kubectl'),
    clusters: () => config.clusters,
    store,
    alerts,
    log,
    clock,
    timeoutMs: deps.timing?.clusterVerifyMs ?? config.recovery.clusterTimeoutMs,
  });

  const controller = new Controller({
    config,
    onClustersRecovered: (clusters) => clusterVerifier.request(clusters),
    afterRecovery: (trigger, alert, failed) => {
      if (trigger !== 'apt' || summaryAfterRecovery.length === 0) return false;
      if (alerts.inMaintenance()) {
        summaryAfterRecovery.length = 0; // inside another window: its summary covers this one
        return false;
      }
      const extra = failed
        ? ['The recovery pass after apt failed: see `upkeep timeline --kind recovery`.']
        : [alert === null ? 'Recovery pass: every desired container was running.' : `Recovery pass: ${alert.title}.`];
      for (const id of summaryAfterRecovery.splice(0)) sendMaintenanceSummary(id, extra);
      return true;
    },
    engine,
    store,
    alerts,
    metrics,
    log,
    clock,
    connection: () => ({ connectedSince: watcher.connectedSince, lostAt: watcher.lostAt }),
    inMaintenance: () => alerts.inMaintenance(),
    readBoot: deps.readBoot ?? readBoot,
    wake: (reason) => queue.trigger(reason), // a failed heal's blocker cleared
    ...(deps.flagsReader ? { flagsReader: deps.flagsReader } : {}),
    ...(deps.timing ? { timing: deps.timing } : {}),
  });
  const queue = new ReconcileQueue({
    clock,
    reconcile: async (reasons, signal) => {
      const again = await controller.reconcile(reasons, signal);
      hostName = controller.status.host?.name ?? hostName;
      return again;
    },
    resyncMs: config.resyncMs,
    debounceMs: deps.timing?.debounceMs ?? 10,
    backoff: { initialMs: 250, maxMs: 5_000 },
    onError: (err, attempt) => {
      const fields = { err: (err as Error).message, attempt };
      if (warnsAtFailure(attempt))
        log.warn(
          fields,
          attempt === 1 ? 'reconcile failed; retrying' : `reconcile failed ${attempt} times in a row; retrying (warned at 1, 2, 4, 8, ... failures)`,
        );
      else log.debug(fields, 'reconcile failed; retrying');
    },
    isTerminal: (err) => err instanceof TerminalReconcileError,
    onTerminal: (err) => controller.reportTerminal(err),
  });
  const watcher = new EventWatcher({
    engine,
    clock,
    onEvent: (ev) => queue.trigger(controller.onEvent(ev)),
    // Connected again: a reconcile now, even inside the backoff of runs that failed while it was away.
    onConnection: (state) => queue.trigger(controller.onConnection(state), { retryNow: state === 'connected' }),
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
  const tracks = new Map<string, CheckTrack>();
  const checker = new HealthChecker(
    targets,
    (t, status, result) => {
      metrics.checkResult(t.service, t.id, result.ok, result.seconds);
      checkHistory.record(t.service, t.id, { at: clock.now(), ok: result.ok, seconds: result.seconds });
      const key = `${t.service}/${t.id}`;
      const out = onCheckResult(tracks.get(key) ?? NEW_CHECK, {
        service: t.service,
        id: t.id,
        failures: t.spec.failures,
        restarts: restartsOnFailure.has(t.service),
        status,
        result,
        now: clock.now(),
        rule: { forMs: config.alerts.forMs, repeatMs: config.alerts.repeatMs },
      });
      tracks.set(key, out.track);
      if (out.entry !== null) {
        log[out.entry.level]({ check: key }, out.entry.message);
        if (out.entry.kind !== null)
          store.appendTimeline({
            at: new Date(clock.now()).toISOString(),
            kind: out.entry.kind,
            subject: out.entry.subject,
            message: out.entry.message,
            ...(out.entry.data ? { data: out.entry.data } : {}),
          });
      }
      if (out.alert !== null) {
        const ctx = { now: clock.now(), lastLogs: new Map<string, string>() };
        const c = out.alert;
        alerts.evaluate(c.key, c.rule, c.active, (kind, since) => c.content(kind, since, ctx));
        alerts.persist();
      }
      if (out.restart !== null) {
        controller.onUnhealthy(t.service, out.restart.why, out.restart.failingSince);
        queue.trigger(`unhealthy:${t.service}`);
      }
    },
    clock,
  );

  // Maintenance windows are opened and closed by other processes (the CLI, the apt hook), and the
  // desired state changes under the agent too (`upkeep snapshot`, `forget`, `want`): the state
  // directory is watched (they write the database), with a slow poll in case no change is seen.
  // Alerts read the windows themselves; this wakes the reconcile when a window opens or closes or
  // the desired state's inputs change, and asks for the recovery pass when apt's window ends.
  const desiredStamp = (): string => {
    try {
      return JSON.stringify([store.listSnapshots({ limit: 1 })[0]?.id ?? null, store.operatorStops(), store.listForgotten().length]);
    } catch {
      return '';
    }
  };
  let lastDesiredStamp = desiredStamp();
  let lastPoll = new Date(clock.now()).toISOString();
  let maintenanceActive = alerts.inMaintenance();
  const maintenanceWake = new Wakeup(clock);
  let maintenanceChanged = false;
  const maintenanceWatch: Actor = {
    name: 'maintenance',
    async run(signal) {
      const unwatch = (deps.watchStateDir ?? watchDirectory(dirname(store.path), log))(() => {
        maintenanceChanged = true;
        maintenanceWake.wake();
      });
      try {
        // Announcements, reminders, cancellations and windows opening as scheduled (app/maintenance-schedule.ts).
        const scheduleTick = (): number | null => {
          try {
            return runScheduleTick(store, clock.now(), (m) => alerts.queue(m)).nextDueAt;
          } catch (err) {
            log.warn({ err: (err as Error).message }, 'scheduled maintenance: could not read or record it; trying again');
            return null;
          }
        };
        // The first look at the schedule is at once (a start passed while the agent was down opens now).
        let nextScheduled = scheduleTick();
        // The windows open at the last look, by id: one gone without being stopped ran out its time.
        let open = new Map<number, string>();
        while (!signal.aborted) {
          const pollMs = deps.timing?.maintenancePollMs ?? 10_000;
          // Scheduled maintenance and a window's end fall due at their own times: woken then, not a poll later.
          const nextEnd = Math.min(...[...open.values()].map((endsAt) => Date.parse(endsAt)));
          const due = Math.min(nextScheduled ?? Infinity, nextEnd);
          const untilDue = Number.isFinite(due) ? Math.max(0, due - clock.now()) : pollMs;
          if (!maintenanceChanged) await maintenanceWake.wait(Math.min(pollMs, untilDue), signal);
          maintenanceChanged = false;
          if (signal.aborted) break;
          nextScheduled = scheduleTick();
          const before = maintenanceActive;
          const now = new Date(clock.now()).toISOString();
          // The windows open now, read once: whether alerts are held, and which ran out their time.
          let openNow: ReturnType<Store['activeMaintenance']> | null = null;
          try {
            openNow = store.activeMaintenance(now);
          } catch (err) {
            log.warn({ err: (err as Error).message }, 'could not read the maintenance windows: alerts are not held');
          }
          maintenanceActive = (openNow?.length ?? 0) > 0;
          let ended: ReturnType<Store['maintenanceEndedSince']> = [];
          try {
            ended = store.maintenanceEndedSince(lastPoll);
          } catch {
            /* next time */
          }
          lastPoll = now;
          metrics.setMaintenance(maintenanceActive);
          silences.wake();
          for (const w of ended) {
            if (w.source === 'apt') summaryAfterRecovery.push(w.id);
            else sendMaintenanceSummary(w.id, []);
          }
          // A window that ran out its time (a scheduled one, or one nobody stopped) ends too: the
          // timeline says so and it gets its summary (an apt window that runs out means apt never
          // closed it: no summary claims a finished upgrade).
          if (openNow !== null) {
            const stillOpen = new Set(openNow.map((w) => w.id));
            try {
              for (const [id] of open) {
                if (stillOpen.has(id) || ended.some((w) => w.id === id)) continue;
                const w = store.getMaintenance(id);
                if (w === null || w.endedAt !== null) continue;
                store.appendTimeline({
                  at: w.endsAt,
                  kind: 'maintenance-stop',
                  subject: w.source,
                  message: `maintenance window ended: its time was up (${w.endsAt})`,
                  data: { ...w, expired: true },
                });
                if (w.source !== 'apt') sendMaintenanceSummary(w.id, []);
              }
            } catch {
              /* next time */
            }
            open = new Map(openNow.map((w) => [w.id, w.endsAt]));
          }
          if (ended.some((w) => w.source === 'apt')) {
            controller.requestRecovery('apt');
            queue.trigger('recovery:apt');
          } else if (before !== maintenanceActive) queue.trigger(maintenanceActive ? 'maintenance-started' : 'maintenance-ended');
          const stamp = desiredStamp();
          if (stamp !== lastDesiredStamp) {
            lastDesiredStamp = stamp;
            queue.trigger('desired-state-changed');
          }
        }
      } finally {
        unwatch();
      }
    },
  };

  // The timeline keeps `timeline.retention` (default 90 days): pruned at start, then daily.
  const retentionMs = (config as { timeline?: { retentionMs?: number } }).timeline?.retentionMs ?? 90 * 86_400_000;
  const retention: Actor = {
    name: 'timeline-retention',
    async run(signal) {
      while (!signal.aborted) {
        try {
          const removed = store.pruneTimeline(new Date(clock.now() - retentionMs).toISOString());
          if (removed > 0) log.info({ removed, retentionDays: retentionMs / 86_400_000 }, 'timeline: old entries pruned');
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'timeline: could not prune');
        }
        await sleepUnlessAborted(86_400_000, signal, clock);
      }
    },
  };

  const http = new AgentHttpServer({
    host: config.listen.host,
    port: config.listen.port,
    token: config.http?.token ?? null,
    metrics: async () => metrics.render(),
    health: () => {
      const s = controller.status;
      const fresh = queue.lastSuccessAt !== null && clock.now() - queue.lastSuccessAt < config.resyncMs * 3;
      return {
        ok: fresh,
        detail: { engineUp: s.engineUp, lastReconcileAt: s.lastReconcileAt, maintenance: maintenanceActive, ...(s.error ? { error: s.error.message } : {}) },
      };
    },
    status: () => ({ ...controller.status, maintenance: maintenanceActive, alertsFiring: alerts.firing(), activeAlerts: alerts.activeKeys() }),
    page: statusPageLoader({
      store,
      checks: checkHistory,
      token: config.http?.token ?? null,
      version: deps.version,
      listenHost: config.listen.host,
      clock,
      requestRecovery: () => {
        controller.requestRecovery('manual');
        queue.trigger('recovery:manual');
      },
      acknowledgeAlert: (key, by, now, firingSince) => alerts.acknowledge(key, by, now, firingSince),
      live: () => ({
        host: controller.lastHost,
        engineUp: controller.status.engineUp,
        engineConnectedSince: watcher.connectedSince,
        agentStartedAt: startedAt,
        agentVersion: deps.version,
        lastReconcileAt: controller.status.lastReconcileAt,
        error: controller.status.error,
        rows: controller.status.containers,
        hostFacts: lastHostFacts,
        alerts: alerts.alertStates(),
      }),
    }),
  });

  const hostFacts = new HostFactsWatcher({
    log,
    clock,
    ...(deps.readHostFacts
      ? { read: deps.readHostFacts }
      : deps.stateDir !== undefined
        ? {
            read: (signal: AbortSignal) =>
              readHostFacts({
                simulate: (mode) => simulateUpgradeCached(mode, { stateDir: deps.stateDir!, upkeepVersion: deps.version, signal }).then((r) => r.text),
              }),
          }
        : {}),
    onFacts: (f) => {
      lastHostFacts = f;
      metrics.setPendingUpgrades(f.pendingUpgrades);
      metrics.setRebootRequired(f.rebootRequired);
    },
  });
  // The fleet Prometheus' listener (metrics.listen, metrics.web_config: TLS and basic auth), when configured.
  const metricsHttp = config.metrics
    ? new MetricsServer({
        host: config.metrics.listen.host,
        port: config.metrics.listen.port,
        webConfigFile: config.metrics.webConfig,
        metrics: () => metrics.render(),
      })
    : null;
  const actors: Actor[] = [watcher, maintenanceWatch, checker, queue, clusterVerifier, outbox, http, hostFacts, retention, silences, ...resenders];
  if (metricsHttp) {
    actors.push(metricsHttp);
    void metricsHttp.listening.then(
      () => {
        const a = metricsHttp.address();
        if (a) log.info({ address: `${a.host}:${a.port}`, tls: a.tls }, 'metrics for Prometheus listening');
      },
      () => undefined,
    );
  }
  if (config.heartbeat)
    actors.push(new Heartbeat({ url: config.heartbeat.url, intervalMs: config.heartbeat.intervalMs, log, clock, onOk: (at) => metrics.setHeartbeatOk(at) }));

  const run = async (signal: AbortSignal): Promise<void> => {
    log.info(
      { version: deps.version, engine: engine.endpoint.display, listen: `${config.listen.host}:${config.listen.port}`, channels: [...notifiers.keys()] },
      'upkeep agent starting',
    );
    void http.listening.then(
      () => {
        const a = http.address();
        if (a) {
          log.info({ address: `${a.host}:${a.port}` }, 'metrics and status listening');
          deps.onListening?.(a);
        }
      },
      () => undefined,
    );
    // An `upkeep upgrade --reboot` run waiting for this boot is finished first, in its window.
    await resumeUpgradeAtStart({
      store,
      engine,
      log,
      clock,
      readBoot: deps.readBoot ?? readBoot,
      services: config.services,
      ...(deps.readDaemonProcesses ? { readDaemonProcesses: deps.readDaemonProcesses } : {}),
    });
    try {
      await runActors(actors, signal, log, [
        'event-watcher',
        'maintenance',
        'health-checks',
        'heartbeat',
        'host-facts',
        'timeline-retention',
        'cluster-verifier',
        'reconciler',
        'outbox',
        'silences',
        ...resenders.map((a) => a.name),
        'metrics-http',
        'http',
      ]);
    } finally {
      controller.stop();
      alerts.persist();
      for (const n of notifiers.values()) (n as { close?: () => void }).close?.();
      log.info({}, 'upkeep agent stopped');
    }
  };
  return { parts: { controller, queue, watcher, outbox, alerts, metrics, http, checker, metricsHttp }, run };
}

/** fs.watch on a directory, or a no-op (with a log line) where it cannot be watched: the poll remains. */
function watchDirectory(dir: string, log: AgentLog): (onChange: () => void) => () => void {
  return (onChange) => {
    try {
      const w = watch(dir, { persistent: false }, () => onChange());
      w.on('error', () => undefined);
      return () => w.close();
    } catch (err) {
      log.warn({ dir, err: (err as Error).message }, 'cannot watch the state directory: maintenance windows are polled');
      return () => undefined;
    }
  };
}
