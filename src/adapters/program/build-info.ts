/**
 * What program is running: upkeep's version, the commit it was built from, the Node.js runtime,
 * and its form (a checkout's dist/, a bundle, or a single executable), plus what `upkeep install`
 * uses by default for --bin and the unit's Documentation=.
 *
 * A bundle carries its build facts in the code: scripts/bundle.mjs replaces `__UPKEEP_BUILD__`
 * (esbuild `define`) with a literal object. In a checkout (tsc output) the name is never defined,
 * and the facts come from the checkout itself: package.json, and the commit from .git's files
 * (readHeadCommit; `git rev-parse` when they are not as expected; "unknown" when git cannot say).
 */
import { readFileSync, realpathSync } from 'node:fs';
import { isSea } from 'node:sea';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The facts scripts/bundle.mjs writes into a bundle. */
export interface BundledFacts {
  version: string;
  /** The short commit the bundle was built from, `-dirty` appended when the tree had changes; or "unknown". */
  commit: string;
  /** The --bin `upkeep install` uses when none is given (bundle --default-bin), or null: --bin is required. */
  defaultBin: string | null;
  /** The URI for the unit's Documentation= (bundle --docs-uri), or null: no such line. */
  docsUri: string | null;
}

declare const __UPKEEP_BUILD__: BundledFacts | undefined;

/** How the program is laid out on disk. */
export type ProgramForm = 'checkout' | 'bundle' | 'single-executable';

export interface BuildInfo {
  name: 'upkeep';
  version: string;
  commit: string;
  form: ProgramForm;
  runtime: { name: 'node'; version: string; platform: string; arch: string };
}

const bundled: BundledFacts | undefined = typeof __UPKEEP_BUILD__ === 'undefined' ? undefined : __UPKEEP_BUILD__;

/** The checkout's root directory (this file is src/adapters/program/ or dist/adapters/program/). */
function checkoutRoot(): string {
  return fileURLToPath(new URL('../../../', import.meta.url));
}

let checkoutVersion: string | undefined;

/** upkeep's version: cheap (no process, at most one small file read). */
export function programVersion(): string {
  if (bundled) return bundled.version;
  checkoutVersion ??= (JSON.parse(readFileSync(`${checkoutRoot()}package.json`, 'utf8')) as { version: string }).version;
  return checkoutVersion;
}

/** The form of the running program. */
export function programForm(): ProgramForm {
  if (!bundled) return 'checkout';
  return isSea() ? 'single-executable' : 'bundle';
}

/** The checkout's commit, or "unknown" (no git, not a repository, slow): never throws. */
function checkoutCommit(): string {
  return readHeadCommit(checkoutRoot())?.slice(0, 7) ?? gitRevParse();
}

/**
 * HEAD's commit read from the repository's files, without running git (which costs a process
 * start, a third of `upkeep --version`): .git as a directory or as a worktree's "gitdir:" file,
 * HEAD as "ref: refs/heads/x" or a detached hash, the ref as a loose file or in packed-refs (in
 * the common directory for a worktree). Null when any of it is not as expected (git's newer
 * reftable format, say): the caller asks git then.
 */
export function readHeadCommit(root: string): string | null {
  const HASH = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
  const read = (path: string): string | null => {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return null;
    }
  };
  let gitDir = join(root, '.git');
  const pointer = read(gitDir);
  if (pointer !== null) {
    const m = /^gitdir: (.+)$/.exec(pointer);
    if (!m) return null;
    gitDir = resolve(root, m[1]!);
  }
  const head = read(join(gitDir, 'HEAD'));
  if (head === null) return null;
  if (HASH.test(head)) return head;
  const ref = /^ref: (refs\/[^\s]+)$/.exec(head)?.[1];
  if (ref === undefined) return null;
  const common = read(join(gitDir, 'commondir'));
  const dirs = common === null ? [gitDir] : [gitDir, resolve(gitDir, common)];
  for (const dir of dirs) {
    const loose = read(join(dir, ref));
    if (loose !== null) return HASH.test(loose) ? loose : null;
  }
  for (const dir of dirs) {
    const packed = read(join(dir, 'packed-refs'));
    if (packed === null) continue;
    for (const line of packed.split('\n')) {
      const [hash, name] = line.split(' ');
      if (name === ref && hash !== undefined && HASH.test(hash)) return hash;
    }
  }
  return null;
}

function gitRevParse(): string {
  try {
    const { execFileSync } = process.getBuiltinModule('node:child_process');
    return execFileSync('git', ['rev-parse', '--short=7', 'HEAD'], {
      cwd: checkoutRoot(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    }).trim();
  } catch {
    return 'unknown';
  }
}

/** Everything `upkeep --version` says. In a checkout this reads .git (git itself only as a fallback). */
export function buildInfo(): BuildInfo {
  return {
    name: 'upkeep',
    version: programVersion(),
    commit: bundled ? bundled.commit : checkoutCommit() || 'unknown',
    form: programForm(),
    runtime: { name: 'node', version: process.version, platform: process.platform, arch: process.arch },
  };
}

/** One line: `upkeep 0.1.0 (commit 5159c05, Node v24.22.3 linux-x64, bundle)`. */
export function versionLine(info: BuildInfo): string {
  const form = info.form === 'single-executable' ? 'single executable' : info.form;
  return `${info.name} ${info.version} (commit ${info.commit}, Node ${info.runtime.version} ${info.runtime.platform}-${info.runtime.arch}, ${form})`;
}

/**
 * The executable `upkeep install` writes into the unit and the apt hook when --bin is not given:
 * a checkout's bin/upkeep, the single executable itself, or what the bundle was built with
 * (--default-bin); null for a bundle built without one (a .cjs file is not an executable).
 */
export function defaultInstallBin(): string | null {
  switch (programForm()) {
    case 'checkout':
      return realpathSync(`${checkoutRoot()}bin/upkeep`);
    case 'single-executable':
      return realpathSync(process.execPath);
    case 'bundle':
      return bundled?.defaultBin ?? null;
  }
}

/** What --bin defaults to, for `upkeep install --help`. */
export function defaultInstallBinText(): string {
  switch (programForm()) {
    case 'checkout':
      return "this checkout's bin/upkeep";
    case 'single-executable':
      return 'this single executable';
    case 'bundle':
      return bundled?.defaultBin ?? 'none: required for a bundle';
  }
}

/** The unit's Documentation= URI: a checkout's docs/install.md, or the bundle's --docs-uri (null: none). */
export function installDocsUri(): string | null {
  if (!bundled) return pathToFileURL(`${checkoutRoot()}docs/install.md`).href;
  return bundled.docsUri;
}
