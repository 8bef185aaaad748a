/**
 * `upkeep check`: the main job. Status (will each container come back?) with its verdict, plus
 * the audit's summary (live containers and the compose files their labels name) and, when apt is
 * there, the preflight's. Exit 1 when anything is at risk. The use case is app/check-host.ts.
 */
import { homedir } from 'node:os';
import type { Command } from 'commander';
import { readHostState } from '../../adapters/docker/host-state.js';
import { checkHost } from '../../app/check-host.js';
import { EXIT } from '../../core/errors.js';
import { cachedSimulationLine } from '../../core/preflight/apt-simulation-cache.js';
import { cachedEvidenceLine } from '../../core/preflight/evidence-cache.js';
import { auditDeps } from '../deps/audit.js';
import { localAssessDeps } from '../deps/upgrade.js';
import { withEngine } from '../engine.js';
import { painter, printJson, type Io } from '../io.js';
import { renderStatusText, statusJson } from '../render/status.js';
import { withOptionalStore } from '../state.js';

export function registerCheck(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('check')
    .description('The main job: what would not survive maintenance on this host, with a verdict')
    .option('--json', 'print JSON for scripts: {"verdict","risk","status":{...},"audit":{...}}')
    .option('--state-dir <dir>', "where the state database lives (for the desired state) and apt's simulation is cached")
    .option('--no-preflight', 'skip the apt part (apt-get -s dist-upgrade)')
    .option('--no-apt-cache', "run apt's simulation now even if the cached one's inputs are unchanged (docs/preflight.md)")
    .addHelpText('after', '\nExit codes: 0 everything comes back, 1 something would not (or cannot be predicted, or the audit found errors), 2 could not run.')
    .action(async (opts: { json?: boolean; stateDir?: string; preflight?: boolean; aptCache?: boolean }) => {
      const stateDir = opts.stateDir ? { stateDir: opts.stateDir } : {};
      const {
        status: report,
        audit,
        preflight,
        risk,
        verdict,
        clusters,
      } = await withEngine(io, async (engine) => {
        // An engine that does not answer ends the command here (exit 2), before apt is started.
        await engine.apiVersion();
        // The engine is read once: the status, the audit's live part and the preflight's containers
        // are made from the same state, read while the apt part reads its files (app/check-host.ts).
        const state = readHostState(engine);
        return withOptionalStore(io, opts, (store, problem) =>
          checkHost(
            {
              desired: { store, problem },
              audit: auditDeps({ env: io.env, ...stateDir }),
              upgrade:
                opts.preflight === false
                  ? null
                  : () =>
                      localAssessDeps({
                        env: io.env,
                        isRoot: process.getuid?.() === 0,
                        home: homedir(),
                        ...stateDir,
                        aptCache: opts.aptCache !== false,
                        readHost: async () => {
                          const s = await state;
                          return { daemon: s.daemon, containers: s.containers, host: s.host };
                        },
                      }),
            },
            state,
          ),
        );
      });
      const auditLine =
        audit.summary.errors + audit.summary.warnings === 0
          ? `Audit: no findings in the live containers and ${audit.summary.files} compose file(s) they come from.`
          : `Audit: ${audit.summary.errors} error(s), ${audit.summary.warnings} warning(s) in the live containers and ${audit.summary.files} compose file(s)${audit.summary.fixable ? `; ${audit.summary.fixable} fixable with upkeep audit --fix` : ''}.`;
      if (opts.json) {
        printJson(io, {
          verdict,
          risk,
          clusters,
          status: statusJson(report),
          audit: { summary: audit.summary, files: audit.files.map((f) => ({ path: f.path, findings: f.findings })), live: audit.live },
          preflight,
        });
      } else {
        const paint = painter(io);
        io.stdout.write(renderStatusText(io, report));
        io.stdout.write(`\n${risk ? paint('bold', verdict) : verdict}\n`);
        for (const line of clusters) io.stdout.write(`${paint('bold', line)}\n`);
        io.stdout.write(`${auditLine}\n`);
        if (preflight) io.stdout.write(`${preflight.line}\n`);
        const cached = cachedSimulationLine(preflight?.aptSimulation);
        if (cached !== null) io.stdout.write(`${cached}\n`);
        const cachedEvidence = cachedEvidenceLine(preflight?.evidenceCache);
        if (cachedEvidence !== null) io.stdout.write(`${cachedEvidence}\n`);
        if (risk) {
          io.stdout.write(
            'Next: "upkeep audit" for every finding and its fix; "upkeep snapshot" before maintenance so that "upkeep recover" can bring everything back.\n',
          );
        }
      }
      setExit(risk ? EXIT.findings : EXIT.ok);
    });
}
