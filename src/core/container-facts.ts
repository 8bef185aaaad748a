/**
 * Turns the Engine API's inspect output (plus the daemon-only flags) into ContainerFacts.
 */
import type { DaemonOnlyFlags, EngineContainerInspect, EngineInfo } from './engine-types.js';
import type { ComposeIdentity, ContainerFacts, ContainerState, DaemonFacts, HealthStatus, RestartPolicy, RestartPolicyName } from './model.js';

const STATES: readonly ContainerState[] = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];

export const COMPOSE_LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  containerNumber: 'com.docker.compose.container-number',
  oneOff: 'com.docker.compose.oneoff',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  dependsOn: 'com.docker.compose.depends_on',
} as const;

/** Normalises the Engine API's policy ("" means "no"; unknown names are kept as "no" with no retries). */
export function toRestartPolicy(p: { Name?: string; MaximumRetryCount?: number } | undefined): RestartPolicy {
  const name = (p?.Name ?? '') === '' ? 'no' : (p?.Name as string);
  const known: RestartPolicyName[] = ['no', 'always', 'unless-stopped', 'on-failure'];
  const policyName = (known as string[]).includes(name) ? (name as RestartPolicyName) : 'no';
  return { name: policyName, maximumRetryCount: policyName === 'on-failure' ? (p?.MaximumRetryCount ?? 0) : 0 };
}

/** "on-failure:3", "always", ... as compose files and `docker run --restart` spell it. */
export function formatRestartPolicy(p: RestartPolicy): string {
  return p.name === 'on-failure' && p.maximumRetryCount > 0 ? `on-failure:${p.maximumRetryCount}` : p.name;
}

/**
 * The compose v2 depends_on label: "redis:service_healthy:false,silo:service_started:true".
 * Returns the service names.
 */
export function parseDependsOnLabel(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return [];
  return value
    .split(',')
    .map((part) => part.split(':')[0]?.trim() ?? '')
    .filter((s) => s !== '');
}

export function composeIdentity(labels: Record<string, string>): ComposeIdentity | null {
  const project = labels[COMPOSE_LABEL.project];
  const service = labels[COMPOSE_LABEL.service];
  if (project === undefined || service === undefined) return null;
  const number = Number.parseInt(labels[COMPOSE_LABEL.containerNumber] ?? '', 10);
  const files = labels[COMPOSE_LABEL.configFiles];
  return {
    project,
    service,
    containerNumber: Number.isFinite(number) ? number : null,
    workingDir: labels[COMPOSE_LABEL.workingDir] ?? null,
    configFiles: files === undefined || files === '' ? [] : files.split(','),
    dependsOn: parseDependsOnLabel(labels[COMPOSE_LABEL.dependsOn]),
    oneOff: (labels[COMPOSE_LABEL.oneOff] ?? '').toLowerCase() === 'true',
  };
}

function nullIfZeroTime(t: string | undefined): string | null {
  return t === undefined || t === '' || t.startsWith('0001-01-01') ? null : t;
}

export function toContainerFacts(inspect: EngineContainerInspect, flags: DaemonOnlyFlags): ContainerFacts {
  const labels = inspect.Config.Labels ?? {};
  const status = inspect.State.Status as ContainerState;
  const health = inspect.State.Health;
  const state: ContainerState = STATES.includes(status) ? status : inspect.State.Running ? 'running' : 'exited';
  return {
    id: inspect.Id,
    name: inspect.Name.replace(/^\//, ''),
    image: inspect.Config.Image,
    imageId: inspect.Image,
    state,
    exitCode: state === 'running' || state === 'created' ? null : inspect.State.ExitCode,
    restartPolicy: toRestartPolicy(inspect.HostConfig.RestartPolicy),
    restartCount: inspect.RestartCount ?? 0,
    manuallyStopped: flags.manuallyStopped,
    startedBefore: flags.startedBefore,
    stopSignal: inspect.Config.StopSignal && inspect.Config.StopSignal !== '' ? inspect.Config.StopSignal : null,
    startedAt: nullIfZeroTime(inspect.State.StartedAt),
    finishedAt: nullIfZeroTime(inspect.State.FinishedAt),
    startError: state !== 'running' && typeof inspect.State.Error === 'string' && inspect.State.Error !== '' ? inspect.State.Error : null,
    health: health ? { status: (health.Status as HealthStatus) ?? 'none', failingStreak: health.FailingStreak ?? 0 } : null,
    compose: composeIdentity(labels),
    labels,
    autoRemove: inspect.HostConfig.AutoRemove === true,
  };
}

export function toDaemonFacts(info: EngineInfo, apiVersion: string): DaemonFacts {
  return {
    liveRestore: info.LiveRestoreEnabled === true,
    serverVersion: info.ServerVersion,
    apiVersion,
    rootDir: info.DockerRootDir,
  };
}

/** Reads the two daemon-only flags from the text of a container's config.v2.json. */
export function parseDaemonOnlyFlags(configV2Json: string): DaemonOnlyFlags {
  const parsed = JSON.parse(configV2Json) as { HasBeenManuallyStopped?: unknown; HasBeenStartedBefore?: unknown };
  return {
    manuallyStopped: typeof parsed.HasBeenManuallyStopped === 'boolean' ? parsed.HasBeenManuallyStopped : false,
    startedBefore: typeof parsed.HasBeenStartedBefore === 'boolean' ? parsed.HasBeenStartedBefore : false,
  };
}
