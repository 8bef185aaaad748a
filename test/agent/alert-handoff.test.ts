/**
 * A reconcile's writes as one transaction, and the outbox sending the rows it was handed: against
 * a real SQLite store. What is sent is durable in the outbox first (a crash after the commit still
 * delivers it after a restart); a transaction that fails leaves nothing of it (no timeline entry,
 * no outbox row, no alert state) and hands nothing over; a handed row never overtakes an older one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AlertMessage } from '../../src/adapters/notify/notifier.js';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import type { OutboxEntry, Store } from '../../src/adapters/store/store.js';
import { AlertManager } from '../../src/agent/alerts.js';
import { SILENT } from '../../src/agent/log.js';
import { Outbox } from '../../src/agent/outbox.js';
import type { AlertContent } from '../../src/core/alerts/agent-alerts.js';
import { FakeChannel } from '../helpers/fake-agent.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-handoff-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const RULE = { forMs: 0, repeatMs: 3_600_000 };
const down =
  (name: string) =>
  (kind: 'firing' | 'reminder' | 'resolved'): AlertContent => ({
    severity: 'critical',
    subject: name,
    title: kind === 'resolved' ? `${name} is running again` : `${name} is down`,
    text: 'exited 137',
  });

/** A store whose reads of the outbox are counted. */
function counting(store: Store): { store: Store; reads: () => number } {
  let reads = 0;
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'undeliveredAlerts')
        return (limit?: number) => {
          reads++;
          return target.undeliveredAlerts(limit);
        };
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store: wrapped, reads: () => reads };
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('a reconcile commits its timeline entries and alerts together, then hands them to the outbox', () => {
  it('what one transaction queued is committed before the outbox gets it, and a crash before the send still delivers it after a restart', async () => {
    const dir = join(root, `s${n++}`);
    const store = openStore({ stateDir: dir });
    const handed: OutboxEntry[][] = [];
    const alerts = new AlertManager({ store, host: () => 'h', channels: ['hook'], onQueued: (rows) => handed.push([...rows]), log: SILENT });
    alerts.transaction(() => {
      store.appendTimeline({ kind: 'container-died', subject: 'web', message: 'web stopped (exited 137)' });
      alerts.evaluate('down:web', RULE, true, down('web'));
      alerts.persist();
      assert.equal(handed.length, 0, 'nothing is handed over before the commit');
    });
    assert.equal(handed.length, 1, 'handed over once, after the commit');
    const [row] = handed[0]!;
    assert.equal(row?.channel, 'hook');
    assert.equal((row?.message as AlertMessage).title, 'web is down');
    // The process dies here, before the outbox sent it. A new agent opens the same store.
    store.close();
    const again = openStore({ stateDir: dir });
    assert.deepEqual(
      again.timeline({ subject: 'web' }).map((e) => e.kind),
      ['container-died', 'alert-firing'],
    );
    const channel = new FakeChannel();
    const outbox = new Outbox({ store: again, notifiers: new Map([['hook', channel]]), log: SILENT });
    assert.equal(await outbox.deliverDue(), 1);
    assert.deepEqual(
      channel.sent.map((m) => m.id),
      [row?.messageId],
    );
    // A restarted alert manager knows the alert fires: it does not send it again.
    const handedAfter: OutboxEntry[][] = [];
    const alerts2 = new AlertManager({ store: again, host: () => 'h', channels: ['hook'], onQueued: (rows) => handedAfter.push([...rows]), log: SILENT });
    alerts2.transaction(() => alerts2.evaluate('down:web', RULE, true, down('web')));
    assert.equal(handedAfter.length, 0);
    again.close();
  });

  it('a transaction that fails leaves no timeline entry, outbox row or alert state, and hands nothing over; the retry records each once', () => {
    const store = openStore({ stateDir: join(root, `s${n++}`) });
    const handed: OutboxEntry[][] = [];
    let failPersist = true;
    const failing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'setAgentState')
          return (key: string, value: unknown) => {
            if (failPersist) throw new Error('disk I/O error');
            target.setAgentState(key, value);
          };
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const alerts = new AlertManager({ store: failing, host: () => 'h', channels: ['hook'], onQueued: (rows) => handed.push([...rows]), log: SILENT });
    const reconcile = () =>
      alerts.transaction(() => {
        failing.appendTimeline({ kind: 'container-died', subject: 'web', message: 'web stopped (exited 137)' });
        alerts.evaluate('down:web', RULE, true, down('web'));
        alerts.persist(); // the last write of the transaction fails
      });
    assert.throws(reconcile, /disk I\/O error/);
    assert.deepEqual(store.timeline(), [], 'the died entry and the alert entry were rolled back with the rest');
    assert.deepEqual(store.outbox(), []);
    assert.equal(
      store.getAgentState('alerts', (v) => v),
      null,
    );
    assert.deepEqual(handed.flat(), [], 'no row handed over (only a "look in the store")');
    assert.deepEqual(alerts.activeKeys(), [], 'the alert is as it was before: stepped again on the retry');
    failPersist = false;
    reconcile();
    assert.deepEqual(
      store.timeline().map((e) => e.kind),
      ['container-died', 'alert-firing'],
    );
    assert.equal(store.outbox().length, 1);
    assert.equal(handed.flat().length, 1);
    assert.deepEqual(Object.keys(store.getAgentState('alerts', (v) => v as Record<string, unknown>) ?? {}), ['down:web']);
    store.close();
  });
});

describe('the outbox sends the rows it was handed', () => {
  it('without reading the outbox back while nothing else waits; still recording the delivery in the store', async () => {
    const real = openStore({ stateDir: join(root, `s${n++}`) });
    const { store, reads } = counting(real);
    const channel = new FakeChannel();
    const outbox = new Outbox({ store, notifiers: new Map([['hook', channel]]), log: SILENT });
    const alerts = new AlertManager({ store, host: () => 'h', channels: ['hook'], onQueued: (rows) => outbox.kick(rows), log: SILENT });
    const stop = new AbortController();
    const running = outbox.run(stop.signal);
    await until(() => outbox.passes === 1); // the first pass reads the store (what an earlier agent left)
    const readsBefore = reads();
    for (const name of ['web', 'db', 'cache']) {
      alerts.transaction(() => alerts.evaluate(`down:${name}`, RULE, true, down(name)));
      await until(() => channel.sent.some((m) => m.subject === name));
    }
    stop.abort();
    await running;
    assert.equal(reads(), readsBefore, 'no read of the outbox for the handed rows');
    assert.deepEqual(
      channel.sent.map((m) => m.subject),
      ['web', 'db', 'cache'],
    );
    assert.equal(real.outboxPending().count, 0, 'each marked delivered in the store');
    assert.equal(real.timeline({ kind: 'alert-delivered' }).length, 3);
    real.close();
  });

  it('a handed row waits behind an older one that is waiting for a retry (the store is read), and both arrive in order', async () => {
    const real = openStore({ stateDir: join(root, `s${n++}`) });
    const { store, reads } = counting(real);
    const channel = new FakeChannel();
    channel.down = true;
    const outbox = new Outbox({ store, notifiers: new Map([['hook', channel]]), log: SILENT, backoff: { initialMs: 100, maxMs: 100 } });
    const alerts = new AlertManager({ store, host: () => 'h', channels: ['hook'], onQueued: (rows) => outbox.kick(rows), log: SILENT });
    const stop = new AbortController();
    const running = outbox.run(stop.signal);
    alerts.transaction(() => alerts.evaluate('down:web', RULE, true, down('web')));
    await until(() => real.outbox()[0]?.lastError !== null && real.outbox()[0]?.lastError !== undefined);
    channel.down = false;
    const readsBefore = reads();
    alerts.transaction(() => alerts.evaluate('down:db', RULE, true, down('db')));
    await until(() => channel.sent.length === 2);
    stop.abort();
    await running;
    assert.ok(reads() > readsBefore, 'with a row waiting, the pass reads the store');
    assert.deepEqual(
      channel.sent.map((m) => m.subject),
      ['web', 'db'],
    );
    real.close();
  });
});
