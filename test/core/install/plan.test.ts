import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpkeepError } from '../../../src/core/errors.js';
import { MANIFEST_PATH, parseManifest, sha256 } from '../../../src/core/install/manifest.js';
import {
  CONFIG_PATH,
  STATE_DIR,
  SYMLINK_PATH,
  installChanges,
  installTargets,
  planInstall,
  planUninstall,
  type CurrentState,
  type InstallPlan,
  type InstallTarget,
} from '../../../src/core/install/plan.js';
import { APT_HOOK_PATH } from '../../../src/core/install/apt-hook.js';
import { UNIT_PATH } from '../../../src/core/install/unit-file.js';

const BIN = '/opt/upkeep/bin/upkeep';
const opts = { bin: BIN, docs: 'file:///opt/upkeep/docs/install.md', configText: '# defaults\n' };

function fileState(t: InstallTarget, over: Partial<{ content: string; mode: number }> = {}): CurrentState {
  if (t.kind !== 'file') throw new Error('not a file target');
  return { kind: 'file', sha256: sha256(over.content ?? t.content), mode: over.mode ?? t.mode };
}

/** What is on disk after `plan` was applied onto an empty root. */
function installedState(targets: InstallTarget[]): Map<string, CurrentState> {
  const m = new Map<string, CurrentState>();
  for (const t of targets) {
    if (t.kind === 'dir') m.set(t.path, { kind: 'dir', mode: t.mode, entries: [] });
    else if (t.kind === 'symlink') m.set(t.path, { kind: 'symlink', target: t.target });
    else m.set(t.path, fileState(t));
  }
  return m;
}

function fresh(): { targets: InstallTarget[]; plan: InstallPlan } {
  const targets = installTargets(opts);
  return { targets, plan: planInstall({ bin: BIN, targets, current: new Map(), manifestText: null, manifestWhere: 'm' }) };
}

function target(targets: InstallTarget[], path: string): InstallTarget {
  const t = targets.find((x) => x.path === path);
  assert.ok(t, path);
  return t;
}

function actionOf(plan: InstallPlan, path: string): string {
  const a = plan.actions.find((x) => x.path === path);
  assert.ok(a, path);
  return a.action;
}

describe('installTargets', () => {
  it('the unit, the apt hook, the config (0600), the symlink, the state directory (0700) and their parents, parents first', () => {
    const t = installTargets(opts);
    assert.deepEqual(
      t.filter((x) => x.kind !== 'dir').map((x) => x.path),
      [UNIT_PATH, APT_HOOK_PATH, CONFIG_PATH, SYMLINK_PATH],
    );
    assert.equal((target(t, CONFIG_PATH) as { mode: number }).mode, 0o600);
    assert.equal((target(t, STATE_DIR) as { mode: number }).mode, 0o700);
    assert.equal((target(t, SYMLINK_PATH) as { target: string }).target, BIN);
    const dirs = t.filter((x) => x.kind === 'dir').map((x) => x.path);
    for (const [i, d] of dirs.entries()) for (const parent of dirs.slice(i + 1)) assert.ok(!d.startsWith(`${parent}/`), `${parent} after its child ${d}`);
    assert.ok(dirs.includes('/etc/systemd/system') && dirs.includes('/etc/apt/apt.conf.d') && dirs.includes('/usr/local/bin'));
  });

  it('no symlink when the executable is /usr/local/bin/upkeep itself', () => {
    assert.ok(!installTargets({ ...opts, bin: SYMLINK_PATH }).some((x) => x.kind === 'symlink'));
  });

  it('refuses an executable path the unit and the apt hook could not use unquoted', () => {
    assert.throws(() => installTargets({ ...opts, bin: '/opt/my upkeep/bin/upkeep' }), UpkeepError);
    assert.throws(() => installTargets({ ...opts, bin: 'bin/upkeep' }), UpkeepError);
    assert.throws(() => installTargets({ ...opts, bin: '/opt/x";rm -rf /;"' }), UpkeepError);
  });
});

describe('planInstall', () => {
  it('on an empty root: everything created, the manifest lists every path with sha256 and mode', () => {
    const { targets, plan } = fresh();
    assert.ok(plan.actions.every((a) => a.action === 'create'));
    assert.equal(plan.manifest.action, 'create');
    assert.equal(plan.manifest.path, MANIFEST_PATH);
    const m = parseManifest(plan.manifest.text);
    assert.deepEqual(
      m.entries.map((e) => e.path),
      targets.map((t) => t.path),
    );
    const config = m.entries.find((e) => e.path === CONFIG_PATH);
    assert.deepEqual(config, { path: CONFIG_PATH, kind: 'file', sha256: sha256('# defaults\n'), mode: '0600' });
    assert.deepEqual(plan.conflicts, []);
  });

  it('a second run: everything unchanged, the manifest byte-identical, nothing to do', () => {
    const { targets, plan } = fresh();
    const again = planInstall({ bin: BIN, targets, current: installedState(targets), manifestText: plan.manifest.text, manifestWhere: 'm' });
    assert.ok(
      again.actions.every((a) => a.action === 'unchanged'),
      JSON.stringify(again.actions.map((a) => [a.path, a.action])),
    );
    assert.equal(again.manifest.action, 'unchanged');
    assert.equal(installChanges(again), false);
  });

  it('a new executable: owned files unchanged since install are updated, the symlink re-pointed, the config left alone', () => {
    const { targets, plan } = fresh();
    const targets2 = installTargets({ ...opts, bin: '/srv/upkeep/bin/upkeep' });
    const next = planInstall({
      bin: '/srv/upkeep/bin/upkeep',
      targets: targets2,
      current: installedState(targets),
      manifestText: plan.manifest.text,
      manifestWhere: 'm',
    });
    assert.equal(actionOf(next, UNIT_PATH), 'update');
    assert.equal(actionOf(next, APT_HOOK_PATH), 'update');
    assert.equal(actionOf(next, SYMLINK_PATH), 'update');
    assert.equal(actionOf(next, CONFIG_PATH), 'unchanged');
    assert.equal(next.manifest.action, 'update');
    const m = parseManifest(next.manifest.text);
    assert.equal(m.entries.find((e) => e.path === UNIT_PATH && e.kind === 'file')?.kind, 'file');
    assert.deepEqual(
      m.entries.find((e) => e.path === SYMLINK_PATH),
      { path: SYMLINK_PATH, kind: 'symlink', target: '/srv/upkeep/bin/upkeep' },
    );
  });

  it('edited files are kept and say so; files upkeep did not write are never overwritten', () => {
    const { targets, plan } = fresh();
    const current = installedState(targets);
    current.set(UNIT_PATH, fileState(target(targets, UNIT_PATH), { content: 'edited\n' }));
    current.set(CONFIG_PATH, fileState(target(targets, CONFIG_PATH), { content: 'services: []\n' }));
    current.set(SYMLINK_PATH, { kind: 'symlink', target: '/usr/bin/other' });
    const next = planInstall({ bin: BIN, targets, current, manifestText: plan.manifest.text, manifestWhere: 'm' });
    const unit = next.actions.find((a) => a.path === UNIT_PATH)!;
    assert.equal(unit.action, 'keep');
    assert.match(unit.reason ?? '', /edited since upkeep wrote it/);
    assert.equal(actionOf(next, CONFIG_PATH), 'keep');
    assert.equal(actionOf(next, SYMLINK_PATH), 'keep');
    // The kept files stay listed with what upkeep wrote, so uninstall keeps them too.
    assert.deepEqual(parseManifest(next.manifest.text).entries, parseManifest(plan.manifest.text).entries);

    const noManifest = planInstall({ bin: BIN, targets, current, manifestText: null, manifestWhere: 'm' });
    assert.match(noManifest.actions.find((a) => a.path === UNIT_PATH)!.reason ?? '', /not written by upkeep install/);
    // Existing files and directories that were not created are not upkeep's.
    const owned = parseManifest(noManifest.manifest.text).entries.map((e) => e.path);
    assert.deepEqual(owned, []);
  });

  it('the config is only ever created, even when unchanged since install and upkeep would now write another text', () => {
    const { targets, plan } = fresh();
    const targets2 = installTargets({ ...opts, configText: '# newer defaults\n' });
    const next = planInstall({ bin: BIN, targets: targets2, current: installedState(targets), manifestText: plan.manifest.text, manifestWhere: 'm' });
    assert.equal(actionOf(next, CONFIG_PATH), 'keep');
  });

  it('a state directory with a wider mode is narrowed to 0700; an existing parent directory is left as it is', () => {
    const targets = installTargets(opts);
    const current = new Map<string, CurrentState>([
      [STATE_DIR, { kind: 'dir', mode: 0o755, entries: ['upkeep.db'] }],
      ['/etc', { kind: 'dir', mode: 0o700, entries: [] }],
    ]);
    const plan = planInstall({ bin: BIN, targets, current, manifestText: null, manifestWhere: 'm' });
    assert.equal(actionOf(plan, STATE_DIR), 'update');
    assert.equal(actionOf(plan, '/etc'), 'unchanged');
    assert.ok(!parseManifest(plan.manifest.text).entries.some((e) => e.path === STATE_DIR || e.path === '/etc'), "pre-existing directories are not upkeep's");
  });

  it('a file where a directory must be: a conflict, and nothing below it is planned', () => {
    const targets = installTargets(opts);
    const plan = planInstall({
      bin: BIN,
      targets,
      current: new Map([['/etc/systemd', { kind: 'file', sha256: 'x', mode: 0o644 }]]),
      manifestText: null,
      manifestWhere: 'm',
    });
    assert.equal(plan.conflicts.length, 1);
    assert.match(plan.conflicts[0]!, /\/etc\/systemd is a file, not a directory/);
    assert.equal(actionOf(plan, '/etc/systemd/system'), 'keep');
    assert.equal(actionOf(plan, UNIT_PATH), 'keep');
  });

  it('a manifest that cannot be read is an error naming the file, with what to do', () => {
    const targets = installTargets(opts);
    assert.throws(
      () => planInstall({ bin: BIN, targets, current: new Map(), manifestText: '{"format": 9}', manifestWhere: '/r/var/lib/upkeep/install-manifest.json' }),
      (err: unknown) =>
        err instanceof UpkeepError && /\/r\/var\/lib\/upkeep\/install-manifest\.json: .*unknown format/.test(err.message) && err.hint !== undefined,
    );
  });
});

describe('planUninstall', () => {
  function installed(): { state: Map<string, CurrentState>; manifest: ReturnType<typeof parseManifest>; targets: InstallTarget[] } {
    const { targets, plan } = fresh();
    const state = installedState(targets);
    // Directory entries as install leaves them (only what install put there).
    for (const [path, s] of state) {
      if (s.kind !== 'dir') continue;
      s.entries = targets
        .filter((t) => t.path.startsWith(`${path}/`) && !t.path.slice(path.length + 1).includes('/'))
        .map((t) => t.path.slice(path.length + 1));
    }
    (state.get(STATE_DIR) as { entries: string[] }).entries.push('install-manifest.json');
    state.set(MANIFEST_PATH, { kind: 'file', sha256: sha256(plan.manifest.text), mode: 0o600 });
    return { state, manifest: parseManifest(plan.manifest.text), targets };
  }

  it('removes every path install wrote, files first, then its directories innermost first', () => {
    const { state, manifest } = installed();
    const plan = planUninstall({ manifest, current: state, purge: false });
    assert.ok(
      plan.actions.every((a) => a.action === 'remove'),
      JSON.stringify(plan.actions.filter((a) => a.action !== 'remove')),
    );
    const order = plan.actions.map((a) => a.path);
    assert.ok(order.indexOf(MANIFEST_PATH) < order.indexOf(STATE_DIR));
    assert.ok(order.indexOf('/etc/systemd/system') < order.indexOf('/etc/systemd'));
    assert.ok(order.indexOf(UNIT_PATH) < order.indexOf('/etc/systemd/system'));
  });

  it('keeps an edited file and the directories that still hold something', () => {
    const { state, manifest } = installed();
    state.set(CONFIG_PATH, { kind: 'file', sha256: sha256('edited'), mode: 0o600 });
    (state.get('/etc/systemd/system') as { entries: string[] }).entries.push('docker.service');
    const plan = planUninstall({ manifest, current: state, purge: false });
    const by = new Map(plan.actions.map((a) => [a.path, a]));
    assert.equal(by.get(CONFIG_PATH)?.action, 'keep');
    assert.match(by.get(CONFIG_PATH)?.reason ?? '', /edited .*--purge/);
    assert.equal(by.get('/etc/upkeep')?.action, 'keep');
    assert.equal(by.get('/etc/systemd/system')?.action, 'keep');
    assert.equal(by.get('/etc/systemd')?.action, 'keep');
    assert.equal(by.get(UNIT_PATH)?.action, 'remove');
  });

  it('never removes the state database without --purge; --purge removes it, and the config even edited', () => {
    const { state, manifest } = installed();
    (state.get(STATE_DIR) as { entries: string[] }).entries.push('upkeep.db');
    state.set(CONFIG_PATH, { kind: 'file', sha256: sha256('edited'), mode: 0o600 });
    const keep = planUninstall({ manifest, current: state, purge: false });
    const stateDir = keep.actions.find((a) => a.path === STATE_DIR)!;
    assert.equal(stateDir.action, 'keep');
    assert.match(stateDir.reason ?? '', /state database/);
    assert.equal(keep.actions.find((a) => a.path === '/var/lib')?.action, 'keep');

    const purge = planUninstall({ manifest, current: state, purge: true });
    const by = new Map(purge.actions.map((a) => [a.path, a]));
    assert.equal(by.get(STATE_DIR)?.action, 'remove');
    assert.equal(by.get(STATE_DIR)?.recursive, true);
    assert.equal(by.get(CONFIG_PATH)?.action, 'remove');
    assert.equal(by.get('/var/lib')?.action, 'remove');
    assert.equal(by.get('/var')?.action, 'remove');
  });

  it('a symlink pointed elsewhere since install is kept; paths already gone are reported as absent', () => {
    const { state, manifest } = installed();
    state.set(SYMLINK_PATH, { kind: 'symlink', target: '/usr/bin/true' });
    state.set(APT_HOOK_PATH, { kind: 'absent' });
    const plan = planUninstall({ manifest, current: state, purge: false });
    assert.equal(plan.actions.find((a) => a.path === SYMLINK_PATH)?.action, 'keep');
    assert.equal(plan.actions.find((a) => a.path === APT_HOOK_PATH)?.action, 'absent');
    assert.equal(plan.actions.find((a) => a.path === '/usr/local/bin')?.action, 'keep');
  });

  it('without a manifest: nothing, or with --purge only the config and the state directory', () => {
    const current = new Map<string, CurrentState>([
      [CONFIG_PATH, { kind: 'file', sha256: 'x', mode: 0o600 }],
      [STATE_DIR, { kind: 'dir', mode: 0o700, entries: ['upkeep.db'] }],
      [UNIT_PATH, { kind: 'file', sha256: 'y', mode: 0o644 }],
    ]);
    assert.deepEqual(planUninstall({ manifest: null, current, purge: false }), { installed: false, actions: [] });
    const purge = planUninstall({ manifest: null, current, purge: true });
    assert.deepEqual(
      purge.actions.map((a) => [a.path, a.action]),
      [
        [CONFIG_PATH, 'remove'],
        [STATE_DIR, 'remove'],
      ],
    );
  });
});
