/**
 * The "assess an upgrade" use case's view of this machine (app/assess-upgrade.ts UpgradeSystem):
 * apt's simulation and downloads, dpkg's info directory and conffiles, systemd's unit files, the
 * kernels; a saved plan file read safely; and upkeep's store when one exists.
 */
import { constants } from 'node:fs';
import { access, open } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CandidateDownloadError, type ScriptTexts } from '../../app/assess-evidence.js';
import type { AssessUpgradeDeps, HostSnapshot, UpgradeStore, UpgradeSystem } from '../../app/assess-upgrade.js';
import { assessRollback } from '../../app/rollback-plan.js';
import { localRollbackFacts } from '../../adapters/apt/rollback-facts.js';
import { UsageError } from '../../core/errors.js';
import type { ChangedPackage } from '../../core/upgrade/rollback.js';
import { MAX_PLAN_BYTES, type PlannedPackage } from '../../core/preflight/apt-plan.js';
import { shippedUnits } from '../../core/preflight/shipped-units.js';
import { openStore } from '../../adapters/store/sqlite-store.js';
import { readHostState } from '../../adapters/docker/host-state.js';
import { engineFromEnv } from '../engine.js';
import type { Io } from '../io.js';
import { DATABASE_FILE, resolveStateDir } from '../../adapters/store/state-dir.js';
import { installedKernels, rebootRequiredFlag, runningKernel } from '../../adapters/apt/kernels.js';
import { DownloadError, fetchCandidateScripts, readInstalledScripts } from '../../adapters/apt/maintainer-scripts.js';
import { listDpkgInfo, readConffilesOf, readPackageFiles } from '../../adapters/apt/package-files.js';
import { evidenceCacheStore } from '../../adapters/apt/evidence-cache.js';
import { packageSizesCache, readSpaceFacts } from '../../adapters/apt/package-sizes.js';
import { simulateUpgradeCached } from '../../adapters/apt/simulation-cache.js';
import { programVersion } from '../../adapters/program/build-info.js';
import { simulateUpgrade } from '../../adapters/apt/simulate-upgrade.js';
import { readAllUnits, readEnabledUnits, readUnitStates } from '../../adapters/apt/unit-files.js';

const PLAN_HINT = 'save one with: LC_ALL=C apt-get -s dist-upgrade > plan.txt';

/**
 * A saved plan's bytes: a regular file only (a FIFO or a device would block or never end), at most
 * MAX_PLAN_BYTES. Opened non-blocking and checked on the open descriptor.
 * @throws UsageError with what to do.
 */
export async function readPlanFile(path: string, maxBytes = MAX_PLAN_BYTES): Promise<Uint8Array> {
  const fail = (why: string) => new UsageError(`--plan ${path}: ${why}`, { hint: PLAN_HINT });
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch((err: Error) => {
    throw fail(err.message);
  });
  try {
    const st = await fh.stat();
    if (!st.isFile())
      throw fail(
        `not a regular file (${st.isFIFO() ? 'a FIFO' : st.isDirectory() ? 'a directory' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'a socket or other special file'}): save the plan to a file first`,
      );
    if (st.size > maxBytes) throw fail(`${st.size} bytes is more than the ${maxBytes} a plan can be`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(Math.min(1 << 20, maxBytes + 1 - total));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw fail(`more than the ${maxBytes} bytes a plan can be`);
    }
    return Buffer.concat(chunks);
  } finally {
    await fh.close();
  }
}

/**
 * upkeep's version, part of the apt simulation cache's key (null when it cannot be read: then
 * nothing is cached). A bundle carries it; a checkout reads package.json.
 */
function upkeepVersion(): string | null {
  try {
    const v = programVersion();
    return v !== '' ? v : null;
  } catch {
    return null;
  }
}

/** How apt's simulation is cached: in `stateDir`; `read` false (--no-apt-cache) recomputes. */
export interface AptCacheSetting {
  stateDir: string;
  read: boolean;
}

/**
 * apt, dpkg and systemd on this machine. `cacheDir`: where downloaded control files are kept;
 * `aptCache`: where apt's simulation is cached (absent: never cached, apt runs every time).
 */
export function localUpgradeSystem(opts: { cacheDir: string; downloadTimeoutMs?: number; aptCache?: AptCacheSetting }): UpgradeSystem {
  let infoNames: Promise<ReadonlySet<string>> | undefined;
  const names = () => (infoNames ??= listDpkgInfo());
  let enabled: Promise<ReadonlySet<string>> | undefined;
  // The packages' evidence is cached beside apt's simulation, under the same setting (--no-apt-cache: not read).
  const version = upkeepVersion();
  const evidenceCache =
    opts.aptCache !== undefined && opts.aptCache.read && version !== null
      ? evidenceCacheStore({ stateDir: opts.aptCache.stateDir, upkeepVersion: version })
      : undefined;
  return {
    ...(evidenceCache !== undefined ? { evidenceCache } : {}),
    async simulate(mode) {
      const version = upkeepVersion();
      if (opts.aptCache !== undefined && version !== null)
        return simulateUpgradeCached(mode, { stateDir: opts.aptCache.stateDir, read: opts.aptCache.read, upkeepVersion: version });
      return {
        text: await simulateUpgrade(mode),
        simulation: {
          cached: false,
          computedAt: new Date().toISOString(),
          key: null,
          note: version === null ? "not cached: upkeep's version is unknown" : 'not cached',
        },
      };
    },
    readPlanFile: (path) => readPlanFile(path),
    async installedScripts(p: PlannedPackage): Promise<ScriptTexts | null> {
      return readInstalledScripts(p.name, { arch: p.arch, names: await names() });
    },
    async candidateScripts(p: PlannedPackage): Promise<ScriptTexts> {
      if (p.newVersion === null) throw new CandidateDownloadError(`${p.name} is removed: no candidate`, 'other');
      try {
        return (
          await fetchCandidateScripts(p.name, p.newVersion, opts.cacheDir, opts.downloadTimeoutMs === undefined ? {} : { timeoutMs: opts.downloadTimeoutMs })
        ).scripts;
      } catch (err) {
        const message = (err as Error).message.replace(/^could not download \S+ \S+: /, '');
        throw new CandidateDownloadError(message, err instanceof DownloadError ? err.kind : 'other');
      }
    },
    async shippedUnits(p: PlannedPackage) {
      const files = await readPackageFiles(p.name, { arch: p.arch, names: await names() });
      return files === null ? null : { list: basename(files.file), units: shippedUnits(files.paths) };
    },
    async unitStates(units) {
      return readUnitStates(units, { enabled: await (enabled ??= readEnabledUnits()) });
    },
    allUnits: () => readAllUnits(),
    async modifiedConffiles(pkgs) {
      const out = new Map<string, string[]>();
      for (const [pkg, files] of await readConffilesOf(pkgs)) {
        const modified = files.filter((f) => f.state === 'modified').map((f) => f.path);
        if (modified.length > 0) out.set(pkg, modified);
      }
      return out;
    },
    async kernels() {
      const [kernels, flag] = await Promise.all([
        installedKernels().then(
          (k) => ({ installed: k }),
          (err: unknown) => ({ installed: [] as string[], why: err instanceof Error ? err.message : String(err) }),
        ),
        rebootRequiredFlag().then(
          (f) => ({ required: f.required }),
          (err: unknown) => ({ required: null, why: err instanceof Error ? err.message : String(err) }),
        ),
      ]);
      return {
        running: runningKernel(),
        installed: kernels.installed,
        ...('why' in kernels ? { installedWhy: kernels.why } : {}),
        rebootRequired: flag.required,
        ...('why' in flag ? { rebootRequiredWhy: flag.why } : {}),
      };
    },
    // apt-cache's and dpkg-query's answers about the sizes are cached beside the evidence, under the same setting.
    spaceFacts: (packages, kernelPackages, simulationKey) =>
      readSpaceFacts(
        packages,
        kernelPackages,
        opts.aptCache !== undefined && opts.aptCache.read && version !== null && simulationKey !== null
          ? { sizesCache: packageSizesCache({ stateDir: opts.aptCache.stateDir, upkeepVersion: version, simulationKey }) }
          : {},
      ),
  };
}

/**
 * upkeep's store in `stateDir` when its database exists (null otherwise: preflight never creates
 * one). @throws StoreError when it exists and cannot be opened.
 */
export async function openExistingStore(stateDir: string): Promise<(() => UpgradeStore) | null> {
  const exists = await access(join(stateDir, DATABASE_FILE)).then(
    () => true,
    () => false,
  );
  return exists ? () => openStore({ stateDir, create: false }) : null;
}

/** Where a non-root user's downloaded control files go (root: /var/cache/upkeep/debs). */
export function defaultCacheDir(env: NodeJS.ProcessEnv, isRoot: boolean, home: string): string {
  if (isRoot) return '/var/cache/upkeep/debs';
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(env.HOME ?? home, '.cache'), 'upkeep', 'debs');
}

/**
 * The use case's dependencies on this machine: for `upkeep preflight`, its hook and `upkeep check`.
 * `stateDir`: the flag's value (else UPKEEP_STATE_DIR, /var/lib/upkeep as root, XDG), where apt's
 * simulation is cached too (apt-simulation-MODE.json); `readHost`:
 * how the engine is read (check passes the state it already has).
 */
export async function localAssessDeps(opts: {
  env: NodeJS.ProcessEnv;
  isRoot: boolean;
  home: string;
  stateDir?: string;
  cacheDir?: string;
  /** False (--no-apt-cache): run apt's simulation now, whatever the cache holds (default true). */
  aptCache?: boolean;
  readHost: () => Promise<HostSnapshot>;
  onProgress?: (line: string) => void;
  /** Check whether the old versions could be reinstalled afterwards, copies within this cap (upkeep preflight and upgrade; not the hook). */
  rollbackCapBytes?: number;
}): Promise<AssessUpgradeDeps> {
  const dir = resolveStateDir(opts.env, opts.isRoot, opts.stateDir === undefined ? {} : { flag: opts.stateDir });
  const store = await openExistingStore(dir);
  return {
    system: localUpgradeSystem({
      cacheDir: opts.cacheDir ?? defaultCacheDir(opts.env, opts.isRoot, opts.home),
      aptCache: { stateDir: dir, read: opts.aptCache !== false },
    }),
    readHost: opts.readHost,
    openStore: () => (store === null ? null : store()),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.rollbackCapBytes !== undefined
      ? {
          assessRollback: (packages: ChangedPackage[]) =>
            assessRollback(
              { facts: localRollbackFacts({ env: opts.env }), dir: join(dir, 'rollback'), capBytes: opts.rollbackCapBytes!, now: Date.now },
              packages,
            ),
        }
      : {}),
  };
}

/** `readHost` for localAssessDeps: the engine DOCKER_HOST names, read whole (a client opened and closed per read). */
export function engineHostReader(io: Io): () => Promise<HostSnapshot> {
  return async () => {
    const engine = engineFromEnv(io);
    try {
      const s = await readHostState(engine);
      return { daemon: s.daemon, containers: s.containers, host: s.host };
    } finally {
      await engine.close();
    }
  };
}
