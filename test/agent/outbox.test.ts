/** The alert outbox against a real HTTP server on loopback and a real SQLite store. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { WebhookNotifier, type AlertMessage } from '../../src/adapters/notify/notifier.js';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import { SILENT } from '../../src/agent/log.js';
import { Outbox } from '../../src/agent/outbox.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-outbox-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

interface Received {
  key: string | undefined;
  body: AlertMessage;
}

/** A webhook receiver answering with the given statuses in turn (then 200). */
async function receiver(statuses: number[]): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const status = statuses.shift() ?? 200;
      if (status === 200) received.push({ key: req.headers['idempotency-key'] as string | undefined, body: JSON.parse(body) as AlertMessage });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

function message(id: string): AlertMessage {
  return { id, kind: 'firing', severity: 'critical', subject: 'web', title: 'web is down', text: 'exited 137', host: 'h', at: '2026-11-28T10:00:00.000Z' };
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Outbox', () => {
  it('retries a channel that answers 503 with backoff and delivers exactly once, with the idempotency key', async () => {
    const hook = await receiver([503, 503]);
    const store = openStore({ stateDir: join(root, `s${n++}`) });
    const results: string[] = [];
    const outbox = new Outbox({
      store,
      notifiers: new Map([['hook', new WebhookNotifier({ url: hook.url, name: 'hook' })]]),
      log: SILENT,
      backoff: { initialMs: 50, maxMs: 200 },
      onResult: (_ch, outcome) => results.push(outcome),
    });
    const stop = new AbortController();
    const running = outbox.run(stop.signal);
    store.enqueueAlert('m1', message('m1'), ['hook']);
    outbox.kick();
    await until(() => hook.received.length === 1);
    await until(() => store.outboxPending().count === 0);
    // One more whole pass after the delivery: nothing is sent again.
    const mark = outbox.passes;
    outbox.kick();
    await until(() => outbox.passes > mark);
    stop.abort();
    await running;
    hook.server.close();
    assert.deepEqual(results, ['failed', 'failed', 'delivered']);
    assert.equal(hook.received.length, 1, 'delivered once');
    assert.equal(hook.received[0]?.key, 'm1');
    const [row] = store.outbox({ messageId: 'm1' });
    assert.equal(row?.attempts, 3);
    assert.ok(row?.deliveredAt);
    store.close();
  });

  it('keeps an alert queued while the channel is down and delivers it after an agent restart', async () => {
    const dir = join(root, `s${n++}`);
    const first = openStore({ stateDir: dir });
    first.enqueueAlert('m2', message('m2'), ['hook']);
    // The channel is down: nothing listens on this port.
    const dead = await receiver([]);
    const deadUrl = dead.url;
    await new Promise<void>((r) => dead.server.close(() => r()));
    const outbox1 = new Outbox({
      store: first,
      notifiers: new Map([['hook', new WebhookNotifier({ url: deadUrl, name: 'hook' })]]),
      log: SILENT,
      backoff: { initialMs: 10, maxMs: 10 },
    });
    assert.equal(await outbox1.deliverDue(), 0);
    assert.match(first.outbox({ messageId: 'm2' })[0]?.lastError ?? '', /ECONNREFUSED/);
    first.close();

    // "Restart": a new store connection and a new outbox, with the channel back.
    const hook = await receiver([]);
    const second = openStore({ stateDir: dir });
    // The retry is due 10 ms after the failure: the outbox's clock is 20 ms later.
    const outbox2 = new Outbox({
      store: second,
      notifiers: new Map([['hook', new WebhookNotifier({ url: hook.url, name: 'hook' })]]),
      log: SILENT,
      clock: { now: () => Date.now() + 20, sleep: async () => undefined },
    });
    assert.equal(await outbox2.deliverDue(), 1);
    assert.deepEqual(
      hook.received.map((r) => r.body.id),
      ['m2'],
    );
    assert.equal(await outbox2.deliverDue(), 0, 'nothing left');
    hook.server.close();
    second.close();
  });

  it("delivers a channel's messages in the order they were queued, even across retries", async () => {
    const hook = await receiver([503, 503, 503]);
    const store = openStore({ stateDir: join(root, `s${n++}`) });
    const outbox = new Outbox({
      store,
      notifiers: new Map([['hook', new WebhookNotifier({ url: hook.url, name: 'hook' })]]),
      log: SILENT,
      backoff: { initialMs: 30, maxMs: 100 },
    });
    const stop = new AbortController();
    const running = outbox.run(stop.signal);
    for (const id of ['a-firing', 'b-firing', 'a-resolved', 'c-summary']) {
      store.enqueueAlert(id, message(id), ['hook']);
      outbox.kick();
    }
    await until(() => hook.received.length === 4);
    stop.abort();
    await running;
    hook.server.close();
    assert.deepEqual(
      hook.received.map((r) => r.body.id),
      ['a-firing', 'b-firing', 'a-resolved', 'c-summary'],
    );
    store.close();
  });

  it('gives up at once on a permanent refusal (404) and on a channel no longer configured', async () => {
    const hook = await receiver([404]);
    const store = openStore({ stateDir: join(root, `s${n++}`) });
    store.enqueueAlert('m3', message('m3'), ['hook', 'gone']);
    const outbox = new Outbox({ store, notifiers: new Map([['hook', new WebhookNotifier({ url: hook.url, name: 'hook' })]]), log: SILENT });
    await outbox.deliverDue();
    const rows = store.outbox({ messageId: 'm3' });
    assert.deepEqual(
      rows.map((r) => [r.channel, r.givenUpAt !== null, r.deliveredAt]),
      [
        ['gone', true, null],
        ['hook', true, null],
      ],
    );
    assert.match(rows[1]?.lastError ?? '', /404/);
    assert.equal(store.outboxPending().count, 0);
    hook.server.close();
    store.close();
  });

  it('holds a message whose event lies inside a maintenance window; one from before the window still goes', async () => {
    const hook = await receiver([]);
    const store = openStore({ stateDir: join(root, `s${n++}`) });
    const before = { ...message('before'), at: new Date(Date.now() - 60_000).toISOString() };
    store.startMaintenance({ source: 'manual', endsAt: new Date(Date.now() + 60_000).toISOString() });
    const inside = { ...message('inside'), at: new Date(Date.now() + 1_000).toISOString() };
    store.enqueueAlert('before', before, ['hook']);
    store.enqueueAlert('inside', inside, ['hook']);
    const outbox = new Outbox({ store, notifiers: new Map([['hook', new WebhookNotifier({ url: hook.url, name: 'hook' })]]), log: SILENT });
    assert.equal(await outbox.deliverDue(), 1);
    assert.deepEqual(
      hook.received.map((r) => r.body.id),
      ['before'],
    );
    const [held] = store.outbox({ messageId: 'inside' });
    assert.match(held?.lastError ?? '', /^held: its event .* is inside maintenance window/);
    assert.ok(held?.givenUpAt);
    assert.ok(store.timeline({ kind: 'alert-held' }).some((e) => e.detail.messageId === 'inside'));
    assert.ok(store.timeline({ kind: 'alert-delivered' }).some((e) => e.detail.messageId === 'before'));
    hook.server.close();
    store.close();
  });
});

describe('Outbox: channels are independent', () => {
  it('a channel that never answers does not hold back another channel (real HTTP: one server accepts and never replies)', async () => {
    const hanging = createServer(() => undefined); // accepts the request, never answers
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    const hook = await receiver([]);
    const store = openStore({ stateDir: join(root, `s${n++}`) });
    const outbox = new Outbox({
      store,
      notifiers: new Map([
        ['stuck', new WebhookNotifier({ url: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hook`, name: 'stuck' })],
        ['hook', new WebhookNotifier({ url: hook.url, name: 'hook' })],
      ]),
      log: SILENT,
    });
    // The stuck channel's message is older: a sequential outbox would wait for it first.
    store.enqueueAlert('a0', message('a0'), ['stuck']);
    store.enqueueAlert('a1', message('a1'), ['hook']);
    const ac = new AbortController();
    const pass = outbox.deliverDue(ac.signal);
    try {
      // The stuck channel's request is in flight (it would take the notifier's whole timeout).
      await until(() => hook.received.length === 1);
      assert.equal(hook.received[0]?.body.id, 'a1');
      assert.equal(store.outbox({ messageId: 'a0' })[0]?.deliveredAt, null);
    } finally {
      ac.abort();
      await pass.catch(() => undefined);
      hanging.closeAllConnections();
      hanging.close();
      hook.server.close();
      store.close();
    }
  });
});

describe('Outbox: grouping for channels people read', () => {
  it('alerts queued together go as one message listing them to a grouping channel; a machine webhook gets one each', async () => {
    const people = await receiver([]);
    const machine = await receiver([]);
    let clock = Date.parse('2026-11-29T10:00:00.000Z');
    const store = openStore({ stateDir: join(root, `s${n++}`), now: () => new Date(clock) });
    const outbox = new Outbox({
      store,
      notifiers: new Map([
        ['people', new WebhookNotifier({ url: people.url, name: 'people', group: true })],
        ['machine', new WebhookNotifier({ url: machine.url, name: 'machine', group: false })],
      ]),
      log: SILENT,
      clock: { now: () => clock, sleep: async () => undefined },
    });
    for (const name of ['web', 'api', 'db']) {
      store.enqueueAlert(`down:${name}`, { ...message(`down:${name}`), subject: name, title: `${name} is down` }, ['people', 'machine']);
      clock += 5; // one reconcile: milliseconds apart
    }
    clock += 10_000; // a later reconcile
    store.enqueueAlert('down:cache', { ...message('down:cache'), subject: 'cache', title: 'cache is down' }, ['people', 'machine']);
    try {
      assert.equal(await outbox.deliverDue(), 8);
      assert.equal(people.received.length, 2);
      const grouped = people.received[0]!.body;
      assert.equal(grouped.title, '3 alerts (3 firing): web, api, db');
      assert.equal(grouped.text, '- web is down: exited 137\n- api is down: exited 137\n- db is down: exited 137');
      assert.deepEqual(
        (grouped.data?.grouped as Array<{ id: string }>).map((g) => g.id),
        ['down:web', 'down:api', 'down:db'],
      );
      assert.equal(people.received[1]!.body.title, 'cache is down');
      assert.deepEqual(
        machine.received.map((r) => r.body.subject),
        ['web', 'api', 'db', 'cache'],
      );
      assert.ok(
        store.outbox().every((r) => r.deliveredAt !== null),
        'every row delivered',
      );
    } finally {
      people.server.close();
      machine.server.close();
      store.close();
    }
  });
});
