/**
 * Compose command lines built from container labels. Pure.
 *
 * Labels are input from whoever could create a container: a project, service or config-file label
 * must never become a compose option. So every command line here
 *   - passes option values in the `--opt=value` form (`--project-name=P`, `--file=F`),
 *     never as a separate word that could be read as an option;
 *   - refuses a project label that is not a compose project name (`[a-z0-9][a-z0-9_-]*`);
 *   - writes a relative config file as `./FILE` (so `-` never means stdin);
 *   - puts `--` before every operand (the service name).
 */
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
