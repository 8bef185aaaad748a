/**
 * A fleet Prometheus scraping an agent's metrics listener (metrics.listen + metrics.web_config):
 * Debian's `prometheus` on loopback scrapes src/adapters/http/metrics-server.ts over HTTPS (a
 * self-signed certificate made by openssl for 127.0.0.1) with basic auth (a bcrypt hash made by
 * libxcrypt through Python's crypt), loading the shipped rules; `up == 1` and upkeep's series come
 * back from its query API. The Grafana dashboard (deploy/grafana/upkeep.json) is checked for
 * structure, and every PromQL expression in it (panels, annotations, variables) is run against that
 * Prometheus: no error, and every upkeep metric it names is one the agent exported.
 *
 * The metrics are the agent's own registry (AgentMetrics) fed through the calls the agent makes;
 * no Docker engine is needed for what /metrics exports.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MetricsServer, loadWebConfig, peerKey } from '../../src/adapters/http/metrics-server.js';
import { AgentMetrics } from '../../src/adapters/metrics/agent-metrics.js';
import { bcryptHash, waitFor } from '../helpers/alertmanager.js';
import { freePort } from '../helpers/ports.js';
import { promtoolOrSkip, runPromtool } from './promtool.js';

const PROMETHEUS = '/usr/bin/prometheus';
const repo = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'upkeep-fleet-'));
const USER = 'prometheus';
/** curl, asynchronously: the metrics server answers in this process. */
const curl = async (args: string[]): Promise<string> => (await promisify(execFile)('curl', args, { encoding: 'utf8', timeout: 10_000 })).stdout;
const PASSWORD = 'scrape-secret-42';

interface Dashboard {
  schemaVersion: number;
  uid: string;
  title: string;
  __inputs: Array<{ name: string; type: string; pluginId: string }>;
  templating: { list: Array<{ name: string; type: string; query: unknown; datasource?: { uid: string } }> };
  annotations: { list: Array<{ name: string; expr?: string; datasource: { type?: string; uid: string } }> };
  panels: Array<{
    id: number;
    type: string;
    title: string;
    gridPos: { x: number; y: number; w: number; h: number };
    datasource?: { type: string; uid: string };
    targets?: Array<{ expr: string; refId: string; datasource: { uid: string } }>;
  }>;
}

const dashboard = JSON.parse(readFileSync(join(repo, 'deploy/grafana/upkeep.json'), 'utf8')) as Dashboard;

/** Every PromQL expression in the dashboard, with where it is. */
function expressions(): Array<{ where: string; expr: string }> {
  const out: Array<{ where: string; expr: string }> = [];
  for (const p of dashboard.panels) for (const t of p.targets ?? []) out.push({ where: `panel ${p.id} "${p.title}" ${t.refId}`, expr: t.expr });
  for (const a of dashboard.annotations.list) if (a.expr) out.push({ where: `annotation "${a.name}"`, expr: a.expr });
  for (const v of dashboard.templating.list) {
    const q = (v.query as { query?: string } | undefined)?.query;
    const m = q ? /^label_values\((.*),\s*\w+\)$/.exec(q) : null;
    if (m) out.push({ where: `variable ${v.name}`, expr: m[1]! });
  }
  return out;
}

/** Grafana's variables as a query of all hosts would expand them. */
function expand(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$host', '.*').replaceAll('$job', '.*');
}

describe('dashboard deploy/grafana/upkeep.json: structure', () => {
  it('has a schemaVersion, a datasource input and variable, a host variable, and panels with unique ids, a gridPos and the datasource variable', () => {
    assert.ok(dashboard.schemaVersion >= 36, 'schemaVersion of Grafana 9 or later');
    assert.equal(dashboard.uid, 'upkeep-fleet');
    assert.deepEqual(
      dashboard.__inputs.map((i) => [i.name, i.type, i.pluginId]),
      [['DS_PROMETHEUS', 'datasource', 'prometheus']],
    );
    const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    assert.equal(vars.get('datasource')?.type, 'datasource');
    assert.equal(vars.get('datasource')?.query, 'prometheus');
    assert.equal(vars.get('host')?.type, 'query');
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
    for (const p of dashboard.panels) {
      const g = p.gridPos;
      assert.ok(g && g.w >= 1 && g.x >= 0 && g.x + g.w <= 24 && g.h >= 1 && g.y >= 0, `panel ${p.id}: gridPos inside the 24 columns`);
      if (p.type === 'row') continue;
      assert.equal(p.datasource?.uid, '${datasource}', `panel ${p.id}: datasource is the variable`);
      assert.ok((p.targets ?? []).length > 0, `panel ${p.id}: has queries`);
      for (const t of p.targets!) {
        assert.equal(t.datasource.uid, '${datasource}', `panel ${p.id} ${t.refId}: datasource`);
        assert.match(t.expr, /\$host/, `panel ${p.id} ${t.refId}: filtered by $host`);
      }
    }
    // Panels do not overlap.
    const cells = new Set<string>();
    for (const p of dashboard.panels)
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          assert.ok(!cells.has(`${x},${y}`), `panel ${p.id} overlaps another at ${x},${y}`);
          cells.add(`${x},${y}`);
        }
    const titles = dashboard.panels.map((p) => p.title);
    for (const t of ['Fleet overview', 'Desired vs running containers', 'Heals', 'Alerts', 'Time to heal (p50, p95)']) assert.ok(titles.includes(t), t);
    assert.ok(
      dashboard.annotations.list.some((a) => a.name === 'Maintenance windows' && a.expr?.includes('upkeep_maintenance_active')),
      'maintenance windows as annotations',
    );
  });
});

describe('a fleet Prometheus scrapes the metrics listener through TLS and basic auth', () => {
  let prom: string;
  let server: MetricsServer;
  const stop = new AbortController();
  let serving: Promise<void>;
  let child: ReturnType<typeof spawn> | null = null;
  let exported: Set<string>;
  let skip: string | null = null;

  before(async () => {
    if (!existsSync(PROMETHEUS)) {
      skip = 'PROMETHEUS NOT AVAILABLE, test skipped: apt-get install --no-install-recommends prometheus';
      if (process.env.UPKEEP_REQUIRE_ENGINE === '1') throw new Error(`${skip} (UPKEEP_REQUIRE_ENGINE=1)`);
      process.stderr.write(`\n!!! ${skip}\n\n`);
      return;
    }
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    // Relative paths in the web config are relative to the file, as in the exporter toolkit.
    writeFileSync(
      join(dir, 'web.yml'),
      `tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\nbasic_auth_users:\n  ${USER}: '${bcryptHash(PASSWORD)}'\n`,
    );
    // The agent's metrics, fed the way the agent feeds them.
    const m = new AgentMetrics({ version: '9.9.9-test', channels: ['team-am'] });
    m.observeContainers([
      { container: 'lapis', service: 'srsilo/lapis', desired: true, running: true, healthy: true },
      { container: 'worker', service: 'srsilo/worker', desired: true, running: false, healthy: null },
    ]);
    m.heal('worker', 'started');
    m.healed(1.7);
    m.alertSent('team-am', 'delivered');
    m.recovery('startup', 'complete');
    m.checkResult('srsilo/lapis', 'http', true, 0.02);
    m.reconciled(Date.now(), 0.04);
    m.setEngineUp(true);
    m.setMaintenance(false);
    m.setRebootRequired(true);
    m.setPendingUpgrades(3);
    m.setAlertsFiring(1);
    exported = new Set([...(await m.render()).body.matchAll(/^(upkeep_\w+?)(?:\{| )/gm)].map((x) => x[1]!));
    server = new MetricsServer({ host: '127.0.0.1', port: 0, webConfigFile: join(dir, 'web.yml'), metrics: () => m.render() });
    serving = server.run(stop.signal);
    await server.listening;
    const target = `127.0.0.1:${server.address()!.port}`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${join(repo, 'deploy/prometheus/upkeep.rules.yml')}`,
        'scrape_configs:',
        '  - job_name: upkeep',
        '    scheme: https',
        '    tls_config:',
        `      ca_file: ${join(dir, 'cert.pem')}`,
        '    basic_auth:',
        `      username: ${USER}`,
        `      password: ${PASSWORD}`,
        '    static_configs:',
        `      - targets: ['${target}']`,
        '        labels:',
        '          host: wisepulse',
        '',
      ].join('\n'),
    );
    const port = await freePort();
    prom = `http://127.0.0.1:${port}`;
    let stderr = '';
    child = spawn(
      PROMETHEUS,
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    await waitFor(
      'prometheus ready',
      async () => {
        if (child!.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
        return (await fetch(`${prom}/-/ready`)).ok ? true : undefined;
      },
      20_000,
    );
  });

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    stop.abort();
    await serving;
    rmSync(dir, { recursive: true, force: true });
  });

  const query = async (q: string): Promise<{ status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }> => {
    const res = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(q)}`);
    return (await res.json()) as never;
  };

  it('up == 1 and upkeep series through the query API; the target label host is kept', async (t) => {
    if (skip) return t.skip(skip);
    const up = await waitFor('up == 1', async () => {
      const r = await query('up{job="upkeep"} == 1');
      return r.data?.result.length === 1 ? r.data.result[0] : undefined;
    });
    assert.equal(up.metric.host, 'wisepulse');
    const build = await query('upkeep_build_info');
    assert.equal(build.data?.result[0]?.metric.version, '9.9.9-test');
    const running = await query('upkeep_desired_containers_running');
    assert.equal(running.data?.result[0]?.value[1], '1');
    const down = await query('upkeep_container_desired == 1 and on (job, instance, container) upkeep_container_running == 0');
    assert.deepEqual(
      down.data?.result.map((r) => r.metric.container),
      ['worker'],
    );
  });

  it('refuses scrapes without the password, with a wrong one, and over plain HTTP', async (t) => {
    if (skip) return t.skip(skip);
    const url = `https://127.0.0.1:${server.address()!.port}/metrics`;
    const status = (args: string[]) => curl(['-s', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', join(dir, 'cert.pem'), ...args, url]);
    assert.equal(await status([]), '401');
    assert.equal(await status(['-u', `${USER}:wrong`]), '401');
    assert.equal(await status(['-u', `${USER}:${PASSWORD}`]), '200');
    const plain = await curl(['-s', '-o', '/dev/null', '-w', '%{http_code}', url.replace('https:', 'http:')]).catch(() => 'failed');
    assert.notEqual(plain.trim(), '200');
  });

  it('runs every PromQL expression of the dashboard against it: no error, only metrics the agent exports', async (t) => {
    if (skip) return t.skip(skip);
    // One rule evaluation past the first scrape: the series are there.
    await waitFor('a scrape', async () => ((await query('upkeep_heal_seconds_count')).data?.result.length === 1 ? true : undefined));
    const names = (await (await fetch(`${prom}/api/v1/label/__name__/values`)).json()) as { data: string[] };
    const exprs = expressions();
    assert.ok(exprs.length >= 20, `found ${exprs.length} expressions`);
    for (const { where, expr } of exprs) {
      const r = await query(expand(expr));
      assert.equal(r.status, 'success', `${where}: ${expr}: ${r.error}`);
      for (const [name] of expr.matchAll(/\bupkeep_\w+/g)) {
        assert.ok(names.data.includes(name), `${where}: ${name} is not a series Prometheus scraped from the agent`);
        assert.ok(exported.has(name.replace(/_(bucket|sum|count)$/, '')) || exported.has(name), `${where}: ${name} not exported`);
      }
    }
    // The overview's questions have answers for this host.
    const overview = await query(expand('(upkeep_desired_containers{instance=~"$host"} - upkeep_desired_containers_running{instance=~"$host"}) > 0'));
    assert.equal(overview.data?.result[0]?.value[1], '1');
  });

  it('the shipped rules load in the real Prometheus, and promtool check metrics accepts the exposition', async (t) => {
    if (skip) return t.skip(skip);
    const rules = (await (await fetch(`${prom}/api/v1/rules`)).json()) as { data: { groups: Array<{ name: string; rules: Array<{ name: string; health: string }> }> } };
    const fleet = rules.data.groups.find((g) => g.name === 'upkeep-fleet');
    assert.deepEqual(
      fleet?.rules.map((r) => r.name),
      ['UpkeepHostServicesDown', 'UpkeepRebootPendingTooLong', 'UpkeepAgentStoppedReporting'],
    );
    await waitFor('every rule evaluated ok', async () => {
      const r = (await (await fetch(`${prom}/api/v1/rules`)).json()) as typeof rules;
      const all = r.data.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((x) => x.health === 'ok') ? true : undefined;
    });
    const promtool = promtoolOrSkip(t);
    if (promtool === null) return;
    const body = await curl(['-s', '--cacert', join(dir, 'cert.pem'), '-u', `${USER}:${PASSWORD}`, `https://127.0.0.1:${server.address()!.port}/metrics`]);
    const checked = await runPromtool(promtool, ['check', 'metrics'], body);
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);
  });
});

describe('the metrics listener without Prometheus', () => {
  it('plain HTTP with basic auth: /metrics only; unknown credentials are checked at most 5 times in 10 s (then 429), known ones always pass', async () => {
    const own = mkdtempSync(join(tmpdir(), 'upkeep-webcfg-'));
    writeFileSync(join(own, 'web.yml'), `basic_auth_users:\n  ${USER}: '${bcryptHash(PASSWORD)}'\n`);
    const ac = new AbortController();
    const s = new MetricsServer({ host: '127.0.0.1', port: 0, webConfigFile: join(own, 'web.yml'), metrics: () => ({ contentType: 'text/plain', body: 'upkeep_x 1\n' }) });
    const serving = s.run(ac.signal);
    await s.listening;
    const base = `http://127.0.0.1:${s.address()!.port}`;
    const basic = (pw: string) => ({ authorization: `Basic ${Buffer.from(`${USER}:${pw}`).toString('base64')}` });
    try {
      assert.equal((await fetch(`${base}/status`, { headers: basic(PASSWORD) })).status, 404);
      assert.equal((await fetch(`${base}/metrics`, { method: 'POST', headers: basic(PASSWORD) })).status, 405);
      const ok = await fetch(`${base}/metrics`, { headers: basic(PASSWORD) });
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), 'upkeep_x 1\n');
      const wrong: number[] = [];
      for (let i = 0; i < 6; i++) wrong.push((await fetch(`${base}/metrics`, { headers: basic(`wrong-${i}`) })).status);
      // Five bcrypt checks in 10 s, the first (right) password's included: four wrong ones, then 429.
      assert.deepEqual(wrong, [401, 401, 401, 401, 429, 429]);
      assert.equal((await fetch(`${base}/metrics`, { headers: basic(PASSWORD) })).status, 200, 'remembered credentials still pass');
      assert.equal((await fetch(`${base}/metrics`)).status, 401);
    } finally {
      ac.abort();
      await serving;
      rmSync(own, { recursive: true, force: true });
    }
  });
});

describe('the metrics listener: the bcrypt check limit is per peer', () => {
  it('a client with a wrong password from 127.0.0.2 does not lock out Prometheus on 127.0.0.1; at most 10 checks in all', async () => {
    assert.equal(peerKey('::ffff:127.0.0.2'), '127.0.0.2');
    assert.equal(peerKey('2001:db8:1:2:3:4:5:6'), peerKey('2001:db8:1:2::9'), 'an IPv6 peer is its /64');
    assert.notEqual(peerKey('2001:db8:1:2::9'), peerKey('2001:db8:1:3::9'));
    const own = mkdtempSync(join(tmpdir(), 'upkeep-webcfg-'));
    writeFileSync(join(own, 'web.yml'), `basic_auth_users:\n  ${USER}: '${bcryptHash(PASSWORD)}'\n`);
    const ac = new AbortController();
    const s = new MetricsServer({ host: '127.0.0.1', port: 0, webConfigFile: join(own, 'web.yml'), metrics: () => ({ contentType: 'text/plain', body: 'upkeep_x 1\n' }) });
    const serving = s.run(ac.signal);
    await s.listening;
    // fetch cannot choose its source address: node:http with localAddress (any 127/8 address works on Linux loopback).
    const get = (from: string, pw: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port: s.address()!.port,
            path: '/metrics',
            localAddress: from,
            agent: false,
            headers: { authorization: `Basic ${Buffer.from(`${USER}:${pw}`).toString('base64')}` },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end();
      });
    try {
      const bad: number[] = [];
      for (let i = 0; i < 6; i++) bad.push(await get('127.0.0.2', `wrong-${i}`));
      assert.deepEqual(bad, [401, 401, 401, 401, 401, 429], 'five checks for 127.0.0.2, then 429');
      assert.equal(await get('127.0.0.1', PASSWORD), 200, 'Prometheus from another address still gets its check');
      // 5 + 1 checks so far; a third peer gets the 4 left of the 10 in all.
      const third: number[] = [];
      for (let i = 0; i < 5; i++) third.push(await get('127.0.0.3', `other-${i}`));
      assert.deepEqual(third, [401, 401, 401, 401, 429], 'at most 10 checks in 10 s in all');
      assert.equal(await get('127.0.0.2', PASSWORD), 200, 'remembered credentials pass from any peer');
    } finally {
      ac.abort();
      await serving;
      rmSync(own, { recursive: true, force: true });
    }
  });
});

describe('metrics.web_config files upkeep refuses', () => {
  it('names the file and the key: unsupported keys, a hash that is not bcrypt, a missing key file', async () => {
    const own = mkdtempSync(join(tmpdir(), 'upkeep-webcfg-'));
    const f = join(own, 'bad.yml');
    const cases: Array<[string, RegExp]> = [
      ['tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: RequireAndVerifyClientCert\n', /tls_server_config\.client_auth_type is not supported/],
      ['http_server_config:\n  http2: false\n', /http_server_config is not supported/],
      ['basic_auth_users:\n  prometheus: plaintext\n', /basic_auth_users\.prometheus: expected a bcrypt hash/],
      ['tls_server_config:\n  cert_file: nope.pem\n  key_file: nope.key\n', /tls_server_config\.cert_file .*nope\.pem/],
      ['- a list\n', /expected a mapping/],
    ];
    for (const [text, re] of cases) {
      writeFileSync(f, text);
      await assert.rejects(
        () => loadWebConfig(f),
        (e: Error) => re.test(e.message) && e.message.includes(f),
        text,
      );
    }
    rmSync(own, { recursive: true, force: true });
  });
});
