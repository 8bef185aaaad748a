/**
 * The status page's actions end to end below the browser: the hono app over app/status-page.ts
 * over a real store (SQLite in a temporary state directory). Actions exist only with a token;
 * a form needs the login cookie, the CSRF field and this origin; a script needs the bearer
 * header; each action is recorded in the timeline with who asked. The engine side is left out:
 * `live` says the agent has not read an engine yet, and "recover now" counts its requests.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createStatusApp, csrfValue, SESSION_COOKIE, sessionValue } from '../../src/adapters/http/status-page/app.js';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import { StatusPage, type LiveAgentState } from '../../src/app/status-page.js';
import { CheckHistory } from '../../src/core/status-page/check-history.js';

const dir = mkdtempSync(join(tmpdir(), 'upk-status-actions-'));
const store = openStore({ stateDir: dir, create: true });
after(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const TOKEN = 'the-agent-token-0123456789abcdef0123456789';
const NOW = Date.now();
const live = (): LiveAgentState => ({
  host: null,
  engineUp: false,
  engineConnectedSince: null,
  agentStartedAt: NOW,
  agentVersion: '9.9.9',
  lastReconcileAt: null,
  error: null,
  rows: [],
  hostFacts: null,
  alerts: [],
});
let recoveries = 0;
const page = new StatusPage({ store, live, checks: new CheckHistory(), requestRecovery: () => recoveries++ });
const withToken = createStatusApp({ source: page, token: TOKEN, version: '9.9.9', now: () => NOW });
const readOnly = createStatusApp({ source: new StatusPage({ store, live, checks: new CheckHistory() }), token: null, version: '9.9.9', now: () => NOW });
const stopping = new AbortController().signal;
const COOKIE = `${SESSION_COOKIE}=${sessionValue(TOKEN)}`;

function post(app: typeof withToken, action: string, fields: Record<string, string>, headers: Record<string, string> = {}, peer = '127.0.0.1') {
  const req = new Request(`http://127.0.0.1:9465/actions/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  return Promise.resolve(app.fetch(req, { peer, stopping }));
}

async function get(app: typeof withToken, path: string, headers: Record<string, string> = {}) {
  return Promise.resolve(app.fetch(new Request(`http://127.0.0.1:9465${path}`, { headers }), { peer: '127.0.0.1', stopping }));
}

const pageActions = () => store.timeline({ kind: 'page-action' }).map((e) => [e.subject, e.detail.peer]);

describe('status page actions', () => {
  it('read-only without a token: no form, and the action routes answer 404', async () => {
    const html = await (await get(readOnly, '/maintenance')).text();
    assert.doesNotMatch(html, /action="\/actions\//);
    assert.doesNotMatch(html, /Sign in/);
    assert.equal((await post(readOnly, 'recover', {})).status, 404);
    assert.equal(recoveries, 0);
  });

  it('with a token: a form needs the cookie, the CSRF field and this origin; then it acts and records who asked', async () => {
    assert.match(
      await (await get(withToken, '/maintenance')).text(),
      /<a href="\/login\?next=%2Fmaintenance">Sign in<\/a>/,
      'loopback reads, but signs in to act',
    );
    const html = await (await get(withToken, '/maintenance', { cookie: COOKIE })).text();
    assert.match(
      html,
      new RegExp(`<form class="action" method="post" action="/actions/maintenance-open"><input type="hidden" name="csrf" value="${csrfValue(TOKEN)}">`),
    );

    const open = { reason: 'kernel upgrade', for: '30m', next: '/maintenance' };
    assert.equal((await post(withToken, 'maintenance-open', { ...open, csrf: csrfValue(TOKEN) })).status, 401, 'no cookie');
    assert.equal((await post(withToken, 'maintenance-open', open, { cookie: COOKIE })).status, 403, 'no CSRF field');
    assert.equal((await post(withToken, 'maintenance-open', { ...open, csrf: 'f'.repeat(64) }, { cookie: COOKIE })).status, 403, 'a wrong CSRF field');
    assert.equal(
      (await post(withToken, 'maintenance-open', { ...open, csrf: csrfValue(TOKEN) }, { cookie: COOKIE, origin: 'http://elsewhere.example' })).status,
      403,
      'another origin',
    );
    assert.deepEqual(store.activeMaintenance(new Date(NOW).toISOString()), []);

    const ok = await post(withToken, 'maintenance-open', { ...open, csrf: csrfValue(TOKEN) }, { cookie: COOKIE, origin: 'http://127.0.0.1:9465' });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/maintenance');
    const [w] = store.activeMaintenance(new Date(NOW).toISOString());
    assert.equal(w?.source, 'status-page');
    assert.equal(w?.reason, 'kernel upgrade');
    assert.equal(Date.parse(w!.endsAt) - Date.parse(w!.startedAt), 30 * 60_000);
    assert.deepEqual(pageActions(), [['maintenance-open', '127.0.0.1']]);
    assert.equal(store.timeline({ kind: 'maintenance-start' }).length, 1);
    assert.equal((await post(withToken, 'maintenance-open', { for: '3d', csrf: csrfValue(TOKEN) }, { cookie: COOKIE })).status, 400, 'at most 24 h');
  });

  it("closing leaves apt's window open (dpkg may be running); a script acts with the bearer header", async () => {
    store.startMaintenance({ source: 'apt', endsAt: new Date(NOW + 3_600_000).toISOString(), at: new Date(NOW).toISOString() });
    const closed = await post(withToken, 'maintenance-close', { csrf: csrfValue(TOKEN) }, { cookie: COOKIE });
    assert.equal(closed.status, 303);
    assert.deepEqual(
      store.activeMaintenance(new Date(NOW).toISOString()).map((w) => w.source),
      ['apt'],
    );
    const r = await post(withToken, 'recover', {}, { authorization: `Bearer ${TOKEN}` }, '192.0.2.7');
    assert.equal(r.status, 200);
    assert.equal(recoveries, 1);
    assert.equal((await post(withToken, 'recover', {}, { authorization: 'Bearer nope' }, '192.0.2.7')).status, 401);
    assert.equal(recoveries, 1);
    assert.deepEqual(pageActions(), [
      ['maintenance-open', '127.0.0.1'],
      ['maintenance-close', '127.0.0.1'],
      ['recover', '192.0.2.7'],
    ]);
  });
});

describe('status page actions: where the form goes back to', () => {
  it('a `next` that a browser would read as another origin goes back to / instead', async () => {
    for (const next of ['/\t/elsewhere.example', '/\\elsewhere.example', '//elsewhere.example'])
      assert.equal(
        (await post(withToken, 'maintenance-close', { csrf: csrfValue(TOKEN), next }, { cookie: COOKIE })).headers.get('location'),
        '/',
        JSON.stringify(next),
      );
    assert.equal(
      (await post(withToken, 'maintenance-close', { csrf: csrfValue(TOKEN), next: '/maintenance' }, { cookie: COOKIE })).headers.get('location'),
      '/maintenance',
    );
  });
});

describe("the service page's audit findings", () => {
  it("lists upkeep audit's live findings about the container, with the fix command when --apply-live can fix it", async () => {
    const { container, daemon } = await import('../helpers/facts.js');
    const host: NonNullable<LiveAgentState['host']> = {
      daemon: daemon(),
      host: { id: 'ENGINE-1', name: 'lab' },
      containers: [
        container({ name: 'fragile', restartPolicy: { name: 'no', maximumRetryCount: 0 } }),
        container({ name: 'steady', restartPolicy: { name: 'always', maximumRetryCount: 0 } }),
      ],
      inspects: new Map(),
      flagsUnreadable: null,
      readAt: new Date(NOW),
    };
    const withHost = new StatusPage({ store, live: () => ({ ...live(), host, engineUp: true }), checks: new CheckHistory() });
    const fragile = withHost.service('fragile', NOW)!;
    assert.ok(fragile.findings.length > 0, 'a container with restart policy "no" has a finding');
    const policy = fragile.findings.find((f) => f.ruleId === 'live-restart-policy');
    assert.ok(policy, JSON.stringify(fragile.findings));
    assert.equal(policy.fix, 'upkeep audit --apply-live');
    assert.match(policy.docs, /live-restart-policy/);
    assert.deepEqual(withHost.service('steady', NOW)!.findings, []);
    // And on the page, through the HTTP layer.
    const app = createStatusApp({ source: withHost, token: null, version: '9.9.9', now: () => NOW });
    const html = await (await get(app, '/services/fragile')).text();
    assert.match(html, /<h2>Audit<\/h2>/);
    assert.match(html, /Fix: <code>upkeep audit --apply-live<\/code>/);
    const none = await (await get(app, '/services/steady')).text();
    assert.match(none, /No finding of <code>upkeep audit<\/code> about it/);
  });
});

describe("the overview's host line", () => {
  it('shows the OS, the kernel running against the newest installed, and the reboot flag with its packages; unknown with why before the facts are read', async () => {
    const facts: LiveAgentState['hostFacts'] = {
      pendingUpgrades: 3,
      rebootRequired: true,
      why: '/var/run/reboot-required (linux-image-6.1.0-42-amd64, dbus); kernel 6.1.0-42-amd64 installed, 6.1.0-41-amd64 running',
      os: { name: 'Debian GNU/Linux 12 (bookworm)', why: null },
      kernel: { running: '6.1.0-41-amd64', newestInstalled: '6.1.0-42-amd64', why: null },
      rebootPackages: ['linux-image-6.1.0-42-amd64', 'dbus'],
    };
    const read = new StatusPage({ store, live: () => ({ ...live(), hostFacts: facts }), checks: new CheckHistory() });
    const o = read.overview(NOW).host;
    assert.deepEqual([o.os, o.kernel, o.rebootRequired, o.rebootPackages], [facts.os, facts.kernel, true, ['linux-image-6.1.0-42-amd64', 'dbus']]);
    const app = createStatusApp({ source: read, token: null, version: '9.9.9', now: () => NOW });
    const html = await (await get(app, '/')).text();
    assert.match(html, /<dt>OS<\/dt><dd data-field="os">Debian GNU\/Linux 12 \(bookworm\)<\/dd>/);
    assert.match(html, /<dt>Kernel<\/dt><dd data-field="kernel">6\.1\.0-41-amd64 running, 6\.1\.0-42-amd64 installed<\/dd>/);
    assert.match(html, /<dd data-field="reboot">yes: \/var\/run\/reboot-required \(linux-image-6\.1\.0-42-amd64, dbus\); kernel 6\.1\.0-42-amd64 installed/);
    const api = (await (await get(app, '/api/v1/overview')).json()) as { host: { kernel: unknown } };
    assert.deepEqual(api.host.kernel, facts.kernel);

    // A container (no kernel image installed) and an agent that has not read the facts yet.
    const container = new StatusPage({
      store,
      live: () => ({
        ...live(),
        hostFacts: {
          ...facts!,
          rebootRequired: false,
          why: null,
          kernel: { running: '6.18.4', newestInstalled: null, why: 'no installed kernel image found' },
        },
      }),
      checks: new CheckHistory(),
    });
    const ch = await (await get(createStatusApp({ source: container, token: null, version: '9.9.9', now: () => NOW }), '/')).text();
    assert.match(ch, /<dd data-field="kernel">6\.18\.4 running; newest installed unknown: no installed kernel image found<\/dd>/);
    assert.match(ch, /<dd data-field="reboot">no<\/dd>/);
    const none = new StatusPage({ store, live, checks: new CheckHistory() });
    const unread = none.overview(NOW).host;
    assert.equal(unread.rebootRequired, null);
    assert.match(unread.rebootWhy ?? '', /has not read the host facts yet/);
    const nh = await (await get(createStatusApp({ source: none, token: null, version: '9.9.9', now: () => NOW }), '/')).text();
    for (const f of ['os', 'kernel', 'reboot']) assert.match(nh, new RegExp(`<dd data-field="${f}">unknown: the agent has not read the host facts yet`), f);
    assert.match(nh, /<dt>Pending upgrades<\/dt><dd>unknown: the agent has not read the host facts yet/);
    const noApt = new StatusPage({
      store,
      live: () => ({ ...live(), hostFacts: { ...facts!, pendingUpgrades: null, pendingWhy: 'apt-get -s dist-upgrade failed: E: not found' } }),
      checks: new CheckHistory(),
    });
    assert.equal(noApt.overview(NOW).host.pendingUpgradesWhy, 'apt-get -s dist-upgrade failed: E: not found');
  });

  it('reads the OS from os-release (PRETTY_NAME, quoted), and says why when it cannot', async () => {
    const { readOsName } = await import('../../src/adapters/files/os-release.js');
    const { writeFileSync } = await import('node:fs');
    const f = join(dir, 'os-release');
    writeFileSync(f, 'NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian \\"12\\" (bookworm)"\nID=debian\n');
    assert.deepEqual(await readOsName([join(dir, 'nowhere'), f]), { name: 'Debian "12" (bookworm)', why: null });
    writeFileSync(f, 'ID=debian\n');
    const r = await readOsName([f]);
    assert.equal(r.name, null);
    assert.match(r.why ?? '', /os-release has no PRETTY_NAME/);
  });
});

describe('acknowledging an alert', () => {
  it('stops its reminders until it resolves, shows who and when, survives a restart, and is recorded with the peer; firing again it is not acknowledged', async () => {
    const { AlertManager } = await import('../../src/agent/alerts.js');
    const { SILENT } = await import('../../src/agent/log.js');
    const s2 = openStore({ stateDir: join(dir, 'ack'), create: true });
    after(() => s2.close());
    let t = NOW;
    const clock = { now: () => t, sleep: async () => undefined };
    const manager = () => new AlertManager({ store: s2, host: () => 'lab', channels: ['hook'], onQueued: () => undefined, log: SILENT, clock });
    let alerts = manager();
    const RULE = { forMs: 0, repeatMs: 60_000 };
    const content = (kind: string) => ({ severity: 'critical' as const, subject: 'web', title: `web ${kind}`, text: 'web should run' });
    const step = (active: boolean) => {
      alerts.evaluate('down:web', RULE, active, content);
      alerts.persist();
    };
    const kinds = () => s2.timeline({ kinds: ['alert-*'] }).map((e) => e.kind);
    step(true);
    const ackPage = new StatusPage({
      store: s2,
      live: () => ({ ...live(), alerts: alerts.alertStates() }),
      checks: new CheckHistory(),
      requestRecovery: () => undefined,
      acknowledgeAlert: (k, by, at, firingSince) => alerts.acknowledge(k, by, at, firingSince),
    });
    const app = createStatusApp({ source: ackPage, token: TOKEN, version: '9.9.9', now: () => t });
    const noToken = createStatusApp({
      source: new StatusPage({ store: s2, live: () => ({ ...live(), alerts: alerts.alertStates() }), checks: new CheckHistory() }),
      token: null,
      version: '9.9.9',
      now: () => t,
    });
    assert.doesNotMatch(await (await get(noToken, '/alerts')).text(), /alert-acknowledge/);
    assert.equal((await post(noToken, 'alert-acknowledge', { alert: 'down:web' })).status, 404);

    const html = await (await get(app, '/alerts', { cookie: COOKIE })).text();
    assert.match(
      html,
      /action="\/actions\/alert-acknowledge"><input type="hidden" name="csrf" value="[0-9a-f]{64}"><input type="hidden" name="next" value="\/alerts"><input type="hidden" name="alert" value="down:web"><input type="hidden" name="firing-since" value="[0-9T:.Z-]+"><button type="submit" aria-label="Acknowledge down:web">Acknowledge<\/button>/,
    );
    assert.equal((await post(app, 'alert-acknowledge', { alert: 'down:web' }, { cookie: COOKIE })).status, 403, 'no CSRF field');
    assert.equal(
      (await post(app, 'alert-acknowledge', { alert: 'down:web', csrf: csrfValue(TOKEN) }, { cookie: COOKIE, origin: 'http://elsewhere.example' })).status,
      403,
      'another origin',
    );
    assert.equal((await post(app, 'alert-acknowledge', { alert: 'down:web', csrf: csrfValue(TOKEN) })).status, 401, 'no cookie');
    assert.equal(alerts.alertStates()[0]![1].acknowledged ?? null, null);

    t += 5_000;
    const ok = await post(
      app,
      'alert-acknowledge',
      { alert: 'down:web', csrf: csrfValue(TOKEN), next: '/alerts' },
      { cookie: COOKIE, origin: 'http://127.0.0.1:9465' },
    );
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/alerts');
    const at = new Date(t).toISOString();
    const api = (await (await get(app, '/api/v1/alerts')).json()) as { alerts: Array<{ key: string; acknowledged: unknown }> };
    assert.deepEqual(api.alerts, [
      {
        key: 'down:web',
        phase: 'firing',
        activeSince: new Date(NOW).toISOString(),
        firingSince: new Date(NOW).toISOString(),
        held: false,
        acknowledged: { by: '127.0.0.1', at },
      },
    ]);
    assert.match(await (await get(app, '/alerts', { cookie: COOKIE })).text(), /<td data-label="Acknowledged" data-field="acknowledged">by 127\.0\.0\.1 at /);
    const recorded = s2.timeline({ kind: 'page-action' });
    assert.deepEqual(
      recorded.map((e) => [e.subject, e.detail.peer, e.detail.alert]),
      [['alert-acknowledge', '127.0.0.1', 'down:web']],
    );

    // No reminder while acknowledged, also after a restart (the state is persisted with it).
    alerts = manager();
    assert.deepEqual(alerts.alertStates()[0]![1].acknowledged, { by: '127.0.0.1', at: Date.parse(at) });
    t += 61_000;
    step(true);
    t += 61_000;
    step(true);
    assert.deepEqual(kinds(), ['alert-firing']);

    // Scripts: the bearer header, JSON back; acknowledging again keeps the first; a key that is not firing is refused.
    const again = await post(app, 'alert-acknowledge', { alert: 'down:web' }, { authorization: `Bearer ${TOKEN}` }, '192.0.2.7');
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), { ok: true, alert: 'down:web', acknowledged: { by: '127.0.0.1', at }, already: true });
    const missing = await post(app, 'alert-acknowledge', { alert: 'down:db' }, { authorization: `Bearer ${TOKEN}` }, '192.0.2.7');
    assert.equal(missing.status, 409);
    assert.match(((await missing.json()) as { error: string }).error, /alert down:db cannot be acknowledged: it is not firing/);
    assert.equal(s2.timeline({ kind: 'page-action' }).length, 1);

    // Resolved, then firing again: not acknowledged, reminders again.
    t += 1_000;
    step(false);
    t += 1_000;
    step(true);
    assert.equal(alerts.alertStates()[0]![1].acknowledged ?? null, null);
    t += 61_000;
    step(true);
    assert.deepEqual(kinds(), ['alert-firing', 'alert-resolved', 'alert-firing', 'alert-reminder']);
    assert.equal(((await (await get(app, '/api/v1/alerts')).json()) as { alerts: Array<{ acknowledged: unknown }> }).alerts[0]!.acknowledged, null);

    // A page loaded during the first episode acknowledges only that one: this episode is refused.
    const bearer = { authorization: `Bearer ${TOKEN}` };
    const stale = await post(app, 'alert-acknowledge', { alert: 'down:web', 'firing-since': new Date(NOW).toISOString() }, bearer, '192.0.2.7');
    assert.equal(stale.status, 409);
    assert.match(((await stale.json()) as { error: string }).error, /fired again since the page was loaded/);
    assert.equal((await post(app, 'alert-acknowledge', { alert: 'down:web', 'firing-since': 'yesterday' }, bearer, '192.0.2.7')).status, 400);
    const current = ((await (await get(app, '/api/v1/alerts')).json()) as { alerts: Array<{ firingSince: string }> }).alerts[0]!.firingSince;
    const fresh = await post(app, 'alert-acknowledge', { alert: 'down:web', 'firing-since': current }, bearer, '192.0.2.7');
    assert.equal(fresh.status, 200);
    assert.equal(((await fresh.json()) as { already: boolean }).already, false);
  });
});

describe("the service page's uptime bars", () => {
  it('a span without timeline entries is "no data" (neither up nor down); the engine\'s start time and the entry before the span count', async () => {
    const { container, daemon } = await import('../helpers/facts.js');
    const s3 = openStore({ stateDir: join(dir, 'uptime'), create: true });
    after(() => s3.close());
    const HOUR = 3_600_000;
    const host: NonNullable<LiveAgentState['host']> = {
      daemon: daemon(),
      host: { id: 'ENGINE-1', name: 'lab' },
      containers: [
        container({ name: 'fresh', startedAt: new Date(NOW - 6 * HOUR).toISOString() }),
        container({ name: 'veteran', startedAt: new Date(NOW - 6 * HOUR).toISOString() }),
      ],
      inspects: new Map(),
      flagsUnreadable: null,
      readAt: new Date(NOW),
    };
    // veteran: started 100 days ago (before the longest span), died and healed 6 h ago.
    s3.appendTimeline({ at: new Date(NOW - 100 * 24 * HOUR).toISOString(), kind: 'container-started', subject: 'veteran', message: 'started' });
    s3.appendTimeline({ at: new Date(NOW - 7 * HOUR).toISOString(), kind: 'container-died', subject: 'veteran', message: 'died' });
    s3.appendTimeline({ at: new Date(NOW - 6 * HOUR).toISOString(), kind: 'healed', subject: 'veteran', message: 'healed' });
    const page = new StatusPage({ store: s3, live: () => ({ ...live(), host, engineUp: true }), checks: new CheckHistory() });
    const app = createStatusApp({ source: page, token: null, version: '9.9.9', now: () => NOW });
    type Bars = { uptime: Array<{ label: string; uptime: number | null; data: number; buckets: Array<{ up: number | null }> }> };
    const fresh = (await (await get(app, '/api/v1/services/fresh')).json()) as Bars;
    assert.deepEqual(
      fresh.uptime.map((b) => [b.label, b.uptime, b.data]),
      [
        ['24h', 1, 0.25],
        ['7d', 1, Math.round((6 / 168) * 10_000) / 10_000],
        ['90d', 1, Math.round((6 / 2160) * 10_000) / 10_000],
      ],
      'up since the engine says it started; before that, no data',
    );
    assert.equal(fresh.uptime[0]!.buckets.filter((b) => b.up === null).length, 18);
    const html = await (await get(app, '/services/fresh')).text();
    assert.match(html, /<h3>24h · 100\.00% up \(data for 25\.0% of the time\)<\/h3>/);
    assert.match(html, /class="u-none"><title>[^<]+: no data<\/title>/);
    const veteran = (await (await get(app, '/api/v1/services/veteran')).json()) as Bars;
    assert.deepEqual(
      veteran.uptime.map((b) => [b.label, b.uptime, b.data]),
      [
        ['24h', Math.round((23 / 24) * 10_000) / 10_000, 1],
        ['7d', Math.round((167 / 168) * 10_000) / 10_000, 1],
        ['90d', Math.round((2159 / 2160) * 10_000) / 10_000, 1],
      ],
    );

    // A crash loop with more up/down entries than the bars read (here 40; the agent reads 20,000):
    // the newest are read, and the time before the first of them is no data, not the state of the
    // entry from before the span (up, 100 days ago), which would paint 14 hours up.
    s3.appendTimeline({ at: new Date(NOW - 100 * 24 * HOUR).toISOString(), kind: 'container-started', subject: 'looping', message: 'started' });
    for (let i = 0; i < 60; i++)
      s3.appendTimeline({
        at: new Date(NOW - 10 * HOUR + i * 10 * 60_000).toISOString(),
        kind: i % 2 === 0 ? 'container-died' : 'healed',
        subject: 'looping',
        message: '',
      });
    const loopHost = { ...host, containers: [...host.containers, container({ name: 'looping', startedAt: new Date(NOW - HOUR).toISOString() })] };
    const loopPage = new StatusPage({ store: s3, live: () => ({ ...live(), host: loopHost, engineUp: true }), checks: new CheckHistory(), uptimeEntries: 40 });
    const loopApp = createStatusApp({ source: loopPage, token: null, version: '9.9.9', now: () => NOW });
    const looping = (await (await get(loopApp, '/api/v1/services/looping')).json()) as Bars;
    // The newest 40 of 60 entries start 10 h - 20 * 10 min = 6h40 ago: data for that part of the 24 h only.
    assert.equal(looping.uptime[0]!.data, Math.round(((6 + 40 / 60) / 24) * 10_000) / 10_000);
  });
});
