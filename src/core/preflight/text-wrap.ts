/**
 * Fitting text to a terminal's width: word wrapping (a word longer than the width is cut), and a
 * table whose cells wrap inside their columns, so that a row never runs past the width while every
 * word of every cell is still printed. Pure; widths in UTF-16 code units (the text is ASCII).
 */

/** Lines of `text` at most `width` wide, broken at spaces (a longer word is cut). */
export function wrapWords(text: string, width: number): string[] {
  if (!Number.isFinite(width) || text.length <= width) return [text];
  const w = Math.max(1, Math.floor(width));
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    let rest = word;
    while (rest.length > w) {
      if (line !== '') {
        lines.push(line);
        line = '';
      }
      lines.push(rest.slice(0, w));
      rest = rest.slice(w);
    }
    if (line === '') line = rest;
    else if (line.length + 1 + rest.length <= w) line += ` ${rest}`;
    else {
      lines.push(line);
      line = rest;
    }
  }
  lines.push(line);
  return lines;
}

/** A paragraph at most `width` wide, continuation lines indented by `indent` spaces. */
export function wrapParagraph(text: string, width: number, indent = 2): string {
  if (!Number.isFinite(width) || text.length <= width) return text;
  const lead = /^ */.exec(text)![0];
  const pad = ' '.repeat(lead.length + indent);
  const first = wrapWords(text.slice(lead.length), width - lead.length);
  const head = first[0]!;
  const tail = wrapWords(first.slice(1).join(' '), width - pad.length);
  return [lead + head, ...(first.length > 1 ? tail.map((l) => pad + l) : [])].join('\n');
}

/** Options of {@link renderFittedTable}. */
export interface FittedTableOptions {
  /** How much of the spare width each column gets when it must wrap (default 1); 0 never wraps it below its longest word. */
  weights?: readonly number[];
  /** The narrowest each weighted column may get (default max(header, 12)); a cell word longer than its column is cut. */
  minWidths?: readonly (number | undefined)[];
  /** Decorates a cell's line after padding (colour): widths are computed on the plain text. */
  style?: (text: string, row: number, col: number) => string;
}

/**
 * A table at most `width` wide (Infinity: one line per row, as renderTable): columns two spaces
 * apart; when the natural widths do not fit, the columns with weight are narrowed (never below their
 * header or 12) and their cells wrap at spaces, continuation lines under the same column.
 */
export function renderFittedTable(header: readonly string[], rows: readonly (readonly string[])[], width: number, opts: FittedTableOptions = {}): string {
  const n = header.length;
  const natural = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const gap = 2 * (n - 1);
  let widths = natural;
  if (Number.isFinite(width) && natural.reduce((a, b) => a + b, 0) + gap > width) {
    const weights = header.map((_, i) => opts.weights?.[i] ?? 1);
    const longestWord = header.map((h, i) => Math.max(h.length, ...rows.map((r) => Math.max(...(r[i] ?? '').split(' ').map((w) => w.length)))));
    // Columns without weight keep their longest word; the others may go down to their minimum.
    const min = header.map((h, i) => Math.min(natural[i]!, weights[i] === 0 ? longestWord[i]! : Math.max(h.length, opts.minWidths?.[i] ?? 12)));
    widths = [...min];
    let spare = width - gap - min.reduce((a, b) => a + b, 0);
    // Hand out the spare width in rounds, by weight, until it is gone or every column is natural.
    while (spare > 0) {
      const open = header.map((_, i) => i).filter((i) => widths[i]! < natural[i]! && weights[i]! > 0);
      if (open.length === 0) break;
      const total = open.reduce((a, i) => a + weights[i]!, 0);
      let given = 0;
      for (const i of open) {
        const share = Math.max(1, Math.floor((spare * weights[i]!) / total));
        const add = Math.min(share, natural[i]! - widths[i]!, spare - given);
        widths[i]! += add;
        given += add;
        if (given >= spare) break;
      }
      if (given === 0) break;
      spare -= given;
    }
  }
  const style = opts.style ?? ((t: string) => t);
  const render = (cells: readonly string[], row: number): string[] => {
    const wrapped = cells.map((c, i) => wrapWords(c, widths[i]!));
    const height = Math.max(...wrapped.map((w) => w.length));
    const lines: string[] = [];
    for (let k = 0; k < height; k++) {
      lines.push(
        wrapped
          .map((w, i) => {
            const text = w[k] ?? '';
            const padded = i === n - 1 ? text : text.padEnd(widths[i]!);
            return row < 0 || text === '' ? padded : style(padded, row, i);
          })
          .join('  ')
          .trimEnd(),
      );
    }
    return lines;
  };
  return [...render(header, -1), ...rows.flatMap((r, i) => render(r, i))].join('\n');
}
