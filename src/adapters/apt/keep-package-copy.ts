/**
 * Keeps a copy of an installed package, rebuilt from the dpkg database (ports/rollback.ts
 * PackageCopier): its files from its file list (`PKG.list` / `PKG:ARCH.list`, modes, owners and
 * links kept), its control fields from `dpkg-query -s` (without the
 * installed state: Status, Conffiles, Config-Version), its conffiles, md5sums and maintainer
 * scripts from /var/lib/dpkg/info, then `dpkg-deb --build`. Written to a temp file in the
 * destination's directory and renamed; the directory is 0700, the file 0600. A file already there
 * with the same Package, Version and Architecture is kept as it is.
 */
import { chmod, chown, copyFile, lchown, lstat, mkdir, mkdtemp, readlink, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { InstalledPackage } from '../../core/upgrade/rollback.js';
import type { PackageCopier } from '../../ports/rollback.js';
import { findInfoFile, readPackageFiles } from './package-files.js';
import { debFields } from './rollback-facts.js';
import { describeFailure, runCommand } from './run-command.js';
import { dpkgQuery, installedEntry, installedPath } from './dpkg-location.js';

/** The dpkg info files a .deb's DEBIAN/ holds, and their modes. */
const CONTROL_MEMBERS: ReadonlyArray<readonly [string, number]> = [
  ['preinst', 0o755],
  ['postinst', 0o755],
  ['prerm', 0o755],
  ['postrm', 0o755],
  ['config', 0o755],
  ['conffiles', 0o644],
  ['md5sums', 0o644],
  ['templates', 0o644],
  ['triggers', 0o644],
  ['shlibs', 0o644],
  ['symbols', 0o644],
];

/** Fields of `dpkg-query -s` that describe the installed state, not the package. */
const INSTALLED_ONLY = new Set(['status', 'conffiles', 'config-version']);

/** The control stanza of `dpkg-query -s` without the installed-state fields (and their continuation lines). */
export function controlFromStatus(stanza: string): string {
  const out: string[] = [];
  let skip = false;
  for (const line of stanza.split('\n')) {
    if (line === '') continue;
    if (/^[ \t]/.test(line)) {
      if (!skip) out.push(line);
      continue;
    }
    const field = line.slice(0, line.indexOf(':')).toLowerCase();
    skip = INSTALLED_ONLY.has(field);
    if (!skip) out.push(line);
  }
  return `${out.join('\n')}\n`;
}

/**
 * Copies the listed paths under `root`, keeping modes, owners and times. A listed path that is a
 * symlink on disk but has listed paths under it is a directory of the package that the system
 * made a link (merged /usr: /lib -> usr/lib): it becomes a directory again; other symlinks stay links.
 */
async function copyTree(paths: readonly string[], root: string): Promise<string | null> {
  const listed = new Set(paths);
  const hasChildren = new Set<string>();
  for (const p of paths) for (let d = dirname(p); d !== '/' && d !== '.'; d = dirname(d)) if (listed.has(d)) hasChildren.add(d);
  for (const p of paths) {
    const to = join(root, p);
    const from = await installedEntry(p);
    const l = await lstat(from);
    const linkedDir = l.isSymbolicLink() && hasChildren.has(p) ? await stat(await installedPath(p)) : null;
    const isDir = l.isDirectory() || (linkedDir?.isDirectory() ?? false);
    if (isDir) {
      const s = l.isDirectory() ? l : linkedDir!;
      await mkdir(to, { recursive: true });
      await chown(to, s.uid, s.gid);
      await chmod(to, s.mode & 0o7777);
    } else if (l.isSymbolicLink()) {
      await symlink(await readlink(from), to);
      await lchown(to, l.uid, l.gid);
    } else if (l.isFile()) {
      await copyFile(from, to);
      await chown(to, l.uid, l.gid);
      await chmod(to, l.mode & 0o7777);
      await utimes(to, l.atime, l.mtime);
    } else {
      return `${p} is neither a file, a directory nor a link: not copied`;
    }
  }
  return null;
}

/** The copier on this machine; `infoDir` for tests. */
export function localPackageCopier(opts: { infoDir?: string } = {}): PackageCopier {
  return {
    async keepCopy(pkg: InstalledPackage, dest: string) {
      const dir = dirname(dest);
      let staging: string | null = null;
      const tmp = join(dir, `.${basename(dest)}.tmp-${process.pid}`);
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await chmod(dir, 0o700);
        const existing = await debFields(dest).catch(() => null);
        if (existing !== null && existing.package === pkg.name && existing.version === pkg.version && existing.architecture === pkg.architecture)
          return { ok: true as const, bytes: (await stat(dest)).size };
        const info = { arch: pkg.architecture, ...(opts.infoDir ? { infoDir: opts.infoDir } : {}) };
        const list = await readPackageFiles(pkg.name, info);
        if (list === null) return { ok: false as const, why: `dpkg has no file list for ${pkg.name}` };
        const q = await dpkgQuery(['-s', '--', `${pkg.name}:${pkg.architecture}`], { timeoutMs: 30_000 });
        if (q.code !== 0) return { ok: false as const, why: describeFailure('dpkg-query', ['-s', pkg.name], q) };
        staging = await mkdtemp(join(dir, '.build-'));
        const root = join(staging, 'root');
        await mkdir(join(root, 'DEBIAN'), { recursive: true, mode: 0o755 });
        await chmod(root, 0o755);
        await chmod(join(root, 'DEBIAN'), 0o755);
        await writeFile(join(root, 'DEBIAN', 'control'), controlFromStatus(q.stdout), { mode: 0o644 });
        for (const [kind, mode] of CONTROL_MEMBERS) {
          const f = await findInfoFile(pkg.name, kind, info);
          if (f === null) continue;
          await copyFile(f, join(root, 'DEBIAN', kind));
          await chmod(join(root, 'DEBIAN', kind), mode);
        }
        const treeError = await copyTree(list.paths, root);
        if (treeError !== null) return { ok: false as const, why: treeError };
        const b = await runCommand('dpkg-deb', ['-Zgzip', '--build', root, tmp], { timeoutMs: 30 * 60_000 });
        if (b.code !== 0) return { ok: false as const, why: describeFailure('dpkg-deb', ['--build'], b) };
        await chmod(tmp, 0o600);
        await rename(tmp, dest);
        return { ok: true as const, bytes: (await stat(dest)).size };
      } catch (err) {
        return { ok: false as const, why: (err as Error).message };
      } finally {
        await rm(tmp, { force: true }).catch(() => undefined);
        if (staging !== null) await rm(staging, { recursive: true, force: true }).catch(() => undefined);
      }
    },
  };
}
