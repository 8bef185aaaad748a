import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTable } from '../../src/core/render/table.js';
import { buildStatusReport, hasRisk, statusTable, statusVerdict } from '../../src/core/status-report.js';
import { container, daemon } from '../helpers/facts.js';

const incident = [
  container({ name: 'covid-lapis', restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 }, compose: { project: 'covid', service: 'lapisOpen', containerNumber: 1, workingDir: '/opt', configFiles: [], dependsOn: [], oneOff: false } }),
  container({ name: 'v-pipe-redis-1', restartPolicy: { name: 'no', maximumRetryCount: 0 } }),
  container({ name: 'k3d-server', restartPolicy: { name: 'always', maximumRetryCount: 0 } }),
  container({ name: 'old-job', state: 'exited', exitCode: 0, restartPolicy: { name: 'no', maximumRetryCount: 0 } }),
  container({ name: 'stopped-always', state: 'exited', exitCode: 0, manuallyStopped: true, restartPolicy: { name: 'always', maximumRetryCount: 0 } }),
];

test('summary and verdict over running containers', () => {
  const r = buildStatusReport(daemon(), incident);
  assert.equal(r.summary.total, 5);
  assert.equal(r.summary.running, 3);
  assert.deepEqual(r.summary.reboot.notBackNames, ['v-pipe-redis-1']);
  assert.deepEqual(r.summary.daemonCrash.notBackNames, ['covid-lapis', 'v-pipe-redis-1']);
  assert.deepEqual(r.summary.stoppedButWillStart, ['stopped-always']);
  assert.equal(statusVerdict(r.summary), '1 of 3 running containers would not come back after a reboot; 2 not after a daemon crash or power loss.');
  assert.equal(hasRisk(r.summary), true);
});

test('all safe', () => {
  const r = buildStatusReport(daemon(), [container({ restartPolicy: { name: 'always', maximumRetryCount: 0 } })]);
  assert.equal(hasRisk(r.summary), false);
  assert.match(statusVerdict(r.summary), /^All 1 running containers would come back/);
  assert.equal(statusVerdict(buildStatusReport(daemon(), []).summary), 'No running containers (0 in all): nothing to lose.');
});

test('table cells and shared footnotes', () => {
  const t = statusTable(buildStatusReport(daemon(), incident));
  const row = (name: string) => t.rows.find((r) => r.cells[0] === name)!.cells;
  assert.deepEqual(row('covid-lapis').slice(1), ['covid/lapisOpen', 'running', 'unless-stopped', 'back', 'NOT BACK (1)', 'back']);
  assert.deepEqual(row('v-pipe-redis-1').slice(4), ['NOT BACK (2)', 'NOT BACK (2)', 'NOT BACK (2)']);
  assert.deepEqual(row('old-job').slice(2), ['exited (0)', 'no', 'stays down', 'stays down', 'stays down']);
  assert.match(row('stopped-always')[4]!, /^STARTS \(\d\)$/);
  assert.match(t.footnotes[0]!, /orphaned container, which counts as a manual stop/);
  assert.match(t.footnotes[1]!, /restart policy "no"/);
  const text = renderTable(t.header, t.rows.map((r) => r.cells));
  assert.match(text.split('\n')[0]!, /^CONTAINER\s+PROJECT\/SERVICE\s+STATE\s+POLICY\s+DAEMON RESTART\s+DAEMON CRASH\s+REBOOT$/);
});
