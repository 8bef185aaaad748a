/** The runbook model and its Markdown, from container facts and compose file text (pure). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { desiredStateOf } from '../../../src/core/recovery/desired-state.js';
import { buildRunbook, type FileRead, type Runbook } from '../../../src/core/runbook/runbook.js';
import { RUNBOOK_MARKER, renderRunbookMarkdown } from '../../../src/core/runbook/render-markdown.js';
import { daemon } from '../../helpers/facts.js';
import { markdownStructure, tableProblems } from '../../helpers/markdown-tables.js';
import { INCIDENT_FILES, SECRETS, incidentSnapshot } from '../../helpers/runbook-fixture.js';
import { actualOf, desiredOf } from '../recovery/fixtures.js';

function incidentRunbook(opts: { live?: boolean; files?: Record<string, FileRead> } = {}): Runbook {
  const snap = incidentSnapshot();
  const desired = desiredStateOf({ ...snap, id: 7, forgotten: [{ name: 'scratch-debug', at: '2025-11-20T15:21:00.000Z' }] }, []);
  desired.containers = desired.containers.filter((c) => c.name !== 'scratch-debug');
  const files = new Map<string, FileRead>(Object.entries(INCIDENT_FILES).map(([p, text]) => [p, { ok: true, text }]));
  files.set('/opt/srsilo/tools/.env', { ok: false, why: 'absent' });
  for (const [p, r] of Object.entries(opts.files ?? {})) files.set(p, r);
  const live = opts.live
    ? {
        daemon: daemon({ serverVersion: '29.0.2' }),
        containers: [
          ...desired.containers.filter((d) => d.name !== 'grafana').map((d) => actualOf(d, d.name.startsWith('v-pipe') ? 'exited' : 'running')),
          actualOf(desiredOf({ name: 'adhoc' }), 'running'),
        ],
      }
    : null;
  return buildRunbook({
    generatedAt: '2025-11-21T09:00:00.000Z',
    stateDir: '/var/lib/upkeep',
    desired,
    live,
    engineProblem: live ? null : 'no Docker socket at /var/run/docker.sock: is docker running?',
    files,
  });
}

describe('buildRunbook on the incident host', () => {
  const rb = incidentRunbook();

  it('writes one command per compose project, k3d cluster and standalone container', () => {
    assert.deepEqual(
      rb.projects.map((p) => p.command),
      [
        'cd /opt/srsilo/tools && docker compose -p srsilo -f docker-compose.yml up -d',
        'cd /opt/v-pipe-scout && docker compose -p v-pipe-scout -f docker-compose.yml up -d',
      ],
    );
    assert.deepEqual(
      rb.k3dClusters.map((k) => [k.cluster, k.command, k.containers.map((c) => c.name)]),
      [['loculus', 'k3d cluster start loculus', ['k3d-loculus-server-0', 'k3d-loculus-serverlb']]],
    );
    assert.deepEqual(
      rb.standalone.map((s) => s.command),
      ['docker start grafana'],
    );
    assert.deepEqual(
      rb.notDesired.map((n) => n.name),
      ['scratch-debug'],
    );
  });

  it('names each variable and where it comes from, never a value', () => {
    assert.deepEqual(rb.projects[0]!.variables, [{ name: 'LAPIS_PORT', source: 'environment', required: false }]);
    assert.equal(rb.projects[0]!.envFile, 'absent');
    assert.deepEqual(rb.projects[1]!.variables, [
      { name: 'API_TOKEN', source: 'default', required: false },
      { name: 'REDIS_PASSWORD', source: 'env-file', required: true },
      { name: 'STREAMLIT_PORT', source: 'default', required: false },
    ]);
    const all = JSON.stringify(rb) + renderRunbookMarkdown(rb);
    for (const s of SECRETS) assert.ok(!all.includes(s), `secret ${s} in the output`);
    assert.doesNotMatch(all, /UNUSED_NAME/, '.env names that no compose file uses are not listed');
  });

  it("reuses the restart-semantics model's verdicts, and lists the risks", () => {
    const redis = rb.projects[1]!.containers.find((c) => c.service === 'redis')!;
    assert.equal(redis.policy, 'no');
    assert.equal(redis.comesBack.reboot.outcome, 'not-back');
    const silo = rb.projects[0]!.containers.find((c) => c.service === 'silo')!;
    assert.deepEqual([silo.comesBack.daemonRestart.outcome, silo.comesBack.daemonCrash.outcome, silo.comesBack.reboot.outcome], ['back', 'not-back', 'back']);
    assert.deepEqual([...new Set(rb.risks.map((r) => r.container))], ['v-pipe-scout-redis-1', 'v-pipe-scout-streamlit-1', 'v-pipe-scout-worker-1']);
    assert.deepEqual(rb.engine, { reachable: false, problem: 'no Docker socket at /var/run/docker.sock: is docker running?' });
  });

  it('one risk row per container when a daemon restart and a reboot end the same way for the same reason', () => {
    const rows = renderRunbookMarkdown(rb)
      .split('\n')
      .filter((l) => /^\| `v-pipe-scout-/.test(l));
    assert.deepEqual(
      rows.map((l) => l.split(' | ').slice(0, 2)),
      ['redis', 'streamlit', 'worker'].map((s) => [`| \`v-pipe-scout-${s}-1\``, 'daemon restart, reboot']),
    );
  });

  it('renders well-formed Markdown that says where it came from', async () => {
    const md = renderRunbookMarkdown(rb);
    const parsed = await markdownStructure(md);
    assert.deepEqual(parsed.html, [RUNBOOK_MARKER]);
    assert.equal(parsed.tables.length, 7);
    for (const t of parsed.tables)
      assert.ok(
        t.every((n) => n === t[0]),
        `a table with rows of ${t.join(', ')} cells`,
      );
    assert.ok(parsed.codeBlocks.includes('cd /opt/srsilo/tools && docker compose -p srsilo -f docker-compose.yml up -d'));
    assert.deepEqual(parsed.headings.slice(0, 2), ['Server maintenance: wisepulse', 'Bring it back']);
    assert.equal(md.split('\n')[0], RUNBOOK_MARKER);
    assert.match(
      md,
      /^_Generated by upkeep runbook on 2025-11-21 09:00:00Z from snapshot #7 taken 2025-11-20 15:20:00Z \(before the 2025-11-20 upgrade\); regenerate, do not edit\._$/m,
    );
    assert.match(md, /^# Server maintenance: wisepulse$/m);
    assert.match(md, /\*\*The Docker engine did not answer\*\*/);
    assert.match(md, /upkeep snapshot --note "before upgrade"/);
    assert.match(md, /upkeep timeline --since/);
    assert.match(md, /`\/var\/lib\/upkeep`/);
    assert.deepEqual(tableProblems(md), []);
  });
});

describe('buildRunbook with the engine answering', () => {
  it('says what runs now, uses the live policy, and names running containers no snapshot has', () => {
    const rb = incidentRunbook({ live: true });
    assert.equal(rb.engine.reachable, true);
    assert.equal(rb.standalone[0]!.now, 'missing');
    assert.equal(rb.projects[1]!.containers[0]!.now, 'exited (137)');
    assert.deepEqual(rb.undesiredRunning, ['adhoc']);
    assert.deepEqual(tableProblems(renderRunbookMarkdown(rb)), []);
  });
});

describe('hostile labels and files', () => {
  it('reports files it could not use, and writes no command for control characters or a bad project name', async () => {
    const d = [
      desiredOf({
        name: 'evil-1',
        compose: { project: 'evil', service: 'a|b', workingDir: '/srv/evil\n```\nrm -rf /', files: ['/srv/evil\n```\nrm -rf //c.yml'] },
      }),
      desiredOf({ name: 'bad-1', compose: { project: 'Bad Name;rm', service: 'x', workingDir: '/srv/bad', files: ['/srv/bad/c.yml'] } }),
      desiredOf({ name: 'nolabel-1', compose: { project: 'nolabel', service: 'x', workingDir: null, files: ['c.yml'] } }),
      desiredOf({ name: 'ok-1', compose: { project: 'ok', service: 'x', workingDir: '/srv/ok', files: ['/srv/ok/c.yml', '/srv/ok/shadow.yml'] } }),
    ];
    const rb = buildRunbook({
      generatedAt: '2026-01-01T00:00:00.000Z',
      stateDir: '/s',
      desired: desiredStateOf({ host: { id: 'E', name: 'h`|<b>' }, takenAt: '2026-01-01T00:00:00.000Z', note: null, containers: d, id: 1, forgotten: [] }, []),
      live: null,
      engineProblem: 'down',
      files: new Map<string, FileRead>([
        ['/srv/ok/c.yml', { ok: false, why: 'not a regular file' }],
        ['/srv/ok/shadow.yml', { ok: true, text: 'root:$6$saltsalt$hash:1:2:3\n' }],
      ]),
    });
    const byName = new Map(rb.projects.map((p) => [p.project, p]));
    assert.equal(byName.get('evil')!.command, null);
    assert.match(byName.get('evil')!.commandProblem!, /control characters/);
    assert.equal(byName.get('Bad Name;rm')!.command, null);
    assert.match(byName.get('Bad Name;rm')!.commandProblem!, /not a compose project name/);
    assert.equal(byName.get('nolabel')!.command, null);
    assert.deepEqual(
      byName.get('ok')!.files.map((f) => f.problem),
      ['not a regular file', 'not a compose file (no top-level "services:" mapping): no variables taken from it'],
    );
    const md = renderRunbookMarkdown(rb);
    assert.deepEqual(tableProblems(md), []);
    assert.doesNotMatch(md, /salt/);
    assert.doesNotMatch(md, /\nrm -rf/, 'a newline in a label never starts a line of the document');
    const rest = md.replaceAll('\\<b', '').replaceAll('``h`|<b>``', '');
    assert.ok(!rest.includes('<b'), 'markup from a label is escaped, or inside a code span');
    assert.match(md, /^# Server maintenance: h\\`\|\\<b\\>$/m);
    const parsed = await markdownStructure(md);
    assert.deepEqual(parsed.html, [RUNBOOK_MARKER], 'no HTML from a label');
    assert.deepEqual(parsed.headings[0], 'Server maintenance: h`|<b>');
    for (const t of parsed.tables)
      assert.ok(
        t.every((n) => n === t[0]),
        `a table with rows of ${t.join(', ')} cells`,
      );
    assert.ok(!parsed.codeBlocks.some((c) => c.split('\n').some((l) => l.startsWith('rm -rf'))), 'a label cannot add a line to a code block');
  });
});
