/**
 * The audit use case (src/app/audit.ts) with injected dependencies: the real file adapters wrapped to
 * record what is opened (and to fail on demand), a fake engine state and an in-memory store.
 * (A test of src/app; it lives here because test/app/ is not this change's.)
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { applyAudit, auditHostState, planAudit, type AuditDeps, type AuditHostState, type AuditStore } from '../../src/app/audit.js';
import { auditFileSystem } from '../../src/cli/deps/audit.js';
import type { RestartPolicy } from '../../src/core/model.js';
import type { NewTimelineEntry } from '../../src/ports/timeline.js';
import { container, daemon } from '../helpers/facts.js';

const NEEDS_FIX = 'services:\n  web:\n    image: nginx\n    ports: ["80:80"]\n';
const FIXED = 'services:\n  web:\n    restart: always\n    image: nginx\n    ports: ["80:80"]\n';
const HOST = { id: 'ENGINE-1', name: 'srv' };

interface Fake {
  deps: AuditDeps;
  opened: string[];
  timeline: NewTimelineEntry[];
  updates: Array<{ id: string; policy: RestartPolicy }>;
}

function fake(opts: {
  cwd: string;
  host?: AuditHostState;
  failWrite?: string;
  store?: 'none' | 'empty' | { desired: string[]; stops?: string[] };
  discoverProblem?: string;
}): Fake {
  const opened: string[] = [];
  const timeline: NewTimelineEntry[] = [];
  const updates: Fake['updates'] = [];
  const storeOf = (): AuditStore => {
    const s = opts.store;
    const snapshot =
      typeof s === 'object'
        ? { id: 1, host: HOST, takenAt: '2025-11-20T10:00:00Z', note: null, forgotten: [], containers: s.desired.map((name) => ({ name }) as never) }
        : null;
    return {
      path: '/state/upkeep.db',
      latestSnapshot: () => snapshot,
      listSnapshots: () => [],
      getSnapshot: () => null,
      operatorStops: () =>
        typeof s === 'object' ? (s.stops ?? []).map((name) => ({ name, at: '2025-11-20T11:00:00Z', by: 'agent', reason: 'stopped by the operator' })) : [],
      appendTimeline: (e) => {
        timeline.push(e);
        return { id: timeline.length, at: 'now', kind: e.kind, subject: e.subject ?? null, detail: { message: e.message } };
      },
      close: () => undefined,
    };
  };
  const deps: AuditDeps = {
    cwd: opts.cwd,
    readHost: async () => opts.host ?? { daemon: daemon(), host: HOST, containers: [] },
    dockerEnabledAtBoot: async () => true,
    openStore: () => (opts.store === 'none' || opts.store === undefined ? { store: null, why: 'no database at /state/upkeep.db' } : { store: storeOf() }),
    updateRestartPolicy: async (id, policy) => void updates.push({ id, policy }),
    files: {
      ...auditFileSystem,
      async discover(dir) {
        const r = await auditFileSystem.discover(dir);
        return opts.discoverProblem ? { ...r, problems: [{ dir: join(dir, opts.discoverProblem), reason: 'cannot list it: EACCES: permission denied' }] } : r;
      },
      async read(path, o) {
        opened.push(path);
        return auditFileSystem.read(path, o);
      },
      async write(path, original, identity, content) {
        if (path === opts.failWrite) throw new Error('EROFS: read-only file system');
        return auditFileSystem.write(path, original, identity, content);
      },
    },
  };
  return { deps, opened, timeline, updates };
}

const request = { paths: [] as string[], scan: [] as string[], live: true, fixes: true };

describe('the audit use case', () => {
  let dir: string;
  let n = 0;
  const fresh = (): string => {
    const d = join(dir, `case-${++n}`);
    mkdirSync(d);
    return d;
  };
  before(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'upk-audit-app-')));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('B2: a file named by compose labels outside the project working directory is never opened, nor fixed', async () => {
    const d = fresh();
    const project = join(d, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'compose.yml'), NEEDS_FIX);
    const secret = join(d, 'shadow.yml');
    writeFileSync(secret, NEEDS_FIX);
    const labels = (files: string) => ({
      project: 'p',
      service: 'web',
      containerNumber: 1,
      workingDir: project,
      configFiles: [files],
      dependsOn: [],
      oneOff: false,
    });
    const host: AuditHostState = {
      daemon: daemon(),
      host: HOST,
      containers: [
        container({ name: 'p-web-1', compose: labels(join(project, 'compose.yml')), restartPolicy: { name: 'always', maximumRetryCount: 0 } }),
        container({ name: 'evil', compose: labels(secret), restartPolicy: { name: 'always', maximumRetryCount: 0 } }),
      ],
    };
    const f = fake({ cwd: d, host });
    const report = await applyAudit(f.deps, await planAudit(f.deps, request, host), { fix: true, applyLive: false });
    assert.deepEqual(f.opened, [join(project, 'compose.yml')]);
    assert.equal(readFileSync(secret, 'utf8'), NEEDS_FIX);
    assert.equal(readFileSync(join(project, 'compose.yml'), 'utf8'), FIXED);
    const skipped = report.files.find((x) => x.path === secret)!;
    assert.equal(skipped.findings[0]!.ruleId, 'file-skipped');
    assert.match(
      skipped.findings[0]!.message,
      /named by the compose labels of container evil, but it is outside the project's working directory .*: not opened/,
    );
  });

  test('B4: a file that cannot be written is a finding for that file; the files after it are still fixed', async () => {
    const d = fresh();
    for (const name of ['a-compose.yml', 'b-compose.yml', 'c-compose.yml']) writeFileSync(join(d, name), NEEDS_FIX);
    const f = fake({ cwd: d, failWrite: join(d, 'b-compose.yml') });
    const plan = await planAudit(f.deps, { ...request, live: false, paths: ['a-compose.yml', 'b-compose.yml', 'c-compose.yml'] });
    const report = await applyAudit(f.deps, plan, { fix: true, applyLive: false });
    assert.equal(readFileSync(join(d, 'a-compose.yml'), 'utf8'), FIXED);
    assert.equal(readFileSync(join(d, 'b-compose.yml'), 'utf8'), NEEDS_FIX);
    assert.equal(readFileSync(join(d, 'c-compose.yml'), 'utf8'), FIXED);
    const b = report.files.find((x) => x.path === 'b-compose.yml')!;
    assert.deepEqual(b.fixed, []);
    assert.deepEqual(
      b.findings.map((x) => x.ruleId),
      ['restart-policy', 'file-skipped'],
    );
    assert.match(b.findings[1]!.message, /the fixes were not written: EROFS/);
    assert.equal(report.summary.fixed, 2);
    assert.deepEqual(
      report.files.map((x) => x.written),
      ['replaced', null, 'replaced'],
    );
  });

  test('B4: a directory under --scan that cannot be listed is reported', async () => {
    const d = fresh();
    const f = fake({ cwd: d, discoverProblem: 'private' });
    const report = await applyAudit(f.deps, await planAudit(f.deps, { ...request, live: false, scan: [d] }), { fix: false, applyLive: false });
    assert.deepEqual(
      report.files.map((x) => [x.path, x.findings[0]?.message]),
      [[join(d, 'private'), 'skipped: directory not searched: cannot list it: EACCES: permission denied']],
    );
    assert.equal(report.summary.errors, 1);
  });

  test('fixes and live policy changes are recorded in the timeline; the result is audited again', async () => {
    const d = fresh();
    writeFileSync(join(d, 'compose.yml'), NEEDS_FIX);
    const host: AuditHostState = { daemon: daemon(), host: HOST, containers: [container({ id: 'c1', name: 'redis' })] };
    const f = fake({ cwd: d, host, store: 'empty' });
    const report = await applyAudit(f.deps, await planAudit(f.deps, { ...request, paths: ['compose.yml'] }), { fix: true, applyLive: true });
    assert.deepEqual(f.updates, [{ id: 'c1', policy: { name: 'always', maximumRetryCount: 0 } }]);
    assert.deepEqual(
      f.timeline.map((e) => [e.kind, e.subject, e.data]),
      [
        ['fix-applied', join(d, 'compose.yml'), { rule: 'restart-policy', line: 2 }],
        ['live-policy-changed', 'redis', { from: 'no', to: 'always' }],
      ],
    );
    assert.deepEqual(report.live.applied, [{ container: 'redis', from: 'no', to: 'always' }]);
    assert.equal(report.summary.fixed, 1);
  });

  test('a script under --scan that runs a service with docker compose run makes it a job: no fix for it, the others get restart: always', async () => {
    const d = fresh();
    const compose =
      'services:\n  web:\n    image: nginx\n    ports: ["80:80"]\n  cache:\n    image: redis\n    healthcheck:\n      test: ["CMD", "redis-cli", "ping"]\n  worker:\n    image: app\n';
    writeFileSync(join(d, 'compose.yml'), compose);
    const scan = { ...request, live: false, scan: ['.'] };

    // Without the script, nothing says what the worker is.
    const before = await planAudit(fake({ cwd: d }).deps, scan);
    const unknown = before.files.find((x) => x.path === 'compose.yml')!.findings.find((x) => x.line === 9);
    assert.match(unknown!.message, /service "worker" has no restart policy, and nothing says whether/);

    mkdirSync(join(d, 'scripts'));
    writeFileSync(join(d, 'scripts', 'run.sh'), '#!/bin/sh\nset -e\ndocker compose -f ../compose.yml run --rm worker\n');
    const f = fake({ cwd: d });
    const report = await applyAudit(f.deps, await planAudit(f.deps, scan), { fix: true, applyLive: false });
    assert.ok(f.opened.includes(join(d, 'scripts', 'run.sh')));
    const file = report.files.find((x) => x.path === 'compose.yml')!;
    assert.deepEqual(
      file.fixed.map((x) => x.line),
      [2, 5],
    );
    assert.deepEqual(file.findings, []);
    assert.equal(
      readFileSync(join(d, 'compose.yml'), 'utf8'),
      'services:\n  web:\n    restart: always\n    image: nginx\n    ports: ["80:80"]\n  cache:\n    restart: always\n    image: redis\n    healthcheck:\n      test: ["CMD", "redis-cli", "ping"]\n  worker:\n    image: app\n',
    );
    assert.deepEqual(
      report.files.map((x) => x.path),
      ['compose.yml'],
    ); // the script is read for evidence, never audited
  });

  test('a job a script runs: the finding names the script and line; a script outside the scanned directory is never read', async () => {
    const d = fresh();
    const repo = join(d, 'repo');
    mkdirSync(join(repo, 'ops'), { recursive: true });
    writeFileSync(join(repo, 'docker-compose.yml'), 'services:\n  worker:\n    image: app\n    restart: always\n  tests:\n    image: app\n');
    writeFileSync(join(repo, 'ops', 'nightly.sh'), '#!/bin/bash\n# nightly\ncd "$(dirname "$0")/.."\nsudo docker compose \\\n  run --rm worker\n');
    writeFileSync(join(d, 'outside.sh'), 'docker compose up --exit-code-from tests\n');
    symlinkSync(join(d, 'outside.sh'), join(repo, 'ops', 'ci.sh'));
    const f = fake({ cwd: d });
    const plan = await planAudit(f.deps, { ...request, live: false, scan: ['repo'] });
    assert.ok(!f.opened.includes(join(d, 'outside.sh')));
    const findings = plan.files.find((x) => x.path === 'repo/docker-compose.yml')!.findings;
    assert.deepEqual(
      findings.map((x) => [x.line, x.severity, x.fixable]),
      [
        [4, 'warning', false],
        [5, 'warning', false],
      ],
    );
    assert.equal(
      findings[0]!.message, // found through cd "$(dirname "$0")/..": the default compose file of repo/
      'service "worker" is a one-off job (`repo/ops/nightly.sh:4` runs it with `docker compose run --rm worker`), but restart: always starts it again every time it finishes: use "no" or on-failure',
    );
    assert.match(findings[1]!.message, /service "tests" has no restart policy, and nothing says whether/);
  });

  test('desired-manually-stopped reads the desired state through loadDesiredState: no snapshot is a note; an operator stop is not desired', async () => {
    const d = fresh();
    const stopped = (name: string) =>
      container({ name, state: 'exited', exitCode: 137, manuallyStopped: true, restartPolicy: { name: 'always', maximumRetryCount: 0 } });
    const host: AuditHostState = { daemon: daemon(), host: HOST, containers: [stopped('db'), stopped('paused-on-purpose')] };
    const none = await auditHostState(fake({ cwd: d, store: 'empty' }).deps, host);
    assert.deepEqual(
      none.live.findings.filter((x) => x.ruleId === 'desired-manually-stopped'),
      [],
    );
    assert.match(none.notes.join('\n'), /desired-manually-stopped not checked: no snapshot in \/state\/upkeep\.db yet/);
    const some = await auditHostState(fake({ cwd: d, store: { desired: ['db', 'paused-on-purpose'], stops: ['paused-on-purpose'] } }).deps, host);
    assert.deepEqual(
      some.live.findings.filter((x) => x.ruleId === 'desired-manually-stopped').map((x) => x.subject),
      ['db'],
    );
    assert.deepEqual(some.notes, []);
  });
});
