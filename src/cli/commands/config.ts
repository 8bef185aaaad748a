/**
 * `upkeep config check`: validates the agent's config file and prints what it means (secrets
 * masked), or every problem as FILE:LINE:COL. `upkeep config show-default`: the commented default
 * file (`--json`: the defaults as data, and that file). Reference: docs/config.md.
 */
import type { Command } from 'commander';
import { loadConfig, type LoadedConfig } from '../../adapters/config/load-config.js';
import { DEFAULT_CONFIG_FILE } from '../../core/config/default-file.js';
import { ConfigError } from '../../core/config/issues.js';
import { formatDuration } from '../../core/config/ranges.js';
import { DEFAULT_CONFIG_PATH, defaultConfig, type ChannelConfig, type HealthCheckSpec, type UpkeepConfig } from '../../core/config/types.js';
import { EXIT } from '../../core/errors.js';
import { painter, printJson, type Io } from '../io.js';

interface CheckOptions {
  config?: string;
  json?: boolean;
}

/** "90000" -> "90s", "7200000" -> "2h": the largest unit that divides evenly. */
export function formatMs(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return ms === 0 ? '0s' : `${ms}ms`;
}

function describeCheck(c: HealthCheckSpec): string {
  const what =
    c.type === 'http'
      ? `http ${c.url} -> ${c.status}${c.bodyContains !== null ? ` containing "${c.bodyContains}"` : ''}`
      : c.type === 'tcp'
        ? `tcp ${c.host}:${c.port}`
        : 'docker HEALTHCHECK';
  return `${what} (every ${formatMs(c.intervalMs)}, timeout ${formatMs(c.timeoutMs)}, failing after ${c.failures}, passing again after ${c.successes})`;
}

function describeChannel(c: ChannelConfig): string {
  switch (c.type) {
    case 'webhook':
      return `${c.url}${c.secret !== null ? ' (signed)' : ''}`;
    case 'slack':
      return c.url;
    case 'ntfy':
      return `${c.url}${c.token !== null ? ' (token)' : ''}`;
    case 'email':
      return `${c.host}:${c.port}${c.secure ? ' (TLS)' : ''} from ${c.from} to ${c.to.join(', ')}`;
    case 'alertmanager':
      return `${c.url}${c.auth !== null ? ('bearer' in c.auth ? ' (token)' : ' (basic auth)') : ''}, re-sent every ${formatMs(c.resendMs)}${c.silence ? ', silences the host during maintenance' : ''}`;
  }
}

/** The text summary of a (masked) config. */
export function renderConfigSummary(c: UpkeepConfig): string[] {
  const lines = [
    `listen ${c.listen.host.includes(':') ? `[${c.listen.host}]` : c.listen.host}:${c.listen.port}, log ${c.logFormat}, state dir ${c.stateDir ?? '(default)'}, resync ${formatMs(c.resyncMs)}`,
    `heal: default ${c.heal.default}; crash loop ${c.heal.crashLoopRestarts} heals in ${formatMs(c.heal.crashLoopWindowMs)}; backoff ${formatMs(c.heal.backoffInitialMs)}..${formatMs(c.heal.backoffMaxMs)}`,
    `recovery: grace ${formatMs(c.recovery.graceMs)}, ready timeout ${formatMs(c.recovery.readyTimeoutMs)}, running for ${formatMs(c.recovery.runningForMs)}, concurrency ${c.recovery.concurrency}`,
    `services: ${c.services.length === 0 ? 'none named (every desired container: heal ' + c.heal.default + ')' : c.services.length}`,
  ];
  for (const s of c.services) {
    lines.push(`  ${s.name}: heal ${s.heal}${s.checks.length === 0 ? ', no checks' : s.onUnhealthy === 'restart' ? ', restarted when a check fails' : ''}`);
    for (const ch of s.checks) lines.push(`    - ${describeCheck(ch)}`);
  }
  lines.push(
    `alert channels: ${c.alerts.channels.length === 0 ? 'none (alerts only in logs and /metrics)' : c.alerts.channels.length}; for ${formatMs(c.alerts.forMs)}, repeat ${c.alerts.repeatMs === 0 ? 'never' : formatMs(c.alerts.repeatMs)}`,
  );
  for (const ch of c.alerts.channels) lines.push(`  ${ch.type} "${ch.name}": ${describeChannel(ch)}`);
  lines.push(`heartbeat: ${c.heartbeat === null ? 'none' : `${c.heartbeat.url} every ${formatMs(c.heartbeat.intervalMs)}`}`);
  lines.push(`preflight: ${c.preflight.block ? 'blocks apt when something will not come back' : 'never blocks apt'}`);
  lines.push(
    `http: ${c.http.token === null ? 'no token (/metrics and /status for this host only)' : 'token set (other hosts: Authorization: Bearer)'}; timeline kept ${formatDuration(c.timeline.retentionMs)}`,
  );
  if (c.metrics)
    lines.push(
      `metrics for Prometheus: ${c.metrics.listen.host.includes(':') ? `[${c.metrics.listen.host}]` : c.metrics.listen.host}:${c.metrics.listen.port}, ${c.metrics.webConfig === null ? 'no web config (plain http, no password)' : `web config ${c.metrics.webConfig}`}`,
    );
  return lines;
}

function renderCheck(io: Io, loaded: LoadedConfig): string {
  const paint = painter(io);
  const head = loaded.fromFile ? `${loaded.path}: ${paint('green', 'ok')}` : `${loaded.path}: not found, the defaults apply (${paint('green', 'ok')})`;
  const warnings = loaded.warnings.map((w) => `${paint('yellow', 'warning:')} ${w}`);
  return [head, ...renderConfigSummary(loaded.masked), ...(warnings.length ? ['', ...warnings] : [])].join('\n') + '\n';
}

export function registerConfig(program: Command, io: Io, setExit: (code: number) => void): void {
  const cmd = program.command('config').description("Check the agent's config file, or print the commented default");

  cmd
    .command('check')
    .description('Validate the config file and print what it means (secrets masked); every problem as FILE:LINE:COL')
    .option('--config <file>', 'the config file (default /etc/upkeep/upkeep.yml; missing = defaults)')
    .option('--json', 'print {"file","ok","config","warnings"} (or "issues") for scripts; secrets masked')
    .addHelpText('after', '\n${VAR} in values come from this environment, as for the agent.\nExit codes: 0 valid, 2 invalid or unreadable. See docs/config.md.')
    .action(async (opts: CheckOptions) => {
      const path = opts.config === undefined ? {} : { path: opts.config };
      let loaded: LoadedConfig;
      try {
        loaded = await loadConfig(path, io.env);
      } catch (err) {
        if (!(opts.json && err instanceof ConfigError)) throw err;
        printJson(io, { file: opts.config ?? DEFAULT_CONFIG_PATH, ok: false, issues: err.lines });
        setExit(EXIT.couldNotRun);
        return;
      }
      if (opts.json) printJson(io, { file: loaded.path, ok: true, fromFile: loaded.fromFile, config: loaded.masked, warnings: loaded.warnings });
      else io.stdout.write(renderCheck(io, loaded));
      setExit(EXIT.ok);
    });

  cmd
    .command('show-default')
    .description('Print the commented default config file (what `upkeep install` writes)')
    .option(
      '--json',
      'print {"file","config","text"}: the default path, the defaults in the shape of `config check --json` (durations in ms), and the commented file',
    )
    .action((opts: { json?: boolean }) => {
      if (opts.json) printJson(io, { file: DEFAULT_CONFIG_PATH, config: defaultConfig(), text: DEFAULT_CONFIG_FILE });
      else io.stdout.write(DEFAULT_CONFIG_FILE);
      setExit(EXIT.ok);
    });
}
