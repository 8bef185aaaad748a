/**
 * Compose command lines built from container labels, and what compose says it would create.
 * Pure.
 *
 * Labels are input from whoever could create a container: a project, service or config-file label
 * must never become a compose option. So every command line here
 *   - passes option values in the `--opt=value` form (`--project-name=P`, `--file=F`,
 *     `--hash=S`), never as a separate word that could be read as an option;
 *   - refuses a project label that is not a compose project name (`[a-z0-9][a-z0-9_-]*`);
 *   - writes a relative config file as `./FILE` (so `-` never means stdin);
 *   - puts `--` before every operand (the service name).
 *
 * Before compose re-creates a removed container, the adapter asks compose what it would create
 * (`config --hash=SERVICE` with upkeep's environment and the project's `.env`) and compares that
 * with the config hash compose wrote on the container that was there
 * (`com.docker.compose.config-hash`): equal means compose would create the same container; any
 * difference (a variable such as `${LAPIS_PORT}` that was set when the operator ran compose and is
 * not set now, an edited file, a newer image) means it would not, and the container is re-created
 * from its saved configuration instead. See docs/recovery.md.
 */
import type { DesiredContainer } from './desired-state.js';
import type { ComposeUpCommand } from './plan.js';

/** Compose's own label holding the hash of the service configuration a container was created from. */
export const CONFIG_HASH_LABEL = 'com.docker.compose.config-hash';

/** A compose project name (compose v2's rule; v1 writes its normalised names in the same alphabet). */
export const COMPOSE_PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** Why this project label cannot be given to compose, or null when it is a compose project name. */
export function projectNameProblem(project: string): string | null {
  if (COMPOSE_PROJECT_NAME.test(project)) return null;
  return `refused: label value ${JSON.stringify(project)} (com.docker.compose.project) is not a compose project name ([a-z0-9][a-z0-9_-]*); not passed to compose`;
}

/** A config file as compose gets it: `--file=PATH`, a relative path as `./PATH` (never `-`, stdin). */
export function fileOption(file: string): string {
  return `--file=${file.startsWith('/') ? file : `./${file}`}`;
}

/** The options before the compose command: `--project-name=P --file=F...`. */
export function projectOptions(project: string, configFiles: readonly string[]): string[] {
  return [`--project-name=${project}`, ...configFiles.map(fileOption)];
}

/** `up` for one service: no dependencies (upkeep orders them), never re-creating what runs. */
export function upArgs(project: string, configFiles: readonly string[], service: string): string[] {
  return [...projectOptions(project, configFiles), 'up', '-d', '--no-deps', '--no-recreate', '--', service];
}

/** `config --hash=SERVICE`: prints `SERVICE HASH`, the hash compose would label a new container with. */
export function configHashArgs(cmd: Pick<ComposeUpCommand, 'project' | 'configFiles' | 'service'>): string[] {
  return [...projectOptions(cmd.project, cmd.configFiles), 'config', `--hash=${cmd.service}`];
}

/** The hash printed for `service` by `config --hash` (lines `NAME HASH`), or null. */
export function parseConfigHash(stdout: string, service: string): string | null {
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    const sp = t.lastIndexOf(' ');
    if (sp <= 0) continue;
    if (t.slice(0, sp).trim() === service) return t.slice(sp + 1);
  }
  return null;
}

/**
 * Variables compose reported as not set, from its warnings: v1 `WARNING: The X variable is not
 * set. Defaulting to a blank string.`, v2 `The "X" variable is not set. Defaulting to a blank string.`
 * (also when quoted with escaped quotes in a logfmt line), and `required variable X is missing a value`.
 */
export function unsetVariables(stderr: string): string[] {
  const out = new Set<string>();
  for (const m of stderr.matchAll(/The \\?"?([A-Za-z_][A-Za-z0-9_]*)\\?"? variable is not set/g)) out.add(m[1] as string);
  for (const m of stderr.matchAll(/required variable \\?"?([A-Za-z_][A-Za-z0-9_]*)\\?"? is missing a value/gi)) out.add(m[1] as string);
  return [...out].sort();
}

/** What compose said when asked for the service's hash. */
export type ConfigHashCheck = { ok: true; stdout: string; stderr: string } | { ok: false; error: string; stderr: string };

/** Re-create through compose, or from the saved configuration (and why, for a person). */
export type ComposeVerdict = { use: 'compose' } | { use: 'saved-config'; why: string };

/**
 * Whether compose would re-create the container that was there. Only when the hash compose
 * computes now equals the one on the old container; otherwise (or when either is unknown) the
 * saved configuration is used. `why` names the variables compose found unset (never values).
 */
export function composeVerdict(service: string, expectedHash: string | null, check: ConfigHashCheck): ComposeVerdict {
  const unset = unsetVariables(check.stderr);
  const vars = unset.length > 0 ? `; variables not set in upkeep's environment or the project's .env: ${unset.join(', ')}` : '';
  if (!check.ok) {
    const last = check.error
      .trim()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-2)
      .join(' / ');
    return { use: 'saved-config', why: `compose could not say what it would create for service ${JSON.stringify(service)} (${last})${vars}` };
  }
  if (expectedHash === null) {
    return { use: 'saved-config', why: `the container that was there has no ${CONFIG_HASH_LABEL} label to compare compose's result with${vars}` };
  }
  const now = parseConfigHash(check.stdout, service);
  if (now === null) return { use: 'saved-config', why: `compose printed no config hash for service ${JSON.stringify(service)}${vars}` };
  if (now !== expectedHash) {
    return {
      use: 'saved-config',
      why: `compose would create service ${JSON.stringify(service)} differently from the container that was there (config hash ${now.slice(0, 12)}, was ${expectedHash.slice(0, 12)})${vars}`,
    };
  }
  return { use: 'compose' };
}

/**
 * The desired container each compose command was built for, so that the adapter can fall back to
 * its saved configuration. Kept beside the command, not in it: the command is part of the plan,
 * which is printed and must never hold a container's configuration (environment values).
 */
const savedContainers = new WeakMap<ComposeUpCommand, DesiredContainer>();

export function rememberSavedContainer(cmd: ComposeUpCommand, d: DesiredContainer): ComposeUpCommand {
  savedContainers.set(cmd, d);
  return cmd;
}

/** The desired container `cmd` was built for by composeUpCommand, or null (a hand-made command). */
export function savedContainerOf(cmd: ComposeUpCommand): DesiredContainer | null {
  return savedContainers.get(cmd) ?? null;
}

/** The config hash compose wrote on the container that was there, or null. */
export function expectedConfigHash(d: DesiredContainer | null): string | null {
  const h = d?.createConfig.Labels?.[CONFIG_HASH_LABEL];
  return typeof h === 'string' && h !== '' ? h : null;
}
