/**
 * /proc as upkeep upgrade's verification reads it: a real process whose executable was deleted
 * after it started (what an upgrade does to a daemon it does not restart) shows as replaced.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { readProcessImages } from '../../../src/adapters/proc/process-images.js';
import { replacedBinaries } from '../../../src/core/upgrade/replaced-binaries.js';

const dir = mkdtempSync(join(tmpdir(), 'upkeep-proc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it('reads a process by name; its deleted executable is a replaced binary', async () => {
  const exe = join(dir, 'upkeep-fake-d');
  copyFileSync('/bin/sleep', exe);
  const child = spawn(exe, ['60'], { stdio: 'ignore' });
  try {
    // 'spawn' comes once the exec has succeeded: /proc/PID shows the new program from then on.
    await once(child, 'spawn');
    const before = (await readProcessImages(['upkeep-fake-d'])).filter((p) => p.pid === child.pid);
    assert.equal(before.length, 1);
    assert.deepEqual(replacedBinaries(before), []);
    unlinkSync(exe);
    const afterDelete = (await readProcessImages(['upkeep-fake-d'])).filter((p) => p.pid === child.pid);
    assert.deepEqual(replacedBinaries(afterDelete), [{ pid: child.pid, name: 'upkeep-fake-d', exe, libraries: [] }]);
    assert.deepEqual(await readProcessImages(['upkeep-fake-d'], join(dir, 'no-proc')), [], 'no /proc: nothing, no error');
  } finally {
    child.kill('SIGKILL');
  }
});
