import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTable } from '../../src/core/render/table.js';
import { buildStatusReport, hasRisk, statusTable, statusVerdict } from '../../src/core/status-report.js';
import { container, daemon } from '../helpers/facts.js';
import { desiredStateOf } from '../../src/core/recovery/desired-state.js';
import { desiredOf } from './recovery/fixtures.js';

const incident = [
  container({
    name: 'covid-lapis',
    restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 },
    compose: { project: 'covid', service: 'lapisOpen', containerNumber: 1, workingDir: '/opt', configFiles: [], dependsOn: [], oneOff: false },
  }),
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
  const text = renderTable(
    t.header,
    t.rows.map((r) => r.cells),
  );
  assert.match(text.split('\n')[0]!, /^CONTAINER\s+PROJECT\/SERVICE\s+STATE\s+POLICY\s+DAEMON RESTART\s+DAEMON CRASH\s+REBOOT$/);
});

test('only an unless-stopped container runs: the verdict is a whole sentence, not "1 not after ..."', () => {
  const r = buildStatusReport(daemon(), [container({ restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 } })]);
  assert.equal(statusVerdict(r.summary), '1 of 1 running container would not come back after a daemon crash or power loss.');
});

test('the desired state marks each container; an operator stop becomes a note with the way back', () => {
  const snapshot = {
    id: 7,
    host: { id: 'E', name: 'h' },
    takenAt: '2025-11-20T15:00:00.000Z',
    note: null,
    containers: [desiredOf({ name: 'worker' }), desiredOf({ name: 'redis' })],
    forgotten: [],
  };
  const desired = desiredStateOf(snapshot, [{ name: 'worker', at: '2025-11-20T15:10:00.000Z', reason: 'docker stop while the engine ran' }]);
  const facts = [
    container({ id: snapshot.containers[0]!.id, name: 'worker', state: 'exited', exitCode: 137 }),
    container({ id: snapshot.containers[1]!.id, name: 'redis' }),
    container({ id: 'c'.repeat(64), name: 'scratch' }),
  ];
  const r = buildStatusReport(daemon(), facts, [], desired);
  assert.deepEqual(
    r.containers.map((c) => [c.name, c.desired]),
    [
      ['worker', 'operator-stopped'],
      ['redis', 'desired'],
      ['scratch', 'not-desired'],
    ],
  );
  assert.deepEqual(r.notices, [
    'worker was stopped on purpose at 2025-11-20T15:10:00.000Z (docker stop while the engine ran): not desired; `upkeep want worker` makes it desired again',
  ]);
  assert.equal(r.desired?.snapshotId, 7);
  assert.equal(buildStatusReport(daemon(), facts).containers[0]?.desired, null);
});
