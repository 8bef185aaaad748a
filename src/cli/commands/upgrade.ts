/**
 * `upkeep upgrade`: the maintenance routine as one command (docs/upgrade.md). Thin: options -> the
 * upgrade use case (app/upgrade.ts) -> each step printed as it runs, the report at the end,
 * returning the exit code.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { writeGeneratedFile } from '../../adapters/files/generated-file.js';
import type { GateDecision } from '../../core/upgrade/routine.js';
import type { DockerEngine } from '../../adapters/docker/engine-client.js';
import type { DesiredStateSource } from '../../app/desired-state.js';
import { previewUpgrade, resumeUpgrade, runUpgrade, type UpgradeEvent, type UpgradeResult } from '../../app/upgrade.js';
import type { UpgradeAssessment } from '../../app/assess-upgrade.js';
import { parseDuration } from '../../core/duration.js';
import { UpkeepError, UsageError } from '../../core/errors.js';
import { renderPreflightText } from '../../core/preflight/preflight-text.js';
import { renderReportMarkdown } from '../../core/report/render-markdown.js';
import { aptProgressText, isAptOption, STEP_TITLES, UPGRADE_MODES, UPGRADE_STEPS, type UpgradeMode } from '../../core/upgrade/routine.js';
import { aptLogDir, localUpgradeDeps } from '../deps/upgrade-routine.js';
import { parseByteSize } from '../../core/upgrade/rollback.js';
import { withEngine } from '../engine.js';
import { askYesNo, painter, printJson, type Io } from '../io.js';
import { stateDirFor, withOptionalStore, withStore } from '../state.js';
import { rehearseHere } from '../deps/rehearse.js';
import { renderRehearsalText } from '../render/rehearsal.js';

/** The tmpfs limit of `--rehearse` (as `upkeep rehearse`'s default). */
const REHEARSAL_SIZE = 4 * 1024 ** 3;

interface UpgradeOptions {
  mode?: string;
  dryRun?: boolean;
  yes?: boolean;
  acceptRisk?: boolean;
  json?: boolean;
  stateDir?: string;
  aptOption?: string[];
  window?: string;
  reboot?: boolean;
  resume?: boolean;
  config?: string;
  rollbackCap?: string;
  rehearse?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The steps, numbered, for --dry-run and the question. */
function stepsText(mode: UpgradeMode): string {
  return UPGRADE_STEPS.map(
    (s, i) => `  ${i + 1}. ${STEP_TITLES[s]}${s === 'apt' ? ` (${mode === 'upgrade' ? 'apt-get upgrade --with-new-pkgs' : 'apt-get dist-upgrade'})` : ''}`,
  ).join('\n');
}

function gateText(gate: GateDecision): string {
  const lines: string[] = [];
  if (gate.atRisk.length > 0) {
    lines.push(
      gate.go
        ? 'At risk (accepted with --accept-risk):'
        : 'Stopped before changing anything: these containers would not (or might not) come back by themselves:',
    );
    for (const c of gate.atRisk) lines.push(`  ${c.name}: ${c.why}`);
    if (!gate.go)
      lines.push(
        'The recovery pass would start the desired ones again after apt, but they stay down until then. Fix their policies first (upkeep audit --fix), or pass --accept-risk to go on.',
      );
  }
  if (gate.spaceShort.length > 0) {
    lines.push(
      gate.go
        ? 'Too little disk space (accepted with --accept-risk):'
        : 'Stopped before changing anything: too little disk space for the upgrade (apt would fail half-way):',
    );
    for (const l of gate.spaceShort) lines.push(`  ${l}`);
    if (!gate.go) lines.push('Free space first (upkeep preflight says what to run: apt-get clean, apt autoremove --purge), or pass --accept-risk to go on.');
  }
  for (const n of gate.notes) lines.push(`note: ${n}`);
  return lines.length ? `${lines.map((l) => `  ${l}`).join('\n')}\n` : '';
}

function preflightText(io: Io, a: UpgradeAssessment): string {
  return renderPreflightText(a, { paint: painter(io, 'stderr'), width: Infinity });
}

/** Prints the routine as it goes: step lines to stdout (stderr with --json), apt's progress to stderr (one line, redrawn, on a terminal). */
function printer(io: Io, json: boolean): { onEvent(e: UpgradeEvent): void; finish(): void } {
  const out = json ? io.stderr : io.stdout;
  const paint = painter(io, json ? 'stderr' : 'stdout');
  const tty = io.stderr.isTTY === true;
  let progressShown = false;
  let lastText = '';
  const clearProgress = () => {
    if (progressShown) io.stderr.write('\r\x1b[K');
    progressShown = false;
  };
  return {
    onEvent(e) {
      switch (e.type) {
        case 'resume':
          clearProgress();
          out.write(`${paint('yellow', 'resuming:')} ${e.line}\n`);
          break;
        case 'step-start':
          clearProgress();
          out.write(`${paint('bold', `[${UPGRADE_STEPS.indexOf(e.step) + 1}/${UPGRADE_STEPS.length}] ${e.step}`)} ...\n`);
          break;
        case 'step-done':
          clearProgress();
          out.write(`${paint(e.ok ? 'green' : 'red', `  ${e.ok ? 'ok' : 'FAILED'}:`)} ${e.line}\n`);
          break;
        case 'note':
          clearProgress();
          out.write(`  note: ${e.line}\n`);
          break;
        case 'preflight':
          if (!json) io.stderr.write(preflightText(io, e.assessment));
          out.write(gateText(e.gate));
          break;
        case 'apt-status': {
          const text = aptProgressText(e.status);
          if (text === lastText) break;
          lastText = text;
          if (tty && e.status.kind !== 'pmerror') {
            io.stderr.write(`\r\x1b[K  ${text.slice(0, 150)}`);
            progressShown = true;
          } else {
            clearProgress();
            io.stderr.write(`  ${text}\n`);
          }
          break;
        }
      }
    },
    finish: clearProgress,
  };
}

export function registerUpgrade(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('upgrade')
    .description('The maintenance routine in one command: check, preflight, snapshot, window, apt, recovery, verification, report')
    .option('--mode <mode>', 'upgrade (like apt upgrade: new packages allowed, nothing removed) or full-upgrade (like apt full-upgrade)', 'upgrade')
    .option('--dry-run', 'show the steps, the check and the preflight; change nothing')
    .option('-y, --yes', 'do not ask before changing anything (needed when not on a terminal)')
    .option('--accept-risk', 'go on although preflight says some containers would not come back by themselves')
    .option('--window <duration>', 'the maintenance window ends by itself after this long at the latest', '2h')
    .option('--reboot', 'when apt leaves a reboot required: reboot (systemctl reboot) and finish the run after the boot')
    .option('--resume', 'after the boot: finish the run that rebooted the host (recovery, verification, window closed, report)')
    .option('--config <file>', 'the config whose health checks the verification runs (default /etc/upkeep/upkeep.yml; missing = none)')
    .option('--apt-option <Name=value>', "an extra -o option for upkeep's apt-get runs (repeatable), e.g. Dir::Etc::SourceList=FILE", collect)
    .option(
      '--rollback-cap <size>',
      'most space the copies of engine and kernel packages kept for a rollback take in STATE_DIR/rollback (docs/upgrade.md)',
      '512MiB',
    )
    .option('--rehearse', 'first run the upgrade in a throwaway copy of this host (docs/rehearse.md); stop before changing anything when it fails there')
    .option('--json', 'print JSON for scripts at the end (the steps go to stderr)')
    .option('--state-dir <dir>', 'where the state database lives (the journal, the snapshot, the timeline, the report)')
    .addHelpText(
      'after',
      `
Steps:
${stepsText('upgrade')}
As root only. Without --yes, on a terminal it shows the steps and the preflight and asks; not on a
terminal it does a dry run (nothing changed) and says so. Each step is journaled in the store: run
again after an interruption, it continues inside the still-open window, or closes the interrupted
run (its window ends at its end time in any case) and starts a new one (docs/upgrade.md).
When apt leaves a reboot required (/var/run/reboot-required, a newer kernel): with --reboot the run
records that it waits for the reboot (with this boot's id), keeps its window open (its end time
still set) and runs systemctl reboot; after the boot the agent, or upkeep upgrade --resume, finishes
the same run: recovery, verification, window closed, report. Without --reboot it says so and ends
as usual. The verification also runs the config's health checks once (services[].checks).
apt runs with DEBIAN_FRONTEND=noninteractive, --force-confdef --force-confold, UCF_FORCE_CONFFOLD=1.
Exit codes: 0 done and every desired container running (or a dry run that would go on; the host
rebooting; --resume with nothing to resume), 1 stopped by the preflight gate (or, with --rehearse, by an upgrade that fails in the rehearsal), some desired containers
not running or a health check failing at the end, --resume before the host rebooted, 2 could not run
(apt failed, not root, the reboot could not be started).`,
    )
    .action(async (opts: UpgradeOptions) => {
      const mode = opts.mode ?? 'upgrade';
      if (!(UPGRADE_MODES as readonly string[]).includes(mode)) throw new UsageError(`--mode "${mode}": use ${UPGRADE_MODES.join(' or ')}`);
      const windowMs = parseDuration(opts.window ?? '2h', '--window');
      if (windowMs < 60_000) throw new UsageError('--window must be at least 1m');
      const aptOptions = opts.aptOption ?? [];
      const rollbackCapBytes = parseByteSize(opts.rollbackCap ?? '512MiB');
      if (rollbackCapBytes === null) throw new UsageError(`--rollback-cap "${opts.rollbackCap}": use a size such as 512MiB, 2GiB or 0`);
      for (const o of aptOptions) if (!isAptOption(o)) throw new UsageError(`--apt-option "${o}" must look like Name::Of::Option=value`);
      if (opts.resume === true && (opts.dryRun === true || opts.reboot === true))
        throw new UsageError('--resume finishes a run after its reboot: it takes neither --dry-run nor --reboot');
      const interactive = process.stdin.isTTY === true && io.stderr.isTTY === true;
      let dryRun = opts.dryRun === true;
      if (!dryRun && opts.resume !== true && opts.yes !== true && !interactive) {
        io.stderr.write('upkeep upgrade: not on a terminal and no --yes: a dry run only, nothing is changed (pass --yes to run it)\n');
        dryRun = true;
      }
      if (!dryRun && process.getuid?.() !== 0)
        throw new UpkeepError('upkeep upgrade runs apt-get and dpkg and writes the state of /var/lib/upkeep: it must run as root', {
          hint: 'sudo upkeep upgrade (or upkeep upgrade --dry-run to see what it would do)',
        });
      const stateDir = stateDirFor(io, opts);
      if (opts.rehearse === true && opts.resume !== true) {
        if (process.getuid?.() !== 0)
          throw new UpkeepError('upkeep upgrade --rehearse builds a copy of the host with mount and PID namespaces: it must run as root', {
            hint: 'sudo upkeep upgrade --rehearse',
          });
        const r = await rehearseHere(
          io,
          { stateDir },
          { mode: mode as UpgradeMode, planFile: null, noDownload: false, scratchDir: null, keepDir: null, sizeBytes: REHEARSAL_SIZE, aptOptions },
        );
        io.stderr.write(renderRehearsalText(r));
        if (r.upgradeFailed && opts.acceptRisk !== true) {
          io.stderr.write(
            'upkeep upgrade: stopped before changing anything: in the rehearsal the upgrade fails (above). Fix that first, or pass --accept-risk to run it anyway.\n',
          );
          setExit(1);
          return;
        }
      }
      // The health checks of the verification (a dry run runs none, and may not read a root-only config).
      const { loadConfig } = await import('../../adapters/config/load-config.js');
      const services = dryRun ? [] : (await loadConfig(opts.config === undefined ? {} : { path: opts.config }, io.env)).config.services;
      const show = printer(io, opts.json === true);
      if (dryRun && opts.json !== true) io.stdout.write(`upkeep upgrade --mode ${mode}: the steps\n${stepsText(mode as UpgradeMode)}\n`);
      let logFile: string | null = null;
      if (!dryRun && opts.resume !== true) {
        try {
          mkdirSync(aptLogDir(stateDir), { recursive: true, mode: 0o700 });
          logFile = join(aptLogDir(stateDir), `apt-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
        } catch {
          logFile = null;
        }
      }
      const request = { mode: mode as UpgradeMode, acceptRisk: opts.acceptRisk === true, dryRun, windowMs, reboot: opts.reboot === true };
      const environment = (engine: DockerEngine, desired: DesiredStateSource | null) =>
        localUpgradeDeps({
          env: io.env,
          engine,
          desired,
          stateDir,
          aptOptions,
          rollbackCapBytes,
          logFile,
          hostName: hostname(),
          onEvent: show.onEvent,
          services,
          confirm:
            opts.yes === true
              ? null
              : async () => {
                  show.finish();
                  io.stderr.write(`Steps:\n${stepsText(mode as UpgradeMode)}\n`);
                  return askYesNo('Run the upgrade now? [y/N] ');
                },
        });
      // A dry run reads the store if there is one (never creates it); a run opens it for writing.
      const result = await withEngine(io, (engine) =>
        dryRun
          ? withOptionalStore(io, opts, (store, problem) => {
              if (problem !== null) throw new UpkeepError(problem);
              return previewUpgrade({ ...environment(engine, store), store }, request);
            })
          : opts.resume === true
            ? withStore(io, opts, (store) => resumeUpgrade({ ...environment(engine, store), store }))
            : withStore(io, opts, (store) => runUpgrade({ ...environment(engine, store), store }, request)),
      ).finally(() => show.finish());
      const reportFile = result.report === null ? null : join(stateDir, 'reports', `maintenance-${result.maintenanceId}.md`);
      if (result.report !== null && reportFile !== null) {
        try {
          mkdirSync(join(stateDir, 'reports'), { recursive: true, mode: 0o700 });
          await writeGeneratedFile(reportFile, renderReportMarkdown(result.report), { marker: '', force: true, what: 'report' });
        } catch (err) {
          io.stderr.write(
            `upkeep upgrade: the report could not be written to ${reportFile} (${(err as Error).message}); upkeep report ${result.maintenanceId} prints it\n`,
          );
        }
      }
      if (opts.json) printJson(io, resultJson(result, reportFile));
      else io.stdout.write(summaryText(result, reportFile));
      setExit(result.exitCode);
    });
}

function resultJson(r: UpgradeResult, reportFile: string | null): Record<string, unknown> {
  return {
    run: r.runId,
    journal: r.decision,
    outcome: r.outcome,
    maintenance: r.maintenanceId,
    gate: r.gate,
    preflight:
      r.assessment === null
        ? null
        : { verdict: r.assessment.report.verdict, packages: r.assessment.report.packages.map((p) => ({ name: p.name, from: p.from, to: p.to })) },
    notRunning: r.notRunning,
    checks: r.checks,
    rebootRequired: r.rebootRequired,
    rebootUnknown: r.rebootUnknown,
    message: r.message,
    pendingRestarts: r.pendingRestarts,
    reportFile,
    report: r.report,
    exitCode: r.exitCode,
  };
}

function summaryText(r: UpgradeResult, reportFile: string | null): string {
  const lines: string[] = [];
  switch (r.outcome) {
    case 'dry-run':
      lines.push(
        r.gate?.go === false
          ? 'Dry run: the preflight gate would stop the upgrade (see above). Nothing changed.'
          : 'Dry run: nothing changed. Run `upkeep upgrade --yes` to do it.',
      );
      break;
    case 'stopped-at-gate':
      lines.push(`Stopped at the preflight gate (run ${r.runId}): nothing changed.`);
      break;
    case 'declined':
      lines.push(`Not run (declined; run ${r.runId}): nothing changed.`);
      break;
    case 'done':
      lines.push(`Upgrade done (run ${r.runId}, maintenance ${r.maintenanceId}): every desired container is running.`);
      break;
    case 'not-all-running':
      lines.push(`Upgrade done (run ${r.runId}, maintenance ${r.maintenanceId}), but desired containers are not running: ${r.notRunning.join(', ')}.`);
      break;
    case 'needs-attention': {
      const failing = r.checks.filter((c) => !c.ok).map((c) => `${c.container} ${c.check} (${c.detail})`);
      const why = [
        ...(failing.length > 0 ? [`health checks fail: ${failing.join(', ')}`] : []),
        ...(r.rebootUnknown !== null ? ['--reboot was given and whether a reboot is required is not known, so upkeep did not reboot'] : []),
      ];
      lines.push(
        `Upgrade done (run ${r.runId}, maintenance ${r.maintenanceId}): every desired container is running, but ${why.join('; ')}. It needs attention.`,
      );
      break;
    }
    case 'rebooting':
      lines.push(
        `Rebooting (run ${r.runId}, maintenance ${r.maintenanceId} stays open): a reboot is required (${r.rebootRequired.join('; ')}). After the boot the agent, or \`upkeep upgrade --resume\`, finishes this run: recovery pass, verification, window closed, report.`,
      );
      break;
    case 'nothing-to-resume':
    case 'not-rebooted-yet':
      lines.push(r.message ?? r.outcome);
      break;
    case 'apt-failed':
      lines.push(`apt failed (run ${r.runId}, maintenance ${r.maintenanceId}); the recovery pass ran and the window is closed. See the apt step above.`);
      break;
    default:
      lines.push(`Run ${r.runId}: ${r.outcome}.`);
  }
  for (const p of r.pendingRestarts) lines.push(`Pending: ${p}.`);
  if (r.outcome !== 'rebooting' && r.rebootRequired.length > 0)
    lines.push(
      `A reboot is required (${r.rebootRequired.join('; ')}). To finish: \`upkeep upgrade --reboot\` (nothing left to upgrade: it reboots inside a new maintenance window, and \`upkeep upgrade --resume\` or the agent finishes after the boot), or reboot yourself (the agent, or \`upkeep recover\`, brings the desired containers back).`,
    );
  if (r.rebootUnknown !== null)
    lines.push(
      `Whether a reboot is required is not known: ${r.rebootUnknown}. upkeep did not reboot; look at /var/run/reboot-required and the installed kernels yourself.`,
    );
  if (r.report !== null) {
    lines.push(`Report: ${r.report.summary}`);
    lines.push(`The whole report: ${reportFile ?? '(not written)'}; again at any time with: upkeep report ${r.maintenanceId}`);
  }
  return `${lines.join('\n')}\n`;
}
