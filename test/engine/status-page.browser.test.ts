/**
 * The status page in a real browser: Debian's Chromium (headless, driven by playwright-core)
 * against a real `upkeep agent` process on a private engine with the incident layout (two compose
 * projects, a k3d-like node, a job, a container stopped on purpose) plus one standalone container
 * with a bind mount, whose process the test kills (a crash) after taking the mount's source away (so upkeep's heal
 * is blocked and the container stays down until the source is back).
 *
 * Checked: every page loads with no console error and no failed request; axe-core finds no serious
 * or critical violation on any page; the open overview shows the killed container as down within
 * 2 s without a reload, and running again after the heal; an open maintenance window shows its
 * banner (live, then on every page), and one opened and closed from the page after signing in
 * with the token (the agent's config has one; loopback reads need none); the killed container's
 * firing alert acknowledged from /alerts; the overview's host line (OS, kernel). Screenshots of each page at 1280 and 390 px, light and dark,
 * go to UPKEEP_SCREENSHOTS_DIR (default: a temporary directory, printed).
 *
 * One engine, one browser, one agent for the whole file. Without /usr/bin/chromium the file is
 * skipped (UPKEEP_REQUIRE_ENGINE=1: it fails). The token for non-loopback peers is tested at the
 * HTTP layer (test/adapters/http/status-page.test.ts): a browser here only reaches loopback.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, ConsoleMessage, Page, Request } from 'playwright-core';
import { spawnAgent, type AgentProcess } from '../helpers/agent-process.js';
import { upkeep } from '../helpers/cli.js';
import { until } from '../helpers/webhook.js';
import { buildIncidentHost, type IncidentHost } from './incident-host.js';
import { PrivateEngine } from './private-engine.js';

const CHROMIUM = '/usr/bin/chromium';
const AXE = new URL('../../node_modules/axe-core/axe.min.js', import.meta.url).pathname;
const PROBE = 'reports-web';
const TOKEN = 'status-page-test-token-0123456789abcdef';

function chromiumMissing(): string | null {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium)`;
  try {
    execFileSync(CHROMIUM, ['--version'], { stdio: 'ignore', timeout: 20_000 });
    return null;
  } catch (err) {
    return `${CHROMIUM} --version fails: ${(err as Error).message}`;
  }
}

let engine: PrivateEngine | null = null;
let root = '';
let agent: AgentProcess | null = null;
let base = '';
let context: BrowserContext | null = null;
let host: IncidentHost;
let probeDir = '';
let stateDir = '';
const shots = process.env.UPKEEP_SCREENSHOTS_DIR ?? '';
let shotsDir = '';

/** Every console error and failed request of a page, from its opening on. */
function watchPage(page: Page): { problems: string[] } {
  const problems: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()} (${m.location().url}:${m.location().lineNumber}, page ${page.url()})`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r: Request) => {
    // The event stream is cut when the page navigates away (net::ERR_ABORTED): not a failure.
    if (r.url().endsWith('/api/v1/events') && r.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return { problems };
}

async function axeViolations(page: Page): Promise<string[]> {
  // Not page.addScriptTag: the page's CSP (script-src 'self') blocks an injected script, as it
  // should; evaluating through the DevTools protocol is not subject to it (and the test keeps the CSP on).
  await page.evaluate(readFileSync(AXE, 'utf8'));
  const result = (await page.evaluate(() => (globalThis as unknown as { axe: { run: () => Promise<unknown> } }).axe.run())) as {
    violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown }> }>;
  };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
}

describe('the status page in Chromium', { concurrency: false }, () => {
  before(async (t) => {
    const missing = chromiumMissing();
    if (missing !== null) {
      if (process.env.UPKEEP_REQUIRE_ENGINE === '1') throw new Error(`${missing} (UPKEEP_REQUIRE_ENGINE=1)`);
      t.diagnostic(`skipped: ${missing}`);
      return;
    }
    engine = await PrivateEngine.startOrSkip(t as never);
    if (!engine) return;
    root = mkdtempSync(join(tmpdir(), 'upk-status-page-'));
    shotsDir = shots || join(root, 'screenshots');
    mkdirSync(shotsDir, { recursive: true });
    host = await buildIncidentHost(engine, root);
    probeDir = join(root, 'reports-data');
    mkdirSync(probeDir);
    await engine.run(PROBE, { flags: ['--restart', 'no', '--mount', `type=bind,source=${probeDir},target=/data`] });
    stateDir = join(root, 'state');
    const snap = await upkeep(['snapshot', '--state-dir', stateDir], { DOCKER_HOST: engine.dockerHost });
    assert.equal(snap.code, 0, snap.stderr);
    const configPath = join(root, 'upkeep.yml');
    const silo = host.desired.srsilo_silo_1!;
    writeFileSync(
      configPath,
      [
        'recovery: { grace: 1s, running_for: 1s }',
        'heal: { backoff: { initial: 500ms, max: 1s } }',
        // With a token the page offers its actions (reads stay open on loopback).
        `http: { token: "${TOKEN}" }`,
        'services:',
        `  srsilo/silo: { checks: [ { http: { url: "http://127.0.0.1:${silo}/" }, interval: 1s } ] }`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    agent = spawnAgent({ configPath, stateDir, dockerHost: engine.dockerHost });
    const line = await until('the agent listens', () => agent!.out.find((l) => l.includes('metrics and status listening')) ?? null, 30_000);
    base = `http://${(JSON.parse(line) as { address: string }).address}`;
    await until('the agent has read the engine', async () => {
      const o = (await (await fetch(`${base}/api/v1/overview`)).json()) as { counts: { total: number } };
      return o.counts.total > 0;
    });
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(join(root, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  after(async () => {
    await context?.close();
    if (agent) {
      agent.proc.kill('SIGTERM');
      await agent.exited;
    }
    await engine?.dispose();
    if (root) rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    if (shotsDir && !shots) process.stdout.write(`# screenshots were in ${shotsDir} (removed; set UPKEEP_SCREENSHOTS_DIR to keep them)\n`);
  });

  test('every page: no console error, no failed request, no serious axe violation; screenshots light and dark at 1280 and 390 px', async (t) => {
    if (!context) return t.skip('no chromium or no engine');
    const pages = [
      ['overview', '/'],
      ['service', `/services/srsilo_silo_1`],
      ['timeline', '/timeline?since=1h'],
      ['maintenance', '/maintenance'],
      ['alerts', '/alerts'],
    ] as const;
    // The silo check's chart needs two results (interval 1 s).
    await until('two check results', async () => {
      const s = (await (await fetch(`${base}/api/v1/services/srsilo_silo_1`)).json()) as { checks: Array<{ points: unknown[] }> };
      return (s.checks[0]?.points.length ?? 0) >= 2;
    });
    // The overview's host line (and its screenshot) after the agent's host-facts actor read them.
    await until(
      'the host facts are read',
      async () => ((await (await fetch(`${base}/api/v1/overview`)).json()) as { host: { rebootRequired: boolean | null } }).host.rebootRequired !== null,
    );
    const page = await context.newPage();
    const { problems } = watchPage(page);
    for (const [name, path] of pages) {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.emulateMedia({ colorScheme: 'light' });
      await page.goto(`${base}${path}`, { waitUntil: 'load' });
      assert.equal(await page.locator('main h1').count(), 1, `${name}: one h1`);
      const violations = await axeViolations(page);
      assert.deepEqual(violations, [], `${name}: axe`);
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
        for (const scheme of ['light', 'dark'] as const) {
          await page.emulateMedia({ colorScheme: scheme });
          if (scheme === 'dark' && width === 1280 && (name === 'overview' || name === 'service'))
            assert.deepEqual(await axeViolations(page), [], `${name}: axe in dark mode at ${width} px`);
          await page.screenshot({ path: join(shotsDir, `${name}-${width}-${scheme}.png`), fullPage: true });
        }
      }
      if (width390Overflows((await page.evaluate('document.documentElement.scrollWidth')) as number)) assert.fail(`${name}: wider than 390 px`);
    }
    // The host line: this machine's OS and running kernel, read by the agent's host-facts actor.
    await page.goto(`${base}/`);
    const pretty = /^PRETTY_NAME="?(.*?)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
    assert.equal(await page.locator('[data-field="os"]').textContent(), pretty);
    assert.match((await page.locator('[data-field="kernel"]').textContent()) ?? '', new RegExp(`^${release().replace(/[.+]/g, '\\$&')} running`));
    assert.match((await page.locator('[data-field="reboot"]').textContent()) ?? '', /^(no|yes: .+)$/);
    const svc = await page.goto(`${base}/services/srsilo_silo_1`);
    assert.equal(svc?.headers()['content-security-policy']?.includes("script-src 'self'"), true);
    assert.equal(await page.locator('svg.chart polyline').count(), 1, 'the latency chart');
    assert.equal(await page.locator('svg.uptime').count(), 3, 'three uptime bars');
    await page.goto(`${base}/timeline?kind=container-started,container-died`);
    const kinds = await page.locator('main tbody td[data-label="Kind"]').allTextContents();
    assert.ok(
      kinds.every((k) => k === 'container-started' || k === 'container-died'),
      kinds.join(','),
    );
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('a killed container shows as down on the open overview within 2 s, without a reload, and running after the heal', async (t) => {
    if (!context || !engine) return t.skip('no chromium or no engine');
    const page = await context.newPage();
    const { problems } = watchPage(page);
    await page.goto(`${base}/`);
    const row = page.locator(`tr[data-service="${PROBE}"]`);
    // Restart policy "no": it runs, but would not come back after a reboot.
    assert.equal(await row.getAttribute('class'), 'sev-at-risk');
    await page.evaluate('window.marker = 1');
    rmSync(probeDir, { recursive: true }); // upkeep's start fails until it is back
    // A crash, as Docker sees one: its process killed from outside (`docker kill` would be the operator's stop).
    const pid = Number((await engine.docker('inspect', '--format', '{{.State.Pid}}', PROBE)).trim());
    const killed = Date.now();
    process.kill(pid, 'SIGKILL');
    await page
      .locator(`tr[data-service="${PROBE}"].sev-down`)
      .waitFor({ state: 'attached', timeout: 2_000 })
      .catch(async (err: Error) => assert.fail(`${err.message}\nthe API says: ${JSON.stringify(await probeRow())}\n${agent!.out.slice(-8).join('\n')}`));
    const seenDown = Date.now() - killed;
    assert.equal(await page.evaluate('window.marker'), 1, 'no reload');
    assert.equal(await page.locator(`tr[data-service="${PROBE}"] [data-field="state"]`).textContent(), 'exited (137)');
    // While it is down its alert fires: acknowledge it on /alerts, signed in (the cookie the login
    // form sets; the form itself is tested below).
    const { sessionValue } = await import('../../src/adapters/http/status-page/app.js');
    await context.addCookies([{ name: 'upkeep_session', value: sessionValue(TOKEN), url: base }]);
    const key = `down:${PROBE}`;
    await until('its alert fires', async () => {
      const a = (await (await fetch(`${base}/api/v1/alerts`)).json()) as { alerts: Array<{ key: string; phase: string }> };
      return a.alerts.some((x) => x.key === key && x.phase === 'firing');
    });
    const ackStarted = performance.now();
    const alerts = await context.newPage();
    const watched = watchPage(alerts);
    await alerts.goto(`${base}/alerts`);
    await alerts.getByRole('button', { name: `Acknowledge ${key}` }).click();
    await alerts.locator(`tr[data-alert="${key}"] [data-field="acknowledged"]`, { hasText: /^by 127\.0\.0\.1 at / }).waitFor({ timeout: 5_000 });
    assert.deepEqual(await axeViolations(alerts), [], 'alerts page with an acknowledged alert: axe');
    assert.deepEqual(watched.problems, []);
    await alerts.close();
    await context.clearCookies();
    t.diagnostic(`acknowledged from /alerts (with axe) in ${Math.round(performance.now() - ackStarted)} ms`);
    mkdirSync(probeDir);
    await page.locator(`tr[data-service="${PROBE}"].sev-at-risk`).waitFor({ state: 'attached', timeout: 30_000 });
    assert.equal(await page.evaluate('window.marker'), 1, 'no reload');
    assert.equal(await engine.isRunning(PROBE), true);
    t.diagnostic(`down on the page ${seenDown} ms after the kill`);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('an open maintenance window shows its banner: live on the open page, then on every page', async (t) => {
    if (!context || !engine) return t.skip('no chromium or no engine');
    const page = await context.newPage();
    const { problems } = watchPage(page);
    await page.goto(`${base}/alerts`);
    assert.equal(await page.locator('#maintenance-banner').isHidden(), true);
    const r = await upkeep(['maintenance', 'start', '--for', '10m', '--reason', 'kernel upgrade', '--state-dir', stateDir]);
    assert.equal(r.code, 0, r.stderr);
    await page.locator('#maintenance-banner').waitFor({ state: 'visible', timeout: 3_000 });
    assert.match((await page.locator('#maintenance-banner').textContent()) ?? '', /kernel upgrade/);
    const s = await upkeep(['maintenance', 'stop', '--state-dir', stateDir]);
    assert.equal(s.code, 0, s.stderr);
    await page.locator('#maintenance-banner').waitFor({ state: 'hidden', timeout: 3_000 });

    // The same from the page itself: sign in with the token, open a window with its form.
    await page.goto(`${base}/maintenance`);
    await page.getByRole('link', { name: 'Sign in' }).click();
    assert.deepEqual(await axeViolations(page), [], 'login page: axe');
    await page.getByLabel('Token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByText('That token is not the right one.')
      .waitFor({ timeout: 5_000 })
      .catch(async (err: Error) => assert.fail(`${err.message}\nat ${page.url()}:\n${(await page.content()).slice(0, 3000)}\n${problems.join('\n')}`));
    await page.getByLabel('Token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/maintenance`);
    await page.getByLabel('Reason').fill('kernel upgrade');
    await page.getByRole('button', { name: 'Open a maintenance window' }).click();
    await page.locator('#maintenance-banner').waitFor({ state: 'visible', timeout: 3_000 });
    assert.match((await page.locator('#maintenance-banner').textContent()) ?? '', /status-page: kernel upgrade/);
    for (const path of ['/', '/timeline', '/maintenance', '/services/srsilo_silo_1']) {
      await page.goto(`${base}${path}`);
      assert.equal(await page.locator('#maintenance-banner').isVisible(), true, path);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${base}/maintenance`);
    await page.screenshot({ path: join(shotsDir, 'maintenance-open-1280-light.png'), fullPage: true });
    await page.getByRole('button', { name: 'Close the open windows' }).click();
    await page.locator('#maintenance-banner').waitFor({ state: 'hidden', timeout: 3_000 });
    const actions = await upkeep(['timeline', '--kind', 'page-action', '--json', '--state-dir', stateDir]);
    const entries = (JSON.parse(actions.stdout) as { entries: Array<{ subject: string; detail: { peer: string } }> }).entries;
    assert.deepEqual(
      entries.map((e) => e.subject),
      ['alert-acknowledge', 'maintenance-open', 'maintenance-close'],
    );
    assert.deepEqual(problems, []);
    await page.close();
  });
});

/** The probe's row as the JSON API has it (for failure messages). */
async function probeRow(): Promise<unknown> {
  const o = (await (await fetch(`${base}/api/v1/overview`)).json()) as { groups: Array<{ services: Array<{ name: string }> }> };
  return o.groups.flatMap((g) => g.services).find((s) => s.name === PROBE) ?? null;
}

function width390Overflows(scrollWidth: number): boolean {
  return scrollWidth > 390 + 1;
}
