/**
 * What dpkg knows about an installed package's files: the file list (`/var/lib/dpkg/info/PKG.list`,
 * or `PKG:ARCH.list` for a multi-arch package) and its conffiles with the md5 dpkg recorded, compared
 * with the file on disk: a conffile whose md5 differs was changed locally, and dpkg will ask about
 * it when the new version ships a different one. Files that ucf manages (e.g. openssh-server's
 * /etc/ssh/sshd_config) are no dpkg conffiles: they are read from ucf's registry and hash file.
 */
import { nodeCrypto } from '../../core/lazy-crypto.js';
import { access, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UpkeepError } from '../../core/errors.js';
import { describeFailure } from './run-command.js';
import { dpkgInfoDir, dpkgQuery, installedPath } from './dpkg-location.js';

/** Where dpkg keeps what it knows about installed packages. */
export interface DpkgInfoOptions {
  /** The package's architecture when known (`amd64`, `all`): finds `PKG:ARCH.*` without listing the directory. */
  arch?: string | null;
  infoDir?: string;
  /**
   * The names in the info directory, listed once (`listDpkgInfo`): existence is then looked up here
   * instead of one `access` per try. For callers that look up many packages.
   */
  names?: ReadonlySet<string>;
}

/** The file names in dpkg's info directory, for `DpkgInfoOptions.names` (empty when unreadable). */
export async function listDpkgInfo(infoDir?: string): Promise<ReadonlySet<string>> {
  const dir = infoDir ?? (await dpkgInfoDir().catch(() => null));
  return new Set(dir === null ? [] : await readdir(dir).catch(() => [] as string[]));
}

/**
 * The paths of an installed package (`PKG.list` or `PKG:ARCH.list`), or null when dpkg has no list
 * for it (not installed).
 */
export async function readPackageFileList(pkg: string, opts: DpkgInfoOptions = {}): Promise<string[] | null> {
  return (await readPackageFiles(pkg, opts))?.paths ?? null;
}

/** Like readPackageFileList, with the list file it read (reports name it as their source). */
export async function readPackageFiles(pkg: string, opts: DpkgInfoOptions = {}): Promise<{ file: string; paths: string[] } | null> {
  const file = await findInfoFile(pkg, 'list', opts);
  if (file === null) return null;
  const text = await readFile(file, 'utf8');
  return { file, paths: text.split('\n').filter((l) => l !== '' && l !== '/.') };
}

/** `PKG.KIND`, else `PKG:ARCH.KIND`; null when neither exists. */
export async function findInfoFile(pkg: string, kind: string, opts: DpkgInfoOptions = {}): Promise<string | null> {
  const infoDir = opts.infoDir ?? (await dpkgInfoDir());
  const tries = [`${pkg}.${kind}`, ...(opts.arch ? [`${pkg}:${opts.arch}.${kind}`] : [])];
  for (const name of tries) {
    if (opts.names ? opts.names.has(name) : await exists(join(infoDir, name))) return join(infoDir, name);
  }
  if (opts.arch) return null;
  const names = opts.names ? [...opts.names] : await readdir(infoDir).catch(() => [] as string[]);
  const qualified = names.find((n) => n.startsWith(`${pkg}:`) && n.endsWith(`.${kind}`) && !n.slice(pkg.length + 1, -kind.length - 1).includes('.'));
  return qualified === undefined ? null : join(infoDir, qualified);
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** One configuration file of a package, and whether it was changed locally. */
export interface Conffile {
  path: string;
  /** Who records the original md5: dpkg (a conffile) or ucf (a file a maintainer script manages with ucf). */
  managedBy: 'dpkg' | 'ucf';
  /** The md5 recorded at install, or null when there is none yet (dpkg's "newconffile"). */
  recordedMd5: string | null;
  /** The md5 of the file now, or null when it is missing or unreadable (then the state is missing or unknown). */
  currentMd5: string | null;
  /** modified: the file differs from the recorded md5; missing: deleted locally; unknown: unreadable, or no md5 to compare. */
  state: 'unchanged' | 'modified' | 'missing' | 'unknown';
  /** dpkg flags after the md5 (`obsolete`, `remove-on-upgrade`). */
  flags: string[];
}

/**
 * The conffiles of an installed package (`dpkg-query -W -f='${Conffiles}\n' PKG`) plus the files
 * it registered with ucf, each compared with the file on disk.
 * @throws UpkeepError when dpkg-query cannot run; a package dpkg does not know has no dpkg conffiles.
 */
export async function readConffiles(pkg: string, ucfDir?: string): Promise<Conffile[]> {
  const args = ['-W', '-f=${Conffiles}\\n', pkg];
  const r = await dpkgQuery(args);
  // Exit 1: dpkg knows no such package (ucf may still hold files it registered).
  if (r.code !== 0 && r.code !== 1) throw new UpkeepError(`could not read the conffiles of ${pkg}: ${describeFailure('dpkg-query', args, r)}`);
  const out: Conffile[] = [];
  for (const line of r.code === 0 ? r.stdout.split('\n') : []) {
    const m = /^\s*(\/\S*)\s+(\S+)((?:\s+\S+)*)\s*$/.exec(line);
    if (m === null) continue;
    const recorded = /^[0-9a-f]{32}$/.test(m[2]!) ? m[2]! : null;
    out.push(
      await compare(
        m[1]!,
        'dpkg',
        recorded,
        m[3]!
          .trim()
          .split(/\s+/)
          .filter((f) => f !== ''),
      ),
    );
  }
  for (const { path, md5 } of await readUcfFiles(pkg, ucfDir)) out.push(await compare(path, 'ucf', md5, []));
  return out;
}

/**
 * The conffiles of many installed packages with one `dpkg-query` (and one read of ucf's registry),
 * each compared with the file on disk; packages dpkg does not know are absent from the map.
 * @throws UpkeepError when dpkg-query cannot run.
 */
export async function readConffilesOf(pkgs: readonly string[], ucfDir?: string): Promise<Map<string, Conffile[]>> {
  const out = new Map<string, Conffile[]>();
  if (pkgs.length === 0) return out;
  const args = ['-W', '-f=@@${Package}\\n${Conffiles}\\n', ...pkgs];
  const r = await dpkgQuery(args);
  if (r.code !== 0 && r.code !== 1) throw new UpkeepError(`could not read conffiles: ${describeFailure('dpkg-query', args.slice(0, 3), r)}`);
  const recorded: Array<{ pkg: string; path: string; managedBy: Conffile['managedBy']; md5: string | null; flags: string[] }> = [];
  let current: string | null = null;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('@@')) {
      current = line.slice(2);
      continue;
    }
    const m = /^\s*(\/\S*)\s+(\S+)((?:\s+\S+)*)\s*$/.exec(line);
    if (m === null || current === null) continue;
    recorded.push({
      pkg: current,
      path: m[1]!,
      managedBy: 'dpkg',
      md5: /^[0-9a-f]{32}$/.test(m[2]!) ? m[2]! : null,
      flags: m[3]!
        .trim()
        .split(/\s+/)
        .filter((f) => f !== ''),
    });
  }
  const wanted = new Set(pkgs);
  for (const f of await readUcfRegistry(ucfDir)) if (wanted.has(f.pkg)) recorded.push({ ...f, managedBy: 'ucf', flags: [] });
  for (const f of recorded) {
    const list = out.get(f.pkg) ?? [];
    list.push(await compare(f.path, f.managedBy, f.md5, f.flags));
    out.set(f.pkg, list);
  }
  return out;
}

/** ucf's registry (`ucfDir` for tests; default /var/lib/ucf in dpkg's tree). */
async function readUcfRegistry(ucfDir?: string): Promise<Array<{ pkg: string; path: string; md5: string | null }>> {
  ucfDir ??= await installedPath('/var/lib/ucf');
  const registry = await readFile(join(ucfDir, 'registry'), 'utf8').catch(() => '');
  const hashes = await readFile(join(ucfDir, 'hashfile'), 'utf8').catch(() => '');
  const md5ByPath = new Map<string, string>();
  for (const line of hashes.split('\n')) {
    const m = /^([0-9a-f]{32})\s+(\/.*\S)\s*$/.exec(line);
    if (m !== null) md5ByPath.set(m[2]!, m[1]!);
  }
  const files: Array<{ pkg: string; path: string; md5: string | null }> = [];
  for (const line of registry.split('\n')) {
    const m = /^(\S+)\s+(\/.*\S)\s*$/.exec(line);
    if (m !== null) files.push({ pkg: m[1]!, path: m[2]!, md5: md5ByPath.get(m[2]!) ?? null });
  }
  return files;
}

async function readUcfFiles(pkg: string, ucfDir: string | undefined): Promise<Array<{ path: string; md5: string | null }>> {
  return (await readUcfRegistry(ucfDir)).filter((f) => f.pkg === pkg);
}

async function compare(path: string, managedBy: Conffile['managedBy'], recordedMd5: string | null, flags: string[]): Promise<Conffile> {
  let currentMd5: string | null = null;
  let missing = false;
  try {
    currentMd5 = nodeCrypto()
      .createHash('md5')
      .update(await readFile(await installedPath(path)))
      .digest('hex');
  } catch (err) {
    missing = (err as { code?: string }).code === 'ENOENT';
  }
  const state: Conffile['state'] = missing
    ? 'missing'
    : currentMd5 === null || recordedMd5 === null
      ? 'unknown'
      : currentMd5 === recordedMd5
        ? 'unchanged'
        : 'modified';
  return { path, managedBy, recordedMd5, currentMd5, state, flags };
}
