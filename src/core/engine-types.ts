/**
 * The parts of the Docker Engine API's JSON that upkeep reads (API 1.41 to 1.52).
 * Only fields upkeep uses are declared; everything else passes through untyped.
 */

export interface EngineContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  State: string;
  Status: string;
  Labels: Record<string, string> | null;
  Created: number;
}

export interface EngineRestartPolicy {
  Name: string;
  MaximumRetryCount?: number;
}

export interface EngineHealthcheck {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

export interface EngineContainerInspect {
  Id: string;
  Name: string;
  Image: string;
  Created: string;
  RestartCount: number;
  State: {
    Status: string;
    Running: boolean;
    Paused: boolean;
    Restarting: boolean;
    OOMKilled: boolean;
    Dead: boolean;
    Pid: number;
    ExitCode: number;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
    Health?: { Status: string; FailingStreak: number; Log?: unknown[] };
  };
  Config: {
    Image: string;
    Labels: Record<string, string> | null;
    Env?: string[] | null;
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    StopSignal?: string;
    StopTimeout?: number;
    Healthcheck?: EngineHealthcheck;
    ExposedPorts?: Record<string, unknown> | null;
    [key: string]: unknown;
  };
  HostConfig: {
    RestartPolicy: EngineRestartPolicy;
    AutoRemove: boolean;
    NetworkMode?: string;
    PortBindings?: Record<string, unknown> | null;
    Binds?: string[] | null;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface EngineInfo {
  ID: string;
  Name: string;
  ServerVersion: string;
  DockerRootDir: string;
  LiveRestoreEnabled: boolean;
  Containers: number;
  ContainersRunning: number;
  [key: string]: unknown;
}

export interface EngineVersion {
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
  [key: string]: unknown;
}

/** One message from GET /events. */
export interface EngineEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope?: string;
  time: number;
  timeNano: number;
  /** Legacy fields still sent by 1.41 engines. */
  status?: string;
  id?: string;
  from?: string;
}

/** The flags only the daemon's own config.v2.json has (not in the Engine API). */
export interface DaemonOnlyFlags {
  manuallyStopped: boolean | null;
  startedBefore: boolean | null;
}
