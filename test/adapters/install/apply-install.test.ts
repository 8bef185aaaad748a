/**
 * applyInstall / applyUninstall on a temporary root. The real-install path (root `/`: verify the
 * unit, systemctl) runs here against fake SystemOps on a temporary root, so no test ever touches
 * this machine's / or its systemd; verifyUnitText runs the real systemd-analyze on a temp copy.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { applyInstall, applyUninstall, verifyUnitText, type SystemOps } from '../../../src/adapters/install/apply-install.js';
import { readTargets, readTextIfExists } from '../../../src/adapters/install/read-install.js';
import type { CommandResult } from '../../../src/adapters/apt/run-command.js';
import { MANIFEST_PATH } from '../../../src/core/install/manifest.js';
import { installPathsToRead, installTargets, planInstall, planUninstall, uninstallPathsToRead, readManifestText } from '../../../src/core/install/plan.js';
import { renderUnitFile } from '../../../src/core/install/unit-file.js';

const BIN = await realpath(new URL('../../../bin/upkeep', import.meta.url).pathname);
const HAVE_ANALYZE = existsSync('/usr/bin/systemd-analyze') || existsSync('/bin/systemd-analyze');
const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function tempRoot(): Promise<string> {
  const r = await mkdtemp(join(tmpdir(), 'upkeep-apply-'));
  roots.push(r);
  return r;
}

async function plan(root: string, bin = BIN) {
  const targets = installTargets({ bin, docs: 'file:///x/docs/install.md', configText: '# c\n' });
  return planInstall({
    bin,
    targets,
    current: await readTargets(root, installPathsToRead(targets)),
    manifestText: await readTextIfExists(join(root, MANIFEST_PATH)),
    manifestWhere: 'm',
  });
}

function fakeSystem(o: { running: boolean; verify?: { ok: boolean; output: string } | null }): SystemOps & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    systemdRunning: () => o.running,
    verifyUnit: async () => {
      calls.push('verify');
      return o.verify === undefined ? { ok: true, output: '' } : o.verify;
    },
    systemctl: async (args): Promise<CommandResult> => {
      calls.push(`systemctl ${args.join(' ')}`);
      return { code: 0, stdout: '', stderr: '', failure: null };
    },
  };
}

describe('verifyUnitText (real systemd-analyze on a temp copy)', { skip: HAVE_ANALYZE ? false : 'systemd-analyze is not installed' }, () => {
  it('passes the unit install writes (ExecStart is the real checkout executable: verify checks it exists)', async () => {
    const r = await verifyUnitText(renderUnitFile({ bin: BIN, configPath: '/etc/upkeep/upkeep.yml', docs: 'file:///x/docs/install.md' }));
    assert.deepEqual(r, { ok: true, output: '' });
  });

  it('fails a unit whose executable is missing, and one with a warning about itself', async () => {
    const missing = await verifyUnitText(renderUnitFile({ bin: '/nonexistent/upkeep', configPath: '/c', docs: 'file:///x' }));
    assert.equal(missing?.ok, false);
    assert.match(missing?.output ?? '', /nonexistent\/upkeep/);
    const unknownKey = await verifyUnitText(`${renderUnitFile({ bin: BIN, configPath: '/c', docs: 'file:///x' })}Bogus=1\n`);
    assert.equal(unknownKey?.ok, false);
    assert.match(unknownKey?.output ?? '', /Unknown key 'Bogus'/);
  });

  it('says null when systemd-analyze is not there', async () => {
    assert.equal(await verifyUnitText('[Unit]\n', '/nonexistent/systemd-analyze'), null);
  });
});

describe('applyInstall as a real install (fake systemd, temporary root)', () => {
  it('a unit that fails verification: refused, nothing written', async () => {
    const root = await tempRoot();
    const sys = fakeSystem({ running: true, verify: { ok: false, output: 'upkeep.service: bad' } });
    await assert.rejects(applyInstall(await plan(root), root, sys), /does not pass systemd-analyze verify; nothing was installed:\nupkeep.service: bad/);
    assert.deepEqual(await readdir(root), []);
    assert.deepEqual(sys.calls, ['verify']);
  });

  it('systemd running: files, manifest, then daemon-reload and enable --now; a changed unit is restarted', async () => {
    const root = await tempRoot();
    const sys = fakeSystem({ running: true });
    const r = await applyInstall(await plan(root), root, sys);
    assert.deepEqual(sys.calls, ['verify', 'systemctl daemon-reload', 'systemctl enable --now upkeep.service']);
    assert.equal(r.systemd?.ok, true);
    assert.ok((await stat(join(root, MANIFEST_PATH))).isFile());
    // Unchanged: nothing to verify, enable again (idempotent), no restart.
    const again = fakeSystem({ running: true });
    await applyInstall(await plan(root), root, again);
    assert.deepEqual(again.calls, ['systemctl daemon-reload', 'systemctl enable --now upkeep.service']);
    // Another executable: the unit is updated, verified, and the running agent restarted onto it.
    const moved = fakeSystem({ running: true });
    await applyInstall(await plan(root, '/opt/upkeep/bin/upkeep'), root, moved);
    assert.deepEqual(moved.calls, ['verify', 'systemctl daemon-reload', 'systemctl enable --now upkeep.service', 'systemctl try-restart upkeep.service']);
  });

  it('systemd not running: the files are written, the unit is not enabled, and the message says what to run', async () => {
    const root = await tempRoot();
    const sys = fakeSystem({ running: false });
    const r = await applyInstall(await plan(root), root, sys);
    assert.deepEqual(sys.calls, ['verify']);
    assert.match(
      r.systemd?.message ?? '',
      /systemd is not running here .*could not be enabled; once it runs: systemctl daemon-reload && systemctl enable --now upkeep.service/,
    );
  });

  it('uninstall stops and disables the unit before removing it, and reloads systemd after', async () => {
    const root = await tempRoot();
    await applyInstall(await plan(root), root, null);
    const manifest = readManifestText(await readFile(join(root, MANIFEST_PATH), 'utf8'), 'm');
    const u = planUninstall({ manifest, current: await readTargets(root, uninstallPathsToRead(manifest)), purge: false });
    const sys = fakeSystem({ running: true });
    const r = await applyUninstall(u, root, sys);
    assert.deepEqual(sys.calls, ['systemctl disable --now upkeep.service', 'systemctl daemon-reload']);
    assert.equal(r.systemd?.ok, true);
    assert.deepEqual(await readdir(root), []);
  });
});
