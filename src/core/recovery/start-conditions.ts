/**
 * Two decisions of a recovery that save waiting blindly (docs/recovery.md, "Who starts what"):
 *
 * 1. WHO STARTS IT. For a desired container that is down when upkeep looks, will Docker itself
 *    start it in a moment (its restart policy), or never? Docker starts containers at its own
 *    start before its API answers, and restarts a container that died by its policy after a short
 *    delay; it never starts one whose policy is `no`, an `unless-stopped` one marked manually
 *    stopped (a `docker stop`, or the kill of an orphan after a daemon crash), an `on-failure` one
 *    that exited 0 or used its retries, or one whose last start FAILED (State.Error: a missing
 *    bind-mount source, a port taken): Docker logs that and never retries it. upkeep waits
 *    (briefly, watching events) only for the first kind, and starts the others at once.
 *
 * 2. WHAT A FAILED START WAITS FOR. A start that failed because a bind-mount source is not there
 *    or a port is taken cannot succeed before that changes: the executor retries it when the path
 *    appears or the port frees (the caller watches), with a short bounded schedule as the fallback
 *    (BLOCKED_FALLBACK), instead of the heal schedule that other failures follow.
 *
 * Pure: text and facts in, decisions out.
 */
import type { ContainerFacts } from '../model.js';
import { dockerRestartsAfterExit } from '../restart-semantics.js';
import { doublingDelay } from './backoff.js';

export type WhoStarts = { by: 'docker'; reason: string } | { by: 'upkeep'; reason: string };

/** For a container that is not running: is Docker about to start it, or is it upkeep's to start? */
export function whoStarts(c: ContainerFacts): WhoStarts {
  if (c.state === 'restarting') return { by: 'docker', reason: 'Docker is restarting it (its restart policy)' };
  if (c.state === 'running' || c.state === 'paused') return { by: 'docker', reason: `it is ${c.state}` };
  if (c.state === 'created') return { by: 'upkeep', reason: 'created but never started: Docker only restarts containers that ran' };
  if (c.state !== 'exited') return { by: 'upkeep', reason: `it is ${c.state}` };
  if (c.startError) return { by: 'upkeep', reason: `Docker's last start of it failed (${c.startError}): Docker never retries that` };
  if (dockerRestartsAfterExit(c)) {
    return {
      by: 'docker',
      reason: `restart policy "${c.restartPolicy.name}"${c.manuallyStopped === null ? ' (manually-stopped flag unknown)' : ''}: Docker starts it`,
    };
  }
  const p = c.restartPolicy;
  if (p.name === 'no') return { by: 'upkeep', reason: 'restart policy "no": Docker never starts it' };
  if (p.name === 'on-failure') return { by: 'upkeep', reason: `on-failure and exited ${c.exitCode ?? '?'} (or out of retries): Docker does not start it` };
  return { by: 'upkeep', reason: `${p.name}, but marked manually stopped (docker stop, or killed after a daemon crash): Docker does not start it` };
}

/** What a failed start waits for. */
export type StartBlocker = { kind: 'mount-source'; path: string } | { kind: 'port'; port: number };

const MOUNT_PATTERNS: readonly RegExp[] = [
  /bind source path does not exist: (\/[^\s"']*)/,
  /error evaluating symlinks from mount source ["'](\/[^"']*)["']/,
  /error while creating mount source path ["'](\/[^"']*)["']/,
  /error mounting ["'](\/[^"']*)["'] to rootfs/,
];
const PORT_PATTERNS: readonly RegExp[] = [
  /Bind for \S*?:(\d+) failed: port is already allocated/,
  /listen (?:tcp|udp)[46]? \S*?:(\d+): bind: address already in use/,
];

/** The condition a start error waits for, or null when it is some other failure (heal schedule). */
export function startBlocker(error: string): StartBlocker | null {
  for (const re of MOUNT_PATTERNS) {
    const m = re.exec(error);
    if (m?.[1] && /no such file or directory|does not exist/.test(error)) return { kind: 'mount-source', path: m[1] };
  }
  for (const re of PORT_PATTERNS) {
    const m = re.exec(error);
    const port = Number(m?.[1]);
    if (Number.isInteger(port) && port > 0 && port < 65536) return { kind: 'port', port };
  }
  return null;
}

export function describeBlocker(b: StartBlocker): string {
  return b.kind === 'mount-source' ? `its bind-mount source ${b.path} to appear` : `port ${b.port} to be free`;
}

/** What a watch reports when the blocker cleared: "its bind-mount source /srv/data appeared". */
export function describeCleared(b: StartBlocker): string {
  return b.kind === 'mount-source' ? `its bind-mount source ${b.path} appeared` : `port ${b.port} is free`;
}

/**
 * While a start waits on a blocker: the retry after the `n`-th blocked failure in a row comes when
 * the watch reports the condition cleared, or after this long at the latest (250 ms doubling to
 * 2 s), so that a watch that misses the change (a network filesystem) costs at most 2 s.
 */
export const BLOCKED_FALLBACK: Readonly<{ initialMs: number; maxMs: number }> = { initialMs: 250, maxMs: 2_000 };

export function blockedRetryDelay(failures: number): number {
  return doublingDelay(failures, BLOCKED_FALLBACK);
}
