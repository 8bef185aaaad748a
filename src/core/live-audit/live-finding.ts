/**
 * The live audit: rules over the running engine (containers and daemon), not over files. Each rule
 * is one file exporting a LiveRule; findings name a container (or the daemon) instead of a line.
 */
import type { ContainerFacts, DaemonFacts, RestartPolicy } from '../model.js';

export type LiveSeverity = 'error' | 'warning' | 'info';

export interface LiveFinding {
  ruleId: string;
  severity: LiveSeverity;
  /** Container name, or "daemon" for engine-wide findings. */
  subject: string;
  message: string;
  /** True when `--apply-live` can correct it (a restart policy update, no recreate). */
  applicable: boolean;
  docsUrl: string;
}

export interface LiveContext {
  daemon: DaemonFacts;
  containers: readonly ContainerFacts[];
  /** Names in the desired state (upkeep snapshot), or null when there is none. */
  desired: ReadonlySet<string> | null;
  /** `systemctl is-enabled docker`: true/false, or null when systemd could not be asked. */
  dockerEnabledAtBoot: boolean | null;
  targetPolicy: RestartPolicy;
}

export interface LiveRule {
  id: string;
  description: string;
  check(ctx: LiveContext, report: (f: Omit<LiveFinding, 'ruleId' | 'docsUrl'>) => void): void;
}

/** True for containers that run to completion: never given a restarting policy. */
export function isJobContainer(c: ContainerFacts): boolean {
  return c.labels['upkeep.role'] === 'job' || c.compose?.oneOff === true;
}
