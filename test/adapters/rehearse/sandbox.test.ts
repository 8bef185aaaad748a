/**
 * What the rehearsal reads back (src/adapters/rehearse/sandbox.ts), with the namespaces left out:
 * `unshare` is a stand-in script that writes the files the real sandbox script would (out/) and
 * what processes in the view could leave in results/ (their /run/upkeep-rehearse): a calls.log
 * that is a FIFO, a link or larger than upkeep reads, and a reboot flag the view could not answer
 * for. Every such case is an error that says which file, never an empty record; the work
 * directory is removed either way. The real namespaces, apt and dpkg are test/engine/rehearse-e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MAX_RESULT_BYTES, rehearsalSandbox } from '../../../src/adapters/rehearse/sandbox.js';
import type { RehearsalRun } from '../../../src/ports/rehearsal.js';

const dir = mkdtempSync(join(tmpdir(), 'upk-sandbox-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const REQ: RehearsalRun = { mode: 'upgrade', aptOptions: [], noDownload: false, overlays: [], scratchDir: null, sizeBytes: 1 << 20, keepDir: null };

/** A stand-in for unshare: finds WORK after the script's $0 (upkeep-rehearse), writes out/ as the script would, then `setup` in results/. */
function fakeUnshare(name: string, setup: string): { unshare: string; tmpDir: string } {
  const tmpDir = mkdtempSync(join(dir, `${name}-`));
  const unshare = join(tmpDir, 'unshare');
  writeFileSync(
    unshare,
    [
      '#!/bin/sh',
      'set -eu',
      'while [ "$1" != upkeep-rehearse ]; do shift; done',
      'W=$2 R=$2/results O=$2/out',
      'mkdir -p "$O/conffiles" "$O/boot"',
      'echo 1700000000.0 > "$O/started"; echo 1700000002.5 > "$O/ended"; echo 0 > "$O/exit"',
      'echo 4096 > "$O/upper-bytes"',
      'cd "$R"',
      setup,
      '',
    ].join('\n'),
  );
  chmodSync(unshare, 0o755);
  return { unshare, tmpDir };
}

async function run(name: string, setup: string) {
  const f = fakeUnshare(name, setup);
  const sandbox = rehearsalSandbox({ unshare: f.unshare, tmpDir: f.tmpDir });
  try {
    return { ok: true as const, raw: await sandbox.run(REQ, () => undefined) };
  } catch (err) {
    return { ok: false as const, err: err as Error };
  } finally {
    assert.deepEqual(
      readdirSync(f.tmpDir).filter((n) => n.startsWith('upkeep-rehearse-')),
      [],
      'the work directory is removed',
    );
  }
}

describe('the rehearsal reads back what it left', () => {
  it('a complete record: the calls, the reboot flag written in the view, the times; absent files are absent', async () => {
    const r = await run('ok', `printf 'systemctl\\tsvc\\tpostinst\\trestart svc.service\\n' > calls.log; echo '*** System restart required ***' > "$O/reboot-required"`);
    assert.ok(r.ok, r.ok ? '' : r.err.message);
    assert.equal(r.raw.aptExit, 0);
    assert.equal(r.raw.failure, null);
    assert.equal(r.raw.calls, 'systemctl\tsvc\tpostinst\trestart svc.service\n');
    assert.equal(r.raw.rebootRequired, '*** System restart required ***\n');
    assert.equal(r.raw.rebootRequiredPkgs, null);
    assert.deepEqual(r.raw.conffiles, []);
    assert.deepEqual(r.raw.bootFiles, []);
    assert.equal(r.raw.upperBytes, 4096);
    assert.equal(r.raw.seconds, 2.5);
  });

  it('no calls.log (nothing was called): no calls', async () => {
    const r = await run('none', ':');
    assert.ok(r.ok, r.ok ? '' : r.err.message);
    assert.equal(r.raw.calls, '');
  });

  for (const [name, setup, why] of [
    ['fifo', 'mkfifo calls.log', /calls\.log is not a regular file/],
    ['link', 'ln -s /etc/passwd calls.log', /calls\.log is a symbolic link \(not followed\)/],
    ['dir', 'mkdir calls.log', /calls\.log is not a regular file/],
    ['huge', `truncate -s ${MAX_RESULT_BYTES + 1} calls.log`, new RegExp(`calls\\.log is larger than the ${MAX_RESULT_BYTES} bytes upkeep reads`)],
    ['unread', 'echo reboot-required > "$O/unread"', /\/run\/reboot-required in the view: whether the upgrade wrote it could not be looked up/],
    ['conffiles', 'rm -r "$O/conffiles"; ln -s /etc "$O/conffiles"', /conffiles\/ is not a directory/],
  ] as const) {
    it(`${name}: an error naming the file, never an empty record`, async () => {
      const r = await run(name, setup);
      assert.equal(r.ok, false, 'an error');
      assert.ok(!r.ok);
      assert.match(r.err.message, /^the rehearsal's record is incomplete: /);
      assert.match(r.err.message, why);
      assert.match((r.err as Error & { hint?: string }).hint ?? '', /run the rehearsal again/);
    });
  }

  it('exactly the limit is read', async () => {
    const r = await run('limit', `truncate -s ${MAX_RESULT_BYTES} calls.log`);
    assert.ok(r.ok, r.ok ? '' : r.err.message);
    assert.equal(r.raw.calls.length, MAX_RESULT_BYTES);
  });
});
