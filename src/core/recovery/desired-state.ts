/**
 * The desired state: what should be running on a host, recorded by `upkeep snapshot` from the
 * containers that run now, with everything needed to bring each one back (start it, re-create it
 * through compose, or re-create it through the Engine API from its saved create configuration).
 *
 * Pure: built from ContainerFacts and the Engine API's inspect JSON; the store persists it.
 * Environment values are kept (a re-created container needs them) but are secrets: anything that
 * prints a snapshot goes through maskSecrets (mask-secrets.ts).
 */
import { COMPOSE_LABEL } from '../container-facts.js';
import { declaredRole, jobByLabels, ROLE_LABEL } from '../job.js';
import type { EngineContainerInspect, EngineHealthcheck } from '../engine-types.js';
import { UsageError } from '../errors.js';
import type { ContainerFacts, RestartPolicy } from '../model.js';
import { parseComposeDependsOn, parseUpkeepDependsOn, type Dependency } from './depends-on.js';
import { compareText } from '../text-order.js';

/** upkeep's own labels. */
export const UPKEEP_LABEL = {
  /** `upkeep.role=job`: a container that runs to completion; never desired-running (core/job.ts). */
  role: ROLE_LABEL,
  /** `upkeep.depends-on=name[:condition],...`: start order for containers compose does not manage. */
  dependsOn: 'upkeep.depends-on',
} as const;

/** A Docker engine, as /info identifies it: `ID` (stable per engine install) and `Name` (host name). */
export interface HostIdentity {
  id: string;
  name: string;
}

/**
 * The body of POST /containers/create that re-creates a removed standalone container as it ran.
 * Field names are the Engine API's. Only what inspect reports and create accepts is kept; values
 * the daemon fills in by itself (a generated Hostname, masked/read-only path defaults) are left out.
 */
export interface CreateConfig {
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[];
  /** "KEY=value" entries. Secrets: never print them (maskSecrets). */
  Env?: string[];
  Labels?: Record<string, string>;
  WorkingDir?: string;
  User?: string;
  Hostname?: string;
  Domainname?: string;
  ExposedPorts?: Record<string, unknown>;
  Volumes?: Record<string, unknown>;
  Healthcheck?: EngineHealthcheck;
  StopSignal?: string;
  StopTimeout?: number;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  NetworkDisabled?: boolean;
  HostConfig: CreateHostConfig;
  /** The endpoint of the primary network (HostConfig.NetworkMode) when it is a user-defined network. */
  NetworkingConfig?: { EndpointsConfig: Record<string, EndpointConfig> };
}

/** HostConfig as create takes it; the commonly used fields are typed, the others pass through. */
export interface CreateHostConfig {
  Binds?: string[];
  Mounts?: unknown[];
  PortBindings?: Record<string, unknown>;
  NetworkMode?: string;
  RestartPolicy?: { Name: string; MaximumRetryCount?: number };
  AutoRemove?: boolean;
  [key: string]: unknown;
}

/** A network endpoint as create (NetworkingConfig) and network connect take it. */
export interface EndpointConfig {
  Aliases?: string[];
  IPAMConfig?: Record<string, unknown>;
  Links?: string[];
  DriverOpts?: Record<string, string>;
}

/** A network a container is attached to, besides the primary one. Connect it before the start. */
export interface NetworkAttachment {
  network: string;
  endpoint: EndpointConfig;
}

/** Compose's identity of a desired container, with depends_on conditions. */
export interface DesiredCompose {
  project: string;
  service: string;
  containerNumber: number | null;
  workingDir: string | null;
  /** As compose wrote them (v1: relative to workingDir; v2: absolute). */
  configFiles: string[];
  dependsOn: Dependency[];
}

/** One container of the desired state. */
export interface DesiredContainer {
  desired: true;
  /** The container's id when the snapshot was taken (it changes when the container is re-created). */
  id: string;
  name: string;
  /** The image as it was asked for (Config.Image), e.g. "redis:7". */
  image: string;
  /** The image id it ran ("sha256:..."). */
  imageId: string;
  compose: DesiredCompose | null;
  /** From `upkeep.depends-on` (container names); compose dependencies are in `compose.dependsOn`. */
  dependsOn: Dependency[];
  restartPolicy: RestartPolicy;
  /** The effective healthcheck (image or container), or null when it has none or it is disabled. */
  healthcheck: EngineHealthcheck | null;
  /** Networks to connect after create, besides the primary one in createConfig. */
  extraNetworks: NetworkAttachment[];
  createConfig: CreateConfig;
}

/** A desired state as saved: taken on one host at one time. */
export interface Snapshot {
  host: HostIdentity;
  /** ISO 8601 (UTC). */
  takenAt: string;
  note: string | null;
  containers: DesiredContainer[];
}

/** A name removed from the desired state by `upkeep forget`, and when (ISO 8601). */
export interface ForgottenEntry {
  name: string;
  at: string;
}

/** A container the operator stopped on purpose while the engine ran (the agent saw it), and when. */
export interface IntendedStop {
  name: string;
  /** ISO 8601: when it stopped. */
  at: string;
  reason: string;
}

/**
 * The desired state, the one answer every command and the agent give to "what should run here":
 * the newest snapshot of this engine, minus what `upkeep forget` removed since, minus what the
 * operator stopped on purpose after the snapshot was taken (a newer snapshot with the container
 * running supersedes an older stop).
 */
export interface DesiredState {
  snapshot: { id: number; host: HostIdentity; takenAt: string; note: string | null };
  /** Still desired. */
  containers: DesiredContainer[];
  /** In the snapshot, forgotten since. */
  forgotten: ForgottenEntry[];
  /** In the snapshot, stopped on purpose since (`upkeep want NAME` makes one desired again). */
  operatorStopped: IntendedStop[];
}

/** Applies the operator's stops to a snapshot read back (forgotten names already removed). Pure. */
export function desiredStateOf(snapshot: Snapshot & { id: number; forgotten: readonly ForgottenEntry[] }, stops: readonly IntendedStop[]): DesiredState {
  const takenAt = Date.parse(snapshot.takenAt);
  const effective = new Map(stops.filter((s) => Date.parse(s.at) >= takenAt).map((s) => [s.name, s]));
  const operatorStopped: IntendedStop[] = [];
  const containers: DesiredContainer[] = [];
  for (const c of snapshot.containers) {
    const stop = effective.get(c.name);
    if (stop === undefined) containers.push(c);
    else operatorStopped.push({ name: stop.name, at: stop.at, reason: stop.reason });
  }
  return {
    snapshot: { id: snapshot.id, host: snapshot.host, takenAt: snapshot.takenAt, note: snapshot.note },
    containers,
    forgotten: [...snapshot.forgotten],
    operatorStopped,
  };
}

/** A container that was not put into the desired state, and why. */
export interface ExcludedContainer {
  name: string;
  reason: 'job' | 'compose-one-off' | 'not-running' | 'paused';
  detail: string;
}

/** The result of buildSnapshot: the snapshot and what it left out. */
export interface BuiltSnapshot {
  snapshot: Snapshot;
  excluded: ExcludedContainer[];
  /** Names taken over unchanged from `previous` because `only` did not select them. */
  carriedOver: string[];
}

/** True for a container that runs to completion: `upkeep.role=job`, or a `docker compose run` container. */
export function isJob(labels: Record<string, string>): boolean {
  return jobByLabels(labels) !== null;
}

/** Whether `only` (compose project or container names) selects this container. */
export function selects(only: readonly string[], c: { name: string; compose: { project: string } | null }): boolean {
  return only.includes(c.name) || (c.compose !== null && only.includes(c.compose.project));
}

/**
 * Builds the desired state from the containers that run now. Jobs (`upkeep.role=job`, compose
 * one-off containers) and anything not running are left out, with the reason.
 *
 * With `only` (compose projects or container names), only those are taken from what runs now; the
 * rest of the desired state is carried over from `previous` (the current desired state), so that
 * `upkeep snapshot --only PROJECT` never drops other projects. A name in `only` that matches no
 * container is a usage error.
 */
export function buildSnapshot(
  containers: ReadonlyArray<{ facts: ContainerFacts; inspect: EngineContainerInspect }>,
  opts: { host: HostIdentity; takenAt: string; only?: readonly string[]; previous?: Snapshot | null; note?: string | null },
): BuiltSnapshot {
  const only = opts.only !== undefined && opts.only.length > 0 ? opts.only : null;
  if (only !== null) {
    const unmatched = only.filter((o) => !containers.some(({ facts }) => selects([o], facts)));
    if (unmatched.length > 0) {
      throw new UsageError(`--only ${unmatched.join(', ')}: no container or compose project of that name on this engine`, {
        hint: 'see `upkeep status` for container names and compose projects',
      });
    }
  }
  const excluded: ExcludedContainer[] = [];
  const taken: DesiredContainer[] = [];
  for (const { facts, inspect } of containers) {
    if (only !== null && !selects(only, facts)) continue;
    const why = exclusion(facts);
    if (why !== null) {
      excluded.push(why);
      continue;
    }
    taken.push(toDesiredContainer(facts, inspect));
  }
  const carriedOver: string[] = [];
  if (only !== null && opts.previous) {
    const takenNames = new Set(taken.map((c) => c.name));
    for (const prev of opts.previous.containers) {
      if (selects(only, prev) || takenNames.has(prev.name)) continue;
      taken.push(prev);
      carriedOver.push(prev.name);
    }
  }
  taken.sort((a, b) => compareText(a.name, b.name));
  excluded.sort((a, b) => compareText(a.name, b.name));
  return {
    snapshot: { host: { ...opts.host }, takenAt: opts.takenAt, note: opts.note ?? null, containers: taken },
    excluded,
    carriedOver: carriedOver.sort(),
  };
}

function exclusion(facts: ContainerFacts): ExcludedContainer | null {
  if (declaredRole(facts.labels[UPKEEP_LABEL.role]) === 'job') {
    return { name: facts.name, reason: 'job', detail: `labelled ${UPKEEP_LABEL.role}=job: a job is never desired-running` };
  }
  if (facts.compose?.oneOff) {
    return { name: facts.name, reason: 'compose-one-off', detail: 'a `docker compose run` container: a job, never desired-running' };
  }
  if (facts.state === 'paused') {
    return { name: facts.name, reason: 'paused', detail: 'paused: unpause it and take the snapshot again to include it' };
  }
  if (facts.state !== 'running' && facts.state !== 'restarting') {
    const how = facts.state === 'exited' ? `exited (${facts.exitCode ?? '?'})` : facts.state;
    return { name: facts.name, reason: 'not-running', detail: `${how}: only running containers are desired` };
  }
  return null;
}

/** One container of the desired state, from its facts and its inspect JSON. */
export function toDesiredContainer(facts: ContainerFacts, inspect: EngineContainerInspect): DesiredContainer {
  const labels = facts.labels;
  return {
    desired: true,
    id: facts.id,
    name: facts.name,
    image: facts.image,
    imageId: facts.imageId,
    compose: facts.compose
      ? {
          project: facts.compose.project,
          service: facts.compose.service,
          containerNumber: facts.compose.containerNumber,
          workingDir: facts.compose.workingDir,
          configFiles: [...facts.compose.configFiles],
          dependsOn: parseComposeDependsOn(labels[COMPOSE_LABEL.dependsOn]),
        }
      : null,
    dependsOn: parseUpkeepDependsOn(labels[UPKEEP_LABEL.dependsOn]),
    restartPolicy: { ...facts.restartPolicy },
    healthcheck: effectiveHealthcheck(inspect.Config.Healthcheck),
    extraNetworks: extraNetworks(inspect),
    createConfig: toCreateConfig(inspect),
  };
}

/** A healthcheck that runs: null when absent, empty, or disabled (`Test: ["NONE"]`). */
export function effectiveHealthcheck(h: EngineHealthcheck | undefined | null): EngineHealthcheck | null {
  if (!h || !Array.isArray(h.Test) || h.Test.length === 0 || h.Test[0] === 'NONE') return null;
  return structuredClone(h);
}

const HOST_CONFIG_KEYS = [
  'Binds',
  'Mounts',
  'PortBindings',
  'NetworkMode',
  'RestartPolicy',
  'AutoRemove',
  'LogConfig',
  'VolumeDriver',
  'VolumesFrom',
  'Annotations',
  'CapAdd',
  'CapDrop',
  'CgroupnsMode',
  'Cgroup',
  'CgroupParent',
  'Dns',
  'DnsOptions',
  'DnsSearch',
  'ExtraHosts',
  'GroupAdd',
  'IpcMode',
  'OomScoreAdj',
  'PidMode',
  'Privileged',
  'PublishAllPorts',
  'ReadonlyRootfs',
  'SecurityOpt',
  'StorageOpt',
  'Tmpfs',
  'UTSMode',
  'UsernsMode',
  'ShmSize',
  'Sysctls',
  'Runtime',
  'Isolation',
  'CpuShares',
  'Memory',
  'NanoCpus',
  'BlkioWeight',
  'BlkioWeightDevice',
  'BlkioDeviceReadBps',
  'BlkioDeviceWriteBps',
  'BlkioDeviceReadIOps',
  'BlkioDeviceWriteIOps',
  'CpuPeriod',
  'CpuQuota',
  'CpuRealtimePeriod',
  'CpuRealtimeRuntime',
  'CpusetCpus',
  'CpusetMems',
  'Devices',
  'DeviceCgroupRules',
  'DeviceRequests',
  'MemoryReservation',
  'MemorySwap',
  'MemorySwappiness',
  'OomKillDisable',
  'PidsLimit',
  'Ulimits',
  'Init',
] as const;

/** Network modes that are not a user-defined network. */
function isBuiltinNetworkMode(mode: string | undefined): boolean {
  return mode === undefined || mode === '' || mode === 'default' || mode === 'bridge' || mode === 'host' || mode === 'none' || mode.startsWith('container:');
}

function present(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** Inspect shows links as "/redis:/web/db"; create takes "redis:db". */
function createLink(link: string): string {
  const [target, alias] = link.split(':');
  const name = (target ?? '').replace(/^\//, '');
  const aliasName = (alias ?? '').split('/').pop() ?? '';
  return aliasName === '' ? name : `${name}:${aliasName}`;
}

/** The create body that re-creates this container (see CreateConfig). */
export function toCreateConfig(inspect: EngineContainerInspect): CreateConfig {
  const cfg = inspect.Config;
  const hc = inspect.HostConfig;
  const out: CreateConfig = { Image: cfg.Image, HostConfig: {} };
  const copy = <K extends keyof CreateConfig>(key: K, value: unknown): void => {
    if (present(value)) out[key] = structuredClone(value) as CreateConfig[K];
  };
  copy('Cmd', cfg.Cmd);
  copy('Entrypoint', cfg.Entrypoint);
  copy('Env', cfg.Env);
  copy('Labels', cfg.Labels);
  copy('WorkingDir', cfg.WorkingDir);
  copy('User', cfg.User);
  copy('Domainname', cfg.Domainname);
  copy('ExposedPorts', cfg.ExposedPorts);
  copy('Volumes', cfg.Volumes);
  copy('Healthcheck', cfg.Healthcheck);
  copy('StopSignal', cfg.StopSignal);
  if (typeof cfg.StopTimeout === 'number') out.StopTimeout = cfg.StopTimeout;
  for (const flag of ['Tty', 'OpenStdin', 'StdinOnce', 'NetworkDisabled'] as const) {
    if (cfg[flag] === true) out[flag] = true;
  }
  // Docker names a container's host after its short id unless one was given: keep only a chosen one.
  const hostname = typeof cfg.Hostname === 'string' ? cfg.Hostname : '';
  const sharesUts = hc.NetworkMode === 'host' || (hc.NetworkMode ?? '').startsWith('container:');
  if (hostname !== '' && !inspect.Id.startsWith(hostname) && !sharesUts) out.Hostname = hostname;

  const hostConfig: Record<string, unknown> = out.HostConfig;
  for (const key of HOST_CONFIG_KEYS) {
    const value: unknown = hc[key];
    if (key === 'AutoRemove' || key === 'Privileged' || key === 'ReadonlyRootfs' || key === 'PublishAllPorts' || key === 'Init' || key === 'OomKillDisable') {
      if (value === true) hostConfig[key] = true;
      continue;
    }
    if (typeof value === 'number' && value === 0) continue;
    if (present(value)) hostConfig[key] = structuredClone(value);
  }
  const links = hc.Links;
  if (Array.isArray(links) && links.length > 0) out.HostConfig.Links = links.map((l) => createLink(String(l)));

  const mode = hc.NetworkMode;
  if (!isBuiltinNetworkMode(mode)) {
    const endpoint = endpointsOf(inspect)[mode as string];
    if (endpoint !== undefined) out.NetworkingConfig = { EndpointsConfig: { [mode as string]: endpoint } };
  }
  return out;
}

/** The user-defined networks of a container, as create/connect endpoint configs. */
function endpointsOf(inspect: EngineContainerInspect): Record<string, EndpointConfig> {
  const settings = inspect.NetworkSettings as { Networks?: Record<string, Record<string, unknown> | null> } | undefined;
  const networks = settings?.Networks ?? {};
  const shortId = inspect.Id.slice(0, 12);
  const out: Record<string, EndpointConfig> = {};
  for (const [name, ep] of Object.entries(networks)) {
    if (isBuiltinNetworkMode(name)) continue;
    const endpoint: EndpointConfig = {};
    const aliases = Array.isArray(ep?.Aliases) ? (ep.Aliases as string[]).filter((a) => a !== shortId && a !== inspect.Id) : [];
    if (aliases.length > 0) endpoint.Aliases = aliases;
    const ipam = ep?.IPAMConfig;
    if (ipam !== null && typeof ipam === 'object' && present(ipam)) endpoint.IPAMConfig = structuredClone(ipam as Record<string, unknown>);
    if (Array.isArray(ep?.Links) && ep.Links.length > 0) endpoint.Links = structuredClone(ep.Links as string[]);
    const driverOpts = ep?.DriverOpts;
    if (driverOpts !== null && typeof driverOpts === 'object' && present(driverOpts))
      endpoint.DriverOpts = structuredClone(driverOpts as Record<string, string>);
    out[name] = endpoint;
  }
  return out;
}

function extraNetworks(inspect: EngineContainerInspect): NetworkAttachment[] {
  const primary = inspect.HostConfig.NetworkMode;
  return Object.entries(endpointsOf(inspect))
    .filter(([name]) => name !== primary)
    .map(([network, endpoint]) => ({ network, endpoint }))
    .sort((a, b) => compareText(a.network, b.network));
}

/**
 * Checks the shape of a desired container read back from storage (JSON written by an earlier
 * run, possibly by another upkeep version). Returns a reason when it is unusable, else null.
 */
export function desiredContainerProblem(value: unknown): string | null {
  if (value === null || typeof value !== 'object') return 'not an object';
  const v = value as Record<string, unknown>;
  if (v.desired !== true) return 'missing "desired": true';
  for (const key of ['id', 'name', 'image', 'imageId'] as const) {
    if (typeof v[key] !== 'string') return `"${key}" is not a string`;
  }
  const cc = v.createConfig as Record<string, unknown> | null | undefined;
  if (cc === null || typeof cc !== 'object' || typeof cc.Image !== 'string' || cc.HostConfig === null || typeof cc.HostConfig !== 'object') {
    return '"createConfig" lacks Image or HostConfig';
  }
  const rp = v.restartPolicy as Record<string, unknown> | null | undefined;
  if (rp === null || typeof rp !== 'object' || typeof rp.name !== 'string') return '"restartPolicy" is malformed';
  if (!Array.isArray(v.dependsOn) || !Array.isArray(v.extraNetworks)) return '"dependsOn" or "extraNetworks" is not a list';
  if (v.compose !== null) {
    const c = v.compose as Record<string, unknown> | undefined;
    if (
      c === undefined ||
      typeof c !== 'object' ||
      typeof c.project !== 'string' ||
      typeof c.service !== 'string' ||
      !Array.isArray(c.configFiles) ||
      !Array.isArray(c.dependsOn)
    ) {
      return '"compose" is malformed';
    }
  }
  return null;
}

/**
 * The facts of desired container `d` as if it were running now (the live container's when it
 * exists, else built from the snapshot), so that the restart semantics can say what an event does
 * to it: the runbook's "comes back after" and the report's root cause.
 */
export function runningFactsOf(d: DesiredContainer, live: ContainerFacts | null): ContainerFacts {
  const base: ContainerFacts = live ?? {
    id: d.id,
    name: d.name,
    image: d.image,
    imageId: d.imageId,
    state: 'running',
    exitCode: null,
    restartPolicy: d.restartPolicy,
    restartCount: 0,
    manuallyStopped: false,
    startedBefore: true,
    stopSignal: d.createConfig.StopSignal ?? null,
    startedAt: null,
    finishedAt: null,
    health: null,
    compose: null,
    labels: d.createConfig.Labels ?? {},
    autoRemove: d.createConfig.HostConfig.AutoRemove === true,
  };
  if (base.state === 'running') return base;
  return { ...base, state: 'running', exitCode: null, manuallyStopped: false, restartCount: 0 };
}
