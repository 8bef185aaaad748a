/**
 * `upkeep --version` in a checkout (bin/upkeep on dist/): the version from package.json, the commit
 * from git, the runtime; `--json` as an object; -V anywhere before `--`. The bundle and the single
 * executable say the same with their own form (test/scripts/bundle.test.ts, build-sea.test.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { upkeep } from '../helpers/cli.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const { version } = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string };
const commit = execFileSync('git', ['rev-parse', '--short=7', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
const runtime = `Node ${process.version} ${process.platform}-${process.arch}`;

describe('upkeep --version in a checkout', () => {
  it('prints the version, the commit and the runtime on one line', async () => {
    const r = await upkeep(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `upkeep ${version} (commit ${commit}, ${runtime}, checkout)\n`);
    assert.equal(r.stderr, '');
  });

  it('-V and --version after a command say the same', async () => {
    const line = `upkeep ${version} (commit ${commit}, ${runtime}, checkout)\n`;
    assert.equal((await upkeep(['-V'])).stdout, line);
    const afterCommand = await upkeep(['check', '--version']);
    assert.equal(afterCommand.code, 0);
    assert.equal(afterCommand.stdout, line);
  });

  it('--json: the same facts as an object', async () => {
    const r = await upkeep(['--version', '--json']);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), {
      name: 'upkeep',
      version,
      commit,
      form: 'checkout',
      runtime: { name: 'node', version: process.version, platform: process.platform, arch: process.arch },
    });
  });

  it('a copy of the program outside any git repository: commit "unknown", and still exit 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'upkeep-nogit-'));
    try {
      for (const p of ['bin', 'dist', 'package.json']) cpSync(join(ROOT, p), join(dir, p), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      const out = execFileSync(join(dir, 'bin', 'upkeep'), ['--version'], { encoding: 'utf8', env: { ...process.env, GIT_DIR: join(dir, 'no-such-git-dir') } });
      assert.equal(out, `upkeep ${version} (commit unknown, ${runtime}, checkout)\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the help lists it', async () => {
    const r = await upkeep(['--help']);
    // Commander wraps the description to the widest command term's column: any whitespace between words.
    assert.match(r.stdout, /-V, --version\s+print\s+the\s+version,\s+the\s+commit\s+and\s+the\s+runtime/);
  });
});
