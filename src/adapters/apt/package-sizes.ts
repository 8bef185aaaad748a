/**
 * The facts of preflight's disk-space check (core/preflight/disk-space.ts): apt's archives
 * directory (`apt-config`, so APT_CONFIG and -o files apply), each new version's Size and
 * Installed-Size (`apt-cache show NAME=VERSION`, one run for all), the installed versions'
 * Installed-Size (`dpkg-query`), which archives are already downloaded, the kernel images' files
 * under /boot (`dpkg-deb -c` of a cached .deb), the files in /boot now, and the filesystems.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  archiveFileName,
  bootBytesOfDebListing,
  parseAptCacheShow,
  parseSizeField,
  type KernelBoot,
  type PackageSize,
  type SpaceFacts,
} from '../../core/preflight/disk-space.js';
import type { PlannedPackage } from '../../core/preflight/apt-plan.js';
import { filesystemsOf } from '../files/filesystems.js';
import { describeFailure, runCommand } from './run-command.js';

/** apt's archives directory (Dir::Cache::archives), without the trailing slash; or why not. */
export async function aptArchivesDir(): Promise<string | { problem: string }> {
  const args = ['shell', 'A', 'Dir::Cache::archives/d'];
  const r = await runCommand('apt-config', args, { timeoutMs: 30_000 });
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

/**
 * The sizes of each planned package (see PackageSize), and the cached .deb of each new version
 * found in `archivesDir` (or given by apt's hook), for the kernels' /boot files.
 */
export async function readPackageSizes(
  packages: readonly PlannedPackage[],
  archivesDir: string | null,
): Promise<{ sizes: PackageSize[] | { problem: string }; debs: Map<string, string> }> {
  const debs = new Map<string, string>();
  const wanted = packages.filter((p) => p.newVersion !== null);
  const spec = (p: PlannedPackage) => `${p.name}${p.arch !== null && p.arch !== 'all' ? `:${p.arch}` : ''}=${p.newVersion}`;
  const showArgs = ['show', '--no-all-versions', ...wanted.map(spec)];
  const show = wanted.length === 0 ? null : await runCommand('apt-cache', showArgs, { timeoutMs: 60_000 });
  if (show !== null && show.code !== 0 && show.stdout.trim() === '')
    return { sizes: { problem: describeFailure('apt-cache', showArgs.slice(0, 4).concat(showArgs.length > 4 ? ['...'] : []), show) }, debs };
  const stanzas = show === null ? [] : parseAptCacheShow(show.stdout);

  const installed = packages.filter((p) => p.oldVersion !== null);
  const queryArgs = ['-W', '-f=${binary:Package}\\t${Version}\\t${Installed-Size}\\n', ...new Set(installed.map((p) => p.name))];
  const query = installed.length === 0 ? null : await runCommand('dpkg-query', queryArgs, { timeoutMs: 60_000 });
  // Exit 1: some name is not installed (reported per package below).
  if (query !== null && query.code !== 0 && query.code !== 1) return { sizes: { problem: describeFailure('dpkg-query', queryArgs.slice(0, 2), query) }, debs };
  const old = new Map<string, { version: string; kib: string }>();
  for (const line of query?.stdout.split('\n') ?? []) {
    const [name, version, kib] = line.split('\t');
    if (name !== undefined && version !== undefined && kib !== undefined) old.set(name, { version, kib });
  }

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
  return { sizes, debs };
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
  opts: { bootDir?: string } = {},
): Promise<SpaceFacts> {
  const archivesDir = await aptArchivesDir();
  const dir = typeof archivesDir === 'string' ? archivesDir : null;
  const bootDir = opts.bootDir ?? '/boot';
  const [{ sizes, debs }, boot, filesystems] = await Promise.all([
    readPackageSizes(packages, dir),
    readBootFiles(bootDir),
    filesystemsOf([...(dir === null ? [] : [dir]), '/', '/usr', '/var', bootDir]),
  ]);
  const kernels: KernelBoot[] = await Promise.all(kernelPackages.map(async (k) => ({ package: k, debBootBytes: await debBootBytes(debs.get(k)) })));
  // The core knows the paths as /boot.
  if (bootDir !== '/boot') filesystems.set('/boot', filesystems.get(bootDir)!);
  return { archivesDir, packages: sizes, kernels, boot, filesystems };
}
