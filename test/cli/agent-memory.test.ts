/**
 * What keeps the long-running agent small (docs/benchmarks.md, "Agent memory on Node 24"): its
 * config is loaded by a short-lived child (`upkeep agent-config`), and its modules load neither
 * undici (an ESM import of node:http does, on Node 24), https, prom-client's index (Pushgateway,
 * @opentelemetry/api), zod nor the YAML parser.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/adapters/config/load-config.js';
import type { AgentConfigResult } from '../../src/cli/self.js';
import { FULL_ENV, FULL_PATH } from '../core/config/fixtures.js';
import { upkeep } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'upk-agent-memory-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('agent-config: the loaded config as JSON, the same as loading it in process', async () => {
  const r = await upkeep(['agent-config', '--config', FULL_PATH], FULL_ENV);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout) as AgentConfigResult;
  const inProcess = await loadConfig({ path: FULL_PATH }, FULL_ENV);
  assert.deepEqual(result, { ok: true, loaded: inProcess });
  // The config crosses a pipe as JSON: every value must survive that unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(inProcess)), inProcess);
});

test('agent-config: a bad config is a result with the FILE:LINE:COL message, and the agent exits 2 with it', async () => {
  const bad = join(dir, 'bad.yml');
  writeFileSync(bad, 'recovery: { grace: 5x }\n', { mode: 0o600 });
  const r = await upkeep(['agent-config', '--config', bad]);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout) as AgentConfigResult;
  assert.equal(result.ok, false);
  assert.ok(!result.ok);
  assert.equal(result.error.exitCode, 2);
  assert.match(result.error.message, new RegExp(`${bad}:1:20: recovery\\.grace: expected a duration`));
  const agent = await upkeep(['agent', '--config', bad, '--state-dir', join(dir, 'state')]);
  assert.equal(agent.code, 2);
  assert.match(agent.stderr, new RegExp(`${bad}:1:20: recovery\\.grace: expected a duration`));
  assert.match(agent.stderr, /hint: fix the lines above/);
});

test("the agent's modules load no undici, https, zod, yaml, prom-client index, @opentelemetry/api, hono or status page code", () => {
  // What `upkeep agent` imports (src/cli/commands/agent.ts), as built.
  const modules = ['cli/commands/agent.js', 'agent/agent.js', 'adapters/store/sqlite-store.js', 'agent/log.js', 'cli/engine.js'].map(
    (m) => new URL(`../../dist/${m}`, import.meta.url).href,
  );
  const script = `
    import { registerHooks } from 'node:module';
    const urls = [];
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); urls.push(r.url); return r; } });
    for (const m of ${JSON.stringify(modules)}) await import(m);
    process.stdout.write(JSON.stringify({ urls, builtins: process.moduleLoadList }));`;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as {
    urls: string[];
    builtins: string[];
  };
  const packages = out.urls.filter((u) => u.includes('/node_modules/'));
  assert.ok(
    packages.some((u) => u.includes('/node_modules/prom-client/lib/registry.js')),
    'prom-client files are loaded',
  );
  for (const unwanted of ['/node_modules/zod/', '/node_modules/yaml/', '/node_modules/@opentelemetry/', '/node_modules/prom-client/index.js']) {
    assert.deepEqual(
      packages.filter((u) => u.includes(unwanted)),
      [],
      `${unwanted} is loaded`,
    );
  }
  // The status page is imported at its first request (src/agent/status-page.ts), never before.
  assert.deepEqual(
    out.urls.filter(
      (u) => u.includes('/node_modules/hono/') || u.includes('/node_modules/@hono/') || /\/dist\/(adapters\/http\/status-page|app\/status-page)/.test(u),
    ),
    [],
    'status page code is loaded by an idle agent',
  );
  for (const unwanted of ['NativeModule internal/deps/undici/undici', 'NativeModule https', 'NativeModule tls']) {
    assert.ok(!out.builtins.includes(unwanted), `${unwanted} is loaded`);
  }
});
