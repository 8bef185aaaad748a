/**
 * Masks Jinja (`{{ ... }}`, `{% ... %}`, `{# ... #}`) in an Ansible template so that a YAML parser can
 * read it, without moving a single offset: the masked text has the same length as the original, so a
 * range found on the masked text is the same range on the original.
 *
 * How each construct is masked:
 * - a line that holds only Jinja (and whitespace), e.g. `{% if x %}`, `{% endfor %}`, or a whole-line
 *   `{{ block | to_nice_yaml }}`: a YAML comment `#____` of the same length;
 * - a statement or comment at the end of a line after whitespace (`image: x  {# why #}`): a comment;
 * - anything else (`restart: {{ policy }}`, `image: "{{ repo }}:{{ tag }}"`, `{{ name }}:`): the same
 *   number of plain-scalar characters, `__j<n>___`, numbered so that two masked keys stay distinct.
 * Line breaks inside a construct are masked too: the masked construct is on one line.
 *
 * `{% raw %}...{% endraw %}` content is left as it is. The `{% if %}` and `{% for %}` blocks are
 * reported with their ranges, so that callers can tell a value that holds in every rendering from
 * one that holds in one branch only.
 */
import { rangesOverlap, type SourceRange } from './source-range.js';

/** One Jinja construct of the original text. */
export interface JinjaConstruct {
  kind: 'expression' | 'statement' | 'comment';
  /** [start, end) in the original text, delimiters included. */
  range: SourceRange;
  /** For statements, the first word (`if`, `elif`, `endfor`, `set`, ...); otherwise null. */
  keyword: string | null;
  /** How it was masked: as a YAML comment, or as plain-scalar characters. */
  maskedAs: 'comment' | 'scalar';
}

/** A `{% if %}...{% endif %}` or `{% for %}...{% endfor %}` block. */
export interface JinjaBlock {
  kind: 'if' | 'for';
  /** From the start of the opening tag to the end of the closing tag (or of the text when unclosed). */
  range: SourceRange;
  /** The opening tag's range. */
  open: SourceRange;
  closed: boolean;
}

export interface JinjaMask {
  /** The text with every construct masked; same length as the original. */
  masked: string;
  /** Every construct, in source order. */
  constructs: JinjaConstruct[];
  /** Every if/for block, ordered by start. */
  blocks: JinjaBlock[];
}

const OPENERS: Record<string, { close: string; kind: JinjaConstruct['kind'] }> = {
  '{{': { close: '}}', kind: 'expression' },
  '{%': { close: '%}', kind: 'statement' },
  '{#': { close: '#}', kind: 'comment' },
};

/** Masks every Jinja construct of `text`; see the module comment for the rules. */
export function maskJinja(text: string): JinjaMask {
  const found = findConstructs(text);
  const covered = new Uint8Array(text.length);
  for (const c of found) covered.fill(1, c.range[0], c.range[1]);

  const out = text.split('');
  const constructs: JinjaConstruct[] = [];
  let commentOpenUntil = -1;
  found.forEach((c, index) => {
    const [start, end] = c.range;
    const lineStart = text.lastIndexOf('\n', start - 1) + 1;
    const lineEnd = indexOrEnd(text, '\n', end);
    const onlyJinjaBefore = onlyJinjaOrSpace(text, covered, lineStart, start);
    const onlyJinjaAfter = onlyJinjaOrSpace(text, covered, end, lineEnd);
    const insideComment = start < commentOpenUntil;
    const prev = start === 0 ? '\n' : (out[start - 1] ?? '\n');
    const canStartComment = insideComment || /\s/.test(prev);
    const asComment = onlyJinjaAfter && canStartComment && (c.kind === 'expression' ? onlyJinjaBefore : true);

    if (asComment) {
      const fill = insideComment ? '_' : '#';
      out[start] = fill;
      for (let i = start + 1; i < end; i++) out[i] = '_';
      commentOpenUntil = Math.max(commentOpenUntil, lineEnd);
    } else {
      const label = `__j${index.toString(36)}`;
      for (let i = start; i < end; i++) out[i] = label[i - start] ?? '_';
    }
    constructs.push({ kind: c.kind, range: c.range, keyword: c.keyword, maskedAs: asComment ? 'comment' : 'scalar' });
  });

  return { masked: out.join(''), constructs, blocks: findBlocks(constructs, text.length) };
}

/** The construct that overlaps [start, end) (or contains `start` for an empty range), or null. */
export function jinjaAt(mask: JinjaMask, range: SourceRange): JinjaConstruct | null {
  // Constructs are in source order and never overlap, so their ends ascend too: the only candidate
  // is the first one that ends after `range` starts (binary search: a template with 50k constructs
  // asks this for each of its comments).
  const list = mask.constructs;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.range[1] <= range[0]) lo = mid + 1;
    else hi = mid;
  }
  const c = list[lo];
  return c !== undefined && rangesOverlap(c.range, range) ? c : null;
}

/** The if/for blocks whose body contains `offset`, outermost first. */
export function blocksAround(mask: JinjaMask, offset: number): JinjaBlock[] {
  return mask.blocks.filter((b) => b.open[1] <= offset && offset < b.range[1]);
}

interface RawConstruct {
  kind: JinjaConstruct['kind'];
  range: SourceRange;
  keyword: string | null;
}

function findConstructs(text: string): RawConstruct[] {
  const out: RawConstruct[] = [];
  let i = text.indexOf('{');
  while (i !== -1 && i < text.length - 1) {
    const opener = OPENERS[text.slice(i, i + 2)];
    if (opener === undefined) {
      i = text.indexOf('{', i + 1);
      continue;
    }
    const end = opener.kind === 'comment' ? text.indexOf('#}', i + 2) : closingOf(text, i + 2, opener.close);
    if (end === -1) break;
    const range: SourceRange = [i, end + 2];
    const keyword = opener.kind === 'statement' ? statementKeyword(text.slice(i + 2, end)) : null;
    out.push({ kind: opener.kind, range, keyword });
    i = range[1];
    if (keyword === 'raw') {
      const endRaw = /\{%[-+]?\s*endraw\s*[-+]?%\}/g;
      endRaw.lastIndex = i;
      const m = endRaw.exec(text);
      if (m === null) break;
      out.push({ kind: 'statement', range: [m.index, m.index + m[0].length], keyword: 'endraw' });
      i = m.index + m[0].length;
    }
    i = text.indexOf('{', i);
  }
  return out;
}

/** The offset of `close` ending an expression or statement that starts at `from`, skipping string literals. */
function closingOf(text: string, from: number, close: string): number {
  let quote: string | null = null;
  for (let i = from; i < text.length - 1; i++) {
    const ch = text[i];
    if (quote !== null) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === close[0] && text[i + 1] === close[1]) {
      return i;
    }
  }
  return -1;
}

function statementKeyword(body: string): string | null {
  const m = /^[-+]?\s*([A-Za-z_]+)/.exec(body);
  return m?.[1] ?? null;
}

function indexOrEnd(text: string, needle: string, from: number): number {
  const i = text.indexOf(needle, from);
  return i === -1 ? text.length : i;
}

function onlyJinjaOrSpace(text: string, covered: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    if (covered[i] === 1) continue;
    const ch = text[i];
    if (ch !== ' ' && ch !== '\t' && ch !== '\r') return false;
  }
  return true;
}

function findBlocks(constructs: readonly JinjaConstruct[], textLength: number): JinjaBlock[] {
  const blocks: JinjaBlock[] = [];
  const open: { kind: JinjaBlock['kind']; open: SourceRange }[] = [];
  for (const c of constructs) {
    if (c.kind !== 'statement' || c.keyword === null) continue;
    if (c.keyword === 'if' || c.keyword === 'for') {
      open.push({ kind: c.keyword, open: c.range });
      continue;
    }
    const closes = c.keyword === 'endif' ? 'if' : c.keyword === 'endfor' ? 'for' : null;
    if (closes === null) continue;
    const at = findLastIndex(open, (o) => o.kind === closes);
    if (at === -1) continue;
    // The matching opener is closed here; openers left inside it were never closed and end here too.
    open.splice(at).forEach((o, i) => {
      blocks.push({ kind: o.kind, open: o.open, range: [o.open[0], c.range[1]], closed: i === 0 });
    });
  }
  for (const o of open) blocks.push({ kind: o.kind, open: o.open, range: [o.open[0], textLength], closed: false });
  return blocks.sort((a, b) => a.range[0] - b.range[0]);
}

function findLastIndex<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i] as T)) return i;
  return -1;
}
