/**
 * `upkeep agent`: the long-running daemon (src/agent/agent.ts), normally started by systemd
 * (`upkeep install`). Runs until SIGTERM or SIGINT, then stops its actors in order and exits 0.
 * It starts even while Docker is down (it waits for it and alerts); it fails at once (exit 2) only
 * for what it cannot fix by waiting: a bad config, an unusable state database, a busy port.
 */
import { setFlagsFromString } from 'node:v8';
import type { Command } from 'commander';
import type { LoadedConfig } from '../../adapters/config/load-config.js';
import { EXIT, UpkeepError, UsageError } from '../../core/errors.js';
import type { Io } from '../io.js';
import { loadInChild, selfCommand } from '../self.js';
import { stateDirFor } from '../state.js';

interface AgentOptions {
  config?: string;
  stateDir?: string;
  logFormat?: string;
  listen?: string;
}

function parseListen(value: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port > 65535) throw new UsageError(`--listen "${value}" must be HOST:PORT, e.g. 127.0.0.1:9465`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * V8 settings for the agent process, set when the agent starts (before any of its code is hot): no
 * optimizing or baseline compilers, and V8's memory-over-speed trade-offs (smaller heap growth).
 * The agent spends its life waiting; what it runs (a reconcile, an alert) is short and mostly
 * native work (JSON, SQLite, sockets). Same as `node --lite-mode` (which NODE_OPTIONS refuses) for
 * memory: about 14 MiB less resident memory on Node 24, the compilers' machine code and heap and
 * their own code pages in the node binary (docs/benchmarks.md, "Agent memory on Node 24").
 * UPKEEP_AGENT_JIT=1 leaves V8's settings alone; under the systemd unit, whose NODE_OPTIONS has
 * --jitless (src/core/install/unit-file.ts), the JIT stays off unless a drop-in changes NODE_OPTIONS too.
 */
export const AGENT_V8_FLAGS: readonly string[] = ['--no-opt', '--no-maglev', '--no-sparkplug', '--optimize-for-size'];

/**
 * The config, loaded by a short-lived child (`upkeep agent-config`) when this is the real program,
 * so that the YAML parser, zod and the schema stay out of the agent's memory for the months it runs
 * (an ES module, once loaded, is never freed; a worker thread kept more than it saved). Loaded in
 * this process when there is no program to run (tests) or the child failed to answer.
 */
async function loadAgentConfig(path: string | undefined, io: Io): Promise<LoadedConfig> {
  const self = selfCommand();
  const result = self === null ? null : await loadInChild(self, path, io.env);
  if (result?.ok === true) return result.loaded;
  if (result?.ok === false) {
    const e = result.error;
    throw new UpkeepError(e.message, { exitCode: e.exitCode, ...(e.hint === null ? {} : { hint: e.hint }) });
  }
  const { loadConfig } = await import('../../adapters/config/load-config.js');
  return loadConfig(path === undefined ? {} : { path }, io.env);
}

export function registerAgent(program: Command, io: Io, setExit: (code: number) => void, version: string): void {
  program
    .command('agent')
    .description('Run the agent: watch the engine, heal desired containers, recover after reboots and daemon restarts, alert, serve /metrics')
    .option('--config <file>', 'the config file (default /etc/upkeep/upkeep.yml; missing = defaults)')
    .option('--state-dir <dir>', 'where the state database lives (default: config state_dir, UPKEEP_STATE_DIR, /var/lib/upkeep as root)')
    .option('--log-format <format>', 'json (for journald) or pretty (for a terminal)')
    .option('--listen <host:port>', 'the HTTP listener for /metrics, /healthz and /status (default 127.0.0.1:9465)')
    .addHelpText(
      'after',
      '\nStops on SIGTERM/SIGINT (exit 0). Exit 2: the config, the state database or the listen address cannot be used.\nSee docs/agent.md.',
    )
    .action(async (opts: AgentOptions) => {
      if (opts.logFormat !== undefined && opts.logFormat !== 'json' && opts.logFormat !== 'pretty') {
        throw new UsageError(`--log-format "${opts.logFormat}" must be json or pretty`);
      }
      // Only in the real program: the tests run commands inside their own process.
      if (selfCommand() !== null && io.env.UPKEEP_AGENT_JIT !== '1') for (const flag of AGENT_V8_FLAGS) setFlagsFromString(flag);
      // The config child runs while this process loads the agent's modules.
      const loading = loadAgentConfig(opts.config, io);
      loading.catch(() => undefined);
      const [{ openStore }, { buildAgent, notifiersFor }, { createLog }, { engineFromEnv }] = await Promise.all([
        import('../../adapters/store/sqlite-store.js'),
        import('../../agent/agent.js'),
        import('../../agent/log.js'),
        import('../engine.js'),
      ]);
      const loaded = await loading;
      const config = loaded.config;
      if (opts.listen !== undefined) config.listen = parseListen(opts.listen);
      const format = (opts.logFormat as 'json' | 'pretty' | undefined) ?? config.logFormat;
      const log = createLog(format, io.stdout);
      log.info({ config: loaded.fromFile ? loaded.path : `${loaded.path} (absent: defaults)` }, 'configuration loaded');
      for (const w of loaded.warnings) log.warn({ config: loaded.path }, w);
      const stateDir = stateDirFor(
        io,
        opts.stateDir !== undefined ? { stateDir: opts.stateDir } : config.stateDir !== null ? { stateDir: config.stateDir } : {},
      );
      const store = openStore({ stateDir, create: true });
      const engine = engineFromEnv(io);
      const stop = new AbortController();
      const onSignal = (sig: NodeJS.Signals) => {
        log.info({ signal: sig }, 'stopping');
        stop.abort();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      try {
        await buildAgent({ config, engine, store, log, version, stateDir, notifiers: await notifiersFor(config.alerts.channels, config.listen) }).run(
          stop.signal,
        );
        setExit(EXIT.ok);
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        store.close();
        await engine.close();
      }
    });
}
