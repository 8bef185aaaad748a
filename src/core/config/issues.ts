/**
 * What is wrong with a config file, as data: each issue has the JSON path of the offending value
 * (keys of the YAML file, snake_case, list indexes as numbers) and a message saying what was expected
 * and what was found. The loader (src/adapters/config/load-config.ts) turns paths into FILE:LINE:COL.
 */
import { UpkeepError } from '../errors.js';

export type ConfigPath = (string | number)[];

export interface ConfigIssue {
  path: ConfigPath;
  message: string;
  /** Point at the key itself (unknown keys) rather than its value. Default 'value'. */
  at?: 'key' | 'value';
}

/** Renders a path the way a person reads it: `alerts.channels[1].url`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

/** The config file cannot be used; `lines` are the issues as `FILE:LINE:COL: message`, all of them. */
export class ConfigError extends UpkeepError {
  readonly lines: string[];
  constructor(file: string, lines: string[], opts: { hint?: string; head?: string } = {}) {
    const head = opts.head ?? (lines.length === 1 ? `invalid config ${file}:` : `invalid config ${file} (${lines.length} problems):`);
    super(`${head}\n${lines.join('\n')}`, {
      hint: opts.hint ?? 'fix the lines above; "upkeep config show-default" prints a commented example and docs/config.md lists every key',
    });
    this.lines = lines;
  }
}
