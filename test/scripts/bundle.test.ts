/**
 * scripts/bundle.mjs: the bundle, one file, runs under Node 24 on its own (copied into an empty
 * directory, away from node_modules), with the store on node:sqlite; and the install defaults it
 * was built with (--default-bin, --docs-uri) are what `upkeep install` writes, or --bin is required.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { builtProgramTests, ROOT, runProgram } from '../helpers/built-program.js';

const dir = mkdtempSync(join(tmpdir(), 'upkeep-bundle-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs scripts/bundle.mjs into `outdir` with `args`; returns the bundle copied alone into `alone`. */
function bundleInto(outdir: string, alone: string, args: string[] = []): string {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), '--outdir', outdir, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  assert.deepEqual(readdirSync(outdir), ['upkeep.cjs'], 'one file per entry point, nothing beside it');
  mkdirSync(alone, { recursive: true });
  copyFileSync(join(outdir, 'upkeep.cjs'), join(alone, 'upkeep.cjs'));
  return join(alone, 'upkeep.cjs');
}

describe('the bundle (node build/upkeep.cjs)', () => {
  let file = '';
  before(() => {
    file = bundleInto(join(dir, 'out'), join(dir, 'alone'));
  });
  builtProgramTests(() => [process.execPath, file], 'bundle');

  it('upkeep install without --bin: exit 2, it asks for one, and writes nothing', async () => {
    const root = mkdtempSync(join(dir, 'root-'));
    const r = await runProgram([process.execPath, file], ['install', '--root', root, '--yes'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /this upkeep is a bundle run by node, not an executable: pass --bin/);
    assert.deepEqual(readdirSync(root), []);
  });
});

describe('a bundle built with --default-bin and --docs-uri (what a package that runs the bundle passes)', () => {
  let file = '';
  before(() => {
    file = bundleInto(join(dir, 'out-pkg'), join(dir, 'alone-pkg'), ['--default-bin', '/usr/bin/upkeep', '--docs-uri', 'man:upkeep(1)']);
  });

  it('upkeep install writes them into the unit and the apt hook', async () => {
    const root = mkdtempSync(join(dir, 'root-'));
    const r = await runProgram([process.execPath, file], ['install', '--root', root, '--yes'], dir);
    assert.equal(r.code, 0, r.stderr);
    const unit = readFileSync(join(root, 'etc/systemd/system/upkeep.service'), 'utf8').split('\n');
    assert.ok(unit.includes('ExecStart=/usr/bin/upkeep agent --config /etc/upkeep/upkeep.yml'), unit.join('\n'));
    assert.ok(unit.includes('Documentation=man:upkeep(1)'));
    assert.match(readFileSync(join(root, 'etc/apt/apt.conf.d/99upkeep'), 'utf8'), /\/usr\/bin\/upkeep /);
    assert.ok(existsSync(join(root, 'etc/upkeep/upkeep.yml')));
  });
});
