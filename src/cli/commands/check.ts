/**
 * `upkeep check`: the main job. Status (will each container come back?) with its verdict, plus
 * the audit's summary (live containers and the compose files their labels name) and, when apt is
 * there, the preflight's. Exit 1 when anything is at risk.
 */
import type { Command } from 'commander';
import { readHostState } from '../../adapters/docker/host-state.js';
import { EXIT } from '../../core/errors.js';
import { hasRisk, statusVerdict } from '../../core/status-report.js';
import { withEngine } from '../engine.js';
import { painter, printJson, type Io } from '../io.js';
import { simulateUpgrade } from '../../adapters/apt/simulate-upgrade.js';
import { parseAptSimulation } from '../../core/preflight/apt-plan.js';
import { runAudit } from './audit.js';
import { runPreflight } from './preflight.js';
import { renderStatusText, statusJson } from '../render/status.js';
import { hostStatus } from '../../app/host-status.js';
import { withOptionalStore } from '../state.js';

export function registerCheck(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('check')
    .description('The main job: what would not survive maintenance on this host, with a verdict')
    .option('--json', 'print JSON for scripts: {"verdict","risk","status":{...},"audit":{...}}')
    .option('--state-dir <dir>', 'where the state database lives (for the desired state)')
    .option('--no-preflight', 'skip the apt part (apt-get -s dist-upgrade)')
    .addHelpText('after', '\nExit codes: 0 everything comes back, 1 something would not (or cannot be predicted, or the audit found errors), 2 could not run.')
    .action(async (opts: { json?: boolean; stateDir?: string; preflight?: boolean }) => {
      // The engine is read once: the status and the audit's live part are made from the same state.
      const state = await withEngine(io, (engine) => readHostState(engine));
      const report = await withOptionalStore(io, opts, async (store, problem) => hostStatus(state, store, problem));
      const audit = await runAudit(io, [], { ...(opts.stateDir ? { stateDir: opts.stateDir } : {}) }, state);
      const preflight = opts.preflight === false ? null : await preflightSummary(io, opts.stateDir);
      const risk = hasRisk(report.summary) || audit.summary.errors > 0;
      const verdict = statusVerdict(report.summary);
      const auditLine =
        audit.summary.errors + audit.summary.warnings === 0
          ? `Audit: no findings in the live containers and ${audit.summary.files} compose file(s) they come from.`
          : `Audit: ${audit.summary.errors} error(s), ${audit.summary.warnings} warning(s) in the live containers and ${audit.summary.files} compose file(s)${audit.summary.fixable ? `; ${audit.summary.fixable} fixable with upkeep audit --fix` : ''}.`;
      if (opts.json) {
        printJson(io, { verdict, risk, status: statusJson(report), audit: { summary: audit.summary, files: audit.files.map((f) => ({ path: f.path, findings: f.findings })), live: audit.live }, preflight });
      } else {
        const paint = painter(io);
        io.stdout.write(renderStatusText(io, report));
        io.stdout.write(`\n${risk ? paint('bold', verdict) : verdict}\n${auditLine}\n`);
        if (preflight) io.stdout.write(`${preflight.line}\n`);
        if (risk) {
          io.stdout.write('Next: "upkeep audit" for every finding and its fix; "upkeep snapshot" before maintenance so that "upkeep recover" can bring everything back.\n');
        }
      }
      setExit(risk ? EXIT.findings : EXIT.ok);
    });
}

/** One line about the pending apt upgrade; never fails check (apt missing or failing is said). */
async function preflightSummary(io: Io, stateDir: string | undefined): Promise<{ line: string; exitCode: number | null }> {
  try {
    const plan = parseAptSimulation(await simulateUpgrade('dist-upgrade'));
    const { report } = await runPreflight(io, plan, { download: false, cacheDir: '/nonexistent', quiet: true, ...(stateDir === undefined ? {} : { stateDir }) });
    const parts = [`Preflight: ${report.summary.packages} package(s) to upgrade`];
    if (report.docker.restarts) parts.push(`docker.service restarts: ${report.summary.containersStop} container(s) stop, ${report.summary.notBack} would not come back`);
    if (report.reboot.needed) parts.push('reboot needed');
    if (report.summary.alreadyDown > 0) parts.push(`${report.summary.alreadyDown} desired container(s) already down (upkeep diff)`);
    return { line: `${parts.join('; ')} (upkeep preflight for details).`, exitCode: report.exitCode };
  } catch (err) {
    return { line: `Preflight: not assessed (${(err as Error).message.split('\n')[0]}).`, exitCode: null };
  }
}
