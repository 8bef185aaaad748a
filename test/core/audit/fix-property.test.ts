// Property test: random compose documents (seeded), fixed with --fix. For every fix:
// - the output is the input with exactly the planned edits, and no line outside them changes
//   (a replacement stays on its line; an insertion is one whole line at a line start);
// - the output parses, and its parsed value differs from the input's only at the restart keys the
//   generator's own model says must change, each now holding the target policy;
// - fixing again changes nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { auditFile, fixFile } from '../../../src/core/audit/audit-file.js';
import { jsDifferences, formatJsPath } from '../../../src/core/audit/semantic-diff.js';
import { yamlParseOptions } from '../../../src/core/audit/yaml-source.js';
import { prng, type Random } from '../../helpers/prng.js';

type Restart = 'missing' | 'no' | 'always' | 'unless-stopped' | 'on-failure:3';

interface GeneratedService {
  name: string;
  restart: Restart;
  /** Merges the x-defaults anchor (whose restart is unless-stopped) and has no restart of its own. */
  mergesDefaults: boolean;
  job: boolean;
  evidence: boolean;
}

interface Generated {
  text: string;
  services: GeneratedService[];
  /** The document index holding the services. */
  document: number;
}

function pick<T>(r: Random, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)] as T;
}

function quoted(r: Random, value: string): string {
  return pick(r, [value, `"${value}"`, `'${value}'`]);
}

function comment(r: Random): string {
  return r() < 0.3 ? `  # ${pick(r, ['note', 'keep: this', 'restart: always', '"quoted"', 'x'])}` : '';
}

function generate(r: Random): Generated {
  const eol = r() < 0.3 ? '\r\n' : '\n';
  const unit = pick(r, [2, 3, 4]);
  const pad = (n: number) => ' '.repeat(unit * n);
  const useDefaults = r() < 0.3;
  const lines: string[] = [];
  let document = 0;
  if (r() < 0.2) {
    lines.push('# a document that is not compose', 'kind: Note', 'restart: "no"', '---');
    document = 1;
  }
  if (r() < 0.5) lines.push(`# generated ${Math.floor(r() * 1000)}`);
  if (useDefaults) lines.push('x-defaults: &defaults', `${pad(1)}restart: unless-stopped${comment(r)}`);
  lines.push(`services:${comment(r)}`);

  const services: GeneratedService[] = [];
  const count = 1 + Math.floor(r() * 6);
  for (let i = 0; i < count; i++) {
    const name = `svc${i}`;
    const job = r() < 0.15;
    const ports = r() < 0.45;
    const healthcheck = r() < 0.2;
    const mergesDefaults = useDefaults && r() < 0.5;
    const restart: Restart = mergesDefaults ? 'missing' : pick(r, ['missing', 'missing', 'no', 'always', 'unless-stopped', 'on-failure:3'] as const);
    services.push({ name, restart, mergesDefaults, job, evidence: ports || healthcheck });

    const entries: string[][] = [];
    const flow = !mergesDefaults && !healthcheck && r() < 0.3;
    if (flow) {
      const parts = [`image: ${quoted(r, `example/${name}:1`)}`];
      if (ports) parts.push(pick(r, ['ports: [80]', 'ports: ["8080:80", 443]']));
      if (job) parts.push('labels: [upkeep.role=job]');
      if (restart !== 'missing') parts.push(`restart: ${quoted(r, restart)}`);
      const ordered = parts.sort(() => r() - 0.5);
      lines.push(`${pad(1)}${name}: {${ordered.join(', ')}}${comment(r)}`);
      continue;
    }
    if (mergesDefaults) entries.push([`<<: *defaults`]);
    entries.push([`image: ${quoted(r, `example/${name}:1`)}${comment(r)}`]);
    if (ports) entries.push(r() < 0.5 ? ['ports: ["80:80"]'] : ['ports:', `${pad(1)}- "${8000 + i}:80"`]);
    if (healthcheck) entries.push(['healthcheck:', `${pad(1)}test: ["CMD", "true"]`, `${pad(1)}interval: 30s`]);
    if (job) entries.push(r() < 0.5 ? ['labels:', `${pad(1)}upkeep.role: job`] : ['x-upkeep: {role: job}']);
    if (r() < 0.3) entries.push(['environment:', `${pad(1)}MODE: "${pick(r, ['a', 'no', 'restart'])}"`]);
    if (restart !== 'missing') entries.push([`restart: ${quoted(r, restart)}${comment(r)}`]);
    if (r() < 0.3) entries.push([`# ${pick(r, ['comment between keys', 'restart: no'])}`]);
    const ordered = entries.sort(() => r() - 0.5);
    if (ordered[0]?.[0]?.startsWith('#')) ordered.push(ordered.shift() as string[]);
    lines.push(`${pad(1)}${name}:${comment(r)}`);
    for (const entry of ordered) for (const line of entry) lines.push(`${pad(2)}${line}`);
    if (r() < 0.3) lines.push('');
  }
  return { text: lines.join(eol) + eol, services, document };
}

/** The generator's own model: the restart each service must have after --fix (undefined: none). */
function expectedRestart(s: GeneratedService, all: readonly GeneratedService[]): string | undefined {
  if (s.mergesDefaults) {
    const mergers = all.filter((o) => o.mergesDefaults);
    return mergers.some((o) => o.job) ? 'unless-stopped' : 'always';
  }
  const before = s.restart === 'missing' ? undefined : s.restart;
  if (s.job) return before;
  if (s.restart === 'unless-stopped') return 'always';
  if ((s.restart === 'missing' || s.restart === 'no') && s.evidence) return 'always';
  return before;
}

function toJs(text: string): unknown[] {
  const docs = parseAllDocuments(text, yamlParseOptions(false));
  assert.ok(Array.isArray(docs));
  for (const d of docs) assert.deepEqual(d.errors, []);
  return docs.map((d) => d.toJS());
}

describe('fix property: random compose documents', () => {
  it('changes only the edited lines and only the intended restart keys', () => {
    const random = prng(20240501);
    let fixes = 0;
    for (let round = 0; round < 400; round++) {
      const g = generate(random);
      const file = { path: 'docker-compose.yml', text: g.text };
      const context = `round ${round}:\n${g.text}`;
      const planned = auditFile(file).fixes;
      const fixed = fixFile(file);
      assert.deepEqual([fixed.refused.map((f) => f.message), fixed.skipped.length], [[], 0], context);
      fixes += fixed.applied.length;

      // The output is the input with exactly the planned edits (identical edits applied once).
      const edits = [...new Map(planned.map((p) => [`${p.fix.range[0]}:${p.fix.range[1]}:${p.fix.text}`, p.fix])).values()].sort(
        (a, b) => b.range[0] - a.range[0],
      );
      let rebuilt = g.text;
      for (const e of edits) {
        const lineStart = g.text.lastIndexOf('\n', e.range[0] - 1) + 1;
        if (e.text.includes('\n')) {
          assert.equal(e.range[0], e.range[1], `an insertion: ${context}`);
          assert.equal(e.range[0], lineStart, `inserted at a line start: ${context}`);
          assert.match(e.text, /^ +restart: always\r?\n$/, context);
          assert.equal(e.text.endsWith('\r\n'), g.text.slice(0, lineStart).endsWith('\r\n'), `line ending kept: ${context}`);
        } else {
          assert.ok(!g.text.slice(e.range[0], e.range[1]).includes('\n'), `a replacement stays on its line: ${context}`);
        }
        rebuilt = rebuilt.slice(0, e.range[0]) + e.text + rebuilt.slice(e.range[1]);
      }
      assert.equal(fixed.output, rebuilt, context);

      // Semantics: only the restart keys the model expects have changed, to the target.
      const before = toJs(g.text);
      const after = toJs(fixed.output);
      const expected = new Set<string>();
      const services = (after[g.document] as { services: Record<string, Record<string, unknown>> }).services;
      for (const s of g.services) {
        const want = expectedRestart(s, g.services);
        assert.equal(services[s.name]?.restart, want, `${s.name}: ${context}`);
        const was = (before[g.document] as { services: Record<string, Record<string, unknown>> }).services[s.name]?.restart;
        if (want !== was) expected.add(formatJsPath(['services', s.name, 'restart']));
      }
      if (g.services.some((s) => s.mergesDefaults && expectedRestart(s, g.services) === 'always')) expected.add('x-defaults.restart');
      const changed = before.flatMap((doc, i) => jsDifferences(doc, after[i]).map((p) => (i === g.document ? formatJsPath(p) : `doc${i}`)));
      assert.deepEqual(new Set(changed), expected, context);

      if (fixed.applied.length > 0) assert.equal(fixFile({ path: file.path, text: fixed.output }).output, fixed.output, context);
    }
    assert.ok(fixes > 300, `only ${fixes} fixes were exercised`);
  });
});
