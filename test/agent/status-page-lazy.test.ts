/**
 * The status page costs an agent nobody looks at nothing: none of its code (hono, the pages, the
 * JSON API, the use case) is in the static import graph of `upkeep agent`; it is reached only
 * through the dynamic imports of src/agent/status-page.ts, run at the first page request
 * (test/adapters/http/status-page.test.ts checks that the loader runs then and not before).
 * ES modules have no require.cache to look into: the graph is read from the sources, as Node's
 * loader would follow it (test/architecture/import-graph.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseImports, type ImportEdge } from '../architecture/import-graph.js';

const ROOT = new URL('../../', import.meta.url).pathname;

function edgesOf(path: string): ImportEdge[] {
  return parseImports({ path, text: readFileSync(`${ROOT}${path}`, 'utf8') });
}

/** Every file and package loaded when `entry` is, through static imports only (types erased). */
function staticClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    for (const e of edgesOf(f)) {
      if (e.typeOnly || e.syntax === 'dynamic-import') continue;
      if (e.target.kind === 'file') todo.push(e.target.path);
      else if (e.target.kind === 'package') packages.add(e.target.name);
    }
  }
  return { files, packages };
}

const PAGE_CODE = [
  'src/adapters/http/status-page/app.ts',
  'src/adapters/http/status-page/html.ts',
  'src/adapters/http/status-page/node-bridge.ts',
  'src/app/status-page.ts',
];

describe('the status page is loaded lazily', () => {
  it('`upkeep agent` does not import hono or the page code statically', () => {
    // The command loads the agent with import() (src/cli/commands/agent.ts); from there on, all static.
    const { files, packages } = staticClosure('src/agent/agent.ts');
    assert.ok(
      files.has('src/agent/controller.ts') && files.has('src/adapters/http/agent-http.ts') && files.has('src/agent/status-page.ts'),
      'the graph was followed',
    );
    assert.ok(!packages.has('hono') && !packages.has('@hono/node-server'), [...packages].join(', '));
    for (const f of PAGE_CODE) assert.ok(!files.has(f), `${f} is loaded by an idle agent`);
  });

  it('the loader reaches it through dynamic imports, and the page code imports hono', () => {
    const dynamic = edgesOf('src/agent/status-page.ts')
      .filter((e) => e.syntax === 'dynamic-import' && e.target.kind === 'file')
      .map((e) => (e.target as { path: string }).path);
    assert.deepEqual(dynamic.sort(), ['src/adapters/http/status-page/app.ts', 'src/adapters/http/status-page/node-bridge.ts', 'src/app/status-page.ts']);
    assert.ok(staticClosure('src/adapters/http/status-page/app.ts').packages.has('hono'));
  });
});
