import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runActors, sleepUnlessAborted, type Actor } from '../../src/agent/actor.js';
import { ReconcileQueue } from '../../src/agent/reconcile-queue.js';

const quiet = { info() {}, error() {} };

test('triggers coalesce into few runs; failures are retried; resync runs without triggers', async () => {
  const seen: string[][] = [];
  let failOnce = true;
  const q = new ReconcileQueue({
    debounceMs: 20,
    resyncMs: 150,
    backoff: { initialMs: 10, maxMs: 20 },
    reconcile: async (reasons) => {
      seen.push(reasons);
      await new Promise((r) => setTimeout(r, 30));
      if (reasons.includes('boom') && failOnce) {
        failOnce = false;
        throw new Error('transient');
      }
    },
  });
  const ac = new AbortController();
  const running = q.run(ac.signal);
  await sleepUnlessAborted(50, new AbortController().signal);
  for (let i = 0; i < 50; i++) q.trigger('event');
  await sleepUnlessAborted(100, new AbortController().signal);
  q.trigger('boom');
  await sleepUnlessAborted(400, new AbortController().signal);
  ac.abort();
  await running;
  assert.deepEqual(seen[0], ['startup']);
  assert.ok(seen.filter((r) => r.includes('event')).length <= 2, `50 triggers coalesced: ${JSON.stringify(seen)}`);
  assert.equal(seen.filter((r) => r.includes('boom')).length, 2, 'the failed run was retried once and then succeeded');
  assert.ok(seen.some((r) => r.includes('resync')), 'a periodic resync ran');
});

test('runActors stops actors in the stated order and reports the first failure', async () => {
  const order: string[] = [];
  const actor = (name: string): Actor => ({
    name,
    async run(signal) {
      await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      order.push(name);
    },
  });
  const ac = new AbortController();
  const p = runActors([actor('http'), actor('watcher'), actor('reconciler')], ac.signal, quiet, ['watcher', 'reconciler', 'http']);
  setTimeout(() => ac.abort(), 20);
  await p;
  assert.deepEqual(order, ['watcher', 'reconciler', 'http']);

  const failing: Actor = { name: 'bad', run: async () => { throw new Error('boom'); } };
  await assert.rejects(runActors([failing, actor('other')], new AbortController().signal, quiet), /boom/);
});
