/**
 * `upkeep runbook` through bin/upkeep on a real SQLite store: without an engine, with the stub
 * engine (test/helpers/stub-engine.ts), --json, --output (atomic, 0644, refuses a file it did not
 * write unless --force), and no snapshot (exit 2, hint).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import { RUNBOOK_MARKER } from '../../src/core/runbook/render-markdown.js';
import { upkeep } from '../helpers/cli.js';
import { tableProblems } from '../helpers/markdown-tables.js';
import { SECRETS, incidentSnapshot } from '../helpers/runbook-fixture.js';
import { stubEngine } from '../helpers/stub-engine.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-runbook-cli-'));
const NO_ENGINE = { DOCKER_HOST: `unix://${join(root, 'no-engine.sock')}` };
let stateDir: string;
let stubDir: string;
let server: Server;

before(async () => {
  stateDir = join(root, 'state');
  const store = openStore({ stateDir });
  store.saveSnapshot(incidentSnapshot());
  store.close();
  // The stub engine is "stub-host" (ID stub) with no containers: a snapshot of that engine.
  stubDir = join(root, 'stub-state');
  const stubStore = openStore({ stateDir: stubDir });
  stubStore.saveSnapshot({ ...incidentSnapshot(), host: { id: 'stub', name: 'stub-host' } });
  stubStore.close();
  server = await stubEngine(join(root, 'engine.sock'), join(root, 'docker-root'));
});
after(async () => {
  await new Promise((r) => server.close(r));
  rmSync(root, { recursive: true, force: true });
});

describe('upkeep runbook', () => {
  it('without an engine: the runbook from the snapshot, saying so', async () => {
    const r = await upkeep(['runbook', '--state-dir', stateDir], NO_ENGINE);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[0], RUNBOOK_MARKER);
    assert.match(r.stdout, /\*\*The Docker engine did not answer\*\* \(no Docker socket at /);
    assert.match(r.stdout, /^cd \/opt\/srsilo\/tools && docker compose -p srsilo -f docker-compose\.yml up -d$/m);
    assert.match(r.stdout, /^k3d cluster start loculus$/m);
    assert.match(r.stdout, /^docker start grafana$/m);
    assert.match(r.stdout, new RegExp(`in \`${stateDir}\``));
    assert.deepEqual(tableProblems(r.stdout), []);
    for (const s of SECRETS) assert.ok(!r.stdout.includes(s));
  });

  it('with the stub engine: what runs now (nothing: every container "missing")', async () => {
    const r = await upkeep(['runbook', '--state-dir', stubDir, '--json'], { DOCKER_HOST: `unix://${join(root, 'engine.sock')}` });
    assert.equal(r.code, 0, r.stderr);
    const rb = JSON.parse(r.stdout) as Record<string, any>;
    assert.deepEqual(Object.keys(rb), [
      'generatedAt',
      'host',
      'snapshot',
      'engine',
      'stateDir',
      'projects',
      'k3dClusters',
      'standalone',
      'risks',
      'notDesired',
      'undesiredRunning',
      'notices',
    ]);
    assert.deepEqual(rb.engine, { reachable: true, serverVersion: '24.0.0', liveRestore: false });
    assert.deepEqual(rb.host, { id: 'stub', name: 'stub-host' });
    assert.equal(rb.standalone[0].now, 'missing');
    for (const s of SECRETS) assert.ok(!r.stdout.includes(s));
  });

  it('the stub engine with a snapshot of another engine: exit 2 unless --allow-other-host', async () => {
    const env = { DOCKER_HOST: `unix://${join(root, 'engine.sock')}` };
    const r = await upkeep(['runbook', '--state-dir', stateDir], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /taken on host "wisepulse"/);
    const ok = await upkeep(['runbook', '--state-dir', stateDir, '--allow-other-host'], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^# Server maintenance: wisepulse$/m);
  });

  it('--output writes atomically with mode 0644, replaces its own runbook, refuses another file unless --force', async () => {
    const dir = mkdtempSync(join(root, 'out-'));
    const file = join(dir, 'SERVER_MAINTENANCE.md');
    const first = await upkeep(['runbook', '--state-dir', stateDir, '--output', file], NO_ENGINE);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, '');
    assert.equal(statSync(file).mode & 0o777, 0o644);
    assert.ok(readFileSync(file, 'utf8').startsWith(`${RUNBOOK_MARKER}\n`));
    const again = await upkeep(['runbook', '--state-dir', stateDir, '--output', file], NO_ENGINE);
    assert.equal(again.code, 0, again.stderr);

    writeFileSync(file, '# My own notes\n');
    const refused = await upkeep(['runbook', '--state-dir', stateDir, '--output', file], NO_ENGINE);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /refusing to overwrite .*: it is not a runbook upkeep wrote/);
    assert.match(refused.stderr, /hint: pass --force/);
    assert.equal(readFileSync(file, 'utf8'), '# My own notes\n');
    const forced = await upkeep(['runbook', '--state-dir', stateDir, '--output', file, '--force'], NO_ENGINE);
    assert.equal(forced.code, 0, forced.stderr);
    assert.ok(readFileSync(file, 'utf8').startsWith(RUNBOOK_MARKER));
    assert.deepEqual(readdirSync(dir), ['SERVER_MAINTENANCE.md'], 'no temporary file left');
  });

  it('no snapshot: exit 2 with the hint upkeep snapshot; bad flag combinations: exit 2', async () => {
    const r = await upkeep(['runbook', '--state-dir', join(root, 'none')], NO_ENGINE);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^upkeep: error: no snapshot in .* yet/);
    assert.match(r.stderr, /hint: take one with `upkeep snapshot`/);
    assert.equal((await upkeep(['runbook', '--state-dir', stateDir, '--json', '--output', join(root, 'x')], NO_ENGINE)).code, 2);
    assert.equal((await upkeep(['runbook', '--state-dir', stateDir, '--force'], NO_ENGINE)).code, 2);
  });
});
