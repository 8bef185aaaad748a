/**
 * The `upkeep upgrade` use case's view of this machine (app/upgrade.ts UpgradeDeps): the engine,
 * the store, `upkeep check` and `upkeep preflight` as use cases, apt through
 * adapters/apt/run-upgrade.ts, the recovery effects of `upkeep recover`.
 */
import { processExists } from '../../adapters/proc/process-exists.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DockerEngine } from '../../adapters/docker/engine-client.js';
import { readHostState } from '../../adapters/docker/host-state.js';
import { EngineRecoveryEffects } from '../../adapters/docker/recovery-effects.js';
import { textFileReader } from '../../adapters/files/read-text-file.js';
import { aptUpgrader } from '../../adapters/apt/run-upgrade.js';
import { localPackageCopier } from '../../adapters/apt/keep-package-copy.js';
import { localRollbackFacts } from '../../adapters/apt/rollback-facts.js';
import { prepareRollback } from '../../app/rollback-plan.js';
import { readProcessImages } from '../../adapters/proc/process-images.js';
import { BOOT_ID_FILE, readBoot } from '../../adapters/proc/boot-id.js';
import { rebootRequirement } from '../../adapters/apt/reboot-required.js';
import { checksRunner } from '../../adapters/probes/run-checks-once.js';
import { commandRebooter, DEFAULT_REBOOT_COMMAND } from '../../adapters/systemd/reboot.js';
import type { ServiceConfig } from '../../core/config/types.js';
import { WATCHED_DAEMONS } from '../../core/upgrade/replaced-binaries.js';
import { assessUpgrade } from '../../app/assess-upgrade.js';
import { checkHost } from '../../app/check-host.js';
import type { DesiredStateSource } from '../../app/desired-state.js';
import type { UpgradeDeps, UpgradeEvent } from '../../app/upgrade.js';
import { parseAptSimulation } from '../../core/preflight/apt-plan.js';
import { auditDeps } from './audit.js';
import { localAssessDeps } from './upgrade.js';

export interface UpgradeEnvironment {
  env: NodeJS.ProcessEnv;
  engine: DockerEngine;
  /** The desired state for the check (null: no state database yet, a dry run). */
  desired: DesiredStateSource | null;
  stateDir: string;
  /** Extra `-o` options for upkeep's own apt-get runs. */
  aptOptions: readonly string[];
  /** The cap on the copies kept for a rollback (STATE_DIR/rollback). */
  rollbackCapBytes: number;
  /** Where apt's output of this run is appended. */
  logFile: string | null;
  hostName: string;
  onEvent(event: UpgradeEvent): void;
  confirm: UpgradeDeps['confirm'];
  /** The config's services, whose health checks the verification runs once. */
  services: readonly ServiceConfig[];
}

/**
 * The reboot command and the boot id file: `systemctl reboot` and /proc/sys/kernel/random/boot_id,
 * unless UPKEEP_REBOOT_COMMAND (words, no shell) or UPKEEP_BOOT_ID_FILE say otherwise (a host with its
 * own reboot tool; the end-to-end tests, which simulate the reboot).
 */
export function rebootPorts(env: NodeJS.ProcessEnv): Pick<UpgradeDeps, 'boot' | 'rebooter'> {
  const command =
    env.UPKEEP_REBOOT_COMMAND?.trim()
      .split(/\s+/)
      .filter((w) => w !== '') ?? [];
  const idFile = env.UPKEEP_BOOT_ID_FILE?.trim() || BOOT_ID_FILE;
  return {
    boot: { readBoot: () => readBoot(idFile) },
    rebooter: commandRebooter(command.length > 0 ? command : DEFAULT_REBOOT_COMMAND),
  };
}

/** Everything but the store, which the command opens (writable for a run, read-only or none for a dry run). */
export function localUpgradeDeps(e: UpgradeEnvironment): Omit<UpgradeDeps, 'store'> {
  const readHost = () => readHostState(e.engine);
  return {
    now: Date.now,
    pid: process.pid,
    pidAlive: processExists,
    readHost,
    async engineAnswers() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), 2000);
      });
      try {
        return await Promise.race([
          e.engine.ping().then(
            () => true,
            () => false,
          ),
          timeout,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    async engineGone(signal) {
      try {
        for await (const _event of e.engine.events({ signal })) if (signal.aborted) return;
      } catch {
        /* the stream broke: the daemon went away */
      }
    },
    readDaemonProcesses: () => readProcessImages(WATCHED_DAEMONS),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    pingEveryMs: 250,
    async check(state) {
      const c = await checkHost(
        { desired: { store: e.desired, problem: null }, audit: auditDeps({ env: e.env, stateDir: e.stateDir }), upgrade: null },
        Promise.resolve(state),
      );
      const audit =
        c.audit.summary.errors + c.audit.summary.warnings === 0
          ? 'audit: no findings'
          : `audit: ${c.audit.summary.errors} error(s), ${c.audit.summary.warnings} warning(s)`;
      return { line: `${c.verdict} (${audit})`, risk: c.risk };
    },
    async assess(simulation, source, record) {
      const deps = await localAssessDeps({
        env: e.env,
        isRoot: process.getuid?.() === 0,
        home: homedir(),
        stateDir: e.stateDir,
        rollbackCapBytes: e.rollbackCapBytes,
        readHost: async () => {
          const s = await readHost();
          return { daemon: s.daemon, containers: s.containers, host: s.host };
        },
      });
      return assessUpgrade(deps, { plan: { kind: 'parsed', plan: parseAptSimulation(simulation), source }, download: true, record, hostName: e.hostName });
    },
    upgrader: aptUpgrader({ extraOptions: e.aptOptions, env: e.env, logFile: e.logFile }),
    readTextFile: textFileReader(),
    prepareRollback: (packages) =>
      prepareRollback(
        {
          facts: localRollbackFacts({ aptOptions: e.aptOptions, env: e.env }),
          copier: localPackageCopier(),
          dir: rollbackDir(e.stateDir),
          capBytes: e.rollbackCapBytes,
          now: Date.now,
        },
        packages,
      ),
    recovery: new EngineRecoveryEffects(e.engine),
    recoveryRun: {
      graceMs: 0,
      engineWaitMs: 120_000,
      readyTimeoutMs: 120_000,
      runningForMs: 5_000,
      concurrency: 8,
      waitReadyAll: true,
    },
    onEvent: e.onEvent,
    confirm: e.confirm,
    ...rebootPorts(e.env),
    rebootRequirement: { rebootRequired: () => rebootRequirement() },
    runHealthChecks: checksRunner(e.services, e.engine),
  };
}

/** Where `upkeep upgrade` keeps the copies of packages for a rollback: STATE_DIR/rollback/. */
export function rollbackDir(stateDir: string): string {
  return join(stateDir, 'rollback');
}

/** Where `upkeep upgrade` keeps apt's output of a run: STATE_DIR/upgrade-logs/. */
export function aptLogDir(stateDir: string): string {
  return join(stateDir, 'upgrade-logs');
}
