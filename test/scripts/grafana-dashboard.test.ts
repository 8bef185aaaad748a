/**
 * scripts/grafana-dashboard.ts: the committed deploy/grafana/upkeep.json is exactly what the
 * Grafana SDK builders produce, byte for byte, on every run; `npm run dashboard` is the command
 * that writes it. What the expressions in it do is test/deploy/fleet-prometheus.test.ts's part.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DASHBOARD_PATH, buildDashboard, renderDashboard } from '../../scripts/grafana-dashboard.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const REGENERATE = 'npm run dashboard';

describe('the Grafana dashboard is built by scripts/grafana-dashboard.ts', () => {
  it(`${DASHBOARD_PATH} is what the builders produce, byte for byte (regenerate: ${REGENERATE})`, () => {
    const built = renderDashboard();
    assert.equal(renderDashboard(), built, 'two builds in one process give the same bytes');
    const committed = readFileSync(join(repo, DASHBOARD_PATH), 'utf8');
    // Compared as strings first: assert.equal's diff of two JSON texts shows the lines that differ.
    assert.equal(committed, built, `${DASHBOARD_PATH} is not what scripts/grafana-dashboard.ts builds: run \`${REGENERATE}\` and commit the result`);
  });

  it(`\`${REGENERATE}\` is the script, and running it writes the same bytes (into --output here)`, () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.dashboard, 'node --import tsx scripts/grafana-dashboard.ts');
    const dir = mkdtempSync(join(tmpdir(), 'upkeep-dashboard-'));
    try {
      const out = join(dir, 'upkeep.json');
      execFileSync(process.execPath, ['--import', 'tsx', join(repo, 'scripts/grafana-dashboard.ts'), '--output', out], {
        cwd: repo,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      assert.equal(readFileSync(out, 'utf8'), readFileSync(join(repo, DASHBOARD_PATH), 'utf8'), `run \`${REGENERATE}\` and commit ${DASHBOARD_PATH}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps what the import needs: the data source as an input and a variable, the host variable, ids and layout from the builders', () => {
    const d = buildDashboard();
    assert.deepEqual(Object.keys(d).slice(0, 2), ['__inputs', '__requires'], 'the import keys first, as Grafana exports them');
    assert.equal(d.uid, 'upkeep-fleet');
    const vars = d.templating.list ?? [];
    assert.deepEqual(
      vars.map((v) => [v.name, v.type]),
      [
        ['datasource', 'datasource'],
        ['job', 'query'],
        ['host', 'query'],
      ],
    );
    const panels = d.panels ?? [];
    assert.deepEqual(
      panels.map((p) => p.id),
      Array.from({ length: 16 }, (_, i) => i + 1),
      'every panel and row has its own id, in order',
    );
    // The builder lays panels out; the last panel ends where the hand-written layout ended.
    assert.deepEqual(panels.at(-1)?.gridPos, { h: 8, w: 12, x: 12, y: 32 });
  });
});
