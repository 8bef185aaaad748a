/**
 * At the agent's start: an `upkeep upgrade --reboot` run waiting for the reboot it asked for is
 * finished when the host has rebooted (app/upgrade.ts resumeUpgrade: the boot, recovery pass,
 * verification with the config's health checks, window closed, report, in the same maintenance).
 * Nothing waiting: nothing happens. Never throws: a failure is logged (`upkeep upgrade --resume`
 * can finish it; the window ends at its end time in any case).
 */
import type { DockerEngine } from '../adapters/docker/engine-client.js';
import { readHostState } from '../adapters/docker/host-state.js';
import { EngineRecoveryEffects } from '../adapters/docker/recovery-effects.js';
import { checksRunner } from '../adapters/probes/run-checks-once.js';
import { processExists } from '../adapters/proc/process-exists.js';
import { readProcessImages } from '../adapters/proc/process-images.js';
import type { Store } from '../adapters/store/store.js';
import { resumeUpgrade } from '../app/upgrade.js';
import type { ServiceConfig } from '../core/config/types.js';
import { WATCHED_DAEMONS, type ProcessImage } from '../core/upgrade/replaced-binaries.js';
import type { Clock } from '../ports/clock.js';
import type { BootInfo } from '../ports/reboot.js';
import { effectsOnClock } from './controller.js';
import type { AgentLog } from './log.js';

export async function resumeUpgradeAtStart(deps: {
  store: Store;
  engine: DockerEngine;
  log: AgentLog;
  clock: Clock;
  readBoot: () => Promise<BootInfo | null>;
  services: readonly ServiceConfig[];
  /** Default: /proc. */
  readDaemonProcesses?: () => Promise<ProcessImage[]>;
}): Promise<void> {
  const { store, engine, log } = deps;
  try {
    const r = await resumeUpgrade({
      store,
      now: () => deps.clock.now(),
      pid: process.pid,
      pidAlive: processExists,
      readHost: () => readHostState(engine),
      readDaemonProcesses: deps.readDaemonProcesses ?? (() => readProcessImages(WATCHED_DAEMONS)),
      recovery: effectsOnClock(new EngineRecoveryEffects(engine), deps.clock),
      recoveryRun: { graceMs: 0, engineWaitMs: 120_000, readyTimeoutMs: 120_000, runningForMs: 5_000, concurrency: 8, waitReadyAll: true },
      onEvent: (e) => {
        if (e.type === 'resume' || e.type === 'note') log.info({}, `upkeep upgrade: ${e.line}`);
        else if (e.type === 'step-done') log.info({ step: e.step, ok: e.ok }, `upkeep upgrade: ${e.step}: ${e.line}`);
      },
      boot: { readBoot: deps.readBoot },
      runHealthChecks: checksRunner(deps.services, engine),
    });
    if (r.outcome === 'nothing-to-resume') return;
    if (r.outcome === 'not-rebooted-yet') log.info({ run: r.runId }, r.message ?? 'an upkeep upgrade run waits for a reboot');
    else log.info({ run: r.runId, maintenance: r.maintenanceId, outcome: r.outcome }, `upkeep upgrade run ${r.runId} finished after the reboot: ${r.outcome}`);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'the upkeep upgrade run waiting for this boot could not be finished: run upkeep upgrade --resume');
  }
}
