/**
 * The text of a package's maintainer scripts: the installed ones from /var/lib/dpkg/info, and the
 * candidate's, fetched with `apt-get download PKG=VERSION` and extracted with `dpkg-deb -e` into a
 * cache directory (one subdirectory per package and version, reused on the next run). Analysis is
 * src/core/preflight/maintainer-scripts.ts.
 */
import { mkdir, mkdtemp, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UpkeepError } from '../../core/errors.js';
import type { ScriptKind } from '../../core/preflight/maintainer-scripts.js';
import { findInfoFile, type DpkgInfoOptions } from './package-files.js';
import { describeFailure, runCommand, type CommandResult } from './run-command.js';

/** The four scripts; null where the package has none. */
export type MaintainerScripts = Record<ScriptKind, string | null>;

const KINDS: readonly ScriptKind[] = ['preinst', 'postinst', 'prerm', 'postrm'];

/** The scripts of the installed version (`PKG.postinst`, or `PKG:ARCH.postinst` for multi-arch packages). */
export async function readInstalledScripts(pkg: string, opts: DpkgInfoOptions = {}): Promise<MaintainerScripts> {
  const scripts = emptyScripts();
  for (const kind of KINDS) {
    const file = await findInfoFile(pkg, kind, opts);
    if (file !== null) scripts[kind] = await readFile(file, 'utf8');
  }
  return scripts;
}

/** Where a candidate's control files were extracted, and its scripts. */
export interface CandidateScripts {
  dir: string;
  /** True when they came from an earlier download in the cache. */
  cached: boolean;
  scripts: MaintainerScripts;
}

/**
 * Downloads PKG=VERSION with apt (from the sources apt is configured with, into a temporary
 * directory under `cacheDir`), extracts its control files to `cacheDir/PKG_VERSION/` and reads its
 * scripts. A version already in the cache is not downloaded again.
 * @throws UpkeepError when apt cannot download it or dpkg-deb cannot read it.
 */
export async function fetchCandidateScripts(pkg: string, version: string, cacheDir: string, opts: { timeoutMs?: number } = {}): Promise<CandidateScripts> {
  if (!/^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$/.test(pkg)) throw new UpkeepError(`"${pkg}" is not a Debian package name`);
  const dir = join(cacheDir, `${pkg}_${version.replaceAll(':', '%3a')}`);
  const cached = await readScriptsFrom(dir);
  if (cached !== null) return { dir, cached: true, scripts: cached };

  await mkdir(cacheDir, { recursive: true });
  const work = await mkdtemp(join(cacheDir, '.download-'));
  try {
    // No retries and a short idle timeout: an unreachable mirror must fail in seconds, not minutes.
    const download = [
      '-o',
      'Acquire::Retries=0',
      '-o',
      `Acquire::http::Timeout=${DOWNLOAD_IDLE_TIMEOUT_S}`,
      '-o',
      `Acquire::https::Timeout=${DOWNLOAD_IDLE_TIMEOUT_S}`,
      'download',
      `${pkg}=${version}`,
    ];
    const got = await runCommand('apt-get', download, { cwd: work, timeoutMs: opts.timeoutMs ?? 120_000 });
    const deb = (await readdir(work)).find((n) => n.endsWith('.deb'));
    if (got.code !== 0 || deb === undefined) {
      throw new DownloadError(
        `could not download ${pkg} ${version}: ${describeFailure('apt-get', download.slice(-2), got)}`,
        unreachable(got) ? 'unreachable' : 'other',
        {
          hint: 'check `apt-get download` by hand, or run preflight with --no-download to use the installed scripts',
        },
      );
    }
    const extract = ['-e', join(work, deb), join(work, 'control')];
    const ex = await runCommand('dpkg-deb', extract);
    if (ex.code !== 0) throw new UpkeepError(`could not read ${deb}: ${describeFailure('dpkg-deb', extract, ex)}`);
    await rename(join(work, 'control'), dir).catch(async (err: { code?: string }) => {
      // Another run extracted the same version meanwhile: keep theirs.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const scripts = await readScriptsFrom(dir);
  if (scripts === null) throw new UpkeepError(`extracted ${pkg} ${version} to ${dir}, but found no control file there`);
  return { dir, cached: false, scripts };
}

/** Seconds apt waits on a silent connection before it gives up (apt's default is 30, with retries). */
const DOWNLOAD_IDLE_TIMEOUT_S = 10;

/** A failed download: `unreachable` when the mirror (or a proxy) cannot be reached, so the next package will fail the same way. */
export class DownloadError extends UpkeepError {
  constructor(
    message: string,
    readonly kind: 'unreachable' | 'other',
    opts: { hint?: string } = {},
  ) {
    super(message, opts);
  }
}

/** apt's words for "the network or the mirror is not there" (LC_ALL=C), or the command killed by its timeout. */
const UNREACHABLE =
  /Could not connect|Connection refused|Connection timed out|Network is unreachable|No route to host|Temporary failure resolving|Could not resolve|Unable to connect|timed out|Connection failed/i;

function unreachable(r: CommandResult): boolean {
  return r.code === null || UNREACHABLE.test(r.stderr);
}

/** The scripts in an extracted control directory, or null when there is none. */
async function readScriptsFrom(dir: string): Promise<MaintainerScripts | null> {
  const names = await readdir(dir).catch(() => null);
  if (names === null || !names.includes('control')) return null;
  const scripts = emptyScripts();
  for (const kind of KINDS) if (names.includes(kind)) scripts[kind] = await readFile(join(dir, kind), 'utf8');
  return scripts;
}

function emptyScripts(): MaintainerScripts {
  return { preinst: null, postinst: null, prerm: null, postrm: null };
}
