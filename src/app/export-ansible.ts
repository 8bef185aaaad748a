/**
 * `upkeep export ansible PROJECT`: read the running compose project's files (the paths its
 * containers' labels name, read only inside its working directory, as the runbook reads them:
 * app/runbook.ts) and its `.env`, and build the role (core/export/ansible-role.ts). It never writes.
 */
import { basename, isAbsolute, join, normalize } from 'node:path';
import { UpkeepError } from '../core/errors.js';
import { buildAnsibleRole, parseEnvFile, roleNameFor, type ExportedRole } from '../core/export/ansible-role.js';
import type { ContainerFacts } from '../core/model.js';
import type { ProjectFileReader } from '../ports/files.js';
import { readInside } from './runbook.js';

export interface ExportAnsibleDeps {
  containers: readonly ContainerFacts[];
  files: ProjectFileReader;
  now: Date;
}

export interface ExportAnsibleResult extends ExportedRole {
  project: string;
  workingDir: string;
  composeFiles: string[];
  envFile: string | null;
}

/** The role of the running compose project `project`; throws what is missing, with what to do. */
export async function exportAnsibleRole(deps: ExportAnsibleDeps, project: string, role?: string): Promise<ExportAnsibleResult> {
  const members = deps.containers.filter((c) => c.compose !== null && !c.compose.oneOff && c.compose.project === project);
  if (members.length === 0) {
    const running = [...new Set(deps.containers.flatMap((c) => (c.compose === null ? [] : [c.compose.project])))].sort();
    throw new UpkeepError(`no compose project named ${JSON.stringify(project)} on this engine`, {
      hint: running.length === 0 ? 'no container here belongs to a compose project' : `compose projects here: ${running.join(', ')}`,
    });
  }
  const first = members.find((c) => c.state === 'running') ?? members[0]!;
  const compose = first.compose!;
  if (compose.workingDir === null || compose.configFiles.length === 0) {
    throw new UpkeepError(`${first.name}: its labels name no working directory or compose files (com.docker.compose.project.working_dir, .config_files)`, {
      hint: 'export needs a project started by docker compose from files; write its role by hand',
    });
  }
  const wd = compose.workingDir;
  const real = await deps.files.realpath(wd);
  const root = real.ok && real.real !== '/' ? real.real : null;
  const files: Array<{ name: string; text: string }> = [];
  const paths = compose.configFiles.map((f) => (isAbsolute(f) ? normalize(f) : normalize(join(wd, f))));
  for (const path of paths) {
    const r = await readInside(deps.files, path, root, wd, /\.ya?ml$/i);
    if (!r.ok)
      throw new UpkeepError(`cannot export ${project}: ${path}: ${r.why}`, {
        hint: 'run upkeep export on the host where the project runs, as a user who can read its files',
      });
    if (files.some((f) => f.name === basename(path))) throw new UpkeepError(`cannot export ${project}: two compose files named ${basename(path)}`);
    files.push({ name: basename(path), text: r.text });
  }
  const envPath = join(wd, '.env');
  let env: Map<string, string> | null = null;
  if (!(await deps.files.absent(envPath))) {
    const r = await readInside(deps.files, envPath, root, wd, null);
    if (!r.ok) throw new UpkeepError(`cannot export ${project}: ${envPath}: ${r.why}`);
    env = parseEnvFile(r.text);
  }
  const built = buildAnsibleRole({ project, role: role ?? roleNameFor(project), workingDir: wd, files, env, generatedAt: deps.now.toISOString() });
  return { ...built, project, workingDir: wd, composeFiles: paths, envFile: env === null ? null : envPath };
}
