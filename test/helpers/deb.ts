/**
 * Debian packages for the tests, built by the real dpkg-deb (gzip, files owned by root), so that
 * dpkg and apt install, upgrade and roll them back as they would any package. One builder for the
 * test files that install packages on this machine or into a dpkg root (each holds the host lock
 * when it touches this machine's dpkg).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface TestDeb {
  name: string;
  version: string;
  /** The control file's Description (default "upkeep test package"); a second line starts with "\n ". */
  description?: string;
  depends?: string;
  /** Installed-Size in KiB, as dpkg-gencontrol writes it (the disk-space check reads it); absent: none. */
  installedSizeKiB?: number;
  /** The postinst script (made executable); absent: none. */
  postinst?: string;
  /** Conffiles, absolute paths. */
  conffiles?: readonly string[];
  /** Files by their path below / (no leading slash): their text, or text and mode (a setuid tool). */
  files?: Readonly<Record<string, string | { text: string; mode: number }>>;
  /** Symbolic links by their path below /: their target. */
  links?: Readonly<Record<string, string>>;
  /** The .deb's name in `dir` (default NAME_VERSION_all.deb, an epoch's colon as %3a, as apt names its archives). */
  fileName?: string;
}

/** Builds `d` into `dir`; returns the .deb's path. */
export function buildTestDeb(dir: string, d: TestDeb): string {
  const root = mkdtempSync(join(dir, 'build-'));
  chmodSync(root, 0o755);
  mkdirSync(join(root, 'DEBIAN'));
  const control = [
    `Package: ${d.name}`,
    `Version: ${d.version}`,
    'Architecture: all',
    ...(d.installedSizeKiB !== undefined ? [`Installed-Size: ${d.installedSizeKiB}`] : []),
    'Maintainer: upkeep tests <tests@upkeep.invalid>',
    ...(d.depends !== undefined ? [`Depends: ${d.depends}`] : []),
    `Description: ${d.description ?? 'upkeep test package'}`,
  ];
  writeFileSync(join(root, 'DEBIAN', 'control'), `${control.join('\n')}\n`);
  if (d.postinst !== undefined) {
    writeFileSync(join(root, 'DEBIAN', 'postinst'), d.postinst);
    chmodSync(join(root, 'DEBIAN', 'postinst'), 0o755);
  }
  if (d.conffiles !== undefined) writeFileSync(join(root, 'DEBIAN', 'conffiles'), `${d.conffiles.join('\n')}\n`);
  for (const [path, file] of Object.entries(d.files ?? {})) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof file === 'string' ? file : file.text);
    if (typeof file !== 'string') chmodSync(join(root, path), file.mode);
  }
  for (const [path, target] of Object.entries(d.links ?? {})) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    symlinkSync(target, join(root, path));
  }
  const out = join(dir, d.fileName ?? `${d.name}_${d.version.replace(':', '%3a')}_all.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, out], { stdio: 'pipe' });
  rmSync(root, { recursive: true });
  return out;
}
