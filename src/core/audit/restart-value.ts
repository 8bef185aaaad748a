/**
 * Restart policies as compose files spell them (`no`, `always`, `unless-stopped`, `on-failure`,
 * `on-failure:3`) and as `deploy.restart_policy.condition` spells them (`none`, `on-failure`, `any`),
 * turned into the model's RestartPolicy.
 */
import type { RestartPolicy } from '../model.js';

/** `restart:` of a compose service; null when Docker would not accept the value. */
export function parseComposeRestart(value: string): RestartPolicy | null {
  const m = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(value.trim());
  if (m === null) return null;
  const name = m[1] as RestartPolicy['name'];
  if (m[2] !== undefined && name !== 'on-failure') return null;
  return { name, maximumRetryCount: m[2] === undefined ? 0 : Number.parseInt(m[2], 10) };
}

/**
 * `deploy.restart_policy` as docker compose v2 applies it to a container (docker/compose
 * `pkg/compose/create.go`, getRestartPolicy): `none`/`no` -> no, `any`/`always` -> always,
 * `on-failure` (with `max_attempts`), `unless-stopped`; null for anything else.
 */
export function parseDeployCondition(condition: string, maxAttempts: number | null): RestartPolicy | null {
  switch (condition.trim()) {
    case 'none':
    case 'no':
      return { name: 'no', maximumRetryCount: 0 };
    case 'any':
    case 'always':
      return { name: 'always', maximumRetryCount: 0 };
    case 'unless-stopped':
      return { name: 'unless-stopped', maximumRetryCount: 0 };
    case 'on-failure':
      return { name: 'on-failure', maximumRetryCount: maxAttempts ?? 0 };
    default:
      return null;
  }
}

/**
 * The policy an operator may ask `--fix` to write (`--restart-policy`): `always`, `unless-stopped`,
 * `on-failure` or `on-failure:N`. Null for anything else, `no` included.
 */
export function parseTargetPolicy(value: string): RestartPolicy | null {
  const policy = parseComposeRestart(value);
  return policy === null || policy.name === 'no' ? null : policy;
}

/** True when both name the same policy (and, for on-failure, the same retry limit). */
export function samePolicy(a: RestartPolicy, b: RestartPolicy): boolean {
  return a.name === b.name && (a.name !== 'on-failure' || a.maximumRetryCount === b.maximumRetryCount);
}
