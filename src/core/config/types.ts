/**
 * The agent's configuration, as the rest of upkeep sees it after loading and validation
 * (src/core/config/schema.ts turns the YAML file into this; durations are milliseconds, every
 * default filled in). The file itself uses snake_case keys and durations like "30s" (docs/config.md).
 * Zero config is valid: `defaultConfig()` is what an empty or missing file means.
 */

/** What the agent may do when a desired container stops. */
export type HealMode =
  /** Heal it unless the operator stopped it through the API while the daemon kept running (default). */
  | 'desired'
  /** Heal it even after an operator stop. */
  | 'always'
  /** Never start it; only alert. */
  | 'never';

export interface HttpCheck {
  type: 'http';
  url: string;
  /** Expected status; default 200. */
  status: number;
  /** The body must contain this text, if set. */
  bodyContains: string | null;
}

export interface TcpCheck {
  type: 'tcp';
  host: string;
  port: number;
}

/** The container's own Docker HEALTHCHECK (health_status events / inspect). */
export interface DockerHealthCheck {
  type: 'docker';
}

export type HealthCheckSpec = (HttpCheck | TcpCheck | DockerHealthCheck) & {
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive failures before the check counts as failing. */
  failures: number;
  /** Consecutive successes before a failing check counts as passing again. */
  successes: number;
};

/** What the agent does when one of a service's checks counts as failing. */
export type UnhealthyAction =
  /** Alert only (default): a failing check may be a dependency's fault, not the container's. */
  | 'alert'
  /** Alert and restart the container (docker-autoheal's behaviour), within the crash-loop limit. */
  | 'restart';

export interface ServiceConfig {
  /** Container name (`lapis`) or compose `project/service` (`srsilo/lapisOpen`). */
  name: string;
  heal: HealMode;
  onUnhealthy: UnhealthyAction;
  checks: HealthCheckSpec[];
}

export type ChannelConfig =
  /** `group`: what happens together arrives as one message (the config file's default); false: one message per alert (machine receivers). */
  | { type: 'webhook'; name: string; url: string; secret: string | null; headers: Record<string, string>; group?: boolean }
  | { type: 'slack'; name: string; url: string }
  /**
   * Prometheus Alertmanager (API v2): firing alerts re-sent every `resendMs` (keep it under
   * Alertmanager's resolve_timeout), resolved with endsAt; `silence`: a silence for the host while
   * a maintenance window is open. `externalUrl`: the agent's page as others reach it (generatorURL);
   * null: http://LISTEN/.
   */
  | {
      type: 'alertmanager';
      name: string;
      url: string;
      auth: { user: string; password: string } | { bearer: string } | null;
      resendMs: number;
      silence: boolean;
      externalUrl: string | null;
      labels: Record<string, string>;
    }
  | { type: 'ntfy'; name: string; url: string; token: string | null }
  | {
      type: 'email';
      name: string;
      host: string;
      port: number;
      secure: boolean;
      user: string | null;
      password: string | null;
      from: string;
      to: string[];
    };

export interface UpkeepConfig {
  /** Where the state database lives; null: the default (see state-dir.ts). */
  stateDir: string | null;
  /** The agent's HTTP listener for /metrics and /healthz: host and port. Default 127.0.0.1:9465. */
  listen: { host: string; port: number };
  logFormat: 'json' | 'pretty';
  heal: {
    /** Default heal mode for containers not named under `services`. Default 'desired'. */
    default: HealMode;
    /** Crash loop: this many heals within `crashLoopWindowMs` -> give up and alert. Default 5 in 2 min. */
    crashLoopRestarts: number;
    crashLoopWindowMs: number;
    /** Backoff between heal attempts of one container. Default 1 s .. 60 s. */
    backoffInitialMs: number;
    backoffMaxMs: number;
  };
  recovery: {
    /** After the engine comes back, wait this long for Docker's own restarts. Default 10 s. */
    graceMs: number;
    readyTimeoutMs: number;
    runningForMs: number;
    concurrency: number;
    /** After a recovery pass started k3d nodes, how long their cluster may take to be ready. Default 120 s. */
    clusterTimeoutMs: number;
  };
  /** Full re-list even without events. Default 60 s. */
  resyncMs: number;
  services: ServiceConfig[];
  alerts: {
    /** How long a condition holds before the alert fires. Default 0. */
    forMs: number;
    /** Reminder interval while firing; 0 none. Default 4 h. */
    repeatMs: number;
    channels: ChannelConfig[];
  };
  /** Dead-man's switch: GET this URL every interval. */
  heartbeat: { url: string; intervalMs: number } | null;
  preflight: {
    /** Let `upkeep preflight --hook` stop apt when something will not come back. Default false. */
    block: boolean;
  };
  /**
   * The agent's HTTP listener's access rule: requests from loopback peers get every page; requests
   * from other hosts get /metrics and /status (and later pages naming containers) only with
   * `Authorization: Bearer <token>`; without a token, never (403). /healthz is open. Default null.
   */
  http: { token: string | null };
  /**
   * A second listener for a fleet Prometheus: /metrics only, on `listen`, protected by the exporter
   * web configuration file `webConfig` (TLS and basic auth, the format of node_exporter's
   * --web.config.file); null: none (the main listener's /metrics, with http.token, remains).
   */
  metrics?: { listen: { host: string; port: number }; webConfig: string | null } | null;
  /** The timeline (state database) keeps records this long; the agent prunes daily. Default 90 days. */
  timeline: { retentionMs: number };
  /**
   * How to reach each k3d cluster's Kubernetes API to verify it after a recovery, by cluster name
   * (the `k3d.cluster` label). A cluster not named here is read with kubectl's own default (the
   * `KUBECONFIG` environment variable, else ~/.kube/config, where k3d writes it) and context `k3d-NAME`.
   */
  clusters: ClusterConfig[];
}

export interface ClusterConfig {
  /** The k3d cluster's name. */
  name: string;
  /** The kubeconfig file; null: kubectl's default. */
  kubeconfig: string | null;
  /** The context in it; null: `k3d-NAME`, the one k3d writes. */
  context: string | null;
}

export function defaultConfig(): UpkeepConfig {
  return {
    stateDir: null,
    listen: { host: '127.0.0.1', port: 9465 },
    logFormat: 'json',
    heal: { default: 'desired', crashLoopRestarts: 5, crashLoopWindowMs: 120_000, backoffInitialMs: 1_000, backoffMaxMs: 60_000 },
    recovery: { graceMs: 10_000, readyTimeoutMs: 120_000, runningForMs: 5_000, concurrency: 8, clusterTimeoutMs: 120_000 },
    resyncMs: 60_000,
    services: [],
    alerts: { forMs: 0, repeatMs: 4 * 3_600_000, channels: [] },
    heartbeat: null,
    preflight: { block: false },
    http: { token: null },
    timeline: { retentionMs: 90 * 86_400_000 },
    clusters: [],
  };
}

/** The config file a default install writes, and where the agent looks without --config. */
export const DEFAULT_CONFIG_PATH = '/etc/upkeep/upkeep.yml';
