/**
 * The alertmanager channel and the maintenance silences against Debian's prometheus-alertmanager
 * on loopback (behind basic auth), checked with Debian's amtool.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AlertmanagerNotifier, agentPageUrl, toPostableAlert } from '../../../src/adapters/notify/alertmanager.js';
import { DeliveryError, type AlertMessage } from '../../../src/adapters/notify/notifier.js';
import { openStore } from '../../../src/adapters/store/sqlite-store.js';
import { AlertManager } from '../../../src/agent/alerts.js';
import { SILENT } from '../../../src/agent/log.js';
import { SilenceSync } from '../../../src/agent/silences.js';
import { startAlertmanager, waitFor } from '../../helpers/alertmanager.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-am-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

const since = Date.parse('2026-01-05T10:00:00Z');
const firing: AlertMessage = {
  id: `down:lapis@${since}:firing`,
  key: 'down:lapis',
  kind: 'firing',
  severity: 'critical',
  subject: 'lapis',
  title: 'lapis is down',
  text: 'lapis should run but does not: exited 137; upkeep is starting it again.',
  host: 'wisepulse',
  at: new Date(since).toISOString(),
  data: { container: 'lapis', verdict: 'heal', project: 'srsilo', service: 'lapisOpen' },
};

interface AmtoolAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  generatorURL: string;
  status: { state: string };
}

test('labels, annotations, startsAt and endsAt of an upkeep alert (pure)', () => {
  const a = toPostableAlert(firing, 'http://wisepulse:9465/');
  assert.deepEqual(a.labels, {
    alertname: 'UpkeepContainerDown',
    host: 'wisepulse',
    severity: 'critical',
    container: 'lapis',
    project: 'srsilo',
    service: 'lapisOpen',
  });
  assert.equal(a.startsAt, '2026-01-05T10:00:00.000Z');
  assert.equal(a.endsAt, undefined);
  assert.match(a.annotations.fix!, /docker logs lapis/);
  const check = toPostableAlert({ ...firing, id: `check:srsilo/web/http@${since}:firing`, key: 'check:srsilo/web/http', data: {} }, 'x');
  assert.deepEqual([check.labels.alertname, check.labels.project, check.labels.service, check.labels.check], ['UpkeepCheckFailing', 'srsilo', 'web', 'http']);
  const resolved = toPostableAlert({ ...firing, id: `down:lapis@${since}:resolved`, kind: 'resolved', at: '2026-01-05T10:00:09Z' }, 'x');
  assert.equal(resolved.startsAt, a.startsAt, 'the same alert: same start');
  assert.equal(resolved.endsAt, '2026-01-05T10:00:09Z');
  assert.equal(agentPageUrl({ host: '0.0.0.0', port: 9465 }, 'wisepulse'), 'http://wisepulse:9465/');
  assert.equal(agentPageUrl({ host: '::1', port: 9465 }), 'http://[::1]:9465/');
});

test('an alert fires in Alertmanager, outlives resolve_timeout by the re-sends, survives a restart, and resolves', async (t) => {
  const am = await startAlertmanager(t, { resolveTimeout: '2s' });
  if (am === null) return;
  const store = openStore({ stateDir: join(root, 'resend') });
  t.after(() => store.close());
  const make = () => {
    const n = new AlertmanagerNotifier({ url: am.url, generatorUrl: 'http://wisepulse:9465/', auth: { user: am.user, password: am.password }, resendMs: 500 });
    n.useStore(store);
    return n;
  };
  // Wrong credentials: a permanent failure (401), not retried for ever.
  const wrong = new AlertmanagerNotifier({ url: am.url, generatorUrl: 'x', auth: { user: am.user, password: 'nope' } });
  await assert.rejects(wrong.send(firing), (e: unknown) => e instanceof DeliveryError && !e.retryable && /401/.test(e.message));

  const now = new Date().toISOString();
  const live = { ...firing, id: `down:lapis@${Date.now()}:firing`, at: now };
  const first = make();
  await first.send(live);
  const query = () => JSON.parse(am.amtool(['alert', 'query', '-o', 'json', 'alertname=UpkeepContainerDown'])) as AmtoolAlert[];
  const shown = await waitFor('the alert in amtool alert query', () => {
    const a = query();
    return a.length === 1 ? a[0] : undefined;
  });
  assert.equal(shown.labels.host, 'wisepulse');
  assert.equal(shown.labels.service, 'lapisOpen');
  assert.equal(shown.annotations.summary, 'lapis is down');
  assert.equal(shown.generatorURL, 'http://wisepulse:9465/');
  assert.equal(shown.status.state, 'active');

  // The first notifier stops (an agent restart); a new one reads the firing set from the store and
  // keeps re-sending: after twice the 2 s resolve_timeout the alert is still active.
  const ac = new AbortController();
  const second = make();
  assert.equal(second.firingAlerts().length, 1, 'the firing set was saved in the store');
  const running = second.run(ac.signal);
  const postedAt = Date.now();
  await waitFor('re-sends past 2 x resolve_timeout', () => (Date.now() - postedAt > 4_500 && second.resends >= 8 ? true : undefined), 8_000);
  assert.equal(query().length, 1, 'still firing after the resolve_timeout: the re-sends kept it');

  await second.send({ ...live, id: live.id.replace(':firing', ':resolved'), kind: 'resolved', at: new Date().toISOString() });
  await waitFor('the alert gone from amtool alert query', () => (query().length === 0 ? true : undefined));
  assert.equal(second.firingAlerts().length, 0);
  ac.abort();
  await running;
  // Summaries and notices are not alerts: nothing is posted, nothing fails.
  await second.send({ ...firing, id: 'summary-1', kind: 'summary' });
  assert.equal(query().length, 0);
});

test('a maintenance window silences the host in Alertmanager; closed early, the silence expires, also after an agent restart', async (t) => {
  const am = await startAlertmanager(t);
  if (am === null) return;
  const store = openStore({ stateDir: join(root, 'silence') });
  t.after(() => store.close());
  const channel = () =>
    new AlertmanagerNotifier({ name: 'team-am', url: am.url, generatorUrl: 'x', auth: { user: am.user, password: am.password }, silence: true });
  const sync = new SilenceSync({ store, channels: [channel()], host: () => 'wisepulse', log: SILENT });
  type Silence = {
    id: string;
    matchers: Array<{ name: string; value: string }>;
    createdBy: string;
    comment: string;
    endsAt: string;
    status: { state: string };
  };
  const silences = (expired = false) => JSON.parse(am.amtool(['silence', 'query', '-o', 'json', ...(expired ? ['--expired'] : [])])) as Silence[];

  const endsAt = new Date(Date.now() + 3_600_000).toISOString();
  const w = store.startMaintenance({ source: 'manual', reason: 'kernel upgrade', endsAt });
  await sync.pass();
  const [s] = silences();
  assert.ok(s, 'a silence is active');
  assert.deepEqual(
    s.matchers.map((m) => [m.name, m.value]),
    [['host', 'wisepulse']],
  );
  assert.equal(s.createdBy, 'upkeep');
  assert.equal(s.comment, `upkeep maintenance window ${w.id} (manual): kernel upgrade`);
  assert.equal(Date.parse(s.endsAt), Date.parse(endsAt));
  assert.deepEqual(
    sync.records().map((r) => r.silenceId),
    [s.id],
  );
  // A second pass changes nothing (no duplicate silence).
  await sync.pass();
  assert.equal(silences().length, 1);
  // The window is extended (a second start of the same source): the silence follows.
  const later = new Date(Date.now() + 7_200_000).toISOString();
  store.startMaintenance({ source: 'manual', reason: 'kernel upgrade', endsAt: later });
  await sync.pass();
  const extended = silences();
  assert.equal(extended.length, 1, 'still one active silence');
  assert.equal(Date.parse(extended[0]!.endsAt), Date.parse(later));
  assert.deepEqual(
    sync.records().map((r) => [r.silenceId, r.endsAt]),
    [[extended[0]!.id, later]],
  );

  // The window closes early; the agent that created the silence is gone: a new one, reading the
  // record from the store, expires it.
  store.stopMaintenance({ source: 'manual' });
  const restarted = new SilenceSync({ store, channels: [channel()], host: () => 'wisepulse', log: SILENT });
  await restarted.pass();
  assert.equal(silences().length, 0, 'no active silence left');
  assert.ok(
    silences(true).some((x) => x.id === extended[0]!.id && x.status.state === 'expired'),
    'the silence is expired',
  );
  assert.deepEqual(restarted.records(), []);
});

test('an alert that resolves inside a maintenance window is resolved in Alertmanager by the next re-send', async (t) => {
  const am = await startAlertmanager(t);
  if (am === null) return;
  const store = openStore({ stateDir: join(root, 'held-resolution') });
  t.after(() => store.close());
  const notifier = new AlertmanagerNotifier({ url: am.url, generatorUrl: 'http://wisepulse:9465/', auth: { user: am.user, password: am.password } });
  notifier.useStore(store);
  const sent: Array<Promise<void>> = [];
  const alerts = new AlertManager({
    store,
    host: () => 'wisepulse',
    channels: ['alertmanager'],
    // The outbox's part, done here: each queued message goes straight to the channel.
    onQueued: (rows) => rows.forEach((r) => sent.push(notifier.send(r.message as AlertMessage))),
    log: SILENT,
  });
  notifier.useFiring(() => alerts.firingKeys());
  const content = (kind: string) => ({ severity: 'critical' as const, subject: 'lapis', title: `lapis ${kind}`, text: 'lapis should run but does not' });
  type ApiAlert = { labels: Record<string, string>; status: { state: string } };
  const active = async () =>
    ((await am.get('/api/v2/alerts?filter=alertname%3DUpkeepContainerDown')) as ApiAlert[]).filter((a) => a.status.state !== 'unprocessed').length;

  alerts.evaluate('down:lapis', { forMs: 0, repeatMs: 0 }, true, content);
  await Promise.all(sent);
  await waitFor('the alert active in Alertmanager', async () => ((await active()) === 1 ? true : undefined));
  // A window opens; lapis heals inside it: the resolution is held (no message)...
  store.startMaintenance({ source: 'manual', reason: 'upgrade', endsAt: new Date(Date.now() + 3_600_000).toISOString() });
  alerts.evaluate('down:lapis', { forMs: 0, repeatMs: 0 }, false, content);
  assert.equal(sent.length, 1, 'no resolved message during the window');
  assert.deepEqual(alerts.firingKeys(), []);
  // ...the window closes, and the re-send resolves the alert instead of posting it as firing again.
  store.stopMaintenance({ source: 'manual' });
  await notifier.resend();
  assert.deepEqual(notifier.firingAlerts(), [], 'no longer re-sent');
  await waitFor('the alert gone from Alertmanager', async () => ((await active()) === 0 ? true : undefined));
  await notifier.resend();
  assert.equal(await active(), 0, 'still resolved after another round');
  assert.equal(JSON.parse(am.amtool(['alert', 'query', '-o', 'json', 'alertname=UpkeepContainerDown'])).length, 0);
});

test('a recorded silence Alertmanager no longer has (lost data, expired by an operator, an update answered 404) is created again', async (t) => {
  const am = await startAlertmanager(t);
  if (am === null) return;
  const store = openStore({ stateDir: join(root, 'silence-gone') });
  t.after(() => store.close());
  const channel = new AlertmanagerNotifier({ name: 'team-am', url: am.url, generatorUrl: 'x', auth: { user: am.user, password: am.password }, silence: true });
  type Silence = { id: string; endsAt: string; status: { state: string } };
  const active = () => JSON.parse(am.amtool(['silence', 'query', '-o', 'json'])) as Silence[];
  const unknownId = '3f7c9a43-0000-4000-8000-000000000000';

  // What Alertmanager 0.25 answers: an update of an id it does not have is 404, not retryable; the channel creates a new one.
  const endsAt = new Date(Date.now() + 3_600_000).toISOString();
  assert.equal(await channel.silenceState(unknownId), null, 'GET of an unknown silence: 404');
  const fresh = await channel.createSilence({ id: unknownId, matchers: { host: 'other' }, startsAt: new Date().toISOString(), endsAt, comment: 'c' });
  assert.notEqual(fresh, unknownId);
  assert.equal(await channel.silenceState(fresh), 'active');
  am.amtool(['silence', 'expire', fresh]);
  assert.equal(await channel.silenceState(fresh), 'expired');

  const sync = new SilenceSync({ store, channels: [channel], host: () => 'wisepulse', log: SILENT });
  const w = store.startMaintenance({ source: 'manual', reason: 'kernel upgrade', endsAt });
  await sync.pass();
  const [first] = active();
  assert.ok(first);
  // An operator expires it: the next pass (an agent restart or the 30 s poll) creates it again.
  am.amtool(['silence', 'expire', first.id]);
  assert.equal(active().length, 0);
  await sync.pass();
  const [second] = active();
  assert.ok(second, 'created again after being expired');
  assert.deepEqual(
    sync.records().map((r) => [r.windowId, r.silenceId]),
    [[w.id, second.id]],
  );
  // Alertmanager lost its data (the recorded id is unknown to it): created again.
  am.amtool(['silence', 'expire', second.id]);
  store.setAgentState('alertmanager-silences', [{ ...sync.records()[0]!, silenceId: unknownId }]);
  await sync.pass();
  const [third] = active();
  assert.ok(third, 'created again after a 404');
  assert.deepEqual(
    sync.records().map((r) => r.silenceId),
    [third.id],
  );
  // The window is extended while Alertmanager lost the silence: the update answers 404, a new one is made.
  am.amtool(['silence', 'expire', third.id]);
  store.setAgentState('alertmanager-silences', [{ ...sync.records()[0]!, silenceId: unknownId }]);
  const later = new Date(Date.now() + 7_200_000).toISOString();
  store.startMaintenance({ source: 'manual', reason: 'kernel upgrade', endsAt: later });
  await sync.pass();
  const now = active();
  assert.equal(now.length, 1, 'one silence, made by the update that answered 404');
  assert.equal(Date.parse(now[0]!.endsAt), Date.parse(later));
  assert.deepEqual(
    sync.records().map((r) => [r.silenceId, r.endsAt]),
    [[now[0]!.id, later]],
  );
});
