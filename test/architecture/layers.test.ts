/**
 * The layers are enforced, not just described (STYLE.md, "Shape of upkeep"). Every import of
 * every .ts file under src/ is checked against the rules in ./import-graph.ts; a failure names
 * file:line, the rule and the import. What src/core may use from outside itself:
 *   Node built-ins: node:crypto (hashing), node:path/posix (path arithmetic on strings)
 *   npm packages:   yaml, zod (pure parsing and validation)
 * Anything else there (node:fs, node:fs/promises, node:net, node:http, node:https,
 * node:child_process, node:dgram, node:dns, node:tls, node:os, node:process, node:readline,
 * node:worker_threads, node:test, node:assert, ... and every other npm package) is a violation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  CORE_ALLOWED_BUILTINS,
  CORE_ALLOWED_PACKAGES,
  checkLayers,
  formatViolation,
  parseImports,
  readSources,
  RULES,
  type SourceText,
} from './import-graph.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sources = readSources(root, 'src');
const edges = sources.flatMap(parseImports);
const violations = checkLayers(edges);

describe('the layers of src/', () => {
  it('states the allow-list of src/core', () => {
    assert.deepEqual([...CORE_ALLOWED_BUILTINS].sort(), ['node:crypto', 'node:path/posix']);
    assert.deepEqual([...CORE_ALLOWED_PACKAGES].sort(), ['yaml', 'zod']);
  });

  it('scans the whole tree (more than 100 files), so no rule can pass by finding nothing', () => {
    assert.ok(sources.length > 100, `scanned only ${sources.length} files under src/`);
    assert.ok(edges.length > sources.length, `found only ${edges.length} imports in ${sources.length} files`);
    for (const dir of ['src/core/', 'src/ports/', 'src/app/', 'src/adapters/', 'src/agent/', 'src/cli/commands/']) {
      assert.ok(
        edges.some((e) => e.file.startsWith(dir)),
        `no import found in ${dir}`,
      );
    }
  });

  for (const rule of RULES) {
    it(`${rule.id}: ${rule.says}`, () => {
      const found = violations.filter((v) => v.rule === rule.id);
      if (found.length > 0) assert.fail(`${found.length} import(s) break ${rule.id}:\n${found.map(formatViolation).join('\n')}`);
    });
  }
});

/** Files that break each rule once, at a known line. */
const bad: SourceText[] = [
  { path: 'src/core/reads-files.ts', text: `/** doc */\nimport { readFile } from 'node:fs/promises';\n` },
  { path: 'src/core/bare-builtin.ts', text: `import os from 'os';\n` },
  { path: 'src/core/uses-port.ts', text: `import type { Store } from '../ports/store.js';\n` },
  { path: 'src/core/recovery/lazy-db.ts', text: `export async function open() {\n  return await import('node:sqlite');\n}\n` },
  { path: 'src/core/re-exports.ts', text: `export {\n  x,\n} from '../adapters/files/x.js';\n` },
  { path: 'src/core/audit/tester.ts', text: `import { describe } from 'node:test';\n` },
  { path: 'src/ports/value.ts', text: `import { planRecovery } from '../core/recovery/plan.js';\n` },
  { path: 'src/ports/inline-type.ts', text: `import { type Snapshot } from '../core/recovery/desired-state.js';\n` },
  { path: 'src/ports/package.ts', text: `import type { DatabaseSync } from 'node:sqlite';\n` },
  { path: 'src/ports/adapter.ts', text: `import type { Engine } from '../adapters/docker/engine.js';\n` },
  { path: 'src/app/direct.ts', text: `import { openStore } from '../adapters/store/sqlite.js';\n` },
  { path: 'src/app/type-query.ts', text: `type Main = typeof import('../cli/main.js');\n` },
  { path: 'src/app/agent.ts', text: `import { Controller } from '../agent/controller.js';\n` },
  { path: 'src/adapters/http/agent-http.ts', text: `import { createServer } from 'node:http';\nimport type { Actor } from '../../agent/actor.js';\n` },
  { path: 'src/adapters/store/uses-app.ts', text: `import { desired } from '../../app/desired-state.js';\n` },
  { path: 'src/adapters/cli.ts', text: `import { render } from '../cli/io.js';\n` },
  { path: 'src/cli/commands/check.ts', text: `import { runAudit } from './audit.js';\n` },
  { path: 'src/cli/commands/install.ts', text: `\n\nconst { snapshot } = await import('./snapshot.js');\n` },
  { path: 'src/agent/test-only.ts', text: `import test from 'node:test';\n` },
  { path: 'src/cli/fixture.ts', text: `import { facts } from '../../test/helpers/facts.js';\n` },
];

/** Files that keep every rule, including text that only looks like an import. */
const good: SourceText[] = [
  {
    path: 'src/core/ok.ts',
    text: [
      `import { createHash } from 'node:crypto';`,
      `import { join } from 'node:path/posix';`,
      `import { parseDocument } from 'yaml';`,
      `import { z } from 'zod';`,
      `import type { Model } from './model.js';`,
      `export * from './audit/rule.js';`,
      `// import { readFile } from 'node:fs';`,
      `const s = "import('node:child_process')";`,
      `const t = \`require('node:net')\`;`,
    ].join('\n'),
  },
  { path: 'src/ports/ok.ts', text: `import type { Snapshot } from '../core/recovery/desired-state.js';\nexport type { Store } from './store.js';\n` },
  { path: 'src/app/ok.ts', text: `import { planRecovery } from '../core/recovery/plan.js';\nimport type { Store } from '../ports/store.js';\n` },
  {
    path: 'src/adapters/store/ok.ts',
    text: `import { DatabaseSync } from 'node:sqlite';\nimport { readFileSync } from 'node:fs';\nimport type { Store } from '../../ports/store.js';\nimport { UpkeepError } from '../../core/errors.js';\n`,
  },
  {
    path: 'src/cli/commands/status.ts',
    text: `import { out } from '../io.js';\nimport { openStore } from '../../adapters/store/sqlite.js';\nimport { desired } from '../../app/desired-state.js';\n`,
  },
  { path: 'src/cli/main.ts', text: `const m = await import('./commands/status.js');\n` },
  { path: 'src/agent/ok.ts', text: `import type { Actor } from './actor.js';\nimport { openStore } from '../adapters/store/sqlite.js';\n` },
];

describe('the layer checker itself', () => {
  it('flags each kind of violation at its file and line', () => {
    const found = checkLayers(bad.flatMap(parseImports)).map((v) => `${v.file}:${v.line} ${v.rule}`);
    assert.deepEqual(
      found,
      [
        'src/adapters/cli.ts:1 adapters-below-app',
        'src/adapters/http/agent-http.ts:2 adapters-below-app',
        'src/adapters/store/uses-app.ts:1 adapters-below-app',
        'src/agent/test-only.ts:1 no-test-code-in-src',
        'src/app/agent.ts:1 app-gets-adapters-injected',
        'src/app/direct.ts:1 app-gets-adapters-injected',
        'src/app/type-query.ts:1 app-gets-adapters-injected',
        'src/cli/commands/check.ts:1 commands-are-independent',
        'src/cli/commands/install.ts:3 commands-are-independent',
        'src/cli/fixture.ts:1 no-test-code-in-src',
        'src/core/audit/tester.ts:1 core-is-pure',
        'src/core/audit/tester.ts:1 no-test-code-in-src',
        'src/core/bare-builtin.ts:1 core-is-pure',
        'src/core/re-exports.ts:3 core-is-pure',
        'src/core/reads-files.ts:2 core-is-pure',
        'src/core/recovery/lazy-db.ts:2 core-is-pure',
        'src/core/uses-port.ts:1 core-is-pure',
        'src/ports/adapter.ts:1 ports-are-types',
        'src/ports/inline-type.ts:1 ports-are-types',
        'src/ports/package.ts:1 ports-are-types',
        'src/ports/value.ts:1 ports-are-types',
      ].sort((a, b) => a.localeCompare(b)),
    );
    const unexercised = RULES.filter((rule) => !found.some((f) => f.endsWith(` ${rule.id}`))).map((rule) => rule.id);
    assert.deepEqual(unexercised, [], 'rules that no example breaks');
  });

  it('accepts what the layers allow, and ignores imports in comments and strings', () => {
    assert.deepEqual(checkLayers(good.flatMap(parseImports)).map(formatViolation), []);
    const core = parseImports(good[0] as SourceText).map((e) => e.specifier);
    assert.deepEqual(core, ['node:crypto', 'node:path/posix', 'yaml', 'zod', './model.js', './audit/rule.js']);
  });

  it('names the import, the resolved file and the rule in its message', () => {
    const [v] = checkLayers(parseImports(bad.find((f) => f.path === 'src/adapters/http/agent-http.ts') as SourceText));
    assert.equal(
      formatViolation(v as never),
      "src/adapters/http/agent-http.ts:2 adapters-below-app: type import '../../agent/actor.js' (src/agent/actor.ts): a layer that uses the adapters; src/adapters never imports src/agent, src/cli or src/app",
    );
  });
});
