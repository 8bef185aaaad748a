/**
 * The report's three formats: Markdown read back by a real Markdown parser (prettier's remark) and
 * the GFM table check, with hostile names (a `|`, a newline, `<script>`, Debian's `~`); JSON against
 * docs/schemas/report.schema.json with ajv (strict, and a broken report rejected); HTML as one file
 * with no external URL and every piece of text escaped.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { renderReportHtml } from '../../../src/core/report/render-html.js';
import { mdText, renderReportMarkdown } from '../../../src/core/report/render-markdown.js';
import { buildReport, type Report, type ReportEntry, type ReportInput } from '../../../src/core/report/report.js';
import { markdownStructure, tableProblems } from '../../helpers/markdown-tables.js';
import { incidentInput } from '../../helpers/report-fixture.js';

const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;
const schema = JSON.parse(readFileSync(new URL('../../../docs/schemas/report.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);
const validate = ajv.compile(schema);
const schemaErrors = (value: unknown): string[] =>
  validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);

const EVIL = 'evil|name\nnext <script>alert(1)</script> *bold* ~strike~ [link](http://x.invalid)';

/** The incident with a hostile container name and error text, still down, and every section filled. */
function hostileInput(): ReportInput {
  const input = incidentInput();
  const extra: ReportEntry[] = [
    { at: '2025-11-20T15:25:40.000Z', kind: 'container-died', subject: EVIL, detail: { exitCode: 1 } },
    { at: '2025-11-20T15:25:41.000Z', kind: 'heal-failed', subject: EVIL, detail: { error: 'port | taken\n<b>' } },
  ];
  const pf = input.preflight!.detail as { upgrades: unknown[] };
  const preflight = { ...input.preflight!, detail: { ...pf, upgrades: [{ name: 'docker-evil', from: '5:1~a|b', to: '<x>' }, ...pf.upgrades] } };
  return { ...input, preflight, entries: [...input.entries, ...extra].sort((a, b) => a.at.localeCompare(b.at)) };
}

const reports: Array<[string, Report]> = [
  ['the incident', buildReport(incidentInput())],
  ['hostile text', buildReport(hostileInput())],
  [
    'nothing recorded',
    buildReport({
      now: Date.parse('2025-11-21T00:00:00Z'),
      host: null,
      scope: { kind: 'period', since: '2025-11-20T00:00:00.000Z', until: '2025-11-21T00:00:00.000Z' },
      entries: [],
      desired: null,
      preflight: null,
    }),
  ],
];

describe('report: Markdown', () => {
  for (const [what, r] of reports) {
    it(`${what}: valid GFM tables, as a Markdown parser reads them`, async () => {
      const md = renderReportMarkdown(r);
      assert.deepEqual(tableProblems(md), []);
      const s = await markdownStructure(md);
      const expectedTables = [r.timeline.length > 0, r.outages.length > 0, r.prediction !== null].filter(Boolean).length;
      assert.equal(s.tables.length, expectedTables);
      for (const t of s.tables)
        assert.ok(
          t.every((cells) => cells === t[0]),
          `a row with another number of cells: ${JSON.stringify(t)}`,
        );
      assert.deepEqual(s.html, [], 'no raw HTML reaches the Markdown');
      assert.equal(s.headings[0], r.title.replace(/\n/g, ' '));
      assert.ok(s.headings.includes('Summary') && s.headings.includes('Root cause') && s.headings.includes('What still needs a human'));
    });
  }

  it('the hostile name stays one cell and no HTML, link or emphasis comes out of it', async () => {
    const md = renderReportMarkdown(reports[1]![1]);
    assert.ok(md.includes(mdText(EVIL)));
    assert.ok(!/(^|[^\\])<script>/m.test(md), 'every < is escaped');
    assert.ok(md.includes('docker-evil:** 5:1\\~a\\|b -> \\<x>'));
    assert.ok(!/[^\\]\]\(http/.test(md), 'the link syntax is escaped');
    assert.equal(mdText('a|b\nc<d>~e~'), 'a\\|b c\\<d>\\~e\\~');
  });
});

describe('report: JSON against docs/schemas/report.schema.json', () => {
  for (const [what, r] of reports) {
    it(`${what}: valid`, () => {
      assert.deepEqual(schemaErrors(JSON.parse(JSON.stringify(r))), []);
    });
  }

  it('the validator rejects broken reports (negative control)', () => {
    const good = JSON.parse(JSON.stringify(reports[0]![1])) as Record<string, any>;
    const broken: Array<[string, (r: Record<string, any>) => void]> = [
      ['an unknown severity', (r) => (r.severity.level = 'catastrophic')],
      ['a missing field', (r) => delete r.outages],
      ['an extra field', (r) => (r.extra = 1)],
      ['a bad by', (r) => (r.outages[0].by = 'god')],
      ['a bad time', (r) => (r.outages[0].downAt = 'yesterday')],
    ];
    for (const [what, breakIt] of broken) {
      const copy = structuredClone(good);
      breakIt(copy);
      assert.notDeepEqual(schemaErrors(copy), [], `${what} should be invalid`);
    }
  });
});

describe('report: HTML', () => {
  for (const [what, r] of reports) {
    it(`${what}: one self-contained file, no external URL, no script`, () => {
      const html = renderReportHtml(r);
      assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
      assert.ok(html.trimEnd().endsWith('</html>'));
      assert.ok(!/(https?:|\/\/[a-z]|src=|href=|url\(|@import)/i.test(html.replace(/http:\/\/x\.invalid/g, '')), 'no external reference');
      assert.ok(!/<script|<link|<img|<iframe/i.test(html));
      assert.equal((html.match(/<style>/g) ?? []).length, 1);
    });
  }

  it('escapes every piece of text from the timeline', () => {
    const html = renderReportHtml(reports[1]![1]);
    assert.ok(html.includes('evil|name\nnext &lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(html.includes('port | taken\n&lt;b&gt;'));
    assert.ok(html.includes('&lt;x&gt;'));
    assert.ok(!html.includes('<b>'));
  });
});
