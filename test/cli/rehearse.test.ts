/**
 * `upkeep rehearse`'s refusals, through the real executable: bad options, not root, a --keep
 * directory that is not empty. Nothing here builds a view (test/engine/rehearse-e2e.test.ts does).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, upkeep } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'upk-rehearse-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const env = { DOCKER_HOST: 'unix:///nonexistent/docker.sock', UPKEEP_STATE_DIR: join(tmp, 'state') };

describe('upkeep rehearse (CLI)', () => {
  it('refuses a bad --mode, --size or --apt-option with exit 2 and says what is allowed', async () => {
    const mode = await upkeep(['rehearse', '--mode', 'dist-upgrade'], env);
    assert.equal(mode.code, 2);
    assert.match(mode.stderr, /--mode "dist-upgrade": use upgrade or full-upgrade/);
    const size = await upkeep(['rehearse', '--size', '1MiB'], env);
    assert.equal(size.code, 2);
    assert.match(size.stderr, /--size "1MiB": use a size of at least 16MiB/);
    const opt = await upkeep(['rehearse', '--apt-option', '--force-yes'], env);
    assert.equal(opt.code, 2);
    assert.match(opt.stderr, /--apt-option "--force-yes" must look like Name::Of::Option=value/);
  });

  it(
    'refuses a --keep directory that is not empty and a --scratch that is not a directory',
    { skip: process.getuid?.() !== 0 ? 'the root check comes first' : false },
    async () => {
      const keep = join(tmp, 'keep');
      mkdirSync(keep);
      writeFileSync(join(keep, 'x'), '');
      const k = await upkeep(['rehearse', '--keep', keep], env);
      assert.equal(k.code, 2);
      assert.match(k.stderr, /--keep .*keep: not empty\nhint: name a new or empty directory/);
      const s = await upkeep(['rehearse', '--scratch', join(keep, 'x')], env);
      assert.equal(s.code, 2);
      assert.match(s.stderr, /--scratch .*: not a directory/);
    },
  );

  it('as another user than root: exit 2, a clear error and what to do', { skip: process.getuid?.() !== 0 ? 'needs root to become nobody' : false }, () => {
    const r = spawnSync('runuser', ['-u', 'nobody', '--', BIN, 'rehearse'], { encoding: 'utf8', env: { ...process.env, ...env, NO_COLOR: '1' } });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /upkeep: error: upkeep rehearse builds a copy of the host .*: it must run as root\nhint: sudo upkeep rehearse/);
  });

  it('lists its options and exit codes in --help', async () => {
    const r = await upkeep(['rehearse', '--help'], env);
    assert.equal(r.code, 0);
    for (const o of ['--mode', '--plan', '--no-download', '--scratch', '--size', '--keep', '--json']) assert.match(r.stdout, new RegExp(`${o}\\b`));
    assert.match(r.stdout, /5 the upgrade itself fails/);
  });
});
