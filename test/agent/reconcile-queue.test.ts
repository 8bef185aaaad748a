import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runActors, type Actor } from '../../src/agent/actor.js';
import { ReconcileQueue } from '../../src/agent/reconcile-queue.js';
import { T0, VirtualClock } from '../helpers/virtual-clock.js';

const quiet = { info() {}, error() {} };

test('triggers coalesce into few runs; failures are retried; resync runs without triggers', async () => {
  const clock = new VirtualClock();
  const seen: string[][] = [];
  let failOnce = true;
  const q = new ReconcileQueue({
    clock,
    debounceMs: 20,
    resyncMs: 150,
    backoff: { initialMs: 10, maxMs: 20 },
    reconcile: async (reasons, signal) => {
      seen.push(reasons);
      await clock.sleep(30, signal);
      if (reasons.includes('boom') && failOnce) {
        failOnce = false;
        throw new Error('transient');
      }
    },
  });
  const ac = new AbortController();
  const running = q.run(ac.signal);
  await clock.runUntil('startup run', () => q.runs === 1);
  for (let i = 0; i < 50; i++) q.trigger('event');
  await clock.runUntil('the event run', () => seen.some((r) => r.includes('event')) && q.attempts >= 2);
  q.trigger('boom');
  await clock.runUntil('boom retried', () => seen.filter((r) => r.includes('boom')).length === 2 && q.runs >= 3);
  await clock.runUntil('a resync', () => seen.some((r) => r.includes('resync')));
  ac.abort();
  await running;
  assert.deepEqual(seen[0], ['startup']);
  assert.equal(seen.filter((r) => r.includes('event')).length, 1, `50 triggers coalesced: ${JSON.stringify(seen)}`);
  assert.equal(seen.filter((r) => r.includes('boom')).length, 2, 'the failed run was retried once and then succeeded');
});

test('a trigger after a quiet spell runs at once; one soon after a run waits the debounce', async () => {
  const clock = new VirtualClock();
  const startedAt: Array<{ reasons: string[]; at: number }> = [];
  const q = new ReconcileQueue({
    clock,
    debounceMs: 20,
    resyncMs: 600_000,
    reconcile: async (reasons) => {
      startedAt.push({ reasons, at: clock.now() });
    },
  });
  const ac = new AbortController();
  const running = q.run(ac.signal);
  await clock.runUntil('startup run', () => q.runs === 1);
  await clock.pass(5_000);
  const t = clock.now();
  q.trigger('die');
  await clock.runUntil('the die run', () => q.runs === 2);
  assert.equal(startedAt[1]!.at - t, 0, 'no debounce after 5 s of quiet');
  // Right after that run: the next trigger waits, and what else arrives meanwhile joins it.
  q.trigger('stop');
  const t2 = clock.now();
  await clock.pass(5);
  q.trigger('destroy');
  await clock.runUntil('the burst run', () => q.runs === 3);
  assert.equal(startedAt[2]!.at - t2, 20);
  assert.deepEqual(startedAt[2]!.reasons, ['stop', 'destroy']);
  ac.abort();
  await running;
});

test("a failed run's backoff is ended by a retryNow trigger (the engine is back), not by other triggers", async () => {
  // The agent's backoff (250 ms doubling to 5 s): runs fail while the daemon shuts down (its socket
  // is gone before its event stream ends). When it answers again, the recovery pass must not wait
  // out the rest of a 5 s backoff.
  const clock = new VirtualClock();
  let engineUp = false;
  const attempts: Array<{ at: number; ok: boolean; reasons: string[] }> = [];
  const q = new ReconcileQueue({
    clock,
    debounceMs: 10,
    resyncMs: 60_000,
    backoff: { initialMs: 5_000, maxMs: 5_000 },
    reconcile: async (reasons, signal) => {
      await clock.sleep(30, signal);
      attempts.push({ at: clock.now() - T0, ok: engineUp, reasons });
      if (!engineUp) throw new Error('no Docker socket');
    },
  });
  const ac = new AbortController();
  const running = q.run(ac.signal);
  await clock.runUntil('the first run failed', () => attempts.length === 1);
  // An event while down: no early retry (the backoff holds).
  await clock.pass(1_000);
  q.trigger('event:die:web');
  await clock.pass(1_000);
  assert.equal(attempts.length, 1, `a plain trigger does not end the backoff: ${JSON.stringify(attempts)}`);
  await clock.runUntil('the backoff retry', () => attempts.length === 2);
  assert.ok(attempts[1]!.at >= 5_030, `retried after the backoff: ${JSON.stringify(attempts)}`);
  // Inside the next backoff, the engine comes back.
  await clock.pass(2_000);
  engineUp = true;
  const back = clock.now() - T0;
  q.trigger('engine-connected', { retryNow: true });
  await clock.runUntil('the retry after the engine came back', () => attempts.length === 3);
  assert.equal(attempts[2]!.ok, true);
  assert.ok(attempts[2]!.at - back <= 100, `ran ${attempts[2]!.at - back} ms after the engine came back, not after the backoff`);
  assert.ok(attempts[2]!.reasons.includes('engine-connected'));

  // The engine comes back while a run that will fail is in flight: retried at once too.
  engineUp = false;
  q.trigger('event:kill:web');
  await clock.pass(20); // the 10 ms debounce, then the run's 30 ms begin
  q.trigger('engine-connected', { retryNow: true }); // during the run
  await clock.runUntil('that run failed', () => attempts.length === 4);
  assert.equal(attempts[3]!.ok, false);
  engineUp = true;
  const failedAt = clock.now() - T0;
  await clock.runUntil('retried', () => attempts.length === 5);
  assert.equal(attempts[4]!.ok, true);
  assert.ok(attempts[4]!.at - failedAt <= 100, `retried ${attempts[4]!.at - failedAt} ms after the failure, not after 5 s`);
  ac.abort();
  await running;
});

test('a terminal error is reported once and not retried; the next trigger runs again', async () => {
  const clock = new VirtualClock();
  const terminal: unknown[] = [];
  let calls = 0;
  const q = new ReconcileQueue({
    clock,
    resyncMs: 60_000,
    backoff: { initialMs: 10, maxMs: 20 },
    isTerminal: (err) => (err as Error).message === 'foreign',
    onTerminal: (err) => terminal.push(err),
    reconcile: async () => {
      calls++;
      throw new Error('foreign');
    },
  });
  const ac = new AbortController();
  const running = q.run(ac.signal);
  await clock.runUntil('first attempt', () => q.attempts === 1);
  await clock.pass(30_000);
  assert.equal(calls, 1, 'not retried');
  assert.equal(terminal.length, 1);
  q.trigger('event');
  await clock.runUntil('second attempt', () => q.attempts === 2);
  ac.abort();
  await running;
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
  setImmediate(() => ac.abort());
  await p;
  assert.deepEqual(order, ['watcher', 'reconciler', 'http']);

  const failing: Actor = {
    name: 'bad',
    run: async () => {
      throw new Error('boom');
    },
  };
  await assert.rejects(runActors([failing, actor('other')], new AbortController().signal, quiet), /boom/);
});
