/**
 * Reads one file's text as YAML, the way every part of the audit sees it: Jinja masked first when the
 * file is a template (offsets unchanged, see jinja-mask.ts), then the `yaml` parser with a
 * LineCounter; parse errors are collected with their codes and ranges, never thrown.
 *
 * Parser settings, and why:
 * - YAML 1.2 core schema (the `yaml` default): `restart: no` is the string "no", as docker compose v2
 *   (go-yaml v3) reads it. YAML 1.1 readers (PyYAML in docker-compose 1.x) read it as false.
 * - `merge: true`: compose files use `<<: *anchor`, and compose resolves it.
 * - duplicate keys are an error in plain YAML (compose refuses them), but allowed in templates where
 *   `{% if %}`/`{% else %}` branches legitimately hold the same key twice once masked. They are
 *   found here with one hash set per map (the parser's own check compares each key with every
 *   earlier one: quadratic, minutes for a map of 50k keys), with the parser's code and message.
 */
import { Composer, isAlias, isCollection, isMap, isPair, isScalar, LineCounter, Parser, YAMLParseError } from 'yaml';
import type { CST, Document, DocumentOptions, ParseOptions, SchemaOptions } from 'yaml';
import { jinjaAt, maskJinja, type JinjaMask } from './jinja-mask.js';
import type { SourceRange } from './source-range.js';

/** A file as the audit receives it: the caller reads it; nothing here touches the file system. */
export interface SourceFile {
  path: string;
  text: string;
}

/** A YAML parse error, located. */
export interface ParseProblem {
  code: string;
  message: string;
  range: SourceRange;
}

/** A comment of the source (YAML `# ...` or Jinja `{# ... #}`), with its text. */
export interface SourceComment {
  range: SourceRange;
  /** The comment's text without its delimiters, trimmed. */
  body: string;
}

export interface YamlSource {
  path: string;
  /** The original text, byte for byte. */
  text: string;
  /** What the YAML parser read: `text` with Jinja masked (same length), or `text` itself. */
  parseText: string;
  /** The masked constructs and if/for blocks, or null when the file is not a template. */
  jinja: JinjaMask | null;
  lineCounter: LineCounter;
  documents: Document.Parsed[];
  problems: ParseProblem[];
  comments: SourceComment[];
}

/** 1-based line and column, as editors and SARIF count them. */
export interface Position {
  line: number;
  column: number;
}

/** Ansible/Jinja templates by name: `*.j2`, `*.jinja`, `*.jinja2`. */
export function isJinjaTemplatePath(path: string): boolean {
  return /\.(j2|jinja2?)$/i.test(path);
}

/** The options every parse of the audit uses, so that a re-parse after a fix reads the same way. */
export function yamlParseOptions(_template: boolean): ParseOptions & DocumentOptions & SchemaOptions {
  return { merge: true, uniqueKeys: false, prettyErrors: false };
}

/**
 * Parses `file` (masking Jinja when `template` is true; by default when the path looks like a
 * template). Never throws on bad input: problems are in `problems`.
 */
export function parseYamlSource(file: SourceFile, template: boolean = isJinjaTemplatePath(file.path)): YamlSource {
  const jinja = template ? maskJinja(file.text) : null;
  const parseText = jinja?.masked ?? file.text;
  const lineCounter = new LineCounter();
  const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(parseText));
  const documents = Array.from(new Composer(yamlParseOptions(template)).compose(tokens)) as Document.Parsed[];
  if (!template) for (const doc of documents) addDuplicateKeyErrors(doc);
  const problems = documents.flatMap((doc) => doc.errors.map((e): ParseProblem => ({ code: e.code, message: e.message, range: [e.pos[0], e.pos[1]] })));
  const comments = collectComments(tokens).filter((c) => jinja === null || jinjaAt(jinja, c.range) === null);
  if (jinja !== null) {
    for (const c of jinja.constructs) {
      if (c.kind !== 'comment') continue;
      comments.push({
        range: c.range,
        body: file.text
          .slice(c.range[0] + 2, c.range[1] - 2)
          .replace(/^[-+]|[-+]$/g, '')
          .trim(),
      });
    }
    comments.sort((a, b) => a.range[0] - b.range[0]);
  }
  return { path: file.path, text: file.text, parseText, jinja, lineCounter, documents, problems, comments };
}

/** Line and column of an offset. A UTF-8 byte-order mark is not counted as a column. */
export function positionAt(source: Pick<YamlSource, 'lineCounter' | 'text'>, offset: number): Position {
  const { line, col } = source.lineCounter.linePos(offset);
  const bom = line === 1 && col > 1 && source.text.charCodeAt(0) === 0xfeff ? 1 : 0;
  return { line, column: col - bom };
}

/**
 * Adds the parser's DUPLICATE_KEY error ("Map keys must be unique", at the repeated key) for every
 * key that repeats an earlier scalar key of the same map, as `uniqueKeys: true` would, in linear time.
 */
function addDuplicateKeyErrors(doc: Document.Parsed): void {
  const found: YAMLParseError[] = [];
  const pending: unknown[] = [doc.contents];
  while (pending.length > 0) {
    const node = pending.pop();
    if (node === null || node === undefined || isAlias(node) || isScalar(node)) continue;
    if (isPair(node)) {
      pending.push(node.key, node.value);
      continue;
    }
    if (!isCollection(node)) continue;
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = pair.key;
        if (!isScalar(key)) continue;
        if (seen.has(key.value) && !(typeof key.value === 'number' && Number.isNaN(key.value))) {
          const at = key.range?.[0] ?? 0;
          found.push(new YAMLParseError([at, at + 1], 'DUPLICATE_KEY', 'Map keys must be unique'));
        } else seen.add(key.value);
      }
    }
    for (const item of node.items) pending.push(item);
  }
  if (found.length === 0) return;
  doc.errors.push(...found);
  doc.errors.sort((a, b) => a.pos[0] - b.pos[0]);
}

/** The YAML comments of a CST, wherever the parser put them (before, between or after nodes). */
function collectComments(tokens: readonly CST.Token[]): SourceComment[] {
  const out: SourceComment[] = [];
  // Iterative (no recursion depth limit); only objects are stacked, the order is fixed by the sort.
  const pending: object[] = [tokens];
  while (pending.length > 0) {
    const value = pending.pop() as Record<string, unknown> | unknown[];
    if (Array.isArray(value)) {
      for (const item of value) if (item !== null && typeof item === 'object') pending.push(item);
      continue;
    }
    const token = value as { type?: unknown; offset?: unknown; source?: unknown };
    if (token.type === 'comment' && typeof token.offset === 'number' && typeof token.source === 'string') {
      out.push({ range: [token.offset, token.offset + token.source.length], body: token.source.slice(1).trim() });
      continue;
    }
    for (const key of Object.keys(value)) {
      const item = value[key];
      if (item !== null && typeof item === 'object') pending.push(item);
    }
  }
  return out.sort((a, b) => a.range[0] - b.range[0]);
}
