/**
 * `upkeep diff` and `upkeep recover` as use cases: read the desired state (app/desired-state.ts)
 * and the host, plan (core/recovery/plan.ts), apply (core/recovery/executor.ts over the engine's
 * effects), record what was done in the timeline. They return data; the command renders it.
 */
import { diffDesired, type DesiredDiff } from '../core/recovery/diff.js';
import type { DesiredState, HostIdentity } from '../core/recovery/desired-state.js';
import { executeRecovery, type RecoverOptions, type RecoveryEffects, type RecoveryResult } from '../core/recovery/executor.js';
import { planRecovery, type PlanOptions } from '../core/recovery/plan.js';
import { dryRunResult } from '../core/recovery/recovery-json.js';
import { TIMELINE_KINDS } from '../core/timeline.js';
import type { TimelineRepository } from '../ports/timeline.js';
import { requireDesiredState, type DesiredStateSource } from './desired-state.js';

export interface RecoverRequest {
  allowOtherHost?: boolean;
}

function planOptions(desired: DesiredState, engineHost: HostIdentity, req: RecoverRequest): PlanOptions {
  return {
    snapshotHost: desired.snapshot.host,
    engineHost,
    allowOtherHost: req.allowOtherHost === true,
    forgotten: desired.forgotten,
    operatorStopped: desired.operatorStopped,
  };
}

/** What should run and does not. Throws when there is no desired state (the error rule of requireDesiredState). */
export async function diffHost(
  store: DesiredStateSource,
  effects: Pick<RecoveryEffects, 'engineIdentity' | 'listContainers'>,
  req: RecoverRequest = {},
): Promise<{ desired: DesiredState; engineHost: HostIdentity; diff: DesiredDiff }> {
  const engineHost = await effects.engineIdentity();
  const desired = requireDesiredState(store, engineHost, req);
  const diff = diffDesired(desired.containers, await effects.listContainers(), planOptions(desired, engineHost, req));
  return { desired, engineHost, diff };
}

/** The plan `recover` would carry out, as a result with nothing done. */
export async function planHostRecovery(
  store: DesiredStateSource,
  effects: Pick<RecoveryEffects, 'engineIdentity' | 'listContainers'>,
  req: RecoverRequest = {},
): Promise<{ desired: DesiredState; engineHost: HostIdentity; result: RecoveryResult }> {
  const engineHost = await effects.engineIdentity();
  const desired = requireDesiredState(store, engineHost, req);
  const actual = await effects.listContainers();
  const opts = planOptions(desired, engineHost, req);
  const plan = planRecovery(desired.containers, actual, opts);
  return { desired, engineHost, result: dryRunResult(plan, diffDesired(desired.containers, actual, opts).notRunning) };
}

export type RecoverRun = Omit<RecoverOptions, 'snapshotHost' | 'allowOtherHost' | 'forgotten' | 'operatorStopped'>;

/** Brings every desired container back and records the outcome in the timeline. */
export async function recoverHost(
  store: DesiredStateSource & Pick<TimelineRepository, 'appendTimeline'>,
  effects: RecoveryEffects,
  req: RecoverRequest & { run: RecoverRun; summary: (r: RecoveryResult, desiredCount: number) => string },
): Promise<{ desired: DesiredState; engineHost: HostIdentity; result: RecoveryResult }> {
  const engineHost = await effects.engineIdentity();
  const desired = requireDesiredState(store, engineHost, req);
  const result = await executeRecovery(desired.containers, effects, { ...req.run, ...planOptions(desired, engineHost, req) });
  if (!result.declined) {
    store.appendTimeline({
      kind: TIMELINE_KINDS.recover,
      subject: engineHost.name,
      message: req.summary(result, desired.containers.length),
      data: {
        seconds: result.seconds,
        down: result.plan.actions.length,
        remaining: result.remaining.map((r) => r.container),
        outcomes: result.outcomes.map((o) => ({ container: o.container, outcome: o.outcome, seconds: o.seconds, attempts: o.attempts })),
      },
    });
  }
  return { desired, engineHost, result };
}
