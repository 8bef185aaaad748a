/**
 * Output into a closed pipe (`upkeep timeline | true`): no EPIPE stack trace, and the exit code
 * stays the command's own (diff uses 1 for "some not running", so a crash's 1 would lie).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import { BIN } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-epipe-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Runs bin/upkeep with its stdout a pipe whose reading end is closed before the command writes. */
function runIntoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('a closed stdout', () => {
  it('timeline with a lot to print: exit 0, nothing on stderr', async () => {
    const dir = join(root, 'a');
    const store = openStore({ stateDir: dir });
    for (let i = 0; i < 2000; i++) store.appendTimeline({ kind: 'container-died', subject: `c${i}`, message: `c${i} stopped (exited 1) ${'x'.repeat(100)}` });
    store.close();
    const r = await runIntoClosedPipe(['timeline', '--since', '1h', '--limit', '5000', '--state-dir', dir]);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
  });

  it('--help and config show-default: exit 0, no stack trace', async () => {
    for (const args of [['--help'], ['config', 'show-default']]) {
      const r = await runIntoClosedPipe(args);
      assert.doesNotMatch(r.stderr, /EPIPE|internal error|at .*\.js:\d+/, args.join(' '));
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
  });
});

describe('no command', () => {
  it('`upkeep` alone: the help on stderr and exit 2 (a script that forgot the command must not see success)', async () => {
    const { upkeep } = await import('../helpers/cli.js');
    const r = await upkeep([]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /Usage: upkeep[\s\S]*upkeep: no command given/);
    const help = await upkeep(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: upkeep/);
  });
});
