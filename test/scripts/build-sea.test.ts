/**
 * scripts/build-sea.mjs: the single executable, one file (Node 24 with the bundle injected), runs
 * on its own with the store on node:sqlite, and `upkeep install` defaults --bin to the executable
 * itself. One build for the whole file (about 7 s: postject rewrites a 120 MiB binary).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { builtProgramTests, ROOT, runProgram } from '../helpers/built-program.js';

const dir = mkdtempSync(join(tmpdir(), 'upkeep-sea-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the single executable (build/upkeep)', () => {
  const file = join(dir, 'upkeep');
  before(() => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-sea.mjs'), '--outdir', dir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'ignore'] });
  });
  builtProgramTests(() => [file], 'single executable');

  it('is one executable file beside the bundle it contains', () => {
    assert.deepEqual(readdirSync(dir).sort(), ['upkeep', 'upkeep.cjs']);
    assert.equal(statSync(file).mode & 0o777, 0o755);
  });

  it('upkeep install defaults --bin to the executable itself', async () => {
    const root = mkdtempSync(join(dir, 'root-'));
    const r = await runProgram([file], ['install', '--root', root, '--dry-run', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).bin, file);
  });
});
