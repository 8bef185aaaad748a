/**
 * A unified diff (`diff -u` / `git diff` format, 3 lines of context) between two versions of a file, for
 * `upkeep audit --fix-dry-run`. Lines keep their own endings, so a CRLF file shows `\r` before each
 * newline as `diff` does, and a last line without a newline is marked "\ No newline at end of file".
 * Line matching is Myers' O(ND) algorithm on the lines between the common prefix and suffix.
 */

const CONTEXT = 3;

type Op = { kind: ' ' | '-' | '+'; line: string };

/** The diff of `before` and `after` for `path`; the empty string when they are equal. */
export function unifiedDiff(path: string, before: string, after: string): string {
  if (before === after) return '';
  const ops = diffLines(splitLines(before), splitLines(after));
  const hunks: string[] = [];
  let i = 0;
  let oldLine = 0;
  let newLine = 0;
  while (i < ops.length) {
    const firstChange = ops.findIndex((op, j) => j >= i && op.kind !== ' ');
    if (firstChange === -1) break;
    const start = Math.max(i, firstChange - CONTEXT);
    for (let j = i; j < start; j++) {
      oldLine++;
      newLine++;
    }
    let end = firstChange;
    let lastChange = firstChange;
    while (end < ops.length && end - lastChange <= 2 * CONTEXT) {
      if (ops[end]?.kind !== ' ') lastChange = end;
      end++;
    }
    end = Math.min(ops.length, lastChange + CONTEXT + 1);
    const body = ops.slice(start, end);
    const oldCount = body.filter((op) => op.kind !== '+').length;
    const newCount = body.filter((op) => op.kind !== '-').length;
    const oldStart = oldCount === 0 ? oldLine : oldLine + 1;
    const newStart = newCount === 0 ? newLine : newLine + 1;
    hunks.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@\n${body.map(renderLine).join('')}`);
    oldLine += oldCount;
    newLine += newCount;
    i = end;
  }
  return `--- a/${path}\n+++ b/${path}\n${hunks.join('')}`;
}

function renderLine(op: Op): string {
  return op.line.endsWith('\n') ? `${op.kind}${op.line}` : `${op.kind}${op.line}\n\\ No newline at end of file\n`;
}

/** Lines with their endings; the last one may have none. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  const head = a.slice(0, prefix).map((line): Op => ({ kind: ' ', line }));
  const tail = a.slice(a.length - suffix).map((line): Op => ({ kind: ' ', line }));
  return [...head, ...myers(a.slice(prefix, a.length - suffix), b.slice(prefix, b.length - suffix)), ...tail];
}

/** Myers' shortest edit script, deletions before insertions within a change. */
function myers(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  search: for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0)) ? (v[offset + k + 1] ?? 0) : (v[offset + k - 1] ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) break search;
    }
  }
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const prev = trace[d] as Int32Array;
    const k = x - y;
    const prevK = k === -d || (k !== d && (prev[offset + k - 1] ?? 0) < (prev[offset + k + 1] ?? 0)) ? k + 1 : k - 1;
    const prevX = prev[offset + prevK] ?? 0;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: ' ', line: a[--x] as string });
      y--;
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: '+', line: b[--y] as string });
      else ops.push({ kind: '-', line: a[--x] as string });
    }
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}
