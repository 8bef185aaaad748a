/**
 * The facts upkeep reasons about, independent of where they were read from.
 * Adapters build these from the Docker Engine API and the daemon's own files;
 * everything in src/core takes them as plain data.
 */

/** Docker's restart policy names, as the Engine API spells them ("" is read as "no"). */
export type RestartPolicyName = 'no' | 'always' | 'unless-stopped' | 'on-failure';

export interface RestartPolicy {
  name: RestartPolicyName;
  /** Only meaningful for on-failure; 0 means "no limit". */
  maximumRetryCount: number;
}

/** Container states as the Engine API reports them in State.Status. */
export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ComposeIdentity {
  project: string;
  service: string;
  /** Container number within the service (compose's `--scale`), when labelled. */
  containerNumber: number | null;
  workingDir: string | null;
  /** Config files as compose wrote them in the label (v1: relative to workingDir; v2: absolute). */
  configFiles: string[];
  /** Services this one depends on (compose v2 `com.docker.compose.depends_on` label), names only. */
  dependsOn: string[];
  /** True for `docker compose run` containers. */
  oneOff: boolean;
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy' | 'none';

/** One container, with everything that decides whether it survives maintenance. */
export interface ContainerFacts {
  id: string;
  /** Name without the leading slash. */
  name: string;
  image: string;
  imageId: string;
  state: ContainerState;
  exitCode: number | null;
  restartPolicy: RestartPolicy;
  /** Docker's RestartCount (not increased by restarts at daemon start). */
  restartCount: number;
  /**
   * `HasBeenManuallyStopped` from the daemon's config.v2.json: true, false, or null when that
   * file could not be read (it is root-only, and absent for a remote engine).
   */
  manuallyStopped: boolean | null;
  /** `HasBeenStartedBefore` from config.v2.json, or null when unreadable. */
  startedBefore: boolean | null;
  /** The signal `docker stop` and a daemon shutdown send first (StopSignal), e.g. "SIGTERM". */
  stopSignal: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /**
   * State.Error: why the last start of it failed (a bind-mount source missing, a port taken), or
   * null/absent when its last start succeeded (every successful start clears it).
   */
  startError?: string | null;
  /** Health from the container's own HEALTHCHECK, or null when it has none. */
  health: { status: HealthStatus; failingStreak: number } | null;
  compose: ComposeIdentity | null;
  labels: Record<string, string>;
  autoRemove: boolean;
}

/** Facts about the daemon that change the outcome for every container. */
export interface DaemonFacts {
  /** `live-restore` from /info: containers keep running while dockerd is down. */
  liveRestore: boolean;
  /** e.g. "20.10.24+dfsg1" or "29.0.2". */
  serverVersion: string;
  apiVersion: string;
  /** DockerRootDir from /info. */
  rootDir: string;
}

/** The lifecycle events upkeep predicts for. */
export type LifecycleEvent =
  /** dockerd stopped gracefully and started again (apt restarting docker.service). */
  | 'daemon-restart'
  /** dockerd killed without shutdown (SIGKILL, OOM kill, power loss), then started again. */
  | 'daemon-crash'
  /** A clean host reboot: a graceful daemon stop, then a daemon start at boot. */
  | 'reboot'
  /** The operator ran `docker stop` on it, then the daemon restarted. */
  | 'daemon-restart-after-manual-stop';

export const LIFECYCLE_EVENTS: readonly LifecycleEvent[] = ['daemon-restart', 'daemon-crash', 'reboot', 'daemon-restart-after-manual-stop'];

export type Outcome = 'back' | 'not-back' | 'unknown';

/** A prediction for one container and one event. `reason` is a sentence for a person. */
export interface Prediction {
  outcome: Outcome;
  reason: string;
}
