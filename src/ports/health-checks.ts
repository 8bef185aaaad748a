/**
 * The configured health checks (config `services[].checks`), each run once with its own timeout:
 * `upkeep upgrade`'s verification (adapters/probes/run-checks-once.ts).
 */
import type { HealthCheckResult } from '../core/upgrade/routine.js';
import type { HostState } from './host.js';

/** Runs every configured check once against the containers of `state`; none configured: []. Never throws (a check that cannot run fails with why). */
export type RunHealthChecks = (state: HostState) => Promise<HealthCheckResult[]>;
