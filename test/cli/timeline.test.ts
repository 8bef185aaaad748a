/** `upkeep timeline` through bin/upkeep, against a real store in a temp dir. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import { upkeep } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-timeline-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('upkeep timeline', () => {
  it('lists entries oldest first in the stable shape, filtered by time, kind and subject', async () => {
    const dir = join(root, 'a');
    const store = openStore({ stateDir: dir });
    const ago = (min: number) => new Date(Date.now() - min * 60_000).toISOString();
    store.appendTimeline({ at: ago(600), kind: 'container-died', subject: 'old', message: 'old stopped (exited 1)', data: { exitCode: 1 } });
    store.appendTimeline({ at: ago(50), kind: 'engine-down', subject: 'wisepulse', message: 'the Docker engine stopped answering' });
    store.appendTimeline({
      at: ago(40),
      kind: 'container-died',
      subject: 'worker',
      message: 'worker stopped (exited 137)\nlast log line',
      data: { exitCode: 137 },
      reconstructed: true,
    });
    store.appendTimeline({ at: ago(30), kind: 'alert-firing', subject: 'down:worker', message: 'worker is down' });
    store.close();

    const json = await upkeep(['timeline', '--since', '2h', '--json', '--state-dir', dir]);
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout) as { entries: Array<Record<string, unknown>> };
    assert.deepEqual(
      out.entries.map((e) => Object.keys(e)),
      [
        ['at', 'kind', 'subject', 'detail'],
        ['at', 'kind', 'subject', 'detail'],
        ['at', 'kind', 'subject', 'detail'],
      ],
    );
    assert.deepEqual(
      out.entries.map((e) => e.kind),
      ['engine-down', 'container-died', 'alert-firing'],
    );
    assert.deepEqual(out.entries[1]?.detail, { exitCode: 137, message: 'worker stopped (exited 137)\nlast log line', reconstructed: true });

    const alerts = await upkeep(['timeline', '--since', '2h', '--kind', 'alert-*', 'engine-down', '--json', '--state-dir', dir]);
    assert.deepEqual(
      (JSON.parse(alerts.stdout) as typeof out).entries.map((e) => e.kind),
      ['engine-down', 'alert-firing'],
    );
    const worker = await upkeep(['timeline', '--since', '1d', '--subject', 'worker', '--state-dir', dir]);
    assert.match(worker.stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}container-died {2}worker: worker stopped \(exited 137\) \[\.\.\.\] \(reconstructed\)\n$/);
    const everything = await upkeep(['timeline', '--since', '2025-01-01', '--json', '--state-dir', dir]);
    assert.equal((JSON.parse(everything.stdout) as typeof out).entries.length, 4);
  });

  it('no state yet: says nothing was recorded (exit 0); a bad --since is exit 2 with the forms it takes', async () => {
    const empty = await upkeep(['timeline', '--state-dir', join(root, 'none')]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(empty.stdout, /^Nothing recorded since /);
    const bad = await upkeep(['timeline', '--since', 'yesterday', '--state-dir', join(root, 'none')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since "yesterday" is neither a duration nor a date\nhint: write a duration back from now/);
  });
});
