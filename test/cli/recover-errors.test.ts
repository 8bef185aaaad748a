/** recover/diff/snapshot refuse bad input before touching anything. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { upkeep } from '../helpers/cli.js';

test('recover without --yes and without a terminal refuses, exit 2', async () => {
  const r = await upkeep(['recover'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /pass --yes to confirm \(or --dry-run to see the plan\)/);
});

test('bad durations and concurrency are usage errors', async () => {
  for (const args of [
    ['--grace', 'soon'],
    ['--running-for', '5 parsecs'],
    ['--concurrency', '0'],
  ]) {
    const r = await upkeep(['recover', '--yes', ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /upkeep: error: --(grace|running-for|concurrency) /);
  }
});

test('forget and snapshot --list with no state yet: exit 2 and what to do', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'upk-nostate-'));
  try {
    const r = await upkeep(['snapshot', '--list', '--state-dir', join(dir, 'state')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /upkeep: error: .*state/i);
    assert.match(r.stderr, /hint: .*upkeep snapshot/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
