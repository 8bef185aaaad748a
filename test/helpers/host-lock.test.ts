/** The serial group's lock (test/helpers/host-lock.ts), on a lock directory of its own. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { dirLock } from './host-lock.js';
import { until } from './webhook.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-lock-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
const HELPER = new URL('./host-lock.ts', import.meta.url).pathname;

/** Another process that takes the lock (writing its failed attempts into `out`), writes `took`, then releases it. */
function contender(dir: string, out: string) {
  const code = `const fs = await import('node:fs'); const { dirLock } = await import(${JSON.stringify(HELPER)}); const l = dirLock(${JSON.stringify(dir)}); await l.acquire('contender', (n) => fs.writeFileSync(${JSON.stringify(out)}, String(n))); fs.writeFileSync(${JSON.stringify(out)}, 'took'); l.release();`;
  const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise<number | null>((r) => p.on('exit', r));
}

test('a second process waits while the lock is held and takes it once released', async () => {
  const dir = join(root, 'a.lock');
  const out = join(root, 'a.out');
  const mine = dirLock(dir);
  await mine.acquire();
  const exited = contender(dir, out);
  // It tried three times and found it taken each time.
  await until('three failed attempts', () => existsSync(out) && Number(readFileSync(out, 'utf8')) >= 3, 30_000);
  mine.release();
  assert.equal(await exited, 0);
  assert.equal(readFileSync(out, 'utf8'), 'took');
  assert.equal(existsSync(dir), false, 'released');
});

test('a lock whose owner is gone is taken over', async () => {
  const dir = join(root, 'b.lock');
  mkdirSync(dir);
  writeFileSync(join(dir, 'pid'), '2147483646'); // no such process
  const l = dirLock(dir);
  await l.acquire();
  assert.equal(existsSync(dir), true);
  l.release();
  assert.equal(existsSync(dir), false);
});
