/**
 * Compose v2 (the `docker compose` CLI plugin: Debian sid's docker-compose 2.40, unpacked by
 * scripts/engine-28.sh) re-creating removed compose containers on a private engine. A project
 * brought up by v2 (its labels name the compose file by absolute path and carry depends_on, which
 * v1's do not) is snapshotted and its containers removed; `upkeep recover`, whose environment has a
 * docker CLI with the plugin (it prefers `docker compose` over `docker-compose`), brings them back
 * through v2: the re-created containers carry v2's version label, the dependency first, every
 * service answering. Compose v1 (bookworm's docker-compose 1.29) is recreate-compose.test.ts's.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { upkeep } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { answersHttp } from './incident-host.js';
import { composeV2Env, PrivateEngine, TEST_IMAGE } from './private-engine.js';

const execFileP = promisify(execFile);

let engine: PrivateEngine | null = null;
let root = '';
let v2: Record<string, string> = {};

interface Inspected {
  Id: string;
  Created: string;
  Config: { Labels: Record<string, string> };
  State: { Running: boolean; StartedAt: string };
}

async function inspect(name: string): Promise<Inspected> {
  return JSON.parse(await engine!.docker('inspect', '--type', 'container', name))[0] as Inspected;
}

describe('re-creating removed compose containers with Compose v2', { timeout: 300_000 }, () => {
  let skipped = 'no engine';
  before(async (t) => {
    engine = await PrivateEngine.startOrSkip(t as never);
    if (!engine) return;
    root = mkdtempSync(join(tmpdir(), 'upk-recreate-v2-'));
    const found = composeV2Env(root);
    if (!found.ok) {
      const message = `COMPOSE V2 NOT AVAILABLE, test skipped: ${found.reason}`;
      if (process.env.UPKEEP_REQUIRE_ENGINE === '1') throw new Error(`${message} (UPKEEP_REQUIRE_ENGINE=1)`);
      process.stderr.write(`\n!!! ${message}\n\n`);
      skipped = message;
      await engine.dispose();
      engine = null; // the test then skips itself
      return;
    }
    v2 = found.env;
  });
  after(async () => {
    await engine?.dispose();
    if (root !== '') rmSync(root, { recursive: true, force: true });
  });

  test('a v2 project removed: upkeep recover re-creates it through `docker compose`, dependency first', async (t) => {
    if (!engine) return t.skip(skipped);
    const env = { ...process.env, DOCKER_HOST: engine.dockerHost, ...v2 };
    const { stdout: version } = await execFileP('docker', ['compose', 'version', '--short'], { env });
    assert.match(version.trim(), /^2\.40\./, 'the docker CLI has the v2 plugin');

    const [dbPort, webPort] = await Promise.all([freePort(), freePort()]);
    const dir = join(root, 'shop');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'compose.yaml'),
      `services:
  db:
    image: ${TEST_IMAGE}
    command: ["httpd", "-f", "-p", "127.0.0.1:${dbPort}", "-h", "/www"]
    network_mode: host
    stop_grace_period: 1s
  web:
    image: ${TEST_IMAGE}
    command: ["httpd", "-f", "-p", "127.0.0.1:${webPort}", "-h", "/www"]
    network_mode: host
    stop_grace_period: 1s
    depends_on: [db]
`,
    );
    await execFileP('docker', ['compose', '-p', 'shop', 'up', '-d'], { cwd: dir, env, maxBuffer: 16 << 20 });
    const before = await inspect('shop-web-1');
    assert.equal(before.Config.Labels['com.docker.compose.project.config_files'], join(dir, 'compose.yaml'), 'v2 names the file by its absolute path');
    assert.match(before.Config.Labels['com.docker.compose.depends_on'] ?? '', /^db:/, 'v2 records depends_on in a label');
    assert.match(before.Config.Labels['com.docker.compose.version'] ?? '', /^2\.40\./);

    const state = ['--state-dir', join(root, 'state')];
    const snap = await upkeep(['snapshot', '--json', ...state], env);
    assert.equal(snap.code, 0, snap.stderr);
    assert.deepEqual((JSON.parse(snap.stdout) as { desired: string[] }).desired.sort(), ['shop-db-1', 'shop-web-1']);

    await engine.docker('rm', '-f', 'shop-web-1', 'shop-db-1');
    const r = await upkeep(['recover', '--yes', '--json', '--running-for', '1s', ...state], env);
    assert.equal(r.code, 0, `recover: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    const result = JSON.parse(r.stdout) as { remaining: unknown[]; outcomes: Array<{ container: string; outcome: string }> };
    assert.deepEqual(result.remaining, []);
    assert.deepEqual(result.outcomes.map((o) => [o.container, o.outcome]).sort(), [
      ['shop-db-1', 'recreated'],
      ['shop-web-1', 'recreated'],
    ]);

    const [db, web] = [await inspect('shop-db-1'), await inspect('shop-web-1')];
    for (const c of [db, web]) {
      assert.equal(c.State.Running, true);
      assert.notEqual(c.Id, before.Id);
      assert.match(c.Config.Labels['com.docker.compose.version'] ?? '', /^2\.40\./, 're-created by Compose v2');
    }
    assert.ok(Date.parse(db.State.StartedAt) <= Date.parse(web.State.StartedAt), `db started ${db.State.StartedAt}, web ${web.State.StartedAt}`);
    assert.equal(await answersHttp(dbPort), true);
    assert.equal(await answersHttp(webPort), true);
  });
});
