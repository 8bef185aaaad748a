/**
 * The agent with an Alertmanager channel and a fleet metrics listener, on a private real engine
 * (bookworm's docker.io) with Debian's prometheus-alertmanager on loopback (behind basic auth):
 *
 *  1. a desired container dies and cannot start for a while (the source of its bind mount is gone,
 *     so each start fails): the alert is in `amtool alert query` (host, container labels) and stays
 *     there; once the directory is back the agent's heal succeeds and the alert leaves
 *     Alertmanager (resolved);
 *  1b. the same with a maintenance window opened before the heal: the resolution is held (not sent),
 *     yet once the window is over the alert is gone from Alertmanager (the re-sends resolve it);
 *  2. a maintenance window opened by another process (the store, as the CLI does) makes the agent
 *     create a silence host=HOST (`amtool silence query`); stopping the window expires it;
 *  3. the metrics listener from `metrics:` answers /metrics with basic auth only.
 *
 * The agent runs in this process (buildAgent, what `upkeep agent` runs).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EngineClient } from '../../src/adapters/docker/engine-client.js';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import type { Store } from '../../src/adapters/store/store.js';
import { buildAgent, notifiersFor, type AgentParts } from '../../src/agent/agent.js';
import { createLog, SILENT } from '../../src/agent/log.js';
import { defaultConfig, type UpkeepConfig } from '../../src/core/config/types.js';
import { parseDockerHost } from '../../src/core/docker-host.js';
import { bcryptHash, startAlertmanager, waitFor, type RunningAlertmanager } from '../helpers/alertmanager.js';
import { PrivateEngine } from './private-engine.js';

/** PID 1 waits on a `sleep` that can be killed from inside. */
const KILLABLE = ['sh', '-c', 'sleep 1000000 & wait $!'];

describe('agent with an alertmanager channel and a metrics listener on a real engine', { concurrency: false }, () => {
  let engine: PrivateEngine | null = null;
  let am: RunningAlertmanager | null = null;
  let root = '';
  let store: Store;
  let client: EngineClient;
  let parts: AgentParts;
  let running: Promise<void>;
  const stop = new AbortController();
  const hostName = () => parts.controller.status.host?.name ?? '';

  before(async (t) => {
    engine = await PrivateEngine.startOrSkip(t as never, [], { engine: 'bookworm' });
    if (!engine) return;
    am = await startAlertmanager(t as never);
    if (!am) return;
    root = mkdtempSync(join(tmpdir(), 'upk-agent-am-'));
    const flags = join(root, 'flags');
    rmSync(flags, { recursive: true, force: true });
    mkdirSync(flags);
    // --mount (not -v): a missing source is an error at start, not created.
    await engine.run('web', { flags: ['--mount', `type=bind,src=${flags},dst=/flag`], cmd: KILLABLE });
    writeFileSync(join(root, 'web.yml'), `basic_auth_users:\n  prometheus: '${bcryptHash('scrape-pw')}'\n`);
    store = openStore({ stateDir: join(root, 'state') });
    client = new EngineClient(parseDockerHost(engine.dockerHost));
    const config: UpkeepConfig = defaultConfig();
    config.listen = { host: '127.0.0.1', port: 0 };
    config.metrics = { listen: { host: '127.0.0.1', port: 0 }, webConfig: join(root, 'web.yml') };
    config.resyncMs = 5_000;
    config.recovery = { ...config.recovery, graceMs: 500, runningForMs: 500, readyTimeoutMs: 10_000 };
    config.heal = { ...config.heal, crashLoopRestarts: 50, crashLoopWindowMs: 60_000, backoffInitialMs: 1_000, backoffMaxMs: 1_000 };
    config.alerts = {
      ...config.alerts,
      channels: [
        {
          type: 'alertmanager',
          name: 'team-am',
          url: am.url,
          auth: { user: am.user, password: am.password },
          resendMs: 1_000,
          silence: true,
          externalUrl: null,
          labels: { env: 'test' },
        },
      ],
    };
    const agent = buildAgent({
      config,
      engine: client,
      store,
      log: process.env.UPKEEP_TEST_LOG ? createLog('pretty', process.stderr, 'debug') : SILENT,
      version: 'test',
      notifiers: await notifiersFor(config.alerts.channels, config.listen),
      readHostFacts: async () => ({ pendingUpgrades: 0, rebootRequired: false, why: 'test' }),
      timing: { debounceMs: 50, maintenancePollMs: 200, outboxBackoff: { initialMs: 100, maxMs: 300 } },
    });
    parts = agent.parts;
    running = agent.run(stop.signal);
    await waitFor('first snapshot and reconcile', () => (store.listSnapshots()[0] && parts.queue.runs > 0 && hostName() !== '' ? true : undefined), 30_000);
  });

  after(async () => {
    stop.abort();
    await running?.catch(() => undefined);
    store?.close();
    await client?.close();
    await engine?.dispose();
    await am?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  type AmAlert = { labels: Record<string, string>; annotations: Record<string, string>; generatorURL: string };
  const alerts = () => JSON.parse(am!.amtool(['alert', 'query', '-o', 'json', 'alertname=UpkeepContainerDown'])) as AmAlert[];

  test('1. a container dies: the alert in amtool alert query; healed: gone from Alertmanager', async (t) => {
    if (!engine || !am) return t.skip('no engine or alertmanager');
    rmSync(join(root, 'flags'), { recursive: true });
    await engine.docker('exec', 'web', 'sh', '-c', 'kill -9 $(pidof sleep)');
    const alert = await waitFor('UpkeepContainerDown for web in amtool', () => alerts().find((a) => a.labels.container === 'web'), 15_000);
    assert.equal(alert.labels.host, hostName());
    assert.equal(alert.labels.service, 'web');
    assert.equal(alert.labels.severity, 'critical');
    assert.equal(alert.labels.env, 'test');
    assert.match(alert.annotations.description ?? '', /web should run but does not/);
    // The agent page from listen: (port 0 here, a free port picked at listen).
    assert.match(alert.generatorURL, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    // While the mount source is missing every start fails: the alert keeps firing.
    await waitFor('a failed heal of web', () => (store.timeline({ kind: 'heal-failed' }).some((e) => e.subject === 'web') ? true : undefined), 15_000);
    assert.equal(alerts().length, 1, 'still firing in Alertmanager');

    mkdirSync(join(root, 'flags'));
    await waitFor('web running again', async () => ((await engine!.isRunning('web')) ? true : undefined), 15_000);
    await waitFor('the alert gone from amtool alert query', () => (alerts().length === 0 ? true : undefined), 15_000);
    assert.ok(store.timeline({ kind: 'healed' }).some((e) => e.subject === 'web'));
  });

  test('1b. the container dies, a window opens, it is healed inside the window: after the window the alert is gone from Alertmanager', async (t) => {
    if (!engine || !am) return t.skip('no engine or alertmanager');
    type ApiAlert = { labels: Record<string, string>; status: { state: string } };
    // Silenced alerts too (amtool alert query shows only the active ones).
    const all = async () =>
      ((await am!.get('/api/v2/alerts?filter=alertname%3DUpkeepContainerDown')) as ApiAlert[]).filter((a) => a.labels.container === 'web');
    rmSync(join(root, 'flags'), { recursive: true });
    await engine.docker('exec', 'web', 'sh', '-c', 'kill -9 $(pidof sleep)');
    await waitFor('UpkeepContainerDown for web in amtool', () => alerts().find((a) => a.labels.container === 'web'), 15_000);
    store.startMaintenance({ source: 'manual', reason: 'heal inside', endsAt: new Date(Date.now() + 3_600_000).toISOString() });
    await waitFor('the alert silenced', async () => ((await all())[0]?.status.state === 'suppressed' ? true : undefined), 10_000);
    mkdirSync(join(root, 'flags'));
    await waitFor('web running again', async () => ((await engine!.isRunning('web')) ? true : undefined), 15_000);
    await waitFor('the heal recorded', () => (store.timeline({ kind: 'healed' }).filter((e) => e.subject === 'web').length >= 2 ? true : undefined), 15_000);
    await waitFor('the resolution held', () => (store.timeline({ kind: 'alert-held' }).some((e) => e.subject === 'down:web') ? true : undefined), 10_000);
    store.stopMaintenance({ source: 'manual' });
    // No "resolved" was sent (held); the re-sends (every 1 s here) resolve it instead of keeping it firing.
    await waitFor('the alert gone from Alertmanager after the window', async () => ((await all()).length === 0 ? true : undefined), 10_000);
    assert.equal(alerts().length, 0);
  });

  test('2. a maintenance window: a silence host=HOST in Alertmanager, expired when the window is stopped', async (t) => {
    if (!engine || !am) return t.skip('no engine or alertmanager');
    type Silence = { id: string; matchers: Array<{ name: string; value: string }>; comment: string; status: { state: string } };
    const silences = (expired = false) => JSON.parse(am!.amtool(['silence', 'query', '-o', 'json', ...(expired ? ['--expired'] : [])])) as Silence[];
    store.startMaintenance({ source: 'manual', reason: 'kernel 6.1.0-99', endsAt: new Date(Date.now() + 3_600_000).toISOString() });
    const s = await waitFor('a silence in amtool silence query', () => silences()[0], 10_000);
    assert.deepEqual(
      s.matchers.map((m) => [m.name, m.value]),
      [['host', hostName()]],
    );
    assert.match(s.comment, /upkeep maintenance window \d+ \(manual\): kernel 6\.1\.0-99/);
    store.stopMaintenance({ source: 'manual' });
    await waitFor('the silence expired', () => (silences().length === 0 ? true : undefined), 10_000);
    assert.ok(silences(true).some((x) => x.id === s.id && x.status.state === 'expired'));
  });

  test('3. metrics: the second listener answers /metrics with basic auth only', async (t) => {
    if (!engine || !am) return t.skip('no engine or alertmanager');
    const a = parts.metricsHttp?.address();
    assert.ok(a, 'the metrics listener is up');
    const url = `http://127.0.0.1:${a.port}/metrics`;
    assert.equal((await fetch(url)).status, 401);
    const scrape = async () => {
      const res = await fetch(url, { headers: { authorization: `Basic ${Buffer.from('prometheus:scrape-pw').toString('base64')}` } });
      assert.equal(res.status, 200);
      return res.text();
    };
    // The gauges are the agent's last reconcile: the one after 1b's heal may still be on its way
    // (its start answered, the `start` event's reconcile queued) on a busy machine.
    const text = await waitFor(
      'the agent to see web running',
      async () => {
        const t = await scrape();
        return /^upkeep_container_running\{container="web",service="web"\} 1$/m.test(t) ? t : undefined;
      },
      15_000,
    );
    assert.match(text, /^upkeep_heal_seconds_count [1-9]/m);
    assert.match(text, /^upkeep_alert_deliveries_total\{channel="team-am",outcome="delivered"\} [1-9]/m);
  });
});
