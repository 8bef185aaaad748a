/**
 * A small check of GFM tables (no Markdown parser is among the dependencies): every table has a
 * header, a delimiter row with as many cells, and rows with as many cells; a cell boundary is a
 * `|` not escaped with a backslash. Returns the problems, empty when well formed.
 */
export function tableProblems(markdown: string): string[] {
  const problems: string[] = [];
  const lines = markdown.split('\n');
  let inFence: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^(`{3,})/.exec(line)?.[1];
    if (fence !== undefined && (inFence === null || (line.trim() === inFence && fence.length >= inFence.length))) {
      inFence = inFence === null ? fence : null;
      continue;
    }
    if (inFence !== null || !line.startsWith('|')) continue;
    const start = i;
    const block: string[] = [];
    while (i < lines.length && lines[i]!.startsWith('|')) block.push(lines[i++]!);
    const count = (l: string) => cells(l).length;
    const header = count(block[0]!);
    if (block.length < 2 || !/^\|(\s*:?-{3,}:?\s*\|)+$/.test(block[1]!)) problems.push(`line ${start + 1}: table without a delimiter row`);
    else if (count(block[1]!) !== header) problems.push(`line ${start + 2}: delimiter has ${count(block[1]!)} cells, header ${header}`);
    block.slice(2).forEach((row, k) => {
      if (count(row) !== header) problems.push(`line ${start + 3 + k}: ${count(row)} cells, header ${header}: ${row}`);
      if (!row.endsWith('|') || row.endsWith('\\|')) problems.push(`line ${start + 3 + k}: row does not end with |`);
    });
  }
  if (inFence !== null) problems.push('a code fence is never closed');
  return problems;
}

/** The cells of a table row (unescaped `|` separate them). */
export function cells(row: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 1; i < row.length; i++) {
    const ch = row[i]!;
    if (ch === '\\' && row[i + 1] === '|') {
      cur += '\\|';
      i++;
    } else if (ch === '|') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  return out;
}
