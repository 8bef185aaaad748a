/**
 * `upkeep agent` run from the bundle, as the Debian package runs it (`node upkeep.cjs agent`, no
 * node_modules, no checkout), against a private real engine: the long-running parts that only the
 * agent uses (pino's log lines, prom-client's /metrics, the Engine API event stream, the alert
 * outbox on node:sqlite) work inside the one file, with the Node options of the systemd unit
 * (`--jitless`: no executable memory, no WebAssembly). A container's process killed from the host
 * (a crash, not `docker kill`) is brought back and alerted, and SIGTERM stops the agent with exit 0
 * after its last log line.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AGENT_NODE_OPTIONS } from '../../src/core/install/unit-file.js';
import { spawnAgent } from '../helpers/agent-process.js';
import { ROOT } from '../helpers/built-program.js';
import { upkeep } from '../helpers/cli.js';
import { until, webhookReceiver, type WebhookReceiver } from '../helpers/webhook.js';
import { PrivateEngine } from './private-engine.js';

const NAME = 'bundled-svc';

describe('the agent from the bundle', { concurrency: false }, () => {
  let engine: PrivateEngine | null = null;
  let root = '';
  let bundle = '';
  let hook: WebhookReceiver;

  before(async (t) => {
    engine = await PrivateEngine.startOrSkip(t as never);
    if (!engine) return;
    root = mkdtempSync(join(tmpdir(), 'upk-agent-bundle-'));
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), '--outdir', join(root, 'out')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    mkdirSync(join(root, 'alone'));
    bundle = join(root, 'alone', 'upkeep.cjs');
    for (const f of [
      'upkeep.cjs',
      'upkeep-main.cjs',
      'upkeep-listing.cjs',
      'upkeep-agent.cjs',
      'upkeep-vendor-bcryptjs.cjs',
      'upkeep-vendor-hono.cjs',
      'upkeep-vendor-nodemailer.cjs',
    ])
      copyFileSync(join(root, 'out', f), join(root, 'alone', f));
    hook = await webhookReceiver();
  });

  after(async () => {
    hook?.server.close();
    await engine?.dispose();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('heals a crashed container, alerts, serves /metrics, logs JSON, stops on SIGTERM', async (t) => {
    if (!engine) return t.skip('no engine');
    await engine.run(NAME);
    const stateDir = join(root, 'state');
    const env = { DOCKER_HOST: engine.dockerHost };
    const snap = await upkeep(['snapshot', '--state-dir', stateDir], env);
    assert.equal(snap.code, 0, snap.stderr);
    const configPath = join(root, 'upkeep.yml');
    writeFileSync(configPath, ['recovery: { grace: 0s }', 'alerts:', '  channels:', `    - { type: webhook, url: "${hook.url}" }`, ''].join('\n'), {
      mode: 0o600,
    });

    // As the unit runs it: the unit's NODE_OPTIONS.
    const agent = spawnAgent({
      configPath,
      stateDir,
      dockerHost: engine.dockerHost,
      command: [process.execPath, bundle],
      cwd: join(root, 'alone'),
      env: { NODE_OPTIONS: AGENT_NODE_OPTIONS },
    });
    const lines = agent.out;
    try {
      const listening = await until('the agent listens', () => lines.map((l) => /"address":"(127\.0\.0\.1:\d+)"/.exec(l)?.[1]).find(Boolean) ?? null, 30_000);
      // --jitless took: no anonymous executable mapping (V8 otherwise reserves its code space rwx).
      const executable = readFileSync(`/proc/${agent.proc.pid}/maps`, 'utf8')
        .split('\n')
        .filter((l) => /^\S+ ..x. \S+ \S+ 0\s*$/.test(l));
      assert.deepEqual(executable, [], 'anonymous executable memory in the agent');
      const metrics = await until('metrics', async () => {
        const r = await fetch(`http://${listening}/metrics`).catch(() => null);
        return r?.ok ? r.text() : null;
      });
      assert.match(metrics, /^upkeep_/m);
      // The status page: hono comes from its own file (upkeep-vendor-hono.cjs), required on this first request.
      const page = await fetch(`http://${listening}/`);
      assert.equal(page.status, 200);
      // "Overview" until the agent knows the host's name, then the name.
      assert.match(await page.text(), /<title>[^<]+ · upkeep<\/title>/);

      const before = hook.received.length;
      const started0 = (await engine.docker('inspect', '--format', '{{.State.StartedAt}}', NAME)).trim();
      const pid = Number((await engine.docker('inspect', '--format', '{{.State.Pid}}', NAME)).trim());
      assert.ok(pid > 1);
      process.kill(pid, 'SIGKILL');
      await until(
        'running again, started anew',
        async () => (await engine!.isRunning(NAME)) && (await engine!.docker('inspect', '--format', '{{.State.StartedAt}}', NAME)).trim() !== started0,
        30_000,
      );
      const alert = await until('an alert about it', () => hook.received.slice(before).find((r) => JSON.stringify(r.message).includes(NAME)) ?? null, 30_000);
      assert.ok(['firing', 'resolved', 'summary'].includes(alert.message.kind), alert.message.kind);
    } finally {
      agent.proc.kill('SIGTERM');
    }
    assert.equal(await agent.exited, 0, lines.join('\n'));
    const json = lines.filter((l) => !l.startsWith('stderr: '));
    assert.ok(json.length > 0, 'log lines on stdout');
    for (const l of json) assert.doesNotThrow(() => JSON.parse(l), `a JSON log line: ${l}`);
    assert.ok(
      json.some((l) => (JSON.parse(l) as { msg?: string }).msg === 'upkeep agent stopped'),
      'the last line, written while stopping, reached stdout',
    );
  });
});
