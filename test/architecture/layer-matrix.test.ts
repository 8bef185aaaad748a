/**
 * Who imports whom between the layers of src/, printed as a diagnostic (never a failure) for the
 * docs: row = importing layer, column = imported layer, cell = distinct (file, module) imports.
 * Run alone: node scripts/run-tests.mjs test/architecture/layer-matrix
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { layerMatrix, LAYERS, parseImports, readSources } from './import-graph.js';

test('who imports whom between the layers (diagnostic)', (t) => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const sources = readSources(root, 'src');
  const edges = sources.flatMap(parseImports);
  const matrix = layerMatrix(edges);
  assert.ok(sources.length > 100, `scanned only ${sources.length} files under src/`);

  const rows = [...LAYERS, ...[...matrix.keys()].filter((k) => !(LAYERS as readonly string[]).includes(k)).sort()];
  const columns = [...rows, 'node:*', 'npm'];
  const cell = (from: string, to: string): string => String(matrix.get(from)?.get(to) ?? '.');
  const lines = [
    `| imports -> | ${columns.join(' | ')} |`,
    `|---|${columns.map(() => '---:').join('|')}|`,
    ...rows.map((from) => `| ${from} | ${columns.map((to) => cell(from, to)).join(' | ')} |`),
  ];

  const external = new Map<string, Set<string>>();
  for (const e of edges) {
    if (e.target.kind === 'file') continue;
    const layer = /^src\/(cli\/commands|[^/]+)\//.exec(e.file)?.[1] ?? 'src';
    external.set(layer, (external.get(layer) ?? new Set()).add(e.target.name));
  }
  lines.push('', 'outside the repository, by layer:');
  for (const layer of rows) {
    const names = [...(external.get(layer) ?? [])].sort();
    if (names.length > 0) lines.push(`  ${layer}: ${names.join(', ')}`);
  }
  lines.push('', `${sources.length} files, ${edges.length} imports`);
  for (const line of lines) t.diagnostic(line);
});
