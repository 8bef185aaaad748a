/**
 * Reads the agent's config file: YAML (kept as a document with source ranges), `${ENV}`
 * interpolation, then the schema (src/core/config/schema.ts). Every problem - YAML syntax and
 * schema alike - is reported as `FILE:LINE:COL: message` at the offending key or value (for a
 * missing key, its parent mapping), all of them at once, in one ConfigError (exit 2).
 * A missing file at the default path means the defaults (zero config works); a missing file given
 * explicitly is an error.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { interpolateTree } from '../../core/config/interpolate.js';
import { ConfigError, formatPath, type ConfigIssue } from '../../core/config/issues.js';
import { hasLiteralSecret, maskConfig } from '../../core/config/mask.js';
import { parseConfigObject } from '../../core/config/schema.js';
import { DEFAULT_CONFIG_PATH, defaultConfig, type UpkeepConfig } from '../../core/config/types.js';

export interface LoadedConfig {
  config: UpkeepConfig;
  /** The same config with every secret replaced by "***": safe to print. */
  masked: UpkeepConfig;
  path: string;
  /** False when there was no file at the default path and the defaults apply. */
  fromFile: boolean;
  /** Not errors: e.g. a group/world-readable file holding secrets. */
  warnings: string[];
}

/** Loads `opts.path`, or DEFAULT_CONFIG_PATH; `env` is for `${ENV}` interpolation. */
export async function loadConfig(opts: { path?: string }, env: Record<string, string | undefined>): Promise<LoadedConfig> {
  const path = opts.path ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && opts.path === undefined) {
      const config = defaultConfig();
      return { config, masked: config, path, fromFile: false, warnings: [] };
    }
    throw new ConfigError(path, [`${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`], {
      head: `cannot read config ${path}:`,
      hint: code === 'ENOENT' ? 'check the path, or run without --config to use /etc/upkeep/upkeep.yml (missing = defaults)' : 'run as root, or check the file\'s permissions',
    });
  }
  const loaded = parseConfigText(text, path, env);
  const mode = (await stat(path)).mode & 0o777;
  if ((mode & 0o077) !== 0 && loaded.literalSecret) {
    loaded.warnings.push(`${path} is readable by group or others (mode 0${mode.toString(8)}) and holds secrets; run: chmod 600 ${path} (or move them to the environment as \${VAR})`);
  }
  return { config: loaded.config, masked: loaded.masked, path, fromFile: true, warnings: loaded.warnings };
}

/**
 * Parses and validates config text (no I/O); `file` names it in messages. Throws ConfigError with
 * every issue; `literalSecret` says whether the text itself holds a secret.
 */
export function parseConfigText(
  text: string,
  file: string,
  env: Record<string, string | undefined>,
): { config: UpkeepConfig; masked: UpkeepConfig; warnings: string[]; literalSecret: boolean } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): string => {
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => `${at(e.pos[0])}: YAML: ${firstLine(e.message)}`), {
      hint: 'fix the YAML syntax first (indentation with spaces, quote values containing ": " or " #")',
    });
  }
  const warnings = doc.warnings.map((w) => `${at(w.pos[0])}: YAML: ${firstLine(w.message)}`);
  const raw: unknown = doc.toJS({ maxAliasCount: 1000 });
  const interpolated = interpolateTree(raw, env);
  const result = parseConfigObject(interpolated.value, { sensitivePaths: interpolated.paths });
  const issues = [...interpolated.issues];
  if (!result.ok) {
    const broken = new Set(interpolated.issues.map((i) => formatPath(i.path)));
    issues.push(...result.issues.filter((i) => !broken.has(formatPath(i.path))));
  }
  if (issues.length > 0 || !result.ok) {
    throw new ConfigError(file, sortByPosition(issues.map((i) => ({ offset: offsetOf(doc, i), message: i.message, path: i.path }))).map(
      (i) => `${at(i.offset)}: ${i.path.length ? `${formatPath(i.path)}: ` : ''}${i.message}`,
    ));
  }
  return { config: result.config, masked: maskConfig(result.config, interpolated.sensitive), warnings, literalSecret: hasLiteralSecret(raw) };
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function sortByPosition<T extends { offset: number }>(items: T[]): T[] {
  return items.map((item, i) => ({ item, i })).sort((a, b) => a.item.offset - b.item.offset || a.i - b.i).map((x) => x.item);
}

/**
 * The source offset an issue points at: the key (unknown keys) or the value at its path; when the
 * path does not exist (a missing key), the deepest mapping or list that does.
 */
export function offsetOf(doc: Document, issue: ConfigIssue): number {
  let node: unknown = doc.contents;
  for (const [i, seg] of issue.path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    const step = child(node, seg);
    if (step === null) break;
    const last = i === issue.path.length - 1;
    const empty = step.value === null || (isScalar(step.value) && step.value.value === null && step.value.range?.[0] === step.value.range?.[1]);
    if (last && step.key !== null && (issue.at === 'key' || empty)) return startOf(step.key);
    if (empty) return startOf(step.key ?? node);
    node = step.value;
  }
  return startOf(node);
}

/** The value (and key, in a mapping) under `seg`, or null when there is none. */
function child(node: unknown, seg: string | number): { key: unknown; value: unknown } | null {
  if (isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
    return pair ? { key: pair.key, value: pair.value ?? null } : null;
  }
  if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) return { key: null, value: node.items[seg] ?? null };
  return null;
}

function keyText(key: unknown): string | null {
  if (isScalar(key)) return String(key.value);
  return null;
}

function startOf(node: unknown): number {
  const range = (node as YamlNode | null)?.range;
  return range ? range[0] : 0;
}
