/**
 * Will this container be running after a daemon restart, a daemon crash or a reboot?
 *
 * This reproduces moby's `ShouldRestart` as observed on a real engine (see docs/restart-semantics.md
 * and docs/restart-semantics.md): at daemon start, a container that ran before is started again when
 *   - `always`;
 *   - `unless-stopped` and not `HasBeenManuallyStopped`;
 *   - `on-failure[:N]` when its exit code is not 0 and RestartCount < N (N = 0: no limit);
 * never for `no`. A graceful daemon stop does not mark containers as manually stopped; `docker stop`
 * does; after a crash the next daemon kills the orphaned containers, and that counts as a manual
 * stop. With live-restore, containers keep running while dockerd is down (not across a reboot).
 *
 * Where the outcome depends on something that cannot be known (a process's exit code when it is
 * sent SIGTERM, an unreadable manually-stopped flag) the answer is `unknown`, never a guess.
 */
import type { ContainerFacts, DaemonFacts, LifecycleEvent, Prediction } from './model.js';

/** What the daemon will see for this container when it starts again after the event. */
interface StateAtDaemonStart {
  /** Exit code of the container's last run, or null when it cannot be known in advance. */
  exitCode: number | null;
  /** HasBeenManuallyStopped at that moment, or null when unknown. */
  manuallyStopped: boolean | null;
  /** Why the container is stopped at that moment, for reasons. */
  stoppedBy: 'daemon-shutdown' | 'crash-cleanup' | 'manual-stop' | 'already-stopped';
}

const KILL_SIGNALS = new Set(['SIGKILL', 'KILL', '9']);

/** A stop whose first signal is SIGKILL always ends in exit code 137; any other may exit 0. */
function exitCodeWhenStopped(c: ContainerFacts): number | null {
  return c.stopSignal !== null && KILL_SIGNALS.has(c.stopSignal.toUpperCase()) ? 137 : null;
}

function isUp(c: ContainerFacts): boolean {
  return c.state === 'running' || c.state === 'restarting';
}

/** Predicts whether `c` is running after `event`, with a reason a person can read. */
export function willComeBack(c: ContainerFacts, daemon: DaemonFacts, event: LifecycleEvent): Prediction {
  if (c.state === 'paused') {
    return { outcome: 'unknown', reason: 'paused containers are not modelled: unpause it or check by hand' };
  }
  if (c.state === 'dead' || c.state === 'removing') {
    return { outcome: 'not-back', reason: `a ${c.state} container is never started again` };
  }
  if (c.state === 'created') {
    return { outcome: 'not-back', reason: 'it was never started, and Docker only restarts containers that ran before' };
  }

  if (isUp(c) && daemon.liveRestore && (event === 'daemon-restart' || event === 'daemon-crash')) {
    return {
      outcome: 'back',
      reason: 'live-restore keeps containers running while dockerd is down (documented as safe only across patch upgrades)',
    };
  }

  const atStart = stateAtDaemonStart(c, event);
  return shouldRestartAtDaemonStart(c, atStart);
}

function stateAtDaemonStart(c: ContainerFacts, event: LifecycleEvent): StateAtDaemonStart {
  if (!isUp(c)) {
    // Nothing stops it again: `docker stop` of a stopped container changes no flag.
    return { exitCode: c.exitCode, manuallyStopped: c.manuallyStopped, stoppedBy: 'already-stopped' };
  }
  switch (event) {
    case 'daemon-restart':
    case 'reboot':
      return { exitCode: exitCodeWhenStopped(c), manuallyStopped: false, stoppedBy: 'daemon-shutdown' };
    case 'daemon-crash':
      return { exitCode: exitCodeWhenStopped(c), manuallyStopped: true, stoppedBy: 'crash-cleanup' };
    case 'daemon-restart-after-manual-stop':
      return { exitCode: exitCodeWhenStopped(c), manuallyStopped: true, stoppedBy: 'manual-stop' };
  }
}

function shouldRestartAtDaemonStart(c: ContainerFacts, s: StateAtDaemonStart): Prediction {
  const policy = c.restartPolicy;
  switch (policy.name) {
    case 'no':
      return { outcome: 'not-back', reason: 'restart policy "no": Docker never starts it again' };
    case 'always':
      return {
        outcome: 'back',
        reason:
          s.stoppedBy === 'manual-stop' || (s.stoppedBy === 'already-stopped' && s.manuallyStopped !== false)
            ? 'restart policy "always": the daemon starts it at its next start, even after docker stop'
            : 'restart policy "always": the daemon starts it at its next start',
      };
    case 'unless-stopped':
      if (s.manuallyStopped === null) {
        return {
          outcome: 'unknown',
          reason: 'unless-stopped depends on whether it was stopped by hand (HasBeenManuallyStopped in config.v2.json), which could not be read: run as root',
        };
      }
      if (!s.manuallyStopped) {
        return { outcome: 'back', reason: 'unless-stopped: it was not stopped by hand, so the daemon starts it' };
      }
      switch (s.stoppedBy) {
        case 'crash-cleanup':
          return {
            outcome: 'not-back',
            reason: 'unless-stopped: after a daemon crash the next daemon kills the orphaned container, which counts as a manual stop',
          };
        case 'manual-stop':
          return { outcome: 'not-back', reason: 'unless-stopped: a docker stop marks it manually stopped, so the daemon skips it' };
        default:
          return {
            outcome: 'not-back',
            reason: 'unless-stopped: it is marked manually stopped (docker stop, or a kill after a daemon crash), so the daemon skips it',
          };
      }
    case 'on-failure': {
      const max = policy.maximumRetryCount;
      if (max > 0 && c.restartCount >= max) {
        return {
          outcome: 'not-back',
          reason: `on-failure:${max} has used all its retries (RestartCount ${c.restartCount}), so it stays down for good`,
        };
      }
      if (s.exitCode === null) {
        return {
          outcome: 'unknown',
          reason: `on-failure restarts it only if it exits non-zero when stopped; its exit code on ${c.stopSignal ?? 'SIGTERM'} is not known`,
        };
      }
      if (s.exitCode === 0) {
        return { outcome: 'not-back', reason: 'on-failure: its last exit code is 0, which Docker does not count as a failure' };
      }
      return {
        outcome: 'back',
        reason: `on-failure: its exit code ${s.exitCode} is a failure, so the daemon starts it`,
      };
    }
  }
}

/** All four predictions for one container. */
export function predictAll(c: ContainerFacts, daemon: DaemonFacts): Record<LifecycleEvent, Prediction> {
  return {
    'daemon-restart': willComeBack(c, daemon, 'daemon-restart'),
    'daemon-crash': willComeBack(c, daemon, 'daemon-crash'),
    reboot: willComeBack(c, daemon, 'reboot'),
    'daemon-restart-after-manual-stop': willComeBack(c, daemon, 'daemon-restart-after-manual-stop'),
  };
}

/**
 * While the daemon runs: will Docker start this stopped container again by itself, by its restart
 * policy (moby's ShouldRestart on a container's exit)? `always` and `unless-stopped` unless it was
 * stopped by hand; `on-failure[:N]` on a non-zero exit while retries are left; never `no`.
 */
export function dockerRestartsAfterExit(c: ContainerFacts): boolean {
  if (c.manuallyStopped === true) return false;
  const p = c.restartPolicy;
  if (p.name === 'always' || p.name === 'unless-stopped') return c.state === 'exited';
  if (p.name === 'on-failure') return c.state === 'exited' && (c.exitCode ?? 0) !== 0 && (p.maximumRetryCount === 0 || c.restartCount < p.maximumRetryCount);
  return false;
}
