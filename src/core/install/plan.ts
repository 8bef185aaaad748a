/**
 * `upkeep install` and `upkeep uninstall` as plans: pure functions from what is on disk now (read by
 * src/adapters/install/read-install.ts) to a list of actions, applied by
 * src/adapters/install/apply-install.ts. Paths are the target system's; `root` only prefixes them.
 *
 * Install never overwrites what it did not write: a file is updated only when the manifest says
 * upkeep wrote it and its content is still what upkeep wrote (same sha256); anything else is kept,
 * and the plan says why. The config file is only ever created. Uninstall removes only manifest
 * paths that still hold what install wrote, and directories install created once they are empty;
 * --purge also removes the config and the whole state directory.
 */
import { DEFAULT_CONFIG_PATH } from '../config/types.js';
import { UpkeepError } from '../errors.js';
import { APT_HOOK_PATH, renderAptHook } from './apt-hook.js';
import { MANIFEST_FORMAT, MANIFEST_PATH, modeString, parseManifest, serializeManifest, sha256, type InstallManifest, type ManifestEntry } from './manifest.js';
import { UNIT_PATH, renderUnitFile } from './unit-file.js';
import { compareText } from '../text-order.js';

export const CONFIG_PATH = DEFAULT_CONFIG_PATH;
export const STATE_DIR = '/var/lib/upkeep';
export const SYMLINK_PATH = '/usr/local/bin/upkeep';
/** The state database's file name inside STATE_DIR (what uninstall never removes without --purge). */
const DATABASE_FILE = 'upkeep.db';

/** What is at a path now. */
export type CurrentState =
  | { kind: 'absent' }
  | { kind: 'file'; sha256: string; mode: number }
  | { kind: 'symlink'; target: string }
  | { kind: 'dir'; mode: number; entries: string[] }
  | { kind: 'other' };

/**
 * What install wants at a path. `owned`: updated while unchanged since upkeep wrote it;
 * `create-only`: written only when absent (the config); `parent`: a directory created when absent,
 * its mode otherwise left alone; `state`: the state directory, kept at its mode.
 */
export type InstallTarget =
  | { path: string; kind: 'file'; content: string; mode: number; policy: 'owned' | 'create-only'; purpose: string }
  | { path: string; kind: 'symlink'; target: string; policy: 'owned'; purpose: string }
  | { path: string; kind: 'dir'; mode: number; policy: 'parent' | 'state'; purpose: string };

export type InstallActionKind = 'create' | 'unchanged' | 'update' | 'keep';

export type InstallAction = InstallTarget & { action: InstallActionKind; reason: string | null };

export interface InstallPlan {
  bin: string;
  /** In apply order: directories outermost first, then files. */
  actions: InstallAction[];
  /** The manifest, written last. */
  manifest: { path: string; text: string; action: 'create' | 'update' | 'unchanged' };
  /** Paths that block the install (a file where a directory must be); nothing is applied then. */
  conflicts: string[];
}

export interface InstallTargetOptions {
  /** The upkeep executable on the target system (absolute). */
  bin: string;
  /** Documentation= URI for the unit, or null for none (a bundle that does not know where its docs are). */
  docs: string | null;
  /** The text of a new config file. */
  configText: string;
}

/** The executable path must survive systemd's and apt's (sh -c) command lines unquoted. */
export const SAFE_BIN = /^\/[A-Za-z0-9_./+@-]+$/;

function parentsOf(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(`/${parts.slice(0, i).join('/')}`);
  return out;
}

function depth(path: string): number {
  return path.split('/').length;
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

/** Everything install writes, directories first (outermost first). */
export function installTargets(o: InstallTargetOptions): InstallTarget[] {
  if (!SAFE_BIN.test(o.bin))
    throw new UpkeepError(`the executable path "${o.bin}" must be absolute and contain only letters, digits and _ . / + @ -`, {
      hint: 'pass --bin with a plain absolute path (the unit and the apt hook use it unquoted)',
    });
  const files: InstallTarget[] = [
    {
      path: UNIT_PATH,
      kind: 'file',
      content: renderUnitFile({ bin: o.bin, configPath: CONFIG_PATH, docs: o.docs }),
      mode: 0o644,
      policy: 'owned',
      purpose: "the agent's systemd unit",
    },
    {
      path: APT_HOOK_PATH,
      kind: 'file',
      content: renderAptHook(o.bin),
      mode: 0o644,
      policy: 'owned',
      purpose: 'apt hook: preflight and a maintenance window around dpkg',
    },
    { path: CONFIG_PATH, kind: 'file', content: o.configText, mode: 0o600, policy: 'create-only', purpose: "the agent's config (only created when absent)" },
  ];
  if (o.bin !== SYMLINK_PATH) files.push({ path: SYMLINK_PATH, kind: 'symlink', target: o.bin, policy: 'owned', purpose: 'upkeep on the PATH' });
  const dirs = new Set<string>();
  for (const f of [...files.map((f) => f.path), `${STATE_DIR}/x`]) for (const p of parentsOf(f)) dirs.add(p);
  const dirTargets: InstallTarget[] = [...dirs]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) // a parent sorts before its children
    .map((path) =>
      path === STATE_DIR
        ? { path, kind: 'dir', mode: 0o700, policy: 'state', purpose: 'the state directory (database, install manifest)' }
        : { path, kind: 'dir', mode: 0o755, policy: 'parent', purpose: 'parent directory' },
    );
  return [...dirTargets, ...files];
}

/** The paths whose current state planInstall needs (the manifest is read as text separately). */
export function installPathsToRead(targets: InstallTarget[]): string[] {
  return targets.map((t) => t.path);
}

function manifestEntryFor(t: InstallTarget): ManifestEntry {
  if (t.kind === 'file') return { path: t.path, kind: 'file', sha256: sha256(t.content), mode: modeString(t.mode) };
  if (t.kind === 'symlink') return { path: t.path, kind: 'symlink', target: t.target };
  return { path: t.path, kind: 'dir', mode: modeString(t.mode) };
}

function describeCurrent(c: CurrentState): string {
  switch (c.kind) {
    case 'file':
      return 'a file';
    case 'symlink':
      return `a symlink to ${c.target}`;
    case 'dir':
      return 'a directory';
    default:
      return 'something that is not a file';
  }
}

/** Parses the manifest's text, or throws an UpkeepError naming the file. */
export function readManifestText(text: string | null, where: string): InstallManifest | null {
  if (text === null) return null;
  try {
    return parseManifest(text);
  } catch (err) {
    throw new UpkeepError(`${where}: the install manifest cannot be read: ${(err as Error).message}`, {
      hint: 'it lists what upkeep install wrote; restore it, or move it away to make install treat every existing file as not its own',
    });
  }
}

function decide(
  t: InstallTarget,
  cur: CurrentState,
  old: ManifestEntry | undefined,
  conflicts: string[],
): { action: InstallActionKind; reason: string | null } {
  if (cur.kind === 'absent') return { action: 'create', reason: null };
  if (t.kind === 'dir') {
    if (cur.kind !== 'dir') {
      conflicts.push(`${t.path} is ${describeCurrent(cur)}, not a directory`);
      return { action: 'keep', reason: `${describeCurrent(cur)}, not a directory` };
    }
    if (t.policy === 'state' && (cur.mode & 0o7777) !== t.mode) return { action: 'update', reason: `mode ${modeString(cur.mode)} -> ${modeString(t.mode)}` };
    return { action: 'unchanged', reason: null };
  }
  if (t.kind === 'symlink') {
    if (cur.kind === 'symlink' && cur.target === t.target) return { action: 'unchanged', reason: null };
    if (cur.kind === 'symlink' && old?.kind === 'symlink' && old.target === cur.target) return { action: 'update', reason: `was a symlink to ${cur.target}` };
    return { action: 'keep', reason: `${describeCurrent(cur)}, not made by upkeep install: left alone` };
  }
  if (cur.kind !== 'file') return { action: 'keep', reason: `${describeCurrent(cur)}, not a regular file: left alone` };
  const want = sha256(t.content);
  const sameContent = cur.sha256 === want;
  const sameMode = (cur.mode & 0o7777) === t.mode;
  if (sameContent && sameMode) return { action: 'unchanged', reason: null };
  if (t.policy === 'create-only')
    return {
      action: 'keep',
      reason:
        old?.kind === 'file' && old.sha256 !== cur.sha256 ? 'edited since upkeep wrote it: never overwritten' : 'exists: install never overwrites the config',
    };
  const ours = old?.kind === 'file' && old.sha256 === cur.sha256;
  if (ours)
    return {
      action: 'update',
      reason: sameContent ? `mode ${modeString(cur.mode)} -> ${modeString(t.mode)}` : 'unchanged since upkeep wrote it: replaced by the new version',
    };
  if (old?.kind === 'file') return { action: 'keep', reason: 'edited since upkeep wrote it: not overwritten' };
  return { action: 'keep', reason: 'not written by upkeep install: not overwritten' };
}

export interface InstallInput {
  bin: string;
  targets: InstallTarget[];
  current: ReadonlyMap<string, CurrentState>;
  /** The manifest's current text (null: none), and where it is, for error messages. */
  manifestText: string | null;
  manifestWhere: string;
}

/** What install would do. Throws an UpkeepError when the manifest cannot be read. */
export function planInstall(input: InstallInput): InstallPlan {
  const oldManifest = readManifestText(input.manifestText, input.manifestWhere);
  const old = new Map((oldManifest?.entries ?? []).map((e) => [e.path, e]));
  const conflicts: string[] = [];
  const actions: InstallAction[] = [];
  const blocked = new Set<string>();
  for (const t of input.targets) {
    const cur = input.current.get(t.path) ?? { kind: 'absent' };
    const parent = parentOf(t.path);
    if (blocked.has(parent)) {
      blocked.add(t.path);
      actions.push({ ...t, action: 'keep', reason: `${parent} is not a directory` });
      continue;
    }
    const d = decide(t, cur, old.get(t.path), conflicts);
    if (t.kind === 'dir' && cur.kind !== 'absent' && cur.kind !== 'dir') blocked.add(t.path);
    actions.push({ ...t, ...d });
  }
  // The new manifest: what this run creates or updates, plus what earlier runs wrote.
  const entries = new Map<string, ManifestEntry>();
  for (const e of oldManifest?.entries ?? []) entries.set(e.path, e);
  for (const a of actions) {
    const owned = a.action === 'create' || ((a.action === 'update' || a.action === 'unchanged') && old.has(a.path));
    if (owned) entries.set(a.path, manifestEntryFor(a));
  }
  const order = new Map(input.targets.map((t, i) => [t.path, i]));
  const sorted = [...entries.values()].sort((a, b) => (order.get(a.path) ?? Infinity) - (order.get(b.path) ?? Infinity));
  const text = serializeManifest({ format: MANIFEST_FORMAT, bin: input.bin, entries: sorted });
  const manifestAction = input.manifestText === null ? 'create' : input.manifestText === text ? 'unchanged' : 'update';
  return { bin: input.bin, actions, manifest: { path: MANIFEST_PATH, text, action: manifestAction }, conflicts };
}

/** Whether applying the plan would change anything on disk. */
export function installChanges(plan: InstallPlan): boolean {
  return plan.manifest.action !== 'unchanged' || plan.actions.some((a) => a.action === 'create' || a.action === 'update');
}

// ---- uninstall ----

export type UninstallActionKind = 'remove' | 'keep' | 'absent';

export interface UninstallAction {
  path: string;
  kind: 'file' | 'symlink' | 'dir';
  action: UninstallActionKind;
  reason: string | null;
  /** Remove a directory with everything in it (only the state directory, with --purge). */
  recursive: boolean;
}

export interface UninstallPlan {
  /** Whether an install manifest was found. */
  installed: boolean;
  /** In apply order: files, then the manifest, then directories innermost first. */
  actions: UninstallAction[];
}

/** The paths planUninstall needs the current state of. */
export function uninstallPathsToRead(manifest: InstallManifest | null): string[] {
  return [
    ...new Set([
      ...(manifest?.entries ?? []).map((e) => e.path),
      CONFIG_PATH,
      CONFIG_PATH.slice(0, CONFIG_PATH.lastIndexOf('/')),
      STATE_DIR,
      MANIFEST_PATH,
      UNIT_PATH,
    ]),
  ];
}

export interface UninstallInput {
  manifest: InstallManifest | null;
  current: ReadonlyMap<string, CurrentState>;
  purge: boolean;
}

/** What uninstall would do. */
export function planUninstall(input: UninstallInput): UninstallPlan {
  const cur = (p: string): CurrentState => input.current.get(p) ?? { kind: 'absent' };
  const actions: UninstallAction[] = [];
  const push = (path: string, kind: UninstallAction['kind'], action: UninstallActionKind, reason: string | null, recursive = false) =>
    actions.push({ path, kind, action, reason, recursive });
  const entries = input.manifest?.entries ?? [];
  for (const e of entries) {
    if (e.kind === 'dir') continue;
    const c = cur(e.path);
    if (c.kind === 'absent') push(e.path, e.kind, 'absent', 'already gone');
    else if (e.kind === 'file' && c.kind === 'file' && c.sha256 === e.sha256) push(e.path, 'file', 'remove', null);
    else if (e.kind === 'file' && c.kind === 'file' && input.purge && e.path === CONFIG_PATH) push(e.path, 'file', 'remove', 'edited; removed by --purge');
    else if (e.kind === 'symlink' && c.kind === 'symlink' && c.target === e.target) push(e.path, 'symlink', 'remove', null);
    else if (e.kind === 'file' && c.kind === 'file')
      push(e.path, 'file', 'keep', e.path === CONFIG_PATH ? 'edited since upkeep wrote it: kept (--purge removes it)' : 'edited since upkeep wrote it: kept');
    else push(e.path, e.kind, 'keep', `now ${describeCurrent(c)}: kept`);
  }
  const config = cur(CONFIG_PATH);
  if (input.purge && config.kind === 'file' && !entries.some((e) => e.path === CONFIG_PATH)) push(CONFIG_PATH, 'file', 'remove', '--purge');
  const manifest = cur(MANIFEST_PATH);
  if (manifest.kind === 'file') push(MANIFEST_PATH, 'file', 'remove', 'the install manifest');
  const removed = new Set(actions.filter((a) => a.action === 'remove').map((a) => a.path));
  const dirs = entries.filter((e) => e.kind === 'dir').map((e) => e.path);
  if (input.purge && !dirs.includes(STATE_DIR)) dirs.push(STATE_DIR);
  // --purge removes the config: its directory goes too once nothing else is in it.
  const configDir = CONFIG_PATH.slice(0, CONFIG_PATH.lastIndexOf('/'));
  if (input.purge && !dirs.includes(configDir)) dirs.push(configDir);
  dirs.sort((a, b) => depth(b) - depth(a) || compareText(b, a));
  for (const d of dirs) {
    const c = cur(d);
    if (c.kind === 'absent') {
      if (!(input.purge && (d === STATE_DIR || d === configDir) && !entries.some((e) => e.path === d))) push(d, 'dir', 'absent', 'already gone');
      continue;
    }
    if (c.kind !== 'dir') {
      push(d, 'dir', 'keep', `now ${describeCurrent(c)}: kept`);
      continue;
    }
    if (input.purge && d === STATE_DIR) {
      push(d, 'dir', 'remove', '--purge: the state database and everything in it', true);
      removed.add(d);
      continue;
    }
    const left = c.entries.filter((n) => !removed.has(`${d}/${n}`)).sort();
    if (left.length === 0) {
      push(d, 'dir', 'remove', null);
      removed.add(d);
    } else if (d === STATE_DIR && left.includes(DATABASE_FILE)) push(d, 'dir', 'keep', 'holds the state database: kept (--purge removes it)');
    else push(d, 'dir', 'keep', `not empty (${left.slice(0, 3).join(', ')}${left.length > 3 ? ', ...' : ''}): kept`);
  }
  return { installed: input.manifest !== null, actions };
}
