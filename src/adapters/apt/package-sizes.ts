/**
 * The facts of preflight's disk-space check (core/preflight/disk-space.ts): apt's archives
 * directory (`apt-config`, so APT_CONFIG and -o files apply), each new version's Size and
 * Installed-Size (`apt-cache show NAME=VERSION`, one run for all), the installed versions'
 * Installed-Size (`dpkg-query`), which archives are already downloaded, the kernel images' files
 * under /boot (`dpkg-deb -c` of a cached .deb), the files in /boot now, and the filesystems.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from '../../core/lazy-crypto.js';
import {
  archiveFileName,
  readSizeSourcesCache,
  sizeSourcesEntry,
  type SizeSources,
  bootBytesOfDebListing,
  parseAptCacheShow,
  parseSizeField,
  type KernelBoot,
  type PackageSize,
  type SpaceFacts,
} from '../../core/preflight/disk-space.js';
import type { PlannedPackage } from '../../core/preflight/apt-plan.js';
import { readOwnedCacheFile, writeCacheFile } from '../files/cache-file.js';
import { filesystemsOf } from '../files/filesystems.js';
import { describeFailure, runCommand } from './run-command.js';
import { dpkgQuery, installedPath } from './dpkg-location.js';

/**
 * apt's archives directory (Dir::Cache::archives), without the trailing slash; or why not.
 * `aptOptions`: `-o Name=value` options of the apt runs it is for; `env`: their environment (APT_CONFIG).
 */
export async function aptArchivesDir(opts: { aptOptions?: readonly string[]; env?: NodeJS.ProcessEnv } = {}): Promise<string | { problem: string }> {
  const args = [...(opts.aptOptions ?? []).flatMap((o) => ['-o', o]), 'shell', 'A', 'Dir::Cache::archives/d'];
  const r = await runCommand('apt-config', args, { timeoutMs: 30_000, ...(opts.env !== undefined ? { env: opts.env } : {}) });
  const m = /^A='([^']+)'$/m.exec(r.stdout);
  if (r.code !== 0 || m === null) return { problem: r.code !== 0 ? describeFailure('apt-config', args, r) : 'apt-config printed no Dir::Cache::archives' };
  const dir = m[1]!.replace(/\/+$/, '');
  return dir.startsWith('/') ? dir : { problem: `apt-config gave a relative archives directory "${dir}"` };
}

/** The size of the regular file at `path`, or null (missing, or not a regular file). */
async function fileSize(path: string): Promise<number | null> {
  return lstat(path).then(
    (s) => (s.isFile() ? s.size : null),
    () => null,
  );
}

/** Where the size sources are cached between runs, under apt's simulation key (see SizeSources). */
export interface SizeSourcesCache {
  read(specs: readonly string[]): Promise<SizeSources | null>;
  write(sources: SizeSources): Promise<void>;
}

/** Larger than any real entry (a 2,000-package plan: about 400 KiB). */
const SIZES_CACHE_MAX_BYTES = 16 << 20;

export function packageSizesCacheFile(stateDir: string): string {
  return join(stateDir, 'package-sizes.json');
}

/**
 * The size sources' cache in `stateDir`, valid while apt's simulation key `simulationKey` holds
 * (adapters/apt/simulation-cache.ts: apt's lists, dpkg's status, apt's config and binary) for the
 * same upkeep version. A file that is not ours, stale or malformed is ignored; a failed write is not
 * an error (the next run reads apt again).
 */
export function packageSizesCache(opts: { stateDir: string; upkeepVersion: string; simulationKey: string }): SizeSourcesCache {
  const file = packageSizesCacheFile(opts.stateDir);
  const key = sha256Hex(JSON.stringify(['package-sizes', opts.simulationKey, opts.upkeepVersion]));
  return {
    async read(specs) {
      const owned = await readOwnedCacheFile(file, SIZES_CACHE_MAX_BYTES);
      if (owned.text === null) return null;
      const r = readSizeSourcesCache(owned.text, key, specs);
      return r.ok ? r.sources : null;
    },
    async write(sources) {
      await writeCacheFile(opts.stateDir, file, `${JSON.stringify(sizeSourcesEntry(key, sources))}\n`).catch(() => undefined);
    },
  };
}

/** apt-cache's and dpkg-query's answers about `packages` (from `cache` when it has them); or why not. */
async function readSizeSources(
  packages: readonly PlannedPackage[],
  cache: SizeSourcesCache | undefined,
): Promise<{ sources: SizeSources; cached: boolean } | { problem: string }> {
  const wanted = packages.filter((p) => p.newVersion !== null);
  const spec = (p: PlannedPackage) => `${p.name}${p.arch !== null && p.arch !== 'all' ? `:${p.arch}` : ''}=${p.newVersion}`;
  const specs = wanted.map(spec);
  const hit = cache === undefined ? null : await cache.read(specs);
  if (hit !== null) return { sources: hit, cached: true };

  const showArgs = ['show', '--no-all-versions', ...specs];
  const show = wanted.length === 0 ? null : await runCommand('apt-cache', showArgs, { timeoutMs: 60_000 });
  if (show !== null && show.code !== 0 && show.stdout.trim() === '')
    return { problem: describeFailure('apt-cache', showArgs.slice(0, 4).concat(showArgs.length > 4 ? ['...'] : []), show) };
  const stanzas = show === null ? [] : parseAptCacheShow(show.stdout);

  const installedPkgs = packages.filter((p) => p.oldVersion !== null);
  const queryArgs = ['-W', '-f=${binary:Package}\\t${Version}\\t${Installed-Size}\\n', ...new Set(installedPkgs.map((p) => p.name))];
  const query = installedPkgs.length === 0 ? null : await dpkgQuery(queryArgs, { timeoutMs: 60_000 });
  // Exit 1: some name is not installed (reported per package below).
  if (query !== null && query.code !== 0 && query.code !== 1) return { problem: describeFailure('dpkg-query', queryArgs.slice(0, 2), query) };
  const installed: SizeSources['installed'] = [];
  for (const line of query?.stdout.split('\n') ?? []) {
    const [name, version, kib] = line.split('\t');
    if (name !== undefined && version !== undefined && kib !== undefined) installed.push({ name, version, kib });
  }
  const sources = { specs, stanzas, installed };
  // Only a whole answer is kept: apt-cache failing for some names is read again next time.
  if (cache !== undefined && (show === null || show.code === 0)) await cache.write(sources);
  return { sources, cached: false };
}

/**
 * The sizes of each planned package (see PackageSize), and the cached .deb of each new version
 * found in `archivesDir` (or given by apt's hook), for the kernels' /boot files.
 */
export async function readPackageSizes(
  packages: readonly PlannedPackage[],
  archivesDir: string | null,
  cache?: SizeSourcesCache,
): Promise<{ sizes: PackageSize[] | { problem: string }; debs: Map<string, string>; cached: boolean }> {
  const debs = new Map<string, string>();
  const read = await readSizeSources(packages, cache);
  if ('problem' in read) return { sizes: { problem: read.problem }, debs, cached: false };
  const { stanzas } = read.sources;
  const old = new Map<string, { version: string; kib: string }>();
  for (const i of read.sources.installed) old.set(i.name, { version: i.version, kib: i.kib });

  const sizes = await Promise.all(
    packages.map(async (p): Promise<PackageSize> => {
      const problems: string[] = [];
      let oldInstalledBytes: number | null = null;
      if (p.oldVersion !== null) {
        const o = old.get(p.arch !== null ? `${p.name}:${p.arch}` : p.name) ?? old.get(p.name);
        const kib = parseSizeField(o?.kib);
        if (o === undefined) problems.push('not installed according to dpkg-query');
        else if (kib === null) problems.push(`installed Installed-Size "${o.kib}" not understood`);
        else oldInstalledBytes = kib * 1024;
      }
      let newInstalledBytes: number | null = null;
      let downloadBytes: number | null = null;
      if (p.newVersion !== null) {
        const s = stanzas.find(
          (x) => x.package === p.name && x.version === p.newVersion && (p.arch === null || x.architecture === p.arch || x.architecture === 'all'),
        );
        if (s === undefined) problems.push(`apt-cache knows no version ${p.newVersion}`);
        else if (s.installedSizeKiB === null || s.size === null)
          problems.push(
            `apt-cache gives no readable ${s.size === null ? 'Size' : 'Installed-Size'} for ${p.newVersion}${s.installedSizeKiB === null ? ' (apt counts a missing one as 0; the package does not say how large it is)' : ''}`,
          );
        else {
          newInstalledBytes = s.installedSizeKiB * 1024;
          const deb = p.debPath ?? (archivesDir === null ? null : join(archivesDir, archiveFileName(s)));
          const have = deb === null ? null : await fileSize(deb);
          // A partial or different file is downloaded again.
          downloadBytes = p.debPath !== null || have === s.size ? 0 : s.size;
          if (deb !== null && (p.debPath !== null || have === s.size)) debs.set(p.name, deb);
        }
      }
      return problems.length > 0
        ? { name: p.name, downloadBytes: null, newInstalledBytes: null, oldInstalledBytes: null, unknown: problems.join('; ') }
        : { name: p.name, downloadBytes, newInstalledBytes, oldInstalledBytes };
    }),
  );
  return { sizes, debs, cached: read.cached };
}

/** A kernel package's files under /boot, from its cached .deb (null: none, or not readable). */
async function debBootBytes(deb: string | undefined): Promise<number | null> {
  if (deb === undefined) return null;
  const r = await runCommand('dpkg-deb', ['-c', deb], { timeoutMs: 60_000 });
  return r.code === 0 ? bootBytesOfDebListing(r.stdout) : null;
}

/** The kernels' files and the initrds in `bootDir` now (a missing /boot: none). */
export async function readBootFiles(bootDir = '/boot'): Promise<SpaceFacts['boot']> {
  let names: string[];
  try {
    names = await readdir(bootDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kernels: [], initrds: [] };
    return { problem: `${bootDir}: ${(err as Error).message}` };
  }
  const kernels = new Map<string, number>();
  const initrds: Array<{ name: string; bytes: number }> = [];
  for (const n of names) {
    const size = await fileSize(join(bootDir, n));
    if (size === null) continue;
    const k = /^(?:vmlinuz|System\.map|config)-(.+)$/.exec(n);
    if (k !== null) kernels.set(k[1]!, (kernels.get(k[1]!) ?? 0) + size);
    else if (/^initrd\.img-/.test(n)) initrds.push({ name: n, bytes: size });
  }
  return { kernels: [...kernels.entries()].map(([release, bytes]) => ({ release, bytes })), initrds };
}

/**
 * Everything the space check reads on this machine. `kernelPackages`: the plan's kernel image
 * packages (core/preflight/kernels.ts decides which). Never throws: what could not be read is a
 * problem in the facts.
 */
export async function readSpaceFacts(
  packages: readonly PlannedPackage[],
  kernelPackages: readonly string[],
  opts: { bootDir?: string; sizesCache?: SizeSourcesCache } = {},
): Promise<SpaceFacts> {
  const archivesDir = await aptArchivesDir();
  const dir = typeof archivesDir === 'string' ? archivesDir : null;
  // The tree dpkg installs into (/ on a plain host; a package root otherwise, its links followed in it).
  const treePaths = ['/', '/usr', '/var', '/boot'];
  let at: Map<string, string> | null = null;
  let treeProblem = '';
  try {
    at = new Map(
      await Promise.all(treePaths.map(async (p) => [p, p === '/boot' && opts.bootDir !== undefined ? opts.bootDir : await installedPath(p)] as const)),
    );
  } catch (err) {
    treeProblem = `dpkg's tree is not known: ${(err as Error).message}`;
  }
  const [{ sizes, debs, cached }, boot, filesystems] = await Promise.all([
    readPackageSizes(packages, dir, opts.sizesCache),
    at === null ? { problem: treeProblem } : readBootFiles(at.get('/boot')!),
    filesystemsOf([...(dir === null ? [] : [dir]), ...(at === null ? [] : at.values())]),
  ]);
  const kernels: KernelBoot[] = await Promise.all(kernelPackages.map(async (k) => ({ package: k, debBootBytes: await debBootBytes(debs.get(k)) })));
  // The core knows the paths as /, /usr, /var and /boot; not known, each says why.
  for (const p of treePaths) {
    if (at === null) filesystems.set(p, { problem: treeProblem });
    else if (at.get(p) !== p) filesystems.set(p, filesystems.get(at.get(p)!)!);
  }
  return { archivesDir, packages: sizes, kernels, boot, filesystems, ...(cached ? { sizesCached: true } : {}) };
}
