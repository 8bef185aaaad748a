/**
 * Reads the agent's config file: YAML (kept as a document with source ranges), `${ENV}`
 * interpolation, then the schema (src/core/config/schema.ts). Every problem - YAML syntax and
 * schema alike - is reported as `FILE:LINE:COL: message` at the offending key or value (for a
 * missing key, its parent mapping), all of them at once, in one ConfigError (exit 2).
 * A missing file at the default path means the defaults (zero config works); a missing file given
 * explicitly is an error.
 */
import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import { interpolateTree } from '../../core/config/interpolate.js';
import { ConfigError, formatPath, type ConfigIssue } from '../../core/config/issues.js';
import { hasLiteralSecret, maskConfig } from '../../core/config/mask.js';
import { configWarnings, parseConfigObject } from '../../core/config/schema.js';
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

/** The largest config file read: a config is a few KiB; anything bigger is a mistake or an attack. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Loads `opts.path`, or DEFAULT_CONFIG_PATH; `env` is for `${ENV}` interpolation. */
export async function loadConfig(opts: { path?: string }, env: Record<string, string | undefined>): Promise<LoadedConfig> {
  const path = opts.path ?? DEFAULT_CONFIG_PATH;
  const read = await readConfigFile(path);
  if (read === null) {
    const config = defaultConfig();
    if (opts.path === undefined) return { config, masked: config, path, fromFile: false, warnings: [] };
    throw cannotRead(path, 'no such file', 'check the path, or run without --config to use /etc/upkeep/upkeep.yml (missing = defaults)');
  }
  const loaded = parseConfigText(read.text, path, env);
  if ((read.mode & 0o077) !== 0 && loaded.literalSecret) {
    loaded.warnings.push(
      `${path} is readable by group or others (mode 0${read.mode.toString(8)}) and holds secrets; run: chmod 600 ${path} (or move them to the environment as \${VAR})`,
    );
  }
  return { config: loaded.config, masked: loaded.masked, path, fromFile: true, warnings: loaded.warnings };
}

function cannotRead(path: string, what: string, hint: string, line = path): ConfigError {
  return new ConfigError(path, [`${line}: ${what}`], { head: `cannot read config ${path}:`, hint });
}

const NOT_REGULAR: [(s: Stats) => boolean, string][] = [
  [(s) => s.isDirectory(), 'a directory'],
  [(s) => s.isFIFO(), 'a FIFO'],
  [(s) => s.isCharacterDevice(), 'a character device'],
  [(s) => s.isBlockDevice(), 'a block device'],
  [(s) => s.isSocket(), 'a socket'],
];

/**
 * The file's text and mode, or null when it does not exist. Only a regular file of at most
 * MAX_CONFIG_BYTES of UTF-8 is read: the file is opened non-blocking (a FIFO without a writer must
 * not hang the agent's start) and checked with fstat on the same descriptor before any read (so
 * /dev/zero is never read), and the read stops after the limit (a file growing meanwhile).
 */
async function readConfigFile(path: string): Promise<{ text: string; mode: number } | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw cannotRead(
      path,
      (err as Error).message,
      code === 'EACCES' || code === 'EPERM' ? "run as root, or check the file's permissions" : 'the config must be a regular, readable file',
    );
  }
  try {
    const st = await fh.stat();
    const kind = NOT_REGULAR.find(([is]) => is(st))?.[1] ?? (st.isFile() ? null : 'not a file');
    if (kind !== null) throw cannotRead(path, `not a regular file (${kind})`, 'point --config at the YAML file itself (e.g. /etc/upkeep/upkeep.yml)');
    const tooLarge = (n: number) =>
      cannotRead(path, `too large (${n} bytes; the limit is 1 MiB)`, 'the config holds settings only; check that this is the right file');
    if (st.size > MAX_CONFIG_BYTES) throw tooLarge(st.size);
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let len = 0;
    while (len < buf.length) {
      const { bytesRead } = await fh.read(buf, len, buf.length - len, len);
      if (bytesRead === 0) break;
      len += bytesRead;
    }
    if (len > MAX_CONFIG_BYTES) throw tooLarge(len);
    const bytes = buf.subarray(0, len);
    const bad = firstInvalidUtf8(bytes);
    if (bad !== -1) {
      const before = bytes.subarray(0, bad);
      const line = before.filter((b) => b === 0x0a).length + 1;
      const col = bad - (before.lastIndexOf(0x0a) + 1) + 1;
      throw cannotRead(
        path,
        `not UTF-8 (byte 0x${bytes[bad]!.toString(16).padStart(2, '0')}); save the file as UTF-8`,
        'convert it, e.g. iconv -f latin1 -t utf-8 (or -f utf-16)',
        `${path}:${line}:${col}`,
      );
    }
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), mode: st.mode & 0o777 };
  } finally {
    await fh.close();
  }
}

/** The offset of the first byte that is not part of a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n === -1 || i + n >= b.length) return i;
    // The second byte's range excludes overlong forms and surrogates (RFC 3629).
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    if (b[i + 1]! < lo || b[i + 1]! > hi) return i;
    for (let k = 2; k <= n; k++) if (b[i + k]! < 0x80 || b[i + k]! > 0xbf) return i;
    i += n + 1;
  }
  return -1;
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
    throw new ConfigError(
      file,
      doc.errors.map((e) => `${at(e.pos[0])}: YAML: ${firstLine(e.message)}`),
      {
        hint: 'fix the YAML syntax first (indentation with spaces, quote values containing ": " or " #")',
      },
    );
  }
  const warnings = doc.warnings.map((w) => `${at(w.pos[0])}: YAML: ${firstLine(w.message)}`);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // yaml throws a ReferenceError (no position) when aliases expand too much ("billion laughs").
    const alias = firstAlias(doc);
    const what =
      err instanceof ReferenceError
        ? `too many alias expansions (over ${MAX_ALIAS_COUNT}; nested aliases multiply); the first alias is here`
        : firstLine((err as Error).message);
    throw new ConfigError(file, [`${at(alias === null ? 0 : startOf(alias))}: YAML: ${what}`], {
      hint: 'write the values out, or use fewer nested aliases (*name)',
    });
  }
  const interpolated = interpolateTree(raw, env);
  const result = parseConfigObject(interpolated.value, { sensitivePaths: interpolated.paths });
  const issues = [...interpolated.issues];
  if (!result.ok) {
    const broken = new Set(interpolated.issues.map((i) => formatPath(i.path)));
    issues.push(...result.issues.filter((i) => !broken.has(formatPath(i.path))));
  }
  if (issues.length > 0 || !result.ok) {
    throw new ConfigError(
      file,
      sortByPosition(issues.map((i) => ({ offset: offsetOf(doc, i), message: i.message, path: i.path }))).map(
        (i) => `${at(i.offset)}: ${i.path.length ? `${formatPath(i.path)}: ` : ''}${i.message}`,
      ),
    );
  }
  for (const w of configWarnings(result.config)) warnings.push(`${at(offsetOf(doc, w))}: ${formatPath(w.path)}: ${w.message}`);
  return { config: result.config, masked: maskConfig(result.config, interpolated.sensitive), warnings, literalSecret: hasLiteralSecret(raw) };
}

/** Alias expansions allowed when the document is turned into values (yaml counts uses x nesting). */
const MAX_ALIAS_COUNT = 1000;

function firstAlias(doc: Document): YamlNode | null {
  let found: YamlNode | null = null;
  visit(doc, {
    Alias(_key, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function sortByPosition<T extends { offset: number }>(items: T[]): T[] {
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => a.item.offset - b.item.offset || a.i - b.i)
    .map((x) => x.item);
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
