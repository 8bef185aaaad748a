/**
 * Whether a Jinja template could have produced a file (the audit's `unmanaged-project` rule). Pure,
 * and an approximation, since Ansible is not run: the template's literal text must appear in the file
 * in order, around its tags; an expression `{{ ... }}` stands for any text on one line (an
 * expression that only prints a string literal, as `{{ '{{' }}`, for exactly that string), a block
 * tag `{% ... %}` for any text, a comment `{# ... #}` for nothing. Trailing whitespace at the end of
 * the file is ignored. A template with no literal text at all produces nothing (it would match any
 * file).
 *
 * No backtracking (a regular expression of lazy gaps took seconds, then hours, on a template with
 * 3, then 5 `{% if %}` blocks against a file it does not produce): the template is cut at its block
 * tags into segments (literals joined by one-line gaps), matched left to right, each at the first
 * place in the file where it fits, never revisited; a segment is tried once per place its first
 * literal occurs, each try scanning one line per literal. That decides exactly
 * what the pattern describes, no false negatives: within a segment, taking each literal at its first
 * place on the line leaves the most room for the next one (a later place would only add text, on
 * the same line, to the gap after it); and of the places where a whole segment fits, the first also
 * ends first, which leaves the most file for the segments after it.
 */

type Piece = { kind: 'text'; text: string } | { kind: 'line' } | { kind: 'any' };

const TAG = /\{\{([\s\S]*?)\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\}/g;

function pieces(template: string): Piece[] {
  const out: Piece[] = [];
  let at = 0;
  for (const m of template.matchAll(TAG)) {
    if (m.index > at) out.push({ kind: 'text', text: template.slice(at, m.index) });
    at = m.index + m[0].length;
    if (m[0].startsWith('{#')) continue;
    if (m[0].startsWith('{%')) {
      out.push({ kind: 'any' });
      continue;
    }
    const literal = /^\s*(?:'([^'\\]*)'|"([^"\\]*)")\s*$/.exec(m[1] ?? '');
    out.push(literal ? { kind: 'text', text: literal[1] ?? literal[2] ?? '' } : { kind: 'line' });
  }
  if (at < template.length) out.push({ kind: 'text', text: template.slice(at) });
  return out;
}

/** Adjacent literals joined, empty ones dropped; adjacent gaps merged (`any` absorbs `line`). */
function normalize(ps: Piece[]): Piece[] {
  const out: Piece[] = [];
  for (const p of ps) {
    if (p.kind === 'text' && p.text === '') continue;
    const prev = out.at(-1);
    if (prev?.kind === 'text' && p.kind === 'text') out[out.length - 1] = { kind: 'text', text: prev.text + p.text };
    else if (prev !== undefined && prev.kind !== 'text' && p.kind !== 'text')
      out[out.length - 1] = prev.kind === 'any' || p.kind === 'any' ? { kind: 'any' } : prev;
    else out.push(p);
  }
  return out;
}

/** Where `literal` starts at or after `from` with no newline before it on the way, or -1. */
function onLine(text: string, literal: string, from: number): number {
  const nl = text.indexOf('\n', from);
  const at = text.slice(from, (nl < 0 ? text.length : nl) + literal.length).indexOf(literal);
  return at < 0 ? -1 : from + at;
}

/**
 * A segment (literals and one-line gaps) matched from `start`, its first literal there when it
 * begins with one: where its match ends, or -1. With `end`, the match must end there (after a
 * trailing one-line gap: the rest of the file past that line is whitespace).
 */
function fitSegment(text: string, segment: readonly Piece[], start: number, end: number | null): number {
  let at = start;
  let gap = false;
  for (const [i, p] of segment.entries()) {
    if (p.kind !== 'text') {
      gap = true;
      continue;
    }
    const lastAnchored = end !== null && i === segment.length - 1;
    let found: number;
    if (lastAnchored) {
      found = end - p.text.length;
      const between = text.slice(at, Math.max(at, found));
      if (found < at || !text.startsWith(p.text, found) || (gap ? between.includes('\n') : found !== at)) return -1;
    } else if (gap) found = onLine(text, p.text, at);
    else found = text.startsWith(p.text, at) ? at : -1;
    if (found < 0) return -1;
    at = found + p.text.length;
    gap = false;
  }
  if (end === null) return at;
  if (gap) {
    const nl = text.indexOf('\n', at);
    return nl < 0 || nl >= end ? end : -1;
  }
  return at === end ? at : -1;
}

/** True when `template` could render to `text` (see the file comment). */
export function templateProduces(template: string, text: string): boolean {
  const ps = normalize(pieces(template));
  if (!ps.some((p) => p.kind === 'text' && p.text.trim() !== '')) return false;
  // Trailing whitespace of the template and of the file is ignored.
  const last = ps.at(-1);
  if (last?.kind === 'text') {
    last.text = last.text.trimEnd();
    if (last.text === '') ps.pop();
  }
  const end = text.trimEnd().length;
  const segments: Piece[][] = [[]];
  for (const p of ps) {
    if (p.kind === 'any') segments.push([]);
    else segments.at(-1)!.push(p);
  }
  let at = 0;
  for (const [i, segment] of segments.entries()) {
    const final = i === segments.length - 1 ? end : null;
    if (segment.length === 0) continue; // a block tag at the start or the end: any text
    const head = segment[0]!;
    if (i === 0 || head.kind !== 'text') {
      // The start of the file (a segment after a block tag begins with a literal).
      at = fitSegment(text, segment, at, final);
      if (at < 0) return false;
      continue;
    }
    let matched = -1;
    for (let from = text.indexOf(head.text, at); from >= 0 && matched < 0; from = text.indexOf(head.text, from + 1)) {
      matched = fitSegment(text, segment, from, final);
    }
    if (matched < 0) return false;
    at = matched;
  }
  return true;
}
