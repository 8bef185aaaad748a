/**
 * The rollback plan through the use cases and the real SQLite store: `upkeep upgrade` makes it at
 * the snapshot step, before apt runs (a copy of docker.io kept, which only dpkg's status still
 * has), records it in the journal; `upkeep report` of that maintenance and `upkeep runbook` give
 * the command, the report's JSON still matches its schema and its Markdown tables are whole.
 * Never throws: a facts reader that fails leaves the plan with no way back, said why.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import type { UpgradeAssessment } from '../../src/app/assess-upgrade.js';
import { makeReport } from '../../src/app/report.js';
import { assessRollback, prepareRollback } from '../../src/app/rollback-plan.js';
import { makeRunbook } from '../../src/app/runbook.js';
import { runUpgrade, type UpgradeDeps } from '../../src/app/upgrade.js';
import type { PreflightReport } from '../../src/core/preflight/preflight-report.js';
import { renderReportHtml } from '../../src/core/report/render-html.js';
import { renderReportMarkdown } from '../../src/core/report/render-markdown.js';
import { renderRunbookMarkdown } from '../../src/core/runbook/render-markdown.js';
import type { InstalledPackage } from '../../src/core/upgrade/rollback.js';
import type { ProjectFileReader } from '../../src/ports/files.js';
import type { HostState } from '../../src/ports/host.js';
import type { PackageCopier, RollbackFactsReader } from '../../src/ports/rollback.js';
import { FakeHost } from '../core/recovery/fake-engine.js';
import { desiredOf, inspectOf, type ContainerSpec } from '../core/recovery/fixtures.js';
import { daemon } from '../helpers/facts.js';
import { tableProblems } from '../helpers/markdown-tables.js';

const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;
const schema = JSON.parse(readFileSync(new URL('../../docs/schemas/report.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);
const validate = ajv.compile(schema);

const root = mkdtempSync(join(tmpdir(), 'upkeep-rollback-app-'));
after(() => rmSync(root, { recursive: true, force: true }));

const SPECS: ContainerSpec[] = [{ name: 'silo', id: 'a1'.repeat(32), restart: 'unless-stopped' }];
const OLD = '20.10.24+dfsg1-1+deb12u1';
const NEW = '1:28.5.2+dfsg4-5';
const POLICY = `docker.io:\n  Installed: ${OLD}\n  Candidate: ${NEW}\n  Version table:\n     ${NEW} 500\n        500 file:/srv/repo ./ Packages\n *** ${OLD} 100\n        100 /var/lib/dpkg/status\ncurl:\n  Installed: 7.88.1-10\n  Candidate: 7.88.1-11\n  Version table:\n     7.88.1-11 500\n        500 file:/srv/repo ./ Packages\n *** 7.88.1-10 500\n        500 file:/srv/repo ./ Packages\n        100 /var/lib/dpkg/status\n`;

function assessment(): UpgradeAssessment {
  const report = {
    packages: [
      { name: 'docker.io', from: OLD, to: NEW },
      { name: 'curl', from: '7.88.1-10', to: '7.88.1-11' },
      { name: 'linux-image-6.1.0-42-amd64', from: null, to: '6.1.159-1' },
    ],
    verdict: 'all-come-back',
    containers: [],
    alreadyDown: [],
    reboot: { needed: false, why: [] },
    docker: { restarts: true, liveRestoreCovers: false, why: null },
    unknownReasons: [],
    summary: { packages: 3, containersStop: 1, notBack: 0, unknown: 0, alreadyDown: 0 },
  } as unknown as PreflightReport;
  return {
    report,
    exitCode: 1,
    planSource: 'test',
    aptSimulation: null,
    evidenceCache: null,
    problems: [],
    containersNote: null,
    desiredNote: null,
    downloadNote: null,
    timelineNote: null,
  };
}

const installedDocker: InstalledPackage = {
  name: 'docker.io',
  version: OLD,
  architecture: 'amd64',
  status: 'install ok installed',
  listFile: '/var/lib/dpkg/info/docker.io.list',
  bytes: 80 * 1024 * 1024,
  missing: [],
};

function facts(over: Partial<RollbackFactsReader> = {}): RollbackFactsReader {
  return {
    aptCachePolicy: async () => POLICY,
    cachedDebs: async () => [],
    installedPackage: async (name) => (name === 'docker.io' ? installedDocker : null),
    ...over,
  };
}

describe('the rollback plan in upkeep upgrade, the report and the runbook', () => {
  it('is made before apt, recorded with the run, and the report and runbook give its command', async () => {
    const host = new FakeHost();
    for (const s of SPECS) host.add(desiredOf(s), 'running');
    const stateDir = join(root, 'upgrade');
    const store = openStore({ stateDir, now: () => new Date(host.clock.now) });
    let aptRan = false;
    const copies: Array<{ dest: string; aptRanBefore: boolean }> = [];
    const copier: PackageCopier = {
      keepCopy: async (_pkg, dest) => {
        copies.push({ dest, aptRanBefore: aptRan });
        return { ok: true, bytes: 30 * 1024 * 1024 };
      },
    };
    const readHost = async (): Promise<HostState> => ({
      daemon: daemon(),
      host: host.identity,
      containers: SPECS.map((s) => host.facts(host.byName(s.name)!)),
      inspects: new Map(SPECS.map((s) => [s.id!, inspectOf({ ...s, state: 'running' })])),
      flagsUnreadable: null,
      readAt: new Date(host.clock.now),
    });
    const dir = join(stateDir, 'rollback');
    const deps: UpgradeDeps = {
      store,
      now: () => host.clock.now,
      pid: 1000,
      pidAlive: () => false,
      readHost,
      engineAnswers: async () => true,
      engineGone: (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
      sleep: (ms) => host.clock.sleep(ms),
      readDaemonProcesses: async () => [],
      pingEveryMs: 500,
      check: async () => ({ line: 'checked', risk: false }),
      assess: async () => assessment(),
      upgrader: {
        simulate: async () => '',
        run: async () => {
          aptRan = true;
          await host.clock.sleep(1000);
          return { code: 0, failure: null, tail: [], logFile: null };
        },
      },
      readTextFile: async () => ({ ok: false, why: 'ENOENT' }),
      prepareRollback: (pkgs) => prepareRollback({ facts: facts(), copier, dir, capBytes: 512 * 1024 * 1024, now: () => host.clock.now }, pkgs),
      // No reboot in this run, no health checks configured.
      boot: { readBoot: async () => ({ id: 'boot-1', bootTime: null }) },
      rebootRequirement: { rebootRequired: async () => ({ why: [], unknown: null }) },
      rebooter: { command: 'fake reboot', reboot: async () => undefined },
      runHealthChecks: async () => [],
      recovery: host,
      recoveryRun: { graceMs: 0, engineWaitMs: 10_000, readyTimeoutMs: 10_000, runningForMs: 1_000, concurrency: 4 },
      onEvent: () => undefined,
      confirm: null,
    };
    const r = await host.clock.drive(runUpgrade(deps, { mode: 'upgrade', acceptRisk: false, dryRun: false, windowMs: 3600_000 }));
    assert.equal(r.outcome, 'done');
    const copyPath = join(dir, `docker.io_${OLD}_amd64.deb`);
    assert.deepEqual(copies, [{ dest: copyPath, aptRanBefore: false }]);

    const stored = store.rollbackPlan({ maintenanceId: r.maintenanceId! });
    assert.equal(stored?.runId, r.runId);
    assert.deepEqual(
      stored?.plan.packages.map((p) => [p.name, p.source.kind]),
      [
        ['docker.io', 'copy'],
        ['curl', 'repository'],
      ],
    );
    assert.deepEqual(stored?.plan.newPackages, ['linux-image-6.1.0-42-amd64']);
    assert.equal(store.rollbackPlan({ maintenanceId: r.maintenanceId! + 99 }), null);

    const command = `apt-get install --allow-downgrades ${copyPath} curl=7.88.1-10`;
    const report = makeReport(store, { maintenanceId: r.maintenanceId! }, host.clock.now);
    assert.equal(report.rollback?.command, command);
    assert.equal(validate(JSON.parse(JSON.stringify(report))), true, JSON.stringify(validate.errors));
    const md = renderReportMarkdown(report);
    assert.ok(md.includes(`## Rollback\n\nRecorded before apt ran`), md);
    assert.ok(md.includes(`\`\`\`sh\n${command}\n\`\`\``), md);
    assert.deepEqual(tableProblems(md), []);
    const html = renderReportHtml(report);
    assert.ok(html.includes(`<h2>Rollback</h2>`) && html.includes(`<pre><code>${command}</code></pre>`), html);

    const files: ProjectFileReader = {
      realpath: async () => ({ ok: false, reason: 'not in this test' }),
      absent: async () => true,
      read: async () => ({ ok: false, why: 'not in this test' }),
    } as unknown as ProjectFileReader;
    const runbook = await makeRunbook({ store, live: null, engineProblem: 'not in this test', files, stateDir, now: new Date(host.clock.now) });
    assert.equal(runbook.rollback?.command, command);
    assert.equal(runbook.rollback?.maintenanceId, r.maintenanceId);
    const rbmd = renderRunbookMarkdown(runbook);
    assert.ok(rbmd.includes('## Rolling back the last upgrade'), rbmd);
    assert.ok(rbmd.includes(`\`\`\`sh\n${command}\n\`\`\``), rbmd);
    assert.deepEqual(tableProblems(rbmd), []);
    store.close();
  });

  it('apt-cache failing and dpkg not answering: no way back for the engine, said why; preflight gets the warning', async () => {
    const plan = await assessRollback(
      { facts: facts({ aptCachePolicy: async () => null, installedPackage: async () => null }), dir: '/s/rollback', capBytes: 1024, now: () => 0 },
      [{ name: 'containerd', from: '1.6.20~ds1-1+b1', to: '1:1.6.24~ds1-1' }],
    );
    assert.equal(plan.packages[0]?.source.kind, 'none');
    assert.match(plan.notes.join('\n'), /apt-cache policy could not run/);
    assert.match((plan.packages[0]?.source as { why: string }).why, /dpkg does not know it as installed/);
  });
});
