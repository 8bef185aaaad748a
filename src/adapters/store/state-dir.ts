/**
 * Where upkeep keeps its state (the SQLite database): `--state-dir`, else UPKEEP_STATE_DIR, else
 * /var/lib/upkeep as root, else $XDG_STATE_HOME/upkeep (default ~/.local/state/upkeep).
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** The directory root uses. */
export const SYSTEM_STATE_DIR = '/var/lib/upkeep';

/** The database file's name inside the state directory. */
export const DATABASE_FILE = 'upkeep.db';

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

/**
 * Resolves the state directory to an absolute path. `flag` is the value of `--state-dir`;
 * relative overrides are taken from `cwd`. A relative XDG_STATE_HOME is ignored, as the XDG
 * specification says.
 */
export function resolveStateDir(
  env: Readonly<Record<string, string | undefined>>,
  isRoot: boolean,
  opts: { flag?: string; cwd?: string; home?: string } = {},
): string {
  const cwd = opts.cwd ?? process.cwd();
  const override = nonEmpty(opts.flag) ?? nonEmpty(env.UPKEEP_STATE_DIR);
  if (override !== undefined) return resolve(cwd, override);
  if (isRoot) return SYSTEM_STATE_DIR;
  const xdg = nonEmpty(env.XDG_STATE_HOME);
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'upkeep');
  const home = nonEmpty(opts.home) ?? nonEmpty(env.HOME) ?? homedir();
  return join(home, '.local', 'state', 'upkeep');
}
