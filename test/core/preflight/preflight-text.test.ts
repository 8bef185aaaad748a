/** The preflight text fitted to a terminal width (issue D5: 417-459 characters on a 100-column terminal). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAptSimulation } from '../../../src/core/preflight/apt-plan.js';
import { lookupKnowledge } from '../../../src/core/preflight/knowledge-base.js';
import { buildPreflightReport, type PackageEvidence } from '../../../src/core/preflight/preflight-report.js';
import { renderPreflightText } from '../../../src/core/preflight/preflight-text.js';
import { renderFittedTable, wrapWords } from '../../../src/core/preflight/text-wrap.js';
import { container, daemon } from '../../helpers/facts.js';

const plan = parseAptSimulation(readFileSync(new URL('../../fixtures/apt/incident-plan.txt', import.meta.url), 'utf8'));
const evidence: PackageEvidence[] = plan.packages.map((pkg) => {
  const kb = lookupKnowledge(pkg.name);
  return {
    pkg,
    effects: kb?.effects ?? [],
    source: kb ? `knowledge base: ${kb.source}` : 'none',
    rebootNeeded: kb?.rebootNeeded ?? false,
    notes: kb?.notes ?? [],
  };
});
const report = buildPreflightReport({
  evidence,
  runningKernel: '6.8.0-87-generic',
  installedKernels: ['6.8.0-87-generic'],
  rebootRequiredFlag: false,
  host: { daemon: daemon(), containers: [container({ name: 'v-pipe-redis-1', restartPolicy: { name: 'no', maximumRetryCount: 0 } })] },
});
const view = { report, planSource: 'incident-plan.txt', containersNote: null, desiredNote: null, downloadNote: null, timelineNote: null };
const words = (s: string) => s.split(/\s+/).filter((w) => w !== '');

test('at 100 columns no line is wider than 100, and no word of the report is lost', () => {
  const wide = renderPreflightText(view);
  assert.ok(Math.max(...wide.split('\n').map((l) => l.length)) > 300, 'unfitted, the effects run past 300 columns');
  for (const width of [100, 80, 60]) {
    const text = renderPreflightText(view, { width });
    const longest = Math.max(...text.split('\n').map((l) => l.length));
    assert.ok(longest <= width, `width ${width}: a line of ${longest}`);
    // Every effect is printed in full (wrapped, not cut).
    const flat = words(text).join(' ');
    for (const p of report.packages.filter((x) => x.risk !== 'low')) assert.ok(flat.includes(words(p.effects.join('; ')).join(' ')), `${p.name} at ${width}`);
  }
  const at100 = renderPreflightText(view, { width: 100 });
  assert.match(at100, /^high {2}docker-ce +5:28\.3\.2-1~ubuntu\.24\.04~noble -> 5:29\.0\.2-1~ubuntu\.24\.04~noble$/m);
  assert.match(at100, /^ {6}MAJOR; restarts docker\.service; every container stops;/m);
  assert.match(at100, /^ {6}source: knowledge base$/m);
});

test('a table that fits is one line per row; wrapping cuts only words longer than the width', () => {
  assert.equal(renderFittedTable(['A', 'B'], [['x', 'y z']], 100), 'A  B\nx  y z');
  assert.deepEqual(wrapWords('aaa bbb ccc', 7), ['aaa bbb', 'ccc']);
  assert.deepEqual(wrapWords('abcdefghij k', 4), ['abcd', 'efgh', 'ij k']);
  const t = renderFittedTable(['RISK', 'EFFECT'], [['high', 'one two three four five six']], 20, { weights: [0, 1], minWidths: [undefined, 8] });
  assert.equal(t, 'RISK  EFFECT\nhigh  one two three\n      four five six');
});
