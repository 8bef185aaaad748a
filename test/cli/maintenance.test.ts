/** `upkeep maintenance start|stop|status` through bin/upkeep, against a real store in a temp dir. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import { upkeep } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-maint-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('upkeep maintenance', () => {
  it('opens a window with an end, shows it, closes it by source, and records both in the timeline', async () => {
    const state = ['--state-dir', join(root, 'a')];
    const start = await upkeep(['maintenance', 'start', '--for', '30m', '--source', 'apt', '--reason', 'dist-upgrade', ...state]);
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, /Maintenance window open: apt since .*, until .* \(dist-upgrade\)\. Alerts are held/);

    const status = await upkeep(['maintenance', 'status', '--json', ...state]);
    const s = JSON.parse(status.stdout) as { active: boolean; windows: Array<{ source: string; startedAt: string; endsAt: string }> };
    assert.equal(s.active, true);
    assert.equal(s.windows[0]?.source, 'apt');
    assert.equal(Date.parse(s.windows[0]!.endsAt) - Date.parse(s.windows[0]!.startedAt), 30 * 60_000, 'exactly the 30 minutes asked');
    const minutes = (Date.parse(s.windows[0]!.endsAt) - Date.now()) / 60_000;
    assert.ok(minutes > 29 && minutes <= 30, `ends in ${minutes} min`);

    const other = await upkeep(['maintenance', 'stop', '--source', 'manual', ...state]);
    assert.match(other.stdout, /No maintenance window was open/);
    const stop = await upkeep(['maintenance', 'stop', '--source', 'apt', ...state]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(
      stop.stdout,
      /Closed: apt since .*\nNo upkeep agent is running here: `upkeep diff` shows what the upgrade left down, `upkeep recover` brings it back\./,
    );
    // With an agent alive (its pid exists, a recent sign of life): it runs the recovery pass.
    const s1 = openStore({ stateDir: join(root, 'a'), create: false });
    s1.setAgentState('agent', { pid: process.pid, aliveAt: Date.now(), bootId: null });
    s1.close();
    await upkeep(['maintenance', 'start', '--for', '5m', '--source', 'apt', ...state]);
    const stop2 = await upkeep(['maintenance', 'stop', '--source', 'apt', ...state]);
    assert.match(stop2.stdout, /Closed: apt since .*\nThe agent runs a recovery pass now\./);
    assert.match((await upkeep(['maintenance', 'status', ...state])).stdout, /No maintenance window is open/);

    const store = openStore({ stateDir: join(root, 'a'), create: false });
    assert.deepEqual(
      store.timeline().map((e) => e.kind),
      ['maintenance-start', 'apt-started', 'maintenance-stop', 'apt-ended', 'maintenance-start', 'apt-started', 'maintenance-stop', 'apt-ended'],
    );
    store.close();
  });

  it('is quiet for hooks, and rejects a bad duration or source with exit 2', async () => {
    const state = ['--state-dir', join(root, 'b')];
    const quiet = await upkeep(['maintenance', 'start', '--quiet', ...state]);
    assert.deepEqual([quiet.code, quiet.stdout], [0, '']);
    const bad = await upkeep(['maintenance', 'start', '--for', 'soon', ...state]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--for "soon" is not a duration/);
    const badSource = await upkeep(['maintenance', 'start', '--source', 'Bad Source', ...state]);
    assert.equal(badSource.code, 2);
    assert.match(badSource.stderr, /--source "Bad Source" must be a short lower-case word/);
  });

  it('schedule: local time in TZ, JSON for scripts, listed by status, cancelled by number; bad input is exit 2 saying how to write it', async () => {
    const state = ['--state-dir', join(root, 'sched')];
    // A fixed zone (UTC+5:30, no daylight saving): `2099-...` is too far; a date within the year, local.
    const at = new Date(Date.now() + 30 * 86_400_000);
    const day = at.toISOString().slice(0, 10);
    const env = { TZ: 'Asia/Kolkata' };
    const r = await upkeep(['maintenance', 'schedule', '--at', `${day} 03:00`, '--for', '90m', '--note', 'kernel upgrade', '--json', ...state], env);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { scheduled: { id: number; startsAt: string; endsAt: string; remindBeforeMs: number }; agentRunning: boolean };
    assert.equal(j.scheduled.startsAt, new Date(`${day}T03:00:00+05:30`).toISOString(), '03:00 in Kolkata');
    assert.equal(Date.parse(j.scheduled.endsAt) - Date.parse(j.scheduled.startsAt), 90 * 60_000);
    assert.equal(j.scheduled.remindBeforeMs, 3_600_000, 'reminded an hour before by default');
    assert.equal(j.agentRunning, false);

    const text = await upkeep(['maintenance', 'schedule', '--at', '+3h', '--note', 'disk swap', '--remind-before', '0', ...state]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^Scheduled: #2 .* UTC to .* UTC \(1h\): disk swap \[not announced yet\]\n {2}starts .* here\nNo upkeep agent is running here: nothing is announced/,
    );

    const status = await upkeep(['maintenance', 'status', ...state]);
    assert.match(
      status.stdout,
      /^No maintenance window is open\.\nscheduled: #2 .*: disk swap \[not announced yet\]\nscheduled: #1 .*\(1h 30m\): kernel upgrade \[not announced yet\]\n$/,
    );
    const cancel = await upkeep(['maintenance', 'cancel', '2', '--json', ...state]);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal((JSON.parse(cancel.stdout) as { already: boolean }).already, false);
    const statusJson = JSON.parse((await upkeep(['maintenance', 'status', '--json', ...state])).stdout) as { scheduled: Array<{ id: number }> };
    assert.deepEqual(
      statusJson.scheduled.map((x) => x.id),
      [1],
      'a cancelled one is not listed',
    );
    const timeline = await upkeep(['timeline', '--kind', 'maintenance-cancelled', '--json', ...state]);
    assert.match(timeline.stdout, /scheduled maintenance cancelled: #2/);

    for (const [args, why] of [
      [['--at', 'soon', '--note', 'x'], /--at "soon" is not a time\nhint: write 2026-12-01T03:00Z/],
      [['--at', '2020-01-01T00:00Z', '--note', 'x'], /is in the past/],
      [['--at', '+1h', '--for', '8d', '--note', 'x'], /--for 8d is longer than a week/],
      [['--at', '+1h', '--note', ' '], /--note must say what the maintenance is/],
      [['--at', '+1h'], /required option '--note <text>' not specified/],
    ] as const) {
      const bad = await upkeep(['maintenance', 'schedule', ...args, ...state]);
      assert.equal(bad.code, 2, `${args.join(' ')}: ${bad.stderr}`);
      assert.match(bad.stderr, why);
    }
    const unknown = await upkeep(['maintenance', 'cancel', '7', ...state]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no scheduled maintenance #7\nhint: upcoming: #1 /);
    assert.equal((await upkeep(['maintenance', 'cancel', 'x1', ...state])).code, 2);
  });
});
