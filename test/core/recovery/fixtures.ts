/**
 * Builders for recovery tests: Engine API inspect JSON shaped like a real 20.10 engine's, turned
 * into ContainerFacts by the real converter, and desired containers built from them.
 */
import { COMPOSE_LABEL, toContainerFacts } from '../../../src/core/container-facts.js';
import type { EngineContainerInspect } from '../../../src/core/engine-types.js';
import type { ContainerFacts, ContainerState } from '../../../src/core/model.js';
import { toDesiredContainer, type DesiredContainer } from '../../../src/core/recovery/desired-state.js';

export interface ContainerSpec {
  name: string;
  id?: string;
  image?: string;
  state?: ContainerState;
  exitCode?: number;
  restart?: string;
  labels?: Record<string, string>;
  env?: string[];
  cmd?: string[];
  health?: string | null;
  healthcheck?: string[] | null;
  compose?: { project: string; service: string; number?: number; workingDir?: string | null; files?: string[]; dependsOn?: string };
  hostConfig?: Record<string, unknown>;
  config?: Record<string, unknown>;
  networks?: Record<string, Record<string, unknown>>;
  startedAt?: string;
  finishedAt?: string;
}

let counter = 0;

/** A 64-hex container id derived from a name (stable within a test run). */
export function idFor(name: string, salt = ''): string {
  let h = 0;
  for (const ch of `${name}${salt}`) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return (h.toString(16).padStart(8, '0') + (counter++).toString(16).padStart(8, '0')).repeat(4).slice(0, 64);
}

export function inspectOf(spec: ContainerSpec): EngineContainerInspect {
  const id = spec.id ?? idFor(spec.name);
  const state = spec.state ?? 'running';
  const labels: Record<string, string> = { ...(spec.labels ?? {}) };
  if (spec.compose) {
    labels[COMPOSE_LABEL.project] = spec.compose.project;
    labels[COMPOSE_LABEL.service] = spec.compose.service;
    labels[COMPOSE_LABEL.containerNumber] = String(spec.compose.number ?? 1);
    labels[COMPOSE_LABEL.oneOff] ??= 'False';
    if (spec.compose.workingDir !== null) labels[COMPOSE_LABEL.workingDir] = spec.compose.workingDir ?? `/srv/${spec.compose.project}`;
    labels[COMPOSE_LABEL.configFiles] = (spec.compose.files ?? [`/srv/${spec.compose.project}/docker-compose.yml`]).join(',');
    if (spec.compose.dependsOn !== undefined) labels[COMPOSE_LABEL.dependsOn] = spec.compose.dependsOn;
  }
  const [policy, max] = (spec.restart ?? 'no').split(':');
  return {
    Id: id,
    Name: `/${spec.name}`,
    Image: `sha256:${'ab'.repeat(32)}`,
    Created: '2025-11-20T10:00:00.000000000Z',
    RestartCount: 0,
    State: {
      Status: state,
      Running: state === 'running',
      Paused: state === 'paused',
      Restarting: state === 'restarting',
      OOMKilled: false,
      Dead: state === 'dead',
      Pid: state === 'running' ? 1234 : 0,
      ExitCode: spec.exitCode ?? 0,
      Error: '',
      StartedAt: spec.startedAt ?? '2025-11-20T10:00:01.000000000Z',
      FinishedAt: spec.finishedAt ?? (state === 'running' ? '0001-01-01T00:00:00Z' : '2025-11-20T15:00:00.000000000Z'),
      ...(spec.health ? { Health: { Status: spec.health, FailingStreak: 0, Log: [] } } : {}),
    },
    Config: {
      Hostname: id.slice(0, 12),
      Domainname: '',
      User: '',
      Image: spec.image ?? 'busybox:local',
      Labels: labels,
      Env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: spec.cmd ?? ['sleep', '100000'],
      Entrypoint: null,
      WorkingDir: '',
      StopSignal: 'SIGTERM',
      ...(spec.healthcheck ? { Healthcheck: { Test: spec.healthcheck, Interval: 1_000_000_000, Retries: 3 } } : {}),
      ...(spec.config ?? {}),
    },
    HostConfig: {
      RestartPolicy: { Name: policy === 'no' ? '' : (policy as string), MaximumRetryCount: max ? Number(max) : 0 },
      AutoRemove: false,
      NetworkMode: 'host',
      Binds: null,
      PortBindings: {},
      LogConfig: { Type: 'json-file', Config: {} },
      ShmSize: 67108864,
      Memory: 0,
      CpuShares: 0,
      Privileged: false,
      MaskedPaths: ['/proc/asound'],
      ReadonlyPaths: ['/proc/bus'],
      ...(spec.hostConfig ?? {}),
    },
    NetworkSettings: { Networks: spec.networks ?? { host: { Aliases: null, IPAMConfig: null } } },
  };
}

export function factsOf(spec: ContainerSpec): ContainerFacts {
  return toContainerFacts(inspectOf(spec), { manuallyStopped: null, startedBefore: null });
}

/** The pair buildSnapshot takes. */
export function pairOf(spec: ContainerSpec): { facts: ContainerFacts; inspect: EngineContainerInspect } {
  const inspect = inspectOf(spec);
  return { facts: toContainerFacts(inspect, { manuallyStopped: null, startedBefore: null }), inspect };
}

/** A desired container as a snapshot of `spec` (taken while it ran) would hold it. */
export function desiredOf(spec: ContainerSpec): DesiredContainer {
  const inspect = inspectOf({ ...spec, state: 'running' });
  return toDesiredContainer(toContainerFacts(inspect, { manuallyStopped: null, startedBefore: null }), inspect);
}

/** The same container as it exists now (same id unless given), in another state. */
export function actualOf(desired: DesiredContainer, state: ContainerState, extra: Partial<ContainerSpec> = {}): ContainerFacts {
  return factsOf({
    name: desired.name,
    id: desired.id,
    state,
    exitCode: state === 'exited' ? 137 : 0,
    labels: desired.createConfig.Labels ?? {},
    health: desired.healthcheck ? (state === 'running' ? 'healthy' : null) : null,
    ...extra,
  });
}
