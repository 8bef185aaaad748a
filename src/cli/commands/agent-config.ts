/**
 * `upkeep agent-config [--config FILE]` (hidden, internal): loads and validates the agent's config
 * file exactly as the agent would and prints the result as one JSON object on stdout:
 * `{"ok":true,"loaded":LoadedConfig}` or `{"ok":false,"error":{"message","hint","exitCode"}}` for a
 * config that cannot be used. `upkeep agent` runs it as a short-lived child so that the YAML
 * parser, zod and the schema never enter the long-running agent's memory (about 6.5 MiB of
 * resident memory on Node 24: docs/benchmarks.md, "Agent memory on Node 24").
 */
import type { Command } from 'commander';
import { loadConfig } from '../../adapters/config/load-config.js';
import { EXIT, UpkeepError } from '../../core/errors.js';
import type { Io } from '../io.js';
import type { AgentConfigResult } from '../self.js';

export function registerAgentConfig(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('agent-config', { hidden: true })
    .description('internal: load the agent config and print it as JSON (upkeep agent runs this)')
    .option('--config <file>', 'the config file')
    .action(async (opts: { config?: string }) => {
      let result: AgentConfigResult;
      try {
        result = { ok: true, loaded: await loadConfig(opts.config === undefined ? {} : { path: opts.config }, io.env) };
      } catch (err) {
        if (!(err instanceof UpkeepError)) throw err;
        result = { ok: false, error: { message: err.message, hint: err.hint ?? null, exitCode: err.exitCode } };
      }
      io.stdout.write(`${JSON.stringify(result)}\n`);
      setExit(EXIT.ok);
    });
}
