/** The maintenance summary message (core/report/summary-message.ts) from the incident's report and a variant still down. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildReport } from '../../../src/core/report/report.js';
import { maintenanceSummary } from '../../../src/core/report/summary-message.js';
import { incidentInput } from '../../helpers/report-fixture.js';

describe('maintenanceSummary', () => {
  it('the incident: every service back, three needed upkeep or the operator; a warning that names the report', () => {
    const s = maintenanceSummary(buildReport(incidentInput()), ['Recovery pass: Recovered 2 container(s) after apt.']);
    assert.equal(s.id, 'maintenance-summary:1');
    assert.equal(s.severity, 'warning');
    assert.equal(s.title, 'Maintenance 1 (apt) ended on wisepulse: 8 desired service(s) went down, all back');
    const lines = s.text.split('\n');
    assert.match(lines[0]!, /^An apt run of 44 package\(s\)/);
    assert.ok(lines.includes('Services down for 15 min 40 s in all; severity medium.'), s.text);
    assert.match(
      s.text,
      /Needed upkeep or the operator: v-pipe-scout-redis-1 \(upkeep\), v-pipe-scout-streamlit-1 \(upkeep\), v-pipe-scout-worker-1 \(operator\)\./,
    );
    assert.match(s.text, /^Needs a human: /m);
    assert.equal(lines.at(-2), 'Recovery pass: Recovered 2 container(s) after apt.');
    assert.equal(lines.at(-1), 'The report: `upkeep report 1` (--format md|json|html).');
    assert.deepEqual(s.data.stillDown, []);
  });

  it('a service still down: critical, named in the title', () => {
    const input = incidentInput();
    input.entries = input.entries.filter((e) => !(e.subject === 'v-pipe-scout-worker-1' && e.kind === 'container-started'));
    const s = maintenanceSummary(buildReport(input));
    assert.equal(s.severity, 'critical');
    // Followed past the window while the worker is down, the report also sees the fixture's later grafana outage.
    assert.match(s.title, /: 2 desired service\(s\) still down: v-pipe-scout-worker-1, grafana$/);
    assert.deepEqual(s.data.stillDown, ['v-pipe-scout-worker-1', 'grafana']);
  });
});
