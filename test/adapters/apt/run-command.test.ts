/**
 * runCommand's abort: the agent stops while apt-get runs (its host-facts actor simulates the
 * upgrade); aborting kills the command instead of waiting for it. A real process, no fakes.
 */
import { strictEqual, throws } from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { runCommand } from '../../../src/adapters/apt/run-command.js';

test('aborting runCommand kills the running command and resolves with failure "aborted"', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'upkeep-run-'));
  try {
    const pidFile = join(dir, 'pid');
    const ac = new AbortController();
    // The shell writes its pid, then becomes `sleep` (same pid): the process the abort must kill.
    const running = runCommand('sh', ['-c', `echo $$ > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile} && exec sleep 600`], { signal: ac.signal });
    while (!existsSync(pidFile)) await delay(10);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    ac.abort();
    const r = await running;
    strictEqual(r.code, null);
    strictEqual(r.failure, 'aborted');
    // Gone (reaped by execFile): signalling it fails.
    throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an aborted command that ignores SIGTERM is killed (SIGKILL after 5 s), not waited for forever', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'upkeep-run-'));
  try {
    const pidFile = join(dir, 'pid');
    const ac = new AbortController();
    // An ignored signal stays ignored across exec: this sleep ignores SIGTERM.
    const running = runCommand('sh', ['-c', `trap '' TERM; echo $$ > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile} && exec sleep 600`], { signal: ac.signal });
    while (!existsSync(pidFile)) await delay(10);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    ac.abort();
    const r = await running;
    strictEqual(r.failure, 'aborted');
    throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runCommand without an abort still reports the exit code', async () => {
  const r = await runCommand('sh', ['-c', 'echo out; echo err >&2; exit 3']);
  strictEqual(r.code, 3);
  strictEqual(r.stdout, 'out\n');
  strictEqual(r.stderr, 'err\n');
  strictEqual(r.failure, null);
});
