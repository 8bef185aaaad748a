/**
 * Acceptance of `upkeep agent` on a private real Docker engine, with a webhook receiver on
 * loopback. The agent runs in this process (buildAgent, exactly what `upkeep agent` runs) against
 * the engine's socket and a real SQLite store. One engine, scenarios in order:
 *
 *  1. zero config: the agent records what runs as desired (first snapshot);
 *  2. SIGKILL inside a desired container: an alert reaches the webhook, the agent starts it again;
 *  3. `docker stop` while the agent runs: not healed, recorded as the operator's intent; (3b)
 *     `docker restart` and `docker kill` of a container with no restart policy: no alert;
 *  4. SIGKILL of dockerd, started again: the agent reconnects, brings back every desired container
 *     (including the unless-stopped one Docker leaves down) and sends ONE summary alert;
 *  5. a crash loop: the agent gives up and alerts with the last log lines;
 *  6. a maintenance window holds alerts but still records them;
 *  7. webhook down, agent restarted meanwhile: alerts delivered once, in order;
 *  8. on_unhealthy: restart: a failing HTTP check restarts the container, up to the crash-loop limit.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { EngineClient } from '../../src/adapters/docker/engine-client.js';
import type { AlertMessage } from '../../src/adapters/notify/notifier.js';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import type { Store } from '../../src/adapters/store/store.js';
import { buildAgent, notifiersFor, type AgentParts } from '../../src/agent/agent.js';
import { createLog, SILENT } from '../../src/agent/log.js';
import { defaultConfig, type UpkeepConfig } from '../../src/core/config/types.js';
import { parseDockerHost } from '../../src/core/docker-host.js';
import { PrivateEngine, sleep, type EngineGeneration } from './private-engine.js';
import { upkeep } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { until, webhookReceiver, type WebhookReceiver } from '../helpers/webhook.js';
import { promtoolOrSkip, runPromtool } from '../deploy/promtool.js';

/** PID 1 is a shell waiting for a child `sleep`: killing the child with SIGKILL from inside exits the container with 137. */
const KILLABLE = ['sh', '-c', 'sleep 1000000 & wait $!'];
/** Exits 3 at once (printing "boom") once /tmp/crash exists. */
const FLAPPY = ['sh', '-c', 'if [ -f /tmp/crash ]; then echo boom-$(date +%s); exit 3; fi; sleep 1000000 & wait $!'];

let engine: PrivateEngine | null = null;
let root = '';
let hook: WebhookReceiver;
let smtp: SMTPServer;
const mails: string[] = [];
let store: Store;
let client: EngineClient;
let parts: AgentParts;
let running: Promise<void>;
const stop = new AbortController();

/** SIGKILLs the container's `sleep` from inside (PID 1, the shell, then exits 137); waits until it runs first. */
async function killInside(name: string): Promise<void> {
  await until(
    `${name} running its sleep`,
    () =>
      engine!.docker('exec', name, 'pidof', 'sleep').then(
        () => true,
        () => false,
      ),
    15_000,
  );
  await engine!.docker('exec', name, 'sh', '-c', 'kill -9 $(pidof sleep)');
}

function messagesAfter(t: number): AlertMessage[] {
  return hook.received.filter((r) => r.at >= t).map((r) => r.message);
}

/** Starts the agent in this process, as `upkeep agent` would, on the shared engine and store. */
async function startAgent(
  channels: UpkeepConfig['alerts']['channels'],
  signal: AbortSignal = stop.signal,
  services: UpkeepConfig['services'] = [],
): Promise<{ parts: AgentParts; running: Promise<void> }> {
  const config: UpkeepConfig = defaultConfig();
  config.services = services;
  config.listen = { host: '127.0.0.1', port: 0 };
  config.resyncMs = 5_000;
  config.recovery = { ...config.recovery, graceMs: 1_000, runningForMs: 500, readyTimeoutMs: 10_000 };
  config.heal = { ...config.heal, crashLoopRestarts: 3, crashLoopWindowMs: 60_000, backoffInitialMs: 200, backoffMaxMs: 1_000 };
  config.alerts = { ...config.alerts, channels };
  const log = process.env.UPKEEP_TEST_LOG ? createLog('pretty', process.stderr, 'debug') : SILENT;
  const agent = buildAgent({
    config,
    engine: client,
    store,
    log,
    version: 'test',
    notifiers: await notifiersFor(channels),
    readHostFacts: async () => ({ pendingUpgrades: 7, rebootRequired: true, why: 'test' }),
    timing: { debounceMs: 50, maintenancePollMs: 200, outboxBackoff: { initialMs: 100, maxMs: 300 } },
  });
  return { parts: agent.parts, running: agent.run(signal) };
}

/** Registers the agent's acceptance scenarios on `generation`'s engine (agent*.test.ts). */
export function describeAgentAcceptance(generation: EngineGeneration): void {
  describe(`upkeep agent on a real engine (${generation})`, { concurrency: false }, () => {
    before(async (t) => {
      engine = await PrivateEngine.startOrSkip(t as never, [], { engine: generation });
      if (!engine) return;
      root = mkdtempSync(join(tmpdir(), 'upk-agent-'));
      hook = await webhookReceiver();
      smtp = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        logger: false,
        onData(stream, _session, cb) {
          let data = '';
          stream.on('data', (c: Buffer) => (data += c.toString('utf8')));
          stream.on('end', () => {
            mails.push(data);
            cb();
          });
        },
      });
      await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
      const smtpPort = (smtp.server.address() as AddressInfo).port;

      await engine.run('web', { cmd: KILLABLE });
      await engine.run('cache', { flags: ['--restart', 'unless-stopped'], cmd: KILLABLE });
      await engine.run('api', { flags: ['--restart', 'always'], cmd: KILLABLE });
      await engine.run('flappy', { cmd: FLAPPY });
      await engine.run('solo', { cmd: KILLABLE }); // killed only in scenario 7

      store = openStore({ stateDir: join(root, 'state') });
      client = new EngineClient(parseDockerHost(engine.dockerHost));
      const agent = await startAgent([
        { type: 'webhook', name: 'hook', url: hook.url, secret: null, headers: {} },
        {
          type: 'email',
          name: 'mail',
          host: '127.0.0.1',
          port: smtpPort,
          secure: false,
          user: null,
          password: null,
          from: 'upkeep@test.example',
          to: ['ops@test.example'],
        },
      ]);
      parts = agent.parts;
      running = agent.running;
    });

    after(async () => {
      stop.abort();
      await running?.catch(() => undefined);
      store?.close();
      await client?.close();
      hook?.server.close();
      await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
      await engine?.dispose();
      if (root) rmSync(root, { recursive: true, force: true });
    });

    test('1. zero config: what runs at the first start becomes desired', async (t) => {
      if (!engine) return t.skip('no engine');
      const snap = await until('first snapshot', () => store.listSnapshots()[0] ?? null);
      assert.deepEqual(snap.names, ['api', 'cache', 'flappy', 'solo', 'web']);
      const first = store.timeline({ kind: 'snapshot' })[0];
      assert.match(first?.detail.message ?? '', /5 desired containers \(first snapshot, taken by the agent\)/);
      assert.equal(first?.detail.by, 'agent');
      await until('first reconcile', () => parts.queue.runs > 0);
    });

    test('2. SIGKILL inside a desired container: alert to the webhook, started again', async (t) => {
      if (!engine) return t.skip('no engine');
      const t0 = Date.now();
      await killInside('web');
      const firing = await until('firing alert for web', () => messagesAfter(t0).find((m) => m.subject === 'web' && m.kind === 'firing') ?? null, 10_000);
      assert.equal(firing.title, 'web is down');
      assert.match(firing.text, /exited 137/);
      assert.match(firing.text, /upkeep is starting it again/);
      await until('web running again', async () => engine!.isRunning('web'), 10_000);
      const resolved = await until('resolved alert for web', () => messagesAfter(t0).find((m) => m.subject === 'web' && m.kind === 'resolved') ?? null, 10_000);
      assert.match(resolved.text, /runs again after/);
      assert.ok(store.timeline({ kind: 'healed' }).some((e) => e.subject === 'web'));
      const mail = await until(
        'the same alert by email (real SMTP server on loopback)',
        () => mails.find((m) => /Subject: \[CRITICAL\] web is down/.test(m)) ?? null,
        10_000,
      );
      assert.match(mail, /exited 137/);
    });

    test('2b. /metrics: desired vs running per container, heals, alerts, host facts; promtool accepts it', async (t) => {
      if (!engine) return t.skip('no engine');
      const address = parts.http.address();
      assert.ok(address);
      const res = await fetch(`http://${address.host}:${address.port}/metrics`);
      assert.equal(res.status, 200);
      const text = await res.text();
      for (const series of [
        /^upkeep_container_desired\{container="web",service="web"\} 1$/m,
        /^upkeep_container_running\{container="web",service="web"\} 1$/m,
        /^upkeep_desired_containers 5$/m,
        /^upkeep_heals_total\{container="web",outcome="started"\} [1-9]/m,
        /^upkeep_alert_deliveries_total\{channel="hook",outcome="delivered"\} [1-9]/m,
        /^upkeep_engine_up 1$/m,
        /^upkeep_pending_upgrades 7$/m,
        /^upkeep_reboot_required 1$/m,
        /^upkeep_last_reconcile_timestamp_seconds \d/m,
      ]) {
        assert.match(text, series);
      }
      const health = await fetch(`http://${address.host}:${address.port}/healthz`);
      assert.equal(health.status, 200);
      const status = (await (await fetch(`http://${address.host}:${address.port}/status`)).json()) as { containers: Array<{ name: string; verdict: string }> };
      assert.deepEqual(status.containers.map((c) => c.name).sort(), ['api', 'cache', 'flappy', 'solo', 'web']);
      const promtool = promtoolOrSkip(t);
      if (!promtool) return;
      const check = await runPromtool(promtool, ['check', 'metrics'], text);
      assert.equal(check.code, 0, check.stdout + check.stderr);
      assert.equal((check.stdout + check.stderr).trim(), '', 'no lint problem');
    });

    test('3. docker stop while the agent runs: not healed, recorded as intended', async (t) => {
      if (!engine) return t.skip('no engine');
      const t0 = Date.now();
      await engine.docker('stop', 'api');
      await until('operator stop recorded', () => store.timeline({ kind: 'operator-stop' }).find((e) => e.subject === 'api') ?? null, 10_000);
      assert.equal(store.operatorStops().find((s) => s.name === 'api')?.by, 'agent', 'in the intent store');
      // A positive signal instead of a sleep: reconciles after the stop see it as intended (and Docker's
      // own restart of an `always` container is not waited for: the operator stopped it).
      const mark = parts.queue.attempts;
      parts.queue.trigger('test');
      await until('a reconcile after the stop', () => (parts.queue.attempts > mark ? true : null), 10_000);
      const row = parts.controller.status.containers.find((c) => c.name === 'api');
      assert.equal(row?.verdict, 'operator-stopped');
      assert.equal(row?.desired, false);
      assert.equal(await engine.isRunning('api'), false, 'the agent must not start what the operator stopped');
      assert.deepEqual(
        messagesAfter(t0).filter((m) => m.subject === 'api'),
        [],
        'no alert for an intended stop',
      );
      // Started again by the operator: desired again.
      await engine.docker('start', 'api');
      await until('operator start recorded', () => store.timeline({ kind: 'operator-start' }).find((e) => e.subject === 'api') ?? null, 10_000);
    });

    test('3b. `docker kill` and `docker restart` of a container with no restart policy: no alert (the `kill` event comes before `die`, so the death is not judged from the event)', async (t) => {
      if (!engine) return t.skip('no engine');
      const t0 = Date.now();
      await engine.docker('restart', '-t', '0', 'solo');
      await engine.docker('kill', 'solo');
      await until(
        'the kill judged an operator stop',
        () => (parts.controller.status.containers.find((c) => c.name === 'solo')?.verdict === 'operator-stopped' ? true : null),
        10_000,
      );
      const mark = parts.queue.attempts;
      parts.queue.trigger('test');
      await until('a reconcile after the kill', () => (parts.queue.attempts > mark ? true : null), 10_000);
      assert.deepEqual(
        messagesAfter(t0).filter((m) => m.subject === 'solo'),
        [],
        'no alert for a restart or a kill through the API',
      );
      await engine.docker('start', 'solo');
      await until(
        'operator start recorded',
        () => store.timeline({ kind: 'operator-start', since: new Date(t0).toISOString() }).find((e) => e.subject === 'solo') ?? null,
        10_000,
      );
    });

    test('4. dockerd SIGKILLed and started again: reconnect, recover everything desired, one summary alert', async (t) => {
      if (!engine) return t.skip('no engine');
      await until('all four settled', async () => (await engine!.isRunning('web')) && (await engine!.isRunning('api')) && (await engine!.isRunning('cache')));
      const t0 = Date.now();
      await engine.crash();
      await sleep(500);
      await engine.start();
      for (const name of ['web', 'cache', 'api']) await until(`${name} running after the daemon crash`, async () => engine!.isRunning(name), 30_000);
      const summary = await until('summary alert', () => messagesAfter(t0).find((m) => m.kind === 'summary') ?? null, 15_000);
      assert.match(summary.text, /after the Docker engine came back: \d of \d desired containers were down; all running again/);
      await until('solo running after the daemon crash', async () => engine!.isRunning('solo'), 30_000);
      assert.match(summary.text, /cache: started/, 'the unless-stopped container Docker leaves down after a crash');
      assert.match(summary.text, /web: started/);
      await sleep(1_000);
      const sent = messagesAfter(t0);
      assert.equal(sent.filter((m) => m.kind === 'summary').length, 1, 'one summary');
      assert.deepEqual(
        sent.filter((m) => m.kind !== 'summary' && m.subject !== 'flappy').map((m) => `${m.kind} ${m.title}`),
        [],
        'no other alert',
      );
      assert.ok(store.timeline({ kind: 'engine-down' }).length >= 1);
      assert.ok(store.timeline({ kind: 'engine-up' }).length >= 1);
      assert.deepEqual(store.operatorStops(), [], 'the orphans the next daemon killed are not operator stops');
    });

    test('5. a crash loop: the agent gives up and alerts with the last log lines', async (t) => {
      if (!engine) return t.skip('no engine');
      const t0 = Date.now();
      // Running is not enough: its shell may not have started `sleep` yet (kill with no pid fails).
      await until('flappy running its sleep', async () =>
        engine!.docker('exec', 'flappy', 'pidof', 'sleep').then(
          () => true,
          () => false,
        ),
      );
      await engine.docker('exec', 'flappy', 'sh', '-c', 'touch /tmp/crash; kill -9 $(pidof sleep)');
      const gaveUp = await until('give-up alert', () => messagesAfter(t0).find((m) => m.title === 'Giving up on flappy') ?? null, 30_000);
      assert.match(gaveUp.text, /giving up on flappy: exited 3, 3 times in 1 min/);
      assert.match(gaveUp.text, /last log lines:\n(.*\n)*boom-\d+/);
      const healsBefore = store.timeline({ kind: 'healed' }).filter((e) => e.subject === 'flappy').length;
      await sleep(2_000);
      assert.equal(store.timeline({ kind: 'healed' }).filter((e) => e.subject === 'flappy').length, healsBefore, 'no more heals after giving up');
      assert.equal(await engine.isRunning('flappy'), false);
      const address = parts.http.address();
      assert.ok(address);
      const metrics = await (await fetch(`http://${address.host}:${address.port}/metrics`)).text();
      assert.match(metrics, /^upkeep_heals_total\{container="flappy",outcome="gave_up"\} 1$/m, 'the give-up is counted (UpkeepGaveUpHealing fires on it)');
    });

    test('6. a maintenance window holds alerts, still records them', async (t) => {
      if (!engine) return t.skip('no engine');
      const t0 = Date.now();
      // Held the moment the window opens: the container dies right after, with no poll in between.
      store.startMaintenance({ source: 'manual', endsAt: new Date(Date.now() + 60_000).toISOString() });
      await killInside('web');
      await until(
        'web healed during maintenance',
        () => store.timeline({ kind: 'healed', since: new Date(t0).toISOString() }).find((e) => e.subject === 'web') ?? null,
        10_000,
      );
      await until('web running', async () => engine!.isRunning('web'));
      assert.ok(store.timeline({ kind: 'alert-held', since: new Date(t0).toISOString() }).some((e) => e.subject === 'down:web'));
      const mark = parts.queue.attempts;
      parts.queue.trigger('test');
      await until('a reconcile after the heal', () => (parts.queue.attempts > mark ? true : null), 10_000);
      await until('an outbox pass after it', () => (parts.outbox.passes > 0 ? true : null), 10_000);
      assert.deepEqual(
        messagesAfter(t0).filter((m) => m.subject === 'web'),
        [],
        'held, not sent',
      );
      store.stopMaintenance();
    });

    test('6b. the apt hook closing its window asks for a recovery pass', async (t) => {
      if (!engine) return t.skip('no engine');
      const since = new Date().toISOString();
      store.startMaintenance({ source: 'apt', endsAt: new Date(Date.now() + 60_000).toISOString() });
      await sleep(300);
      store.stopMaintenance({ source: 'apt' });
      const entry = await until(
        'recovery pass after apt',
        () => store.timeline({ kind: 'recovery', since }).find((e) => /after an apt run/.test(e.detail.message)) ?? null,
        15_000,
      );
      assert.equal(entry.detail.trigger, 'apt');
    });

    test('7. webhook down, agent restarted meanwhile: every alert delivered once, in order, when it is back', async (t) => {
      if (!engine) return t.skip('no engine');
      // Stop the shared agent; this scenario runs its own two.
      stop.abort();
      await running;
      // A port with nothing listening (yet).
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/hook`;
      const channels: UpkeepConfig['alerts']['channels'] = [{ type: 'webhook', name: 'late', url, secret: null, headers: {} }];

      const firstStop = new AbortController();
      const first = await startAgent(channels, firstStop.signal);
      try {
        await until('first agent reconciled', () => first.parts.queue.runs > 0);
        await sleep(1_500); // let its startup recovery pass and the replayed events settle
        await until('solo running', async () => engine!.isRunning('solo'));
        await killInside('solo');
        await until(
          'firing and resolved queued',
          () => {
            const rows = store.outbox({ limit: 20 }).filter((r) => r.channel === 'late' && (r.message as AlertMessage).subject === 'solo');
            // The resolved one waits behind the firing one (in order per channel): only the first was tried.
            return rows.length >= 2 && rows.every((r) => r.deliveredAt === null) && rows.some((r) => r.attempts >= 1) ? rows : null;
          },
          20_000,
        );
      } finally {
        firstStop.abort();
        await first.running;
      }

      const late = await webhookReceiver(port);
      const seen = () => late.received.map((r) => `${r.message.subject} ${r.message.kind}`);
      const secondStop = new AbortController();
      const second = await startAgent(channels, secondStop.signal);
      try {
        await until('both delivered', () => store.outboxPending().count === 0 && late.received.length >= 2, 20_000);
        await sleep(1_000);
        const rows = store
          .outbox({ limit: 50 })
          .filter((r) => r.channel === 'late')
          .map((r) => `${r.messageId} attempts=${r.attempts} delivered=${r.deliveredAt}`);
        assert.deepEqual(
          seen().filter((r) => r.startsWith('solo ')),
          ['solo firing', 'solo resolved'],
          `in order, once each; outbox: ${rows.join(' | ')}; timeline: ${store
            .timeline({ since: new Date(Date.now() - 60_000).toISOString() })
            .map((e) => `${e.kind}:${e.subject}`)
            .join(', ')}`,
        );
      } finally {
        secondStop.abort();
        await second.running;
        await late.close();
      }
    });
    test('8. on_unhealthy: restart: a failing HTTP check restarts the container, up to the crash-loop limit', async (t) => {
      if (!engine) return t.skip('no engine');
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/health`;
      // httpd (daemonized) answers while it runs; killing httpd leaves the container running but deaf: a hang.
      await engine.run('hung', {
        flags: ['--network', 'host'],
        cmd: ['sh', '-c', `mkdir -p /www && echo ok > /www/health && httpd -p 127.0.0.1:${port} -h /www && exec sleep 1000000`],
      });
      const answers = async () =>
        fetch(url, { signal: AbortSignal.timeout(500) }).then(
          (r) => r.status === 200,
          () => false,
        );
      await until('hung answers', answers, 10_000);
      const snap = await upkeep(['snapshot', '--state-dir', join(root, 'state')], { DOCKER_HOST: engine.dockerHost });
      assert.equal(snap.code, 0, snap.stderr);
      const services: UpkeepConfig['services'] = [
        {
          name: 'hung',
          heal: 'desired',
          onUnhealthy: 'restart',
          // A dead httpd refuses at once; the long timeout only keeps a loaded machine's slow answer from counting as a failure.
          checks: [{ type: 'http', url, status: 200, bodyContains: 'ok', intervalMs: 200, timeoutMs: 3000, failures: 2, successes: 1 }],
        },
      ];
      const startedAt = async () => JSON.parse(await engine!.docker('inspect', '--format', '{{json .State.StartedAt}}', 'hung')) as string;
      // httpd forks a child for each of the check's requests: one that pidof named can be gone by the
      // kill (the listener is killed all the same; the alerts below say so).
      const killHttpd = () => engine!.docker('exec', 'hung', 'sh', '-c', 'kill $(pidof httpd) 2>/dev/null; true');
      const agentStop = new AbortController();
      const agent = await startAgent([{ type: 'webhook', name: 'hook', url: hook.url, secret: null, headers: {} }], agentStop.signal, services);
      try {
        await until('the check passes', () => agent.parts.checker.statuses.get('hung/http')?.passing === true, 10_000);
        // Twice: hang -> alert -> restarted -> answers again -> resolved.
        for (let round = 1; round <= 2; round++) {
          const t0 = Date.now();
          const before = await startedAt();
          await killHttpd();
          const firing = await until(
            `round ${round}: check alert`,
            () => messagesAfter(t0).find((m) => m.subject === 'hung' && m.kind === 'firing') ?? null,
            10_000,
          );
          assert.equal(firing.title, 'hung: http check failing');
          assert.match(firing.text, /upkeep restarts it \(on_unhealthy: restart\)/);
          await until(`round ${round}: restarted`, async () => (await startedAt()) !== before, 10_000);
          await until(`round ${round}: answers again`, answers, 10_000);
          await until(`round ${round}: resolved`, () => messagesAfter(t0).find((m) => m.subject === 'hung' && m.kind === 'resolved') ?? null, 10_000);
          assert.equal(
            store.timeline({ kind: 'restarted-unhealthy', since: new Date(t0).toISOString() }).filter((e) => e.subject === 'hung').length,
            1,
            'one restart per failing streak',
          );
        }
        // The third failing streak within the window reaches the crash-loop limit (3 here): give up, do not restart.
        const t0 = Date.now();
        const before = await startedAt();
        await killHttpd();
        const gaveUp = await until('give-up alert', () => messagesAfter(t0).find((m) => m.title === 'Giving up on hung') ?? null, 10_000);
        assert.match(gaveUp.text, /3 deaths or restarts for failed checks within 60 s; the http check failed 2 times in a row/);
        await sleep(1_500); // several more failing streaks of 2 x 200 ms
        assert.equal(await startedAt(), before, 'not restarted after giving up');
        assert.equal(await engine.isRunning('hung'), true);
        const address = agent.parts.http.address();
        assert.ok(address);
        const metrics = await (await fetch(`http://${address.host}:${address.port}/metrics`)).text();
        assert.match(metrics, /^upkeep_heals_total\{container="hung",outcome="restarted"\} 2$/m);
        assert.match(metrics, /^upkeep_heals_total\{container="hung",outcome="gave_up"\} 1$/m);
      } finally {
        agentStop.abort();
        await agent.running;
      }
    });
  });
}
