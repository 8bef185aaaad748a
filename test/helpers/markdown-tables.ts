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

/** What a real Markdown parser (prettier's remark, already a dev dependency) makes of a document. */
export interface MarkdownStructure {
  /** Per table, the number of cells of each row (header first). */
  tables: number[][];
  /** The text of each fenced code block. */
  codeBlocks: string[];
  /** Raw HTML nodes (a runbook has one: its marker comment). */
  html: string[];
  headings: string[];
}

/**
 * Parses `markdown` with the markdown parser prettier bundles (through its `__debug.parse`, an
 * internal entry point: if a prettier upgrade removes it, this throws and says so).
 */
export async function markdownStructure(markdown: string): Promise<MarkdownStructure> {
  const prettier = (await import('prettier')) as unknown as { __debug?: { parse?: (text: string, opts: { parser: string }) => Promise<{ ast: MdNode }> } };
  const parse = prettier.__debug?.parse;
  if (parse === undefined) throw new Error('prettier.__debug.parse is gone: replace markdownStructure with another parser');
  const { ast } = await parse(markdown, { parser: 'markdown' });
  const out: MarkdownStructure = { tables: [], codeBlocks: [], html: [], headings: [] };
  const textOf = (n: MdNode): string => n.value ?? (n.children ?? []).map(textOf).join('');
  const walk = (n: MdNode): void => {
    if (n.type === 'table') out.tables.push((n.children ?? []).map((row) => (row.children ?? []).length));
    else if (n.type === 'code') out.codeBlocks.push(n.value ?? '');
    else if (n.type === 'html') out.html.push(n.value ?? '');
    else if (n.type === 'heading') out.headings.push(textOf(n));
    for (const c of n.children ?? []) walk(c);
  };
  walk(ast);
  return out;
}

interface MdNode {
  type: string;
  value?: string;
  children?: MdNode[];
}
