/**
 * `upkeep diff`: what should run (the newest snapshot) and does not.
 * `upkeep recover`: bring it back, in dependency order, with retries, and say what was done.
 */
import type { Command } from 'commander';
import { EngineRecoveryEffects } from '../../adapters/docker/recovery-effects.js';
import { KubectlReader } from '../../adapters/kubernetes/kubectl.js';
import { diffHost, planHostRecovery, recoverHost } from '../../app/recover.js';
import { clustersInPlan, verificationLines, verifyClusters, type ClusterVerification } from '../../app/verify-clusters.js';
import type { ClusterConfig } from '../../core/config/types.js';
import type { DesiredState } from '../../core/recovery/desired-state.js';
import { parseDuration } from '../../core/duration.js';
import { EXIT, UsageError } from '../../core/errors.js';
import type { RecoveryProgress, RecoveryResult } from '../../core/recovery/executor.js';
import { diffJson, recoverJson, type SnapshotRef } from '../../core/recovery/recovery-json.js';
import type { RecoveryPlan } from '../../core/recovery/plan.js';
import { withEngine } from '../engine.js';
import { askYesNo, painter, printJson, type Io } from '../io.js';
import { withStore } from '../state.js';

interface CommonOptions {
  json?: boolean;
  stateDir?: string;
  allowOtherHost?: boolean;
}

interface RecoverOptions extends CommonOptions {
  dryRun?: boolean;
  yes?: boolean;
  grace?: string;
  engineWait?: string;
  readyTimeout?: string;
  runningFor?: string;
  concurrency?: string;
  verifyClusters?: boolean;
  clusterTimeout?: string;
  config?: string;
}

/** The `clusters:` entries of the config; a config that cannot be read means none (said on stderr). */
async function configuredClusters(io: Io, path: string | undefined): Promise<ClusterConfig[]> {
  const { loadConfig } = await import('../../adapters/config/load-config.js');
  return loadConfig(path === undefined ? {} : { path }, io.env).then(
    (c) => c.config.clusters,
    (err: Error) => {
      io.stderr.write(`upkeep recover: config not read (${err.message.split('\n')[0]}); clusters are read with kubectl's default kubeconfig\n`);
      return [];
    },
  );
}

function refOf(s: DesiredState): SnapshotRef {
  return { id: s.snapshot.id, host: s.snapshot.host, takenAt: s.snapshot.takenAt, note: s.snapshot.note };
}

export function describePlan(plan: RecoveryPlan): string[] {
  const lines: string[] = [];
  for (const a of plan.actions) {
    const waits = a.waitFor.length ? ` (after ${a.waitFor.map((w) => `${w.container}${w.until === 'healthy' ? ': healthy' : ''}`).join(', ')})` : '';
    const verb = a.action === 'start' ? 'start' : a.action === 'recreate-compose' ? 're-create (compose)' : 're-create (saved config)';
    const refused = a.action === 'recreate-compose' && a.compose.refused ? `: ${a.compose.refused}` : '';
    lines.push(`  ${verb.padEnd(24)} ${a.container}  ${a.reason}${waits}${refused}`);
  }
  for (const c of plan.cycles) lines.push(`  note: dependency cycle ${c.join(' -> ')}: started together`);
  return lines;
}

function progressLine(p: RecoveryProgress): string | null {
  switch (p.type) {
    case 'engine-waiting':
      return `waiting for the Docker engine (${p.seconds} s): ${p.error}`;
    case 'grace':
      return `waiting ${p.seconds} s for Docker's own restarts (--grace)`;
    case 'waiting':
      return `${p.container}: waiting for ${p.dependency} to be ${p.until}`;
    case 'retry':
      return `${p.container}: attempt ${p.attempt} failed (${p.error}); retrying in ${(p.delayMs / 1000).toFixed(1)} s`;
    case 'unblocked':
      return `${p.container}: ${p.cleared}; starting`;
    case 'done': {
      const o = p.outcome;
      if (o.outcome === 'failed') return `${o.container}: FAILED after ${o.attempts} attempt(s): ${o.error}`;
      if (o.outcome === 'skipped') return `${o.container}: skipped: ${o.error ?? o.note ?? ''}`;
      const ready = o.readyAfterSeconds !== undefined ? `, ready after ${o.readyAfterSeconds} s` : '';
      return `${o.container}: ${o.outcome} in ${o.seconds} s${ready}${o.note ? ` (${o.note})` : ''}`;
    }
    default:
      return null;
  }
}

function summaryLine(r: RecoveryResult, desiredCount: number): string {
  if (r.declined) return 'Nothing done (declined).';
  if (r.nothingToDo) return `Nothing to do: every desired container runs (${r.plan.summary.running} of ${desiredCount}).`;
  if (r.remaining.length === 0) return `All desired containers running (recovery took ${r.seconds} s).`;
  return `${r.remaining.length} desired container(s) still not running: ${r.remaining.map((e) => e.container).join(', ')} (after ${r.seconds} s).`;
}

export function registerRecover(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('diff')
    .description('Show the desired containers (newest snapshot) that are not running, and what recover would do')
    .option('--json', 'print JSON for scripts (docs/recovery.md)')
    .option('--state-dir <dir>', 'where the state database lives')
    .option('--allow-other-host', 'accept a snapshot taken on another engine ID (Docker reinstalled)')
    .addHelpText('after', '\nExit codes: 0 every desired container runs, 1 some do not, 2 could not run.')
    .action(async (opts: CommonOptions) => {
      const { desired, engineHost, diff } = await withEngine(io, (engine) =>
        withStore(io, { ...opts, create: false, readOnly: true }, (store) =>
          diffHost(store, new EngineRecoveryEffects(engine), { allowOtherHost: opts.allowOtherHost === true }),
        ),
      );
      if (opts.json) printJson(io, diffJson(refOf(desired), engineHost, diff));
      else {
        const paint = painter(io);
        io.stdout.write(
          `Desired (snapshot ${desired.snapshot.id}, ${desired.snapshot.takenAt}, ${diff.summary.desired} containers) vs now: ${diff.summary.notRunning} not running\n`,
        );
        for (const e of diff.notRunning) {
          const state = e.state === 'missing' ? 'removed' : `${e.state}${e.exitCode !== null ? ` (${e.exitCode})` : ''}`;
          io.stdout.write(`  ${paint('red', e.container)}  ${state}: would ${e.wouldDo}: ${e.reason}\n`);
        }
        for (const i of diff.ignored) io.stdout.write(`  ${i.container}: ignored (${i.detail})\n`);
        for (const n of diff.notes) io.stdout.write(`note: ${n}\n`);
        if (diff.summary.notRunning > 0) io.stdout.write('Next: `upkeep recover` (or `upkeep recover --dry-run` to see the plan).\n');
      }
      setExit(diff.summary.notRunning > 0 ? EXIT.findings : EXIT.ok);
    });

  program
    .command('recover')
    .description('Bring back every desired container that is not running, in dependency order, with retries')
    .option('--dry-run', 'print the plan and change nothing')
    .option('-y, --yes', 'do not ask before acting (needed when not on a terminal)')
    .option('--grace <duration>', "first wait this long for Docker's own restarts (e.g. 10s)", '0s')
    .option('--engine-wait <duration>', 'how long to wait for the engine to answer', '60s')
    .option('--ready-timeout <duration>', 'how long a dependant waits for its dependency to be ready', '120s')
    .option('--running-for <duration>', 'without a healthcheck, "ready" means running this long', '5s')
    .option('--concurrency <n>', 'containers started at once', '8')
    .option('--no-verify-clusters', 'do not check the k3d clusters it started through their Kubernetes API (nodes Ready, pods Ready or Completed)')
    .option('--cluster-timeout <duration>', 'how long to wait for a k3d cluster it started to be ready', '120s')
    .option('--config <file>', 'the config file, for its clusters: entries (default /etc/upkeep/upkeep.yml; missing = none)')
    .option('--json', 'print JSON for scripts (docs/recovery.md)')
    .option('--state-dir <dir>', 'where the state database lives')
    .option('--allow-other-host', 'accept a snapshot taken on another engine ID (Docker reinstalled)')
    .addHelpText(
      'after',
      '\nk3d clusters start in order (servers, agents, load balancer), then are verified with kubectl (UPKEEP_KUBECTL, else kubectl on PATH).\nExit codes: 0 every desired container runs afterwards (and its k3d clusters are ready), 1 some still do not, 2 could not run (nothing changed).',
    )
    .action(async (opts: RecoverOptions) => {
      const concurrency = Number.parseInt(opts.concurrency ?? '8', 10);
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency "${opts.concurrency}" must be a whole number of 1 or more`);
      const timing = {
        graceMs: parseDuration(opts.grace ?? '0s', '--grace'),
        engineWaitMs: parseDuration(opts.engineWait ?? '60s', '--engine-wait'),
        readyTimeoutMs: parseDuration(opts.readyTimeout ?? '120s', '--ready-timeout'),
        runningForMs: parseDuration(opts.runningFor ?? '5s', '--running-for'),
      };
      const clusterTimeoutMs = parseDuration(opts.clusterTimeout ?? '120s', '--cluster-timeout');
      const interactive = process.stdin.isTTY === true && io.stderr.isTTY === true;
      if (!opts.dryRun && !opts.yes && !interactive) {
        throw new UsageError('recover changes containers: pass --yes to confirm (or --dry-run to see the plan)');
      }
      await withEngine(io, async (engine) => {
        const effects = new EngineRecoveryEffects(engine);
        const req = { allowOtherHost: opts.allowOtherHost === true };
        if (opts.dryRun) {
          const { desired, engineHost, result } = await withStore(io, { ...opts, create: false, readOnly: true }, (store) =>
            planHostRecovery(store, effects, req),
          );
          const plan = result.plan;
          if (opts.json) printJson(io, recoverJson(refOf(desired), engineHost, result, true));
          else {
            io.stdout.write(
              `Desired (snapshot ${desired.snapshot.id}, ${desired.snapshot.takenAt}, ${desired.containers.length} containers) vs now: ${plan.actions.length} to bring back\n`,
            );
            io.stdout.write(describePlan(plan).join('\n') + (plan.actions.length ? '\n' : ''));
            io.stdout.write(plan.actions.length ? 'Dry run: nothing changed. Run `upkeep recover --yes` to do it.\n' : 'Nothing to do.\n');
          }
          setExit(plan.actions.length ? EXIT.findings : EXIT.ok);
          return;
        }
        const progress = (p: RecoveryProgress) => {
          if (opts.json) return;
          const line = progressLine(p);
          if (line) io.stderr.write(`${line}\n`);
        };
        const {
          desired,
          engineHost: host,
          result,
        } = await withStore(io, { ...opts, create: false }, (store) =>
          recoverHost(store, effects, {
            ...req,
            summary: summaryLine,
            run: {
              ...timing,
              concurrency,
              waitReadyAll: true,
              onProgress: progress,
              confirm: opts.yes
                ? undefined
                : async (plan) => {
                    if (plan.actions.length === 0) return true;
                    io.stderr.write(`Plan:\n${describePlan(plan).join('\n')}\n`);
                    return askYesNo('Go ahead? [y/N] ');
                  },
            },
          }),
        );
        const toVerify = result.declined || opts.verifyClusters === false ? [] : clustersInPlan(result.plan, desired.containers);
        let verified: ClusterVerification[] = [];
        if (toVerify.length > 0) {
          if (!opts.json)
            io.stderr.write(`verifying k3d cluster(s) ${toVerify.join(', ')} through their Kubernetes API (at most ${opts.clusterTimeout ?? '120s'})\n`);
          verified = await verifyClusters(
            toVerify,
            await configuredClusters(io, opts.config),
            {
              reader: new KubectlReader(io.env.UPKEEP_KUBECTL ?? 'kubectl', io.env),
              now: () => Date.now(),
              sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
            },
            { timeoutMs: clusterTimeoutMs },
          );
        }
        const clustersReady = verified.every((v) => v.state === 'ready');
        if (opts.json) printJson(io, { ...recoverJson(refOf(desired), host, result), clusters: verified });
        else {
          io.stdout.write(
            `Desired (snapshot ${desired.snapshot.id}, ${desired.snapshot.takenAt}, ${desired.containers.length} containers) vs now: ${result.plan.actions.length} not running\n`,
          );
          for (const o of result.outcomes) {
            const waited = o.waitedSeconds ? `, after waiting ${o.waitedSeconds} s for dependencies` : '';
            const ready = o.readyAfterSeconds !== undefined ? `; ready after ${o.readyAfterSeconds} s` : o.notReady ? `; NOT ready: ${o.notReady}` : '';
            const what =
              o.outcome === 'failed' || o.outcome === 'skipped'
                ? `${o.outcome.toUpperCase()}: ${o.error ?? o.note ?? ''}`
                : `${o.outcome} in ${o.seconds} s${waited}${ready}`;
            io.stdout.write(`  ${o.action.padEnd(16)} ${o.container}  ${what}\n`);
          }
          io.stdout.write(`${summaryLine(result, desired.containers.length)}\n`);
          for (const line of verificationLines(verified)) io.stdout.write(`${line}\n`);
        }
        setExit(result.declined ? EXIT.ok : result.remaining.length === 0 && clustersReady ? EXIT.ok : EXIT.findings);
      });
    });
}
