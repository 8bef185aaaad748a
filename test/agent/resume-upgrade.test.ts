/**
 * The agent at its start finishes an `upkeep upgrade --reboot` run waiting for this boot (the fake
 * engine on a virtual clock; the reboot is FakeDocker.reboot(): the containers stopped, the daemon
 * down, a new boot id, the daemon up again). Without a waiting run, or before the boot, it does
 * nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../src/adapters/store/store.js';
import { cleanup, startFakeAgent } from '../helpers/fake-agent.js';
import { FakeDocker } from '../helpers/fake-docker.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

/** The journal as `upkeep upgrade --reboot` leaves it: apt done, the reboot asked for with `bootId`, the window open. */
function waitingRun(store: Store, now: number, bootId: string): { run: number; window: number } {
  const at = (s: number) => new Date(now - 60_000 + s * 1000).toISOString();
  const run = store.startUpgradeRun({ mode: 'upgrade', pid: 4242, at: at(0) });
  for (const [i, step] of (['check', 'preflight', 'snapshot', 'window-open', 'apt'] as const).entries()) {
    store.recordUpgradeStep(run.id, { step, status: 'started', at: at(i * 2), detail: null });
    store.recordUpgradeStep(run.id, { step, status: 'finished', at: at(i * 2 + 1), detail: null });
  }
  const w = store.startMaintenance({ source: 'upgrade', at: at(7), endsAt: new Date(now + 3600_000).toISOString() });
  store.setUpgradeRunWindow(run.id, w.id);
  store.recordUpgradeStep(run.id, { step: 'reboot', status: 'started', at: at(20), detail: { waiting: true, bootId, why: ['/var/run/reboot-required'] } });
  return { run: run.id, window: w.id };
}

describe('the agent finishes an upkeep upgrade run after its reboot', () => {
  it('at its start after the boot: the same run and window, the boot once, the container Docker leaves down started', async () => {
    const clock = new VirtualClock();
    const docker = new FakeDocker(clock);
    docker.add({ name: 'web', policy: 'no' });
    docker.add({ name: 'cache', policy: 'unless-stopped' });
    const first = await startFakeAgent({ clock, docker }); // its first start takes the snapshot: both desired
    await first.stop();
    const { run, window } = waitingRun(first.store, clock.now(), docker.bootId);
    const before = docker.bootId;
    docker.reboot();
    await clock.runUntil('the host rebooted', () => docker.bootId !== before);
    assert.equal(docker.isRunning('web'), false, 'restart no: Docker does not start it at boot');

    const second = await first.restart();
    try {
      const last = second.store.latestUpgradeRun()!;
      assert.deepEqual([last.id, last.outcome], [run, 'done']);
      assert.notEqual(second.store.getMaintenance(window)!.endedAt, null, 'its window is closed');
      assert.equal(second.docker.isRunning('web'), true);
      assert.equal(second.store.timeline({ kind: 'boot' }).length, 1, 'the boot once (the agent reconstructs it too)');
      assert.deepEqual(
        second.store.timeline({ kind: 'upgrade-step' }).map((e) => e.subject),
        ['reboot', 'recovery', 'verification', 'window-close', 'report', 'ended'],
      );
      // The window it closed at its start gets its one summary message once the maintenance
      // watcher looks (the window closed before that actor ran).
      const summary = await second.until('the maintenance summary', () => second.channel.sent.find((m) => m.kind === 'summary'));
      assert.match(summary.title, new RegExp(`^Maintenance ${window} \\(upgrade\\) ended on `));
      await clock.pass(30_000);
      assert.equal(second.channel.sent.filter((m) => m.kind === 'summary').length, 1, 'one summary, not one per look');
    } finally {
      await second.stop().catch(() => undefined);
      cleanup(second);
    }
  });

  it('before the boot (the same boot id) it leaves the run waiting and its window open', async () => {
    const clock = new VirtualClock();
    const docker = new FakeDocker(clock);
    docker.add({ name: 'web', policy: 'always' });
    const first = await startFakeAgent({ clock, docker });
    await first.stop();
    const { window } = waitingRun(first.store, clock.now(), docker.bootId);
    const second = await first.restart();
    try {
      assert.equal(second.store.latestUpgradeRun()!.endedAt, null);
      assert.equal(second.store.getMaintenance(window)!.endedAt, null);
    } finally {
      await second.stop().catch(() => undefined);
      cleanup(second);
    }
  });
});
