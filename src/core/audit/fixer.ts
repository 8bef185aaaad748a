/**
 * Applies fixes to a file's text (model: ESLint's source-code-fixer) and proves each one safe.
 *
 * - Fixes are edits by source range on the original text: every byte outside an edit is unchanged.
 * - Identical fixes (same range, same text: several services sharing one anchored value) are one edit.
 * - Edits are taken in source order; one that overlaps an edit already taken is skipped (a later run
 *   can apply it). Two insertions at the same offset overlap.
 * - The edits are applied together and the result is parsed again: they are kept only if the file
 *   still parses and the parsed documents differ from the original at exactly the paths the fixes say
 *   they change, each with the value they say. Anything else (another key moved, a comment swallowing
 *   a value, an anchor changing a service nobody meant to touch) fails the batch; a failed batch is
 *   split in halves and each half verified on top of what was kept, down to single edits, which are
 *   refused with the reason. A file whose fixes are all sound is parsed twice; k bad fixes among n
 *   cost about k·log2(n) more parses.
 */
import type { JsPath } from './node-occurrences.js';
import type { Fix, IntendedChange } from './rule.js';
import { formatJsPath, jsDifferences } from './semantic-diff.js';
import { parseYamlSource, positionAt, type SourceFile, type YamlSource } from './yaml-source.js';

export interface FixCandidate<Id> {
  id: Id;
  fix: Fix;
}

export interface FixOutcome<Id> {
  /** The new text (the input itself when nothing was applied). */
  output: string;
  applied: Id[];
  /** Overlapping another fix: not applied this time. */
  skipped: Id[];
  /** Failed verification: never applied. */
  refused: { id: Id; reason: string }[];
}

interface Edit<Id> {
  ids: Id[];
  fix: Fix;
}

/** Applies every safe fix of `candidates` to `file`; `template` must be what the fixes were computed with. */
export function applyFixes<Id>(file: SourceFile, template: boolean, candidates: readonly FixCandidate<Id>[]): FixOutcome<Id> {
  const { edits, skipped } = selectEdits(candidates);
  const refused: FixOutcome<Id>['refused'] = [];
  const originalJs = toJsDocuments(parseYamlSource(file, template));
  if (typeof originalJs === 'string') {
    const reason = `the file cannot be verified after a fix: ${originalJs}`;
    return { output: file.text, applied: [], skipped, refused: edits.flatMap((e) => e.ids.map((id) => ({ id, reason }))) };
  }

  let kept: Edit<Id>[] = [];
  let keptJs = originalJs;
  let output = file.text;
  const verify = (batch: readonly Edit<Id>[]): void => {
    if (batch.length === 0) return;
    const text = render(file.text, [...kept, ...batch]);
    const js = toJsDocuments(parseYamlSource({ path: file.path, text }, template));
    const reason =
      typeof js === 'string'
        ? js
        : unintendedChange(
            keptJs,
            js,
            batch.flatMap((e) => e.fix.changes),
          );
    if (typeof js !== 'string' && reason === null) {
      kept = [...kept, ...batch];
      keptJs = js;
      output = text;
    } else if (batch.length === 1) {
      for (const id of batch[0]?.ids ?? []) refused.push({ id, reason: reason ?? String(js) });
    } else {
      const middle = Math.ceil(batch.length / 2);
      verify(batch.slice(0, middle));
      verify(batch.slice(middle));
    }
  };
  verify(edits);
  const applied = kept.sort(bySource).flatMap((e) => e.ids);
  return { output, applied, skipped, refused };
}

/** `text` with `edits` (non-overlapping, on offsets of `text`) applied. */
function render<Id>(text: string, edits: readonly Edit<Id>[]): string {
  const parts: string[] = [];
  let at = 0;
  for (const { fix } of [...edits].sort(bySource)) {
    parts.push(text.slice(at, fix.range[0]), fix.text);
    at = fix.range[1];
  }
  parts.push(text.slice(at));
  return parts.join('');
}

function bySource<Id>(a: Edit<Id>, b: Edit<Id>): number {
  return a.fix.range[0] - b.fix.range[0] || a.fix.range[1] - b.fix.range[1];
}

/** Groups identical fixes, orders them, and leaves out the ones that overlap an earlier one. */
function selectEdits<Id>(candidates: readonly FixCandidate<Id>[]): { edits: Edit<Id>[]; skipped: Id[] } {
  const byEdit = new Map<string, Edit<Id>>();
  for (const { id, fix } of candidates) {
    const key = JSON.stringify([fix.range[0], fix.range[1], fix.text]);
    const known = byEdit.get(key);
    if (known === undefined) byEdit.set(key, { ids: [id], fix: { ...fix, changes: [...fix.changes] } });
    else {
      known.ids.push(id);
      known.fix.changes.push(...fix.changes);
    }
  }
  const sorted = [...byEdit.values()].sort(bySource);
  const edits: Edit<Id>[] = [];
  const skipped: Id[] = [];
  let last: Fix | null = null;
  for (const edit of sorted) {
    const [start, end] = edit.fix.range;
    const overlaps = last !== null && (start < last.range[1] || (start === end && last.range[0] === start && last.range[1] === start));
    if (overlaps) skipped.push(...edit.ids);
    else {
      edits.push(edit);
      last = edit.fix;
    }
  }
  return { edits, skipped };
}

/** Each document's value, or the reason the text cannot be verified. */
function toJsDocuments(source: YamlSource): unknown[] | string {
  const problem = source.problems[0];
  if (problem !== undefined) {
    const at = positionAt(source, problem.range[0]);
    return `it would not parse: ${problem.message} at line ${at.line}, column ${at.column}`;
  }
  try {
    return source.documents.map((doc) => doc.toJS());
  } catch (err) {
    return `it could not be read back: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Null when `after` differs from `before` exactly by `changes`; else what else differs. */
function unintendedChange(before: readonly unknown[], after: readonly unknown[], changes: readonly IntendedChange[]): string | null {
  if (before.length !== after.length) return `it would change the number of YAML documents from ${before.length} to ${after.length}`;
  const intended = new Map(changes.map((c) => [JSON.stringify([c.document, ...c.path]), c]));
  for (let doc = 0; doc < before.length; doc++) {
    for (const path of jsDifferences(before[doc], after[doc])) {
      if (!intended.has(JSON.stringify([doc, ...path]))) return `it would also change ${describe(doc, path, before.length)}`;
    }
  }
  for (const c of intended.values()) {
    const value = valueAt(after[c.document], c.path);
    if (value === undefined || jsDifferences(value, c.value).length > 0) {
      return `it would make ${describe(c.document, c.path, before.length)} ${JSON.stringify(value) ?? 'absent'}, not ${JSON.stringify(c.value)}`;
    }
  }
  return null;
}

function describe(doc: number, path: JsPath, documents: number): string {
  const where = path.length === 0 ? 'the whole document' : formatJsPath(path);
  return documents > 1 ? `${where} (document ${doc + 1})` : where;
}

function valueAt(root: unknown, path: JsPath): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}
