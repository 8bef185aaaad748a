/**
 * Offsets into a file's text (UTF-16 code units, as JavaScript strings count them): `[start, end)`.
 * Every position the audit reports or edits is one of these; line and column are derived from them
 * with the file's LineCounter, never by searching the text.
 */
export type SourceRange = readonly [start: number, end: number];

/** True when the two ranges share at least one offset, or when an empty range lies strictly inside the other. */
export function rangesOverlap(a: SourceRange, b: SourceRange): boolean {
  if (a[0] === a[1]) return b[0] < a[0] && a[0] < b[1];
  if (b[0] === b[1]) return a[0] < b[0] && b[0] < a[1];
  return a[0] < b[1] && b[0] < a[1];
}
