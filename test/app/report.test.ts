/**
 * makeReport on a real SQLite store seeded with the incident (test/helpers/report-fixture.ts): the
 * window picked by id or as the newest, the snapshot and preflight of the time, the report
 * committed as docs/examples/report-2025-11-20.md (regenerated with UPKEEP_WRITE_EXAMPLES=1); an
 * unknown id lists the recent windows; no store and no window give a period report.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import type { Store } from '../../src/adapters/store/store.js';
import { makeReport } from '../../src/app/report.js';
import { renderReportMarkdown } from '../../src/core/report/render-markdown.js';
import { buildReport } from '../../src/core/report/report.js';
import { tableProblems } from '../helpers/markdown-tables.js';
import { incidentInput } from '../helpers/report-fixture.js';
import { seedIncident } from '../helpers/report-store.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-report-app-'));
const EXAMPLE = new URL('../../docs/examples/report-2025-11-20.md', import.meta.url).pathname;
const NOW = Date.parse('2025-11-21T09:00:00.000Z');
let store: Store;

before(() => {
  seedIncident(join(root, 'incident'));
  store = openStore({ stateDir: join(root, 'incident'), create: false, readOnly: true });
});
after(() => {
  store.close();
  rmSync(root, { recursive: true, force: true });
});

describe('makeReport', () => {
  it("the incident's report is docs/examples/report-2025-11-20.md, and the same as from the entries alone", () => {
    const r = makeReport(store, { maintenanceId: 1 }, NOW);
    assert.deepEqual(r, buildReport(incidentInput()), 'the store gives the builder what the fixture does');
    const md = renderReportMarkdown(r);
    assert.deepEqual(tableProblems(md), []);
    if (process.env.UPKEEP_WRITE_EXAMPLES === '1') writeFileSync(EXAMPLE, md);
    assert.equal(md, readFileSync(EXAMPLE, 'utf8'), 'docs/examples/report-2025-11-20.md is out of date: run this test with UPKEEP_WRITE_EXAMPLES=1');
  });

  it('the default is the newest window', () => {
    assert.deepEqual(makeReport(store, { newest: true }, NOW), makeReport(store, { maintenanceId: 1 }, NOW));
  });

  it('an unknown id: a usage error listing the recent windows', () => {
    assert.throws(
      () => makeReport(store, { maintenanceId: 7 }, NOW),
      (err: Error & { hint?: string; exitCode?: number }) =>
        /no maintenance window 7/.test(err.message) && /recent ones: 1 \(apt, 2025-11-20T15:23:00\.000Z\)/.test(err.hint ?? '') && err.exitCode === 2,
    );
  });

  it('no store: the last 24 h, nothing recorded; a period: an incident report from the same entries', () => {
    const none = makeReport(null, { newest: true }, NOW);
    assert.equal(none.scope.kind, 'period');
    assert.match(none.summary, /^Nothing recorded/);
    const night = makeReport(store, { since: '2025-11-20T15:00:00.000Z', until: '2025-11-20T16:00:00.000Z' }, NOW);
    assert.match(night.title, /^Incident report: wisepulse/);
    assert.equal(night.outages.length, 8);
    assert.equal(night.severity.level, 'medium');
  });
});
