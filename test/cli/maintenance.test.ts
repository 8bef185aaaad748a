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
});
