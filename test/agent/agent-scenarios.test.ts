/**
 * The agent's acceptance scenarios (test/engine/agent.cases.ts runs them on a real engine in
 * minutes) against the fake engine on a virtual clock: each runs in milliseconds.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cleanup, startFakeAgent, testConfig, type FakeAgent } from '../helpers/fake-agent.js';
import { FakeDocker } from '../helpers/fake-docker.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

async function withHost(fn: (a: FakeAgent) => Promise<void>, setup?: (d: FakeDocker) => void): Promise<void> {
  const clock = new VirtualClock();
  const docker = new FakeDocker(clock);
  docker.add({ name: 'web', policy: 'no' });
  docker.add({ name: 'cache', policy: 'unless-stopped' });
  docker.add({ name: 'api', policy: 'always' });
  setup?.(docker);
  const a = await startFakeAgent({ clock, docker });
  try {
    await fn(a);
  } finally {
    await a.stop().catch(() => undefined);
    cleanup(a);
  }
}

const sent = (a: FakeAgent, subject: string) => a.channel.sent.filter((m) => m.subject === subject).map((m) => `${m.kind} ${m.title}`);

describe('agent scenarios on the fake engine (virtual time)', () => {
  it('zero config: the first snapshot; a container that dies is alerted and started again, then resolved', async () => {
    await withHost(async (a) => {
      assert.deepEqual(a.store.listSnapshots()[0]?.names, ['api', 'cache', 'web']);
      a.docker.die('web');
      await a.until('web healed and resolved', () => a.docker.isRunning('web') && sent(a, 'web').includes('resolved web is running again'));
      assert.deepEqual(sent(a, 'web'), ['firing web is down', 'resolved web is running again']);
      assert.match(a.channel.sent[0]?.text ?? '', /exited 137.*upkeep is starting it again/);
      const kinds = a.kinds('web');
      assert.ok(kinds.indexOf('container-died') < kinds.indexOf('healed'), kinds.join());
    });
  });

  it("the down alert leaves before the heal's start returns (a slow start does not hold it back)", async () => {
    await withHost(async (a) => {
      const release = a.docker.holdStarts('web');
      try {
        a.docker.die('web');
        await a.until('the start was sent', () => a.docker.startAttempts.some((s) => s.name === 'web'));
        await a.until('the firing alert sent while the start hangs', () => sent(a, 'web').includes('firing web is down'), 60_000);
        assert.equal(a.docker.isRunning('web'), false, 'the start has not returned yet');
      } finally {
        release();
      }
      await a.until('web healed and resolved', () => a.docker.isRunning('web') && sent(a, 'web').includes('resolved web is running again'));
    });
  });

  it('a death is alerted from its `die` event, before the inspect of the dead container answers; the inspect then heals it; one death recorded', async () => {
    await withHost(async (a) => {
      const release = a.docker.holdInspects('web');
      try {
        a.docker.die('web');
        await a.until('the firing alert sent while the inspect waits', () => sent(a, 'web').includes('firing web is down'));
        assert.ok(a.docker.inspectsWaiting > 0, 'the inspect has not answered');
        assert.deepEqual(a.kinds('web'), ['container-died', 'alert-firing', 'alert-delivered']);
        assert.match(a.channel.sent.find((m) => m.subject === 'web')?.text ?? '', /exited 137 = signal 9.*upkeep is starting it again/);
      } finally {
        release();
      }
      await a.until('web healed and resolved', () => a.docker.isRunning('web') && sent(a, 'web').includes('resolved web is running again'));
      assert.deepEqual(sent(a, 'web'), ['firing web is down', 'resolved web is running again']);
      assert.equal(a.kinds('web').filter((k) => k === 'container-died').length, 1, 'the death is recorded once');
    });
  });

  it('no alert from the event where the inspect could say otherwise: an operator stop, a death Docker restarts itself', async () => {
    await withHost(async (a) => {
      const releaseWeb = a.docker.holdInspects('web');
      const releaseApi = a.docker.holdInspects('api');
      a.docker.operatorStop('web'); // `kill` event first: never judged from the event
      a.docker.die('api'); // restart policy always: Docker starts it again
      await a.until('both inspects waiting', () => a.docker.inspectsWaiting >= 1);
      await a.clock.pass(2_000);
      assert.deepEqual(a.channel.sent, [], 'nothing sent while the inspects wait');
      releaseWeb();
      releaseApi();
      await a.until('the operator stop recorded', () => a.kinds('web').includes('operator-stop'));
      await a.until('api running again', () => a.docker.isRunning('api'));
      await a.clock.pass(5_000);
      assert.deepEqual(sent(a, 'web'), []);
      assert.deepEqual(sent(a, 'api'), []);
      assert.equal(a.docker.isRunning('web'), false);
    });
  });

  it("the agent's first snapshot carries compose depends_on read from the project's file (compose v1 writes no label)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'upkeep-first-snap-'));
    writeFileSync(
      join(dir, 'docker-compose.yml'),
      'services:\n  redis: {image: redis}\n  worker:\n    image: w\n    depends_on:\n      redis: {condition: service_healthy}\n',
    );
    const compose = (service: string) => ({
      'com.docker.compose.project': 'vps',
      'com.docker.compose.service': service,
      'com.docker.compose.container-number': '1',
      'com.docker.compose.oneoff': 'False',
      'com.docker.compose.project.working_dir': dir,
      'com.docker.compose.project.config_files': 'docker-compose.yml',
    });
    try {
      await withHost(
        async (a) => {
          const first = await a.until('first snapshot', () => a.store.listSnapshots()[0]);
          const worker = a.store.latestSnapshot(first.host.id)?.containers.find((c) => c.name === 'vps_worker_1');
          assert.deepEqual(worker?.compose?.dependsOn, [{ name: 'redis', condition: 'service_healthy', on: 'service' }]);
          assert.equal(a.store.timeline({ kind: 'snapshot' })[0]?.detail.by, 'agent');
        },
        (d) => {
          d.add({ name: 'vps_redis_1', labels: compose('redis') });
          d.add({ name: 'vps_worker_1', labels: compose('worker') });
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('operator stop: not healed, recorded in the intent store; `upkeep want` makes it desired and healed; `docker start` clears it', async () => {
    await withHost(async (a) => {
      a.docker.operatorStop('api');
      await a.until('operator stop recorded', () => a.store.operatorStops().find((s) => s.name === 'api'));
      await a.clock.pass(30_000);
      assert.equal(a.docker.isRunning('api'), false, 'the agent does not start what the operator stopped');
      assert.deepEqual(sent(a, 'api'), [], 'no alert for an intended stop');
      const status = a.parts.controller.status.containers.find((c) => c.name === 'api');
      assert.equal(status?.verdict, 'operator-stopped');
      assert.equal(status?.desired, false);
      assert.ok(status?.since && status.detail);
      // `upkeep want api`: the CLI clears the stop; the agent re-reads at its next reconcile.
      a.store.clearOperatorStop('api');
      await a.until('api healed after want', () => a.docker.isRunning('api'));
      assert.ok(a.kinds('api').includes('healed'));
      assert.equal(a.store.timeline({ kind: 'container-died', subject: 'api' }).length, 0, 'an operator stop is not a death');

      a.docker.operatorStop('cache');
      await a.until('cache stop recorded', () => a.store.operatorStops().find((s) => s.name === 'cache'));
      a.docker.operatorStart('cache');
      await a.until('cache desired again', () => a.store.operatorStops().length === 0 && a.kinds('cache').includes('operator-start'));
    });
  });

  it('heal: always: an operator stop is not recorded; the agent starts it again', async () => {
    const clock = new VirtualClock();
    const docker = new FakeDocker(clock);
    docker.add({ name: 'web', policy: 'no' });
    const a = await startFakeAgent({ clock, docker, config: testConfig((c) => (c.heal.default = 'always')) });
    try {
      docker.operatorStop('web');
      await a.until('web started again', () => a.kinds('web').includes('healed') && docker.isRunning('web'));
      assert.deepEqual(a.store.operatorStops(), []);
    } finally {
      await a.stop();
      cleanup(a);
    }
  });

  it('a failed heal is retried on the backoff schedule, not at the next resync', async () => {
    await withHost(async (a) => {
      a.docker.failStarts('web', 3);
      const t0 = a.clock.now();
      a.docker.die('web');
      await a.until('web running after three failed starts', () => a.docker.isRunning('web'), 60_000);
      const attempts = a.docker.startAttempts.filter((s) => s.name === 'web' && s.at >= t0).map((s) => s.at - t0);
      assert.equal(attempts.length, 4, `attempts at ${attempts.join(', ')} ms`);
      // testConfig: backoff 200 ms doubling to 1 s; the resync is 5 s: every retry must come well before it.
      const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
      assert.ok(
        gaps.every((g) => g >= 150 && g <= 1_500),
        `gaps ${gaps.join(', ')} ms`,
      );
      assert.ok(gaps[1]! >= gaps[0]!, `the delay grows: ${gaps.join(', ')} ms`);
      assert.equal(a.store.timeline({ kind: 'heal-failed', subject: 'web' }).length, 3);
    });
  });

  it('a crash loop: gives up with the last log lines, stays down, resumes after a quiet window', async () => {
    await withHost(async (a) => {
      a.docker.setCrashing('web', true);
      a.docker.die('web', 3);
      const gaveUp = await a.until('give-up alert', () => a.channel.sent.find((m) => m.title === 'Giving up on web'));
      assert.match(gaveUp.text, /giving up on web: exited 3, 3 times in 1 min/);
      assert.match(gaveUp.text, /last log lines:\nboom web 0/);
      // One count: /status says what the alert says (it said "2 times" beside the alert's 3).
      await a.until('status shows the give-up', () => a.parts.controller.status.containers.find((c) => c.name === 'web' && c.verdict === 'gave-up'));
      assert.match(a.parts.controller.status.containers.find((c) => c.name === 'web')?.detail ?? '', /web: exited 3, 3 times in 1 min/);
      const heals = a.store.timeline({ kind: 'healed', subject: 'web' }).length;
      await a.clock.pass(30_000);
      assert.equal(a.store.timeline({ kind: 'healed', subject: 'web' }).length, heals, 'no heal after giving up');
      assert.equal(a.docker.isRunning('web'), false);
      // Fixed and started by hand: after a whole quiet window, healing resumes.
      a.docker.setCrashing('web', false);
      a.docker.operatorStart('web');
      await a.until('healing resumed', () => a.kinds('web').includes('healing-resumed'), 200_000);
      await a.until('crash-loop alert resolved', () => sent(a, 'web').includes('resolved web is stable again'));
    });
  });

  it('an engine upgrade (a new version after the daemon restart) is recorded in the timeline, once', async () => {
    await withHost(async (a) => {
      await a.until('the version noted', () => a.store.getAgentState('engine', (v) => v));
      a.docker.serverVersion = '28.5.2';
      a.docker.restartDaemon(2_000);
      const entry = await a.until('version change recorded', () => a.store.timeline({ kind: 'engine-version-changed' })[0]);
      assert.deepEqual([entry.detail.from, entry.detail.to], ['20.10.24', '28.5.2']);
      await a.until('all running again', () => a.kinds().includes('recovery'));
      const b = await (async () => {
        await a.stop();
        return a.restart();
      })();
      await b.clock.pass(5_000);
      assert.equal(b.store.timeline({ kind: 'engine-version-changed' }).length, 1, 'an agent restart on the same engine adds nothing');
      await b.stop();
    });
  });

  it('daemon crash: the orphans the next daemon kills are not operator stops; one summary', async () => {
    await withHost(async (a) => {
      const mark = a.channel.sent.length;
      a.docker.crashDaemon(2_000);
      await a.until('engine down recorded', () => a.kinds().includes('engine-down'));
      await a.until('all running again', () => a.docker.runningNames().join() === 'api,cache,web' && a.kinds().includes('recovery'));
      assert.deepEqual(a.store.operatorStops(), [], 'no operator stop recorded');
      await a.clock.pass(10_000);
      const after = a.channel.sent.slice(mark);
      assert.deepEqual(
        after.map((m) => m.kind),
        ['summary'],
        after.map((m) => m.title).join(' | '),
      );
      assert.match(after[0]?.text ?? '', /cache: started/);
      assert.match(after[0]?.text ?? '', /web: started/);
      assert.ok(a.kinds().includes('engine-up'));
    });
  });

  it('boot while no agent ran: reconstructed in the timeline, recovery pass, one summary', async () => {
    await withHost(async (a) => {
      await a.clock.pass(10_000);
      await a.stop();
      const t = a.clock.now();
      a.docker.reboot(20_000);
      await a.clock.pass(25_000);
      const b = await a.restart();
      try {
        await b.until('recovered', () => b.docker.isRunning('web') && b.kinds().includes('recovery'));
        const boot = b.store.timeline({ kind: 'boot' });
        assert.equal(boot.length, 1);
        assert.equal(boot[0]?.detail.reconstructed, true);
        const died = b.store.timeline({ kind: 'container-died', subject: 'web' });
        assert.ok(
          died.some((e) => e.detail.reconstructed === true && Date.parse(e.at) >= t),
          'the stop at the reboot, at its own time',
        );
        await b.clock.pass(5_000);
        assert.deepEqual(b.channel.sent.filter((m) => m.kind === 'summary').length, 1);
        // A restart of the agent adds no duplicate.
        await b.stop();
        const c = await b.restart();
        await c.clock.pass(5_000);
        assert.equal(c.store.timeline({ kind: 'boot' }).length, 1);
        assert.equal(c.store.timeline({ kind: 'container-died', subject: 'web' }).length, died.length);
        await c.stop();
      } finally {
        await b.stop().catch(() => undefined);
      }
    });
  });

  it('maintenance: held from the moment the window opens, nothing delivered inside it', async () => {
    await withHost(async (a) => {
      const mark = a.channel.sent.length;
      a.store.startMaintenance({ source: 'manual', endsAt: new Date(a.clock.now() + 60_000).toISOString() });
      a.docker.die('web'); // at once: no poll in between
      await a.until('web healed', () => a.docker.isRunning('web') && a.kinds('web').includes('healed'));
      await a.clock.pass(5_000);
      assert.ok(a.store.timeline({ kind: 'alert-held' }).some((e) => e.subject === 'down:web'));
      assert.deepEqual(a.channel.sent.slice(mark), [], 'nothing delivered');
      a.store.stopMaintenance();
      a.touchStateDir();
      await a.clock.pass(5_000);
      // A resolved alert while held is not sent afterwards; the window's end sends its one summary.
      assert.deepEqual(
        a.channel.sent.slice(mark).map((m) => `${m.kind} ${m.title}`),
        ['summary Maintenance 1 (manual) ended on fake-host: 1 desired service(s) went down, all back'],
      );
      assert.match(a.channel.sent.at(-1)!.text, /Needed upkeep or the operator: web \(upkeep\)/);
    });
  });

  it("the end of an apt window: one summary message from the window's report, after the recovery pass, instead of the pass's own", async () => {
    await withHost(async (a) => {
      const mark = a.channel.sent.length;
      a.store.startMaintenance({ source: 'apt', endsAt: new Date(a.clock.now() + 600_000).toISOString() });
      a.touchStateDir();
      await a.clock.pass(1_000);
      // What docker-ce's postinst does: the daemon restarts; `web` (policy no) stays down until upkeep starts it.
      a.docker.restartDaemon(2_000);
      await a.until('all running again', () => a.docker.runningNames().join() === 'api,cache,web' && a.kinds().includes('recovery'));
      await a.clock.pass(5_000);
      assert.deepEqual(a.channel.sent.slice(mark), [], 'nothing delivered inside the window');
      a.store.stopMaintenance({ source: 'apt' });
      a.touchStateDir();
      await a.until('the summary', () => a.channel.sent.slice(mark).some((m) => m.kind === 'summary'));
      await a.clock.pass(10_000);
      const after = a.channel.sent.slice(mark);
      assert.deepEqual(
        after.map((m) => m.kind),
        ['summary'],
        after.map((m) => `${m.title}: ${m.text}`).join(' | '),
      );
      const [m] = after;
      assert.match(m!.title, /^Maintenance 1 \(apt\) ended on .*: 3 desired service\(s\) went down, all back$/);
      assert.match(m!.text, /Needed upkeep or the operator: web \(upkeep\)/);
      assert.match(m!.text, /Recovery pass: /);
      assert.match(m!.text, /The report: `upkeep report 1`/);
      assert.equal(a.store.timeline({ kind: 'recovery' }).filter((e) => e.detail.trigger === 'apt').length, 1, 'the apt recovery pass ran');
    });
  });

  it("an apt window inside another window (the apt hook inside `upkeep upgrade`'s): one summary, the outer window's", async () => {
    await withHost(async (a) => {
      const mark = a.channel.sent.length;
      a.store.startMaintenance({ source: 'upgrade', endsAt: new Date(a.clock.now() + 600_000).toISOString() });
      a.store.startMaintenance({ source: 'apt', endsAt: new Date(a.clock.now() + 600_000).toISOString() });
      a.touchStateDir();
      await a.clock.pass(1_000);
      a.store.stopMaintenance({ source: 'apt' });
      a.touchStateDir();
      await a.until('the apt recovery pass', () => a.store.timeline({ kind: 'recovery' }).some((e) => e.detail.trigger === 'apt'));
      await a.clock.pass(5_000);
      a.store.stopMaintenance({ source: 'upgrade' });
      a.touchStateDir();
      await a.until('the summary', () => a.channel.sent.slice(mark).some((m) => m.kind === 'summary'));
      await a.clock.pass(10_000);
      assert.deepEqual(
        a.channel.sent.slice(mark).map((m) => m.title),
        ['Maintenance 1 (upgrade) ended on fake-host: no desired service went down'],
      );
    });
  });

  it('the end of a manual window: its summary leaves at once', async () => {
    await withHost(async (a) => {
      const mark = a.channel.sent.length;
      a.store.startMaintenance({ source: 'manual', endsAt: new Date(a.clock.now() + 600_000).toISOString() });
      a.touchStateDir();
      await a.clock.pass(1_000);
      a.store.stopMaintenance({ source: 'manual' });
      a.touchStateDir();
      await a.until('the summary', () => a.channel.sent.slice(mark).some((m) => m.kind === 'summary'));
      const after = a.channel.sent.slice(mark);
      assert.equal(after.length, 1);
      assert.match(after[0]!.title, /^Maintenance 1 \(manual\) ended on .*: no desired service went down$/);
      assert.equal(
        a.store.timeline({ kind: 'recovery-started' }).filter((e) => e.detail.trigger === 'apt').length,
        0,
        'no apt recovery pass for a manual window',
      );
    });
  });

  it('the apt window closing asks for a recovery pass at once', async () => {
    await withHost(async (a) => {
      a.store.startMaintenance({ source: 'apt', endsAt: new Date(a.clock.now() + 600_000).toISOString() });
      a.touchStateDir();
      await a.clock.pass(1_000);
      a.store.stopMaintenance({ source: 'apt' });
      const t = a.clock.now();
      a.touchStateDir();
      const entry = await a.until('apt recovery', () => a.store.timeline({ kind: 'recovery-started' }).find((e) => e.detail.trigger === 'apt'));
      assert.ok(Date.parse(entry.at) - t < 3_000, 'without waiting for the poll');
    });
  });
});
