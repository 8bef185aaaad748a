/**
 * The runbook as a use case (`upkeep runbook`): read the desired state and, when the engine
 * answered, what runs now; read the compose files the projects' labels name and their `.env`; build
 * the runbook (core/runbook/runbook.ts). It never prints and never writes.
 *
 * Which files it opens (labels are hostile input; docs/limits.md): a compose file named by the
 * labels only when its real path (symlinks resolved) is inside the project's real working
 * directory (not `/`) and is named *.yml or *.yaml; the `.env` in that working directory; regular
 * files only, at most 1 MiB, UTF-8. Anything else is listed with why it was not read. Only variable
 * names come out of them.
 */
import { isAbsolute, relative, sep } from 'node:path';
import type { ContainerFacts, DaemonFacts } from '../core/model.js';
import type { HostIdentity } from '../core/recovery/desired-state.js';
import { buildRunbook, projectsToRead, type FileRead, type Runbook } from '../core/runbook/runbook.js';
import { rollbackSection } from '../core/upgrade/rollback.js';
import type { ProjectFileReader } from '../ports/files.js';
import type { RollbackPlanSource } from '../ports/rollback.js';
import { loadDesiredState, type DesiredStateSource } from './desired-state.js';

export interface RunbookDeps {
  /** The desired state; and, when it has them, the rollback plans `upkeep upgrade` recorded. */
  store: DesiredStateSource & Partial<RollbackPlanSource>;
  /** What runs now, or null when the engine did not answer (`engineProblem` says why). */
  live: { host: HostIdentity; daemon: DaemonFacts; containers: readonly ContainerFacts[] } | null;
  engineProblem: string | null;
  files: ProjectFileReader;
  stateDir: string;
  now: Date;
  /** Take the newest snapshot of another engine when this one has none (Docker reinstalled). */
  allowOtherHost?: boolean;
}

/** The runbook of this host; throws the desired state's problem (no snapshot: exit 2 with the hint). */
export async function makeRunbook(deps: RunbookDeps): Promise<Runbook> {
  const host = deps.live?.host ?? newestHost(deps.store);
  const r = loadDesiredState(deps.store, host, deps.live === null ? { allowOtherHost: true } : { allowOtherHost: deps.allowOtherHost === true });
  if (!r.ok) throw r.problem.error;
  const files = new Map<string, FileRead>();
  for (const p of projectsToRead(r.state.containers)) {
    const wd = p.workingDir === null ? null : await deps.files.realpath(p.workingDir);
    const root = wd !== null && wd.ok && wd.real !== '/' ? wd.real : null;
    for (const f of p.absoluteFiles) {
      if (f === null || files.has(f)) continue;
      files.set(f, await readInside(deps.files, f, root, p.workingDir, /\.ya?ml$/i));
    }
    if (p.envFile !== null && !files.has(p.envFile)) {
      files.set(
        p.envFile,
        (await deps.files.absent(p.envFile)) ? { ok: false, why: 'absent' } : await readInside(deps.files, p.envFile, root, p.workingDir, null),
      );
    }
  }
  const runbook = buildRunbook({
    generatedAt: deps.now.toISOString(),
    stateDir: deps.stateDir,
    desired: r.state,
    live: deps.live,
    engineProblem: deps.engineProblem,
    files,
  });
  const rollback = deps.store.rollbackPlan?.({ newest: true }) ?? null;
  if (rollback !== null) runbook.rollback = { ...rollbackSection(rollback.plan), runId: rollback.runId, maintenanceId: rollback.maintenanceId };
  return runbook;
}

/** The engine of the newest snapshot, when the engine does not answer to say which one this is. */
function newestHost(store: DesiredStateSource): HostIdentity {
  const newest = store.listSnapshots({ limit: 1 })[0];
  return newest?.host ?? { id: '', name: '' };
}

/** A project file read only inside the project's real working directory (see the file comment), or why not. */
export async function readInside(
  files: ProjectFileReader,
  path: string,
  root: string | null,
  workingDir: string | null,
  name: RegExp | null,
): Promise<FileRead> {
  if (root === null) return { ok: false, why: `the project's working directory ${JSON.stringify(workingDir)} is not a usable directory: not opened` };
  const real = await files.realpath(path);
  if (!real.ok) return { ok: false, why: real.reason };
  const rel = relative(root, real.real);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    return {
      ok: false,
      why: `${real.real === path ? 'it is' : `it leads to ${real.real}, which is`} outside the project's working directory ${root}: not opened`,
    };
  }
  if (name !== null && !name.test(real.real)) return { ok: false, why: 'not named *.yml or *.yaml: not opened' };
  const r = await files.read(real.real);
  return r.ok ? { ok: true, text: r.text } : { ok: false, why: r.why };
}
