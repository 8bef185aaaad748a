/**
 * The "rehearse an upgrade" use case's own logic with a fake apt/dpkg side, a fake engine and a
 * fake sandbox (the real sandbox, apt and dpkg run in test/engine/rehearse-e2e.test.ts; here: what
 * the use case makes of what the sandbox returns): the layout refused before anything runs, apt
 * stopping before dpkg is "could not rehearse", the containers' fate from the observed actions,
 * and exit 5 for a failing maintainer script.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ScriptTexts } from '../../src/app/assess-evidence.js';
import type { HostSnapshot, UpgradeSystem } from '../../src/app/assess-upgrade.js';
import { rehearse, rehearsalTimelineEntry, type RehearseDeps, type RehearseRequest } from '../../src/app/rehearse.js';
import { UpkeepError } from '../../src/core/errors.js';
import type { RehearsalRaw, RehearsalRun, RehearsalSandbox } from '../../src/ports/rehearsal.js';
import { container, daemon } from '../helpers/facts.js';

const NO_SCRIPTS: ScriptTexts = { preinst: null, postinst: null, prerm: null, postrm: null };
const PLAN = 'Inst acme-agent [1.0-1] (1.0-2 Acme:12/stable [amd64])\n';
const ROOT_ONLY = '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n';

const system: UpgradeSystem = {
  simulate: async () => {
    throw new Error('no apt here');
  },
  readPlanFile: async () => Buffer.from(PLAN),
  installedScripts: async () => null,
  candidateScripts: async () => NO_SCRIPTS,
  shippedUnits: async () => null,
  unitStates: async (units) => new Map(units.map((u) => [u, { enabled: false, active: null }])),
  allUnits: async () => new Map(),
  modifiedConffiles: async () => new Map(),
  kernels: async () => ({ running: 'k', installed: ['k'], rebootRequired: false }),
};

const host = (): HostSnapshot => ({
  daemon: daemon(),
  containers: [
    container({ name: 'redis', restartPolicy: { name: 'no', maximumRetryCount: 0 } }),
    container({ name: 'web', restartPolicy: { name: 'always', maximumRetryCount: 0 } }),
  ],
  host: { id: 'ENGINE-1', name: 'lab-server' },
});

const raw = (over: Partial<RehearsalRaw>): RehearsalRaw => ({
  aptExit: 0,
  failure: null,
  output: ['Unpacking acme-agent (1.0-2) over (1.0-1) ...', 'Setting up acme-agent (1.0-2) ...'],
  calls: '',
  conffiles: [],
  bootFiles: [],
  rebootRequired: null,
  rebootRequiredPkgs: null,
  rebootUnknownWhy: null,
  upperBytes: 1234,
  seconds: 1.5,
  ...over,
});

function sandbox(mountinfo: string, result: RehearsalRaw, runs: RehearsalRun[] = []): RehearsalSandbox {
  return {
    mountinfo: async () => mountinfo,
    hostRunsSystemd: async () => true,
    run: async (req) => {
      runs.push(req);
      return result;
    },
  };
}

const deps = (sb: RehearsalSandbox): RehearseDeps => ({ system, readHost: async () => host(), openStore: () => null, sandbox: sb });
const request: RehearseRequest = {
  mode: 'full-upgrade',
  planFile: 'plan.txt',
  noDownload: true,
  scratchDir: null,
  keepDir: null,
  sizeBytes: 1 << 30,
  aptOptions: [],
  hostName: 'lab-server',
};

test('a layout an overlay cannot copy is refused before anything runs', async () => {
  const runs: RehearsalRun[] = [];
  const nfs = `${ROOT_ONLY}30 22 0:50 / /usr rw - nfs4 srv:/usr rw\n`;
  await assert.rejects(rehearse(deps(sandbox(nfs, raw({}), runs)), request), (err: Error) => {
    assert.ok(err instanceof UpkeepError);
    assert.match(err.message, /cannot rehearse on this machine's layout: \/usr is nfs4 \(srv:\/usr\)/);
    return true;
  });
  assert.equal(runs.length, 0);
});

test('apt stopping before dpkg ran is "could not rehearse" (exit 2), with the command that fills the cache', async () => {
  const stopped = raw({
    aptExit: 100,
    output: ['Reading package lists...', 'E: Unable to fetch some archives, maybe run apt-get update or try with --fix-missing?'],
  });
  await assert.rejects(rehearse(deps(sandbox(ROOT_ONLY, stopped)), request), (err: Error) => {
    assert.ok(err instanceof UpkeepError);
    assert.match(err.message, /the upgrade could not be rehearsed: E: Unable to fetch some archives/);
    assert.match((err as UpkeepError).hint ?? '', /apt-get --download-only dist-upgrade first/);
    return true;
  });
});

test('a view that could not be built is "could not rehearse" with the view\'s cause, not apt\'s advice', async () => {
  const unbuilt = raw({ aptExit: null, failure: 'the view could not be built (exit 32): mount: /tmp/x/merged: unknown filesystem type overlay.', output: [] });
  await assert.rejects(rehearse(deps(sandbox(ROOT_ONLY, unbuilt)), request), (err: Error) => {
    assert.ok(err instanceof UpkeepError);
    assert.match(err.message, /the upgrade could not be rehearsed: the view could not be built \(exit 32\): mount: .*overlay/);
    assert.match((err as UpkeepError).hint ?? '', /^apt did not run: the throwaway view could not be built/);
    assert.doesNotMatch((err as UpkeepError).hint ?? '', /download-only|apt-get -s/);
    return true;
  });
});

test('an observed docker.service restart that preflight did not see: missed, and the containers judged from it (exit 3)', async () => {
  const runs: RehearsalRun[] = [];
  const calls = 'policy-rc.d\tacme-agent\tpostinst\tdocker.service restart\n';
  const r = await rehearse(deps(sandbox(`${ROOT_ONLY}31 22 254:1 / /boot rw - ext4 /dev/vda1 rw\n`, raw({ calls }), runs)), request);
  assert.deepEqual(runs[0]!.overlays, ['/boot']);
  assert.equal(runs[0]!.noDownload, true);
  assert.equal(r.prediction.report.docker.restarts, false, 'preflight had no script to read');
  assert.deepEqual(
    r.comparison.map((c) => `${c.mark} ${c.package} ${c.unit}`),
    ['missed acme-agent docker.service'],
  );
  assert.equal(r.observed.docker.restarts, true);
  assert.deepEqual(
    r.observed.containers!.map((c) => `${c.name} ${c.runningAtEnd}`),
    ['redis no', 'web yes'],
  );
  assert.equal(r.upgradeFailed, false);
  assert.equal(r.exitCode, 3);
});

test("a docker.service restart asked by a package outside preflight's plan, or outside any script, still judges the containers (exit 3)", async () => {
  for (const calls of ['policy-rc.d\tcontainerd\tpostinst\tdocker.service restart\n', 'systemctl\t\t\trestart docker.service\n']) {
    const r = await rehearse(deps(sandbox(ROOT_ONLY, raw({ calls }))), request);
    assert.equal(r.observed.docker.restarts, true, calls);
    assert.deepEqual(
      r.observed.containers!.map((c) => `${c.name} ${c.runningAtEnd}`),
      ['redis no', 'web yes'],
      calls,
    );
    assert.equal(r.exitCode, 3, calls);
  }
});

test('the view left a reboot flag upkeep could not read: "not known" (exit 4, with why), never "no reboot"', async () => {
  const why = '/run/reboot-required in the view is a symbolic link (not followed)';
  const r = await rehearse(deps(sandbox(ROOT_ONLY, raw({ rebootUnknownWhy: why }))), request);
  assert.deepEqual(r.reboot, { required: null, packages: [], why });
  assert.equal(r.observed.verdict, 'unknown');
  assert.equal(r.exitCode, 4);
  assert.ok(
    r.observed.unknownReasons.some((u) => u.includes(why)),
    JSON.stringify(r.observed.unknownReasons),
  );
  assert.match(rehearsalTimelineEntry(r, 'lab-server').message, /reboot flag not known/);
  // The flag itself read (only its package list not): required, as before.
  const read = await rehearse(deps(sandbox(ROOT_ONLY, raw({ rebootRequired: '*** System restart required ***\n', rebootUnknownWhy: why }))), request);
  assert.deepEqual(read.reboot, { required: true, packages: [] });
  assert.equal(read.exitCode, 3);
});

test('a failing maintainer script: the upgrade fails (exit 5), with the script and its lines', async () => {
  const output = [
    'Setting up acme-agent (1.0-2) ...',
    'Job for docker.service failed.',
    'dpkg: error processing package acme-agent (--configure):',
    ' installed acme-agent package post-installation script subprocess returned error exit status 1',
    'E: Sub-process /usr/bin/dpkg returned an error code (1)',
  ];
  const r = await rehearse(deps(sandbox(ROOT_ONLY, raw({ aptExit: 100, output }))), request);
  assert.equal(r.upgradeFailed, true);
  assert.equal(r.exitCode, 5);
  assert.deepEqual(
    r.failures.map((f) => [f.package, f.script, f.exitCode, f.lastLines]),
    [['acme-agent', 'postinst', 1, ['Setting up acme-agent (1.0-2) ...', 'Job for docker.service failed.']]],
  );
});
