/**
 * Runs the health checks of the config, one loop per check at its interval. A check counts as
 * failing after `failures` consecutive failed probes and as passing again after `successes`
 * consecutive good ones (so one slow answer does not page anybody); each change is reported.
 */
import type { ProbeResult } from '../adapters/probes/probes.js';
import type { HealthCheckSpec } from '../core/config/types.js';
import type { Clock } from '../ports/clock.js';
import { sleepUnlessAborted, type Actor } from './actor.js';
import { systemClock } from './system-clock.js';

export interface CheckTarget {
  service: string;
  spec: HealthCheckSpec;
  /** A short id for metrics and alerts: "http", "tcp", "docker" (suffixed by position when repeated). */
  id: string;
  probe: () => Promise<ProbeResult>;
}

export interface CheckStatus {
  service: string;
  id: string;
  /** null until enough probes have run. */
  passing: boolean | null;
  lastDetail: string;
  consecutive: number;
  lastAt: number | null;
}

export { checkIdOf as checkId } from '../core/config/check-id.js';

/** One probe's effect on a check's status (pure). */
export function stepCheck(prev: CheckStatus, spec: HealthCheckSpec, result: ProbeResult, now: number): CheckStatus {
  const sameDirection = prev.consecutive > 0 === result.ok && prev.consecutive !== 0;
  const consecutive = sameDirection ? prev.consecutive + (result.ok ? 1 : -1) : result.ok ? 1 : -1;
  let passing = prev.passing;
  if (result.ok && consecutive >= spec.successes) passing = true;
  if (!result.ok && -consecutive >= spec.failures) passing = false;
  return { ...prev, passing, consecutive, lastDetail: result.detail, lastAt: now };
}

export class HealthChecker implements Actor {
  readonly name = 'health-checks';
  readonly statuses = new Map<string, CheckStatus>();

  constructor(
    private readonly targets: readonly CheckTarget[],
    private readonly onResult: (t: CheckTarget, status: CheckStatus, result: ProbeResult) => void,
    private readonly clock: Clock = systemClock,
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    // An actor that returns stops the agent (runActors): with no checks, wait for the stop.
    const stopped = new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    await Promise.all([stopped, ...this.targets.map((t) => this.loop(t, signal))]);
  }

  private async loop(t: CheckTarget, signal: AbortSignal): Promise<void> {
    const key = `${t.service}/${t.id}`;
    let status: CheckStatus = { service: t.service, id: t.id, passing: null, lastDetail: '', consecutive: 0, lastAt: null };
    while (!signal.aborted) {
      const result = await t.probe();
      if (signal.aborted) break;
      status = stepCheck(status, t.spec, result, this.clock.now());
      this.statuses.set(key, status);
      this.onResult(t, status, result);
      await sleepUnlessAborted(t.spec.intervalMs, signal, this.clock);
    }
  }
}
