/**
 * Scheduled maintenance through the whole agent (buildAgent on the fake engine, a real SQLite
 * store, virtual time): `upkeep maintenance schedule`'s use case records it, the agent announces it
 * to the channels at once, reminds an hour before, opens the window at the start (alerts held from
 * then), ends it when its time is up with the window's one summary, and a cancelled one that had
 * been announced gets its notice; an agent restarted meanwhile sends none of them twice.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cancelScheduledMaintenance, scheduleMaintenance } from '../../src/app/maintenance-schedule.js';
import { cleanup, startFakeAgent, testConfig } from '../helpers/fake-agent.js';
import { FakeDocker } from '../helpers/fake-docker.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

const H = 3_600_000;

describe('scheduled maintenance, announced, reminded and opened by the agent (virtual time)', () => {
  it('announce at once, remind 1 h before, open at the start, hold alerts inside; a cancelled one is called off; nothing twice', async () => {
    const clock = new VirtualClock();
    const docker = new FakeDocker(clock);
    docker.add({ name: 'web', policy: 'no' });
    // Hours of virtual time: no periodic resync needed for this test.
    let a = await startFakeAgent({ clock, docker, config: testConfig((c) => (c.resyncMs = H)) });
    try {
      const t0 = clock.now();
      const s = scheduleMaintenance(a.store, { startsAt: t0 + 3 * H, durationMs: 2 * H, note: 'kernel and Docker upgrade', remindBeforeMs: H }, t0);
      const other = scheduleMaintenance(a.store, { startsAt: t0 + 10 * H, durationMs: H, note: 'disk swap', remindBeforeMs: 0 }, t0);
      a.touchStateDir(); // the CLI wrote the database
      const notices = () => a.channel.sent.filter((m) => m.kind === 'notice');
      await a.until('both announced', () => notices().length === 2);
      assert.ok(clock.now() - t0 < 1_000, 'announced at once');
      assert.deepEqual(
        notices().map((m) => [m.id, m.title]),
        [
          [
            `maintenance-schedule-${s.id}-announce`,
            'Maintenance scheduled: ' +
              `${s.startsAt.slice(0, 10)} ${s.startsAt.slice(11, 16)} UTC to ${s.endsAt.slice(0, 10)} ${s.endsAt.slice(11, 16)} UTC (2h)`,
          ],
          [`maintenance-schedule-${other.id}-announce`, notices()[1]!.title],
        ],
      );
      assert.match(notices()[0]!.text, /^kernel and Docker upgrade\n/);

      // The other one is called off: its notice goes out; it never opens.
      cancelScheduledMaintenance(a.store, other.id, clock.now());
      a.touchStateDir();
      await a.until('the cancellation notice', () => notices().some((m) => m.id === `maintenance-schedule-${other.id}-cancel-notice`));

      // An agent restart before the reminder: nothing is sent again.
      await a.stop();
      a = await a.restart();
      await clock.pass(60_000);
      assert.equal(notices().length, 3);

      await a.until('the reminder', () => notices().find((m) => m.id.endsWith(`-${s.id}-remind`)), 3 * H);
      const remindedAt = clock.now();
      assert.ok(Math.abs(remindedAt - (t0 + 2 * H)) <= 10_000, `reminded ${remindedAt - t0} ms after scheduling; due at 2 h`);
      assert.match(notices().at(-1)!.title, /^Maintenance starts at .* UTC \(in 1h\)$/);
      assert.equal(a.store.activeMaintenance(new Date(clock.now()).toISOString()).length, 0, 'not open before its start');

      const opened = await a.until('the window opens', () => a.store.activeMaintenance(new Date(clock.now()).toISOString())[0], 2 * H);
      assert.ok(Math.abs(clock.now() - (t0 + 3 * H)) <= 1_000, `opened ${clock.now() - t0} ms after scheduling; due at 3 h`);
      assert.deepEqual([opened.source, opened.reason, opened.endsAt], ['scheduled', 'kernel and Docker upgrade', s.endsAt]);
      assert.equal(a.store.getScheduledMaintenance(s.id)!.windowId, opened.id);

      // Inside it: a container dies; healed, the alert held.
      const before = a.channel.sent.length;
      a.docker.die('web');
      await a.until('web healed', () => a.docker.isRunning('web') && a.kinds('web').includes('healed'));
      await clock.pass(5_000);
      assert.deepEqual(a.channel.sent.slice(before), [], 'nothing delivered inside the window');

      // Its end: the window's one summary; the cancelled one never opened.
      const summary = await a.until('the summary at the end', () => a.channel.sent.slice(before).find((m) => m.kind === 'summary'), 3 * H);
      assert.ok(Math.abs(clock.now() - (t0 + 5 * H)) <= 1_000, `ended ${clock.now() - t0} ms after scheduling; due at 5 h`);
      assert.match(summary.title, /^Maintenance \d+ \(scheduled\) ended on fake-host: 1 desired service\(s\) went down, all back$/);
      assert.equal(a.store.getScheduledMaintenance(other.id)!.windowId, null);
      const ids = a.channel.sent.map((m) => m.id);
      assert.equal(new Set(ids).size, ids.length, 'no message twice');
      assert.deepEqual(
        a.kinds('scheduled').filter((k) => k.startsWith('maintenance')),
        ['maintenance-scheduled', 'maintenance-scheduled', 'maintenance-cancelled', 'maintenance-start', 'maintenance-stop'],
      );
    } finally {
      await a.stop().catch(() => undefined);
      cleanup(a);
    }
  });
});
