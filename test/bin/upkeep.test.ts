/**
 * bin/upkeep, the checkout's executable, chooses its runtime: the Node 24 that `npm ci` put in
 * node_modules/.bin, else a `node` on PATH that is 24 or newer, else it says what to do. Run
 * against a copy of the script in a temporary tree with a stub program in place of dist/.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../bin/upkeep', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'upkeep-bin-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A tree like a checkout: bin/upkeep and a dist/cli/entry.js that prints its runtime and arguments. */
function checkout(withRuntime: boolean): string {
  const dir = join(root, `checkout-${n++}`);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'dist/cli'), { recursive: true });
  copyFileSync(SCRIPT, join(dir, 'bin/upkeep'));
  chmodSync(join(dir, 'bin/upkeep'), 0o755);
  writeFileSync(
    join(dir, 'dist/cli/entry.js'),
    'console.log(JSON.stringify({ node: process.version, execPath: process.execPath, args: process.argv.slice(2) }));\n',
  );
  if (withRuntime) {
    mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
    symlinkSync(process.execPath, join(dir, 'node_modules/.bin/node'));
  }
  return dir;
}

/** A directory holding only a `node` that claims to be Node 20 (as Debian's and Ubuntu's images have). */
function oldNodeOnPath(): string {
  const dir = join(root, `old-node-${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'node'), '#!/bin/sh\ncase "$1" in --version) echo v20.20.2 ;; -e) exit 1 ;; *) echo "old node ran the program" ;; esac\n');
  chmodSync(join(dir, 'node'), 0o755);
  return dir;
}

function run(bin: string, path: string, args: string[] = []) {
  return spawnSync(bin, args, { encoding: 'utf8', env: { PATH: path } });
}

describe('bin/upkeep', () => {
  it("runs the program on the checkout's node_modules/.bin/node, with the arguments as given", () => {
    const dir = checkout(true);
    const r = run(join(dir, 'bin/upkeep'), `${oldNodeOnPath()}:/usr/bin:/bin`, ['check', '--json', 'a b']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { node: string; args: string[] };
    assert.equal(out.node, process.version);
    assert.deepEqual(out.args, ['check', '--json', 'a b']);
  });

  it('through a symlink elsewhere (as /usr/local/bin/upkeep), it still finds its checkout', () => {
    const dir = checkout(true);
    const link = join(root, `link-${n++}`);
    symlinkSync(join(dir, 'bin/upkeep'), link);
    const r = run(link, '/usr/bin:/bin', ['--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { node: string }).node, process.version);
  });

  it('without the runtime, an older node on PATH is refused with what to run', () => {
    const dir = checkout(false);
    const r = run(join(dir, 'bin/upkeep'), `${oldNodeOnPath()}:/usr/bin:/bin`);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '', 'the program did not run');
    assert.match(r.stderr, /is Node\.js v20\.20\.2, upkeep needs 24 or newer: run `npm ci` in /);
  });

  it('without the runtime, a node 24 on PATH runs it', () => {
    const dir = checkout(false);
    const binDir = join(root, `new-node-${n++}`);
    mkdirSync(binDir);
    symlinkSync(process.execPath, join(binDir, 'node'));
    const r = run(join(dir, 'bin/upkeep'), `${binDir}:/usr/bin:/bin`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { node: string }).node, process.version);
  });

  it('with no node at all, it says how to get one', () => {
    const dir = checkout(false);
    const tools = join(root, `no-node-${n++}`);
    mkdirSync(tools);
    const readlink = spawnSync('/bin/sh', ['-c', 'command -v readlink'], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(readlink, join(tools, 'readlink'));
    const r = spawnSync('/bin/sh', [join(dir, 'bin/upkeep')], { encoding: 'utf8', env: { PATH: tools } });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no Node\.js runtime: run `npm ci` in .*\(it installs Node 24\), or install Node\.js 24/);
  });
});
