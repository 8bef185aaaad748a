/**
 * Plain-text tables for terminals: columns padded to the widest cell, two spaces apart.
 * `style` decorates a cell after padding (colour), so widths are computed on the plain text.
 */
export function renderTable(header: string[], rows: string[][], style: (text: string, row: number, col: number) => string = (t) => t): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[], row: number) =>
    cells
      .map((c, i) => {
        const padded = i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0);
        return row < 0 ? padded : style(padded, row, i);
      })
      .join('  ')
      .trimEnd();
  return [line(header, -1), ...rows.map((r, i) => line(r, i))].join('\n');
}
