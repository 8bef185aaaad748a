/**
 * "Is this a job?" in one place: a container or compose service that runs to completion is never
 * given a restarting policy, never desired-running, never healed. The evidence, strongest first:
 *
 * - declared: the label `upkeep.role=job` (or, in a compose file, `x-upkeep: {role: job}`);
 *   `upkeep.role=service` (or `long-running`) declares the opposite;
 * - a `docker compose run` container (label `com.docker.compose.oneoff=True`);
 * - compose semantics: another service depends on it with `condition: service_completed_successfully`;
 * - behaviour: a container of it that exited 0 by itself (not stopped by hand, under a policy that
 *   would not have restarted it);
 * - its name or command looks like a one-off task (`migrate`, `init`, `backup`, ...): weak, used
 *   only when nothing says it is long-running.
 *
 * Pure; each function gives the reason as a clause for messages, or null.
 */
import type { ContainerFacts } from './model.js';

/** upkeep's role label. */
export const ROLE_LABEL = 'upkeep.role';
const COMPOSE_ONE_OFF_LABEL = 'com.docker.compose.oneoff';

/** The declared role in a role label value: 'job', 'service', or null when none or unknown. */
export function declaredRole(value: string | undefined | null): 'job' | 'service' | null {
  const v = value?.trim().toLowerCase();
  if (v === 'job') return 'job';
  if (v === 'service' || v === 'long-running') return 'service';
  return null;
}

/** Why a container's labels make it a job (`upkeep.role=job`, or a `docker compose run` container), or null. */
export function jobByLabels(labels: Readonly<Record<string, string>>): string | null {
  if (declaredRole(labels[ROLE_LABEL]) === 'job') return `labelled ${ROLE_LABEL}=job`;
  if ((labels[COMPOSE_ONE_OFF_LABEL] ?? '').toLowerCase() === 'true') return 'a `docker compose run` container';
  return null;
}

/** True for a container that runs to completion, by its labels. */
export function isJobContainer(c: Pick<ContainerFacts, 'labels'> & { compose?: { oneOff: boolean } | null }): boolean {
  return jobByLabels(c.labels) !== null || c.compose?.oneOff === true;
}

/** Why the container shows it is a job: it exited 0 by itself, under a policy that would not restart it; else null. */
export function exitedZeroByItself(c: ContainerFacts): string | null {
  const finished =
    c.state === 'exited' && c.exitCode === 0 && c.manuallyStopped === false && (c.restartPolicy.name === 'no' || c.restartPolicy.name === 'on-failure');
  return finished ? `its container ${c.name} exited 0 by itself` : null;
}

const JOB_WORDS = [
  'migrate',
  'migration',
  'migrations',
  'init',
  'setup',
  'seed',
  'backup',
  'restore',
  'cron',
  'job',
  'oneshot',
  'once',
  'bootstrap',
  'provision',
  'cleanup',
  'prune',
];
const JOB_NAME = new RegExp(`(^|[-_.])(${JOB_WORDS.join('|')})([-_.\\d]|$)`, 'i');
const JOB_COMMAND = /(^|[\s/:])(migrate|db:migrate|makemigrations|upgrade head|seed|backup|pg_dump|mysqldump|createsuperuser|collectstatic)(\s|$)/i;

/** Why a name looks like a one-off task (`db-migrate`, `init`, `backup_job`), or null. */
export function jobLikeName(name: string): string | null {
  const m = JOB_NAME.exec(name);
  return m === null ? null : `its name "${name}" says ${m[2]!.toLowerCase()}`;
}

/** Why a command looks like a one-off task (`manage.py migrate`, `alembic upgrade head`, `pg_dump`), or null. */
export function jobLikeCommand(command: string | null): string | null {
  if (command === null) return null;
  const m = JOB_COMMAND.exec(command);
  return m === null ? null : `its command runs ${m[2]}`;
}
