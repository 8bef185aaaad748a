/**
 * What the rehearsal reads back (src/adapters/rehearse/sandbox.ts).
 *
 * First with the namespaces left out: `unshare` is a stand-in script that writes the files the
 * real sandbox script would (out/) and what processes in the view could leave in results/ (their
 * /run/upkeep-rehearse): a calls.log that is a FIFO, a link, a device or larger than upkeep reads.
 * Every such case is an error that says which file, never an empty record; the work directory is
 * removed either way.
 *
 * Then the real sandbox script in real namespaces (root and unshare), with apt-get replaced by a
 * shell command run in the view (a stand-in `unshare` that execs the real one with that command
 * after `--`): what a package's script could leave at the reboot flag (a file, a link to a host
 * file, a FIFO), links planted where the script collects its results, a FIFO as calls.log.
 * apt and dpkg themselves: test/engine/rehearse-e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MAX_RESULT_BYTES, rehearsalSandbox } from '../../../src/adapters/rehearse/sandbox.js';
import type { RehearsalRun } from '../../../src/ports/rehearsal.js';

const dir = mkdtempSync(join(tmpdir(), 'upk-sandbox-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const REQ: RehearsalRun = { mode: 'upgrade', aptOptions: [], noDownload: false, overlays: [], scratchDir: null, sizeBytes: 1 << 20, keepDir: null };

/**
 * Runs the sandbox with `unshare` replaced by a script of `lines` (in a fresh directory, which is
 * also where the work directory goes): the raw result, or the error it threw; either way the work
 * directory must be gone after.
 */
async function runWith(name: string, lines: readonly string[], env?: NodeJS.ProcessEnv) {
  const tmpDir = mkdtempSync(join(dir, `${name}-`));
  const unshare = join(tmpDir, 'unshare');
  writeFileSync(unshare, [...lines, ''].join('\n'));
  chmodSync(unshare, 0o755);
  const sandbox = rehearsalSandbox({ unshare, tmpDir, ...(env === undefined ? {} : { env }) });
  try {
    return { ok: true as const, raw: await sandbox.run(REQ, () => undefined) };
  } catch (err) {
    return { ok: false as const, err: err as Error };
  } finally {
    assert.deepEqual(
      readdirSync(tmpDir).filter((n) => n.startsWith('upkeep-rehearse-')),
      [],
      'the work directory is removed',
    );
  }
}

/** A stand-in for unshare: finds WORK after the script's $0 (upkeep-rehearse), writes out/ as the script would, then `setup` in results/. */
const run = (name: string, setup: string) =>
  runWith(name, [
    '#!/bin/sh',
    'set -eu',
    'while [ "$1" != upkeep-rehearse ]; do shift; done',
    'W=$2 R=$2/results O=$2/out',
    'mkdir -p "$O/conffiles" "$O/boot"',
    'echo 1700000000.0 > "$O/started"; echo 1700000002.5 > "$O/ended"; echo 0 > "$O/exit"',
    'echo 4096 > "$O/upper-bytes"',
    'cd "$R"',
    setup,
  ]);

describe('the rehearsal reads back what it left', () => {
  it('a complete record: the calls, the reboot flag written in the view, the times; absent files are absent', async () => {
    const r = await run(
      'ok',
      `printf 'systemctl\\tsvc\\tpostinst\\trestart svc.service\\n' > calls.log; echo '*** System restart required ***' > "$O/reboot-required"`,
    );
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
    ['device', 'mknod calls.log c 1 3', /calls\.log is not a regular file/],
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

  it('the reboot flag the script could not read: rebootUnknownWhy, not an error', async () => {
    const r = await run('unread', `printf 'reboot-required\\tis a symbolic link (not followed)\\n' > "$O/unread"`);
    assert.ok(r.ok, r.ok ? '' : r.err.message);
    assert.equal(r.raw.rebootRequired, null);
    assert.equal(r.raw.rebootUnknownWhy, '/run/reboot-required in the view is a symbolic link (not followed)');
  });

  it('exactly the limit is read', async () => {
    const r = await run('limit', `truncate -s ${MAX_RESULT_BYTES} calls.log`);
    assert.ok(r.ok, r.ok ? '' : r.err.message);
    assert.equal(r.raw.calls.length, MAX_RESULT_BYTES);
  });
});

const ROOT = process.getuid?.() === 0;
const UNSHARE = spawnSync('sh', ['-c', 'command -v unshare']).stdout.toString().trim();

/** The real sandbox, with `command` (sh -c, in the view) where apt-get would run: the real unshare, the arguments after `--` replaced. */
const inView = (name: string, command: string) =>
  runWith(
    `view-${name}`,
    ['#!/bin/bash', 'args=()', 'for a in "$@"; do args+=("$a"); [ "$a" = -- ] && break; done', `exec ${UNSHARE} "\${args[@]}" /bin/sh -c "$VIEW_COMMAND"`],
    { ...process.env, VIEW_COMMAND: command },
  );

describe('the real sandbox script: what the view leaves behind', { skip: !ROOT ? 'needs root' : UNSHARE === '' ? 'needs unshare' : false }, () => {
  it('a reboot flag and its package list written in the view are read back', async () => {
    const r = await inView('flag', "echo '*** System restart required ***' > /run/reboot-required; echo linux-image-x > /run/reboot-required.pkgs");
    assert.ok(r.ok, r.ok ? '' : r.err.message);
    assert.equal(r.raw.aptExit, 0);
    assert.equal(r.raw.rebootRequired, '*** System restart required ***\n');
    assert.equal(r.raw.rebootRequiredPkgs, 'linux-image-x\n');
    assert.equal(r.raw.rebootUnknownWhy, null);
  });

  it('a link at the flag is not followed (it would resolve on the host): not known, and nothing of the host file read', async () => {
    const r = await inView('link', 'ln -s /etc/hostname /run/reboot-required');
    assert.ok(r.ok, r.ok ? '' : r.err.message);
    assert.equal(r.raw.rebootRequired, null);
    assert.equal(r.raw.rebootUnknownWhy, '/run/reboot-required in the view is a symbolic link (not followed)');
  });

  it('a FIFO at the flag: no flag (as test -f says), and the read never waits on it', async () => {
    const r = await inView('fifo', 'mkfifo /run/reboot-required');
    assert.ok(r.ok, r.ok ? '' : r.err.message);
    assert.equal(r.raw.rebootRequired, null);
    assert.equal(r.raw.rebootUnknownWhy, null);
  });

  it("links planted where the script collects its results: nothing is written through them, the record is the script's", async () => {
    const planted = mkdtempSync(join(dir, 'planted-'));
    mkdirSync(join(planted, 'sub'));
    const names = ['conffiles', 'boot', 'exit', 'started', 'ended', 'layers', 'upper-bytes', 'unread', 'aborted', 'reboot-required', 'reboot-required.pkgs'];
    const r = await inView(
      'planted',
      `for f in ${names.join(' ')}; do ln -s ${planted}/sub /run/upkeep-rehearse/$f; done; echo flag > /run/reboot-required; exit 7`,
    );
    assert.ok(r.ok, r.ok ? '' : r.err.message);
    assert.equal(r.raw.aptExit, 7, "apt's stand-in's exit code, from the script's own record");
    assert.equal(r.raw.rebootRequired, 'flag\n');
    assert.deepEqual(readdirSync(join(planted, 'sub')), [], 'nothing written into the host directory the links name');
  });

  it('calls.log made a FIFO by the view: an error naming it, at once', async () => {
    const r = await inView('calls-fifo', 'rm -f /run/upkeep-rehearse/calls.log; mkfifo /run/upkeep-rehearse/calls.log');
    assert.equal(r.ok, false);
    assert.ok(!r.ok);
    assert.match(r.err.message, /^the rehearsal's record is incomplete: calls\.log is not a regular file/);
  });
});
