/** AgentMetrics: own registry, series as documented, removal of vanished containers, promtool lint. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { register as globalRegister } from 'prom-client';
import { AgentMetrics, type ContainerSample } from '../../../src/adapters/metrics/agent-metrics.js';
import { promtoolOrSkip, promtoolVersion, runPromtool } from '../../deploy/promtool.js';

/** `name{labels}` -> value for every sample line, labels as rendered. */
async function samples(m: AgentMetrics): Promise<Map<string, number>> {
  const { body } = await m.render();
  const out = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

function seriesOf(all: Map<string, number>, name: string): string[] {
  return [...all.keys()].filter((k) => k === name || k.startsWith(`${name}{`)).sort();
}

const web: ContainerSample = { container: 'web', service: 'shop/web', desired: true, running: true, healthy: true };
const db: ContainerSample = { container: 'db', service: 'shop/db', desired: true, running: false, healthy: null };
const oneOff: ContainerSample = { container: 'one-off', service: 'one-off', desired: false, running: false, healthy: null };

/** An AgentMetrics with every method called at least once. */
function populated(collectDefault = true): AgentMetrics {
  const m = new AgentMetrics({ version: '0.1.0', channels: ['ops'], collectDefault });
  m.observeContainers([web, db, oneOff]);
  m.heal('db', 'failed');
  m.heal('db', 'gave_up');
  m.recovery('daemon_restart', 'incomplete');
  m.alertSent('ops', 'delivered');
  m.alertSent('mail', 'failed');
  m.setAlertsFiring(2);
  m.setOutboxPending(1);
  m.checkResult('shop/web', 'http', true, 0.03);
  m.checkResult('shop/db', 'tcp', false, 5);
  m.reconciled(1_764_320_000_000, 0.4);
  m.setEngineUp(true);
  m.setMaintenance(false);
  m.setPendingUpgrades(12);
  m.setRebootRequired(true);
  m.setHeartbeatOk(1_764_320_001_500);
  return m;
}

describe('AgentMetrics', () => {
  it('passes `promtool check metrics` without a single lint problem (default metrics included)', async (t) => {
    const promtool = promtoolOrSkip(t);
    if (promtool === null) return;
    const { body, contentType } = await populated().render();
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    assert.match(body, /^process_resident_memory_bytes \d+/m);
    const r = await runPromtool(promtool, ['check', 'metrics'], body);
    assert.equal(r.code, 0, `${promtoolVersion(promtool)}: check metrics failed:\n${r.stdout}${r.stderr}`);
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '', 'promtool reported lint problems');
  });

  it('uses its own registry: nothing in prom-client global registry, instances independent', async () => {
    const a = populated(false);
    const b = new AgentMetrics({ collectDefault: false });
    assert.equal((await globalRegister.metrics()).includes('upkeep_'), false);
    assert.equal((await samples(b)).get('upkeep_alerts_firing'), 0);
    assert.equal((await samples(a)).get('upkeep_alerts_firing'), 2);
    assert.notEqual(a.registry, globalRegister);
  });

  it('renders the documented series with their values', async () => {
    const s = await samples(populated(false));
    const expect: Record<string, number> = {
      'upkeep_build_info{version="0.1.0"}': 1,
      'upkeep_container_desired{container="web",service="shop/web"}': 1,
      'upkeep_container_running{container="web",service="shop/web"}': 1,
      'upkeep_container_healthy{container="web",service="shop/web"}': 1,
      'upkeep_container_desired{container="db",service="shop/db"}': 1,
      'upkeep_container_running{container="db",service="shop/db"}': 0,
      'upkeep_container_desired{container="one-off",service="one-off"}': 0,
      upkeep_desired_containers: 2,
      upkeep_desired_containers_running: 1,
      'upkeep_heals_total{container="db",outcome="failed"}': 1,
      'upkeep_heals_total{container="db",outcome="gave_up"}': 1,
      'upkeep_heals_total{container="db",outcome="started"}': 0,
      'upkeep_heals_total{container="web",outcome="gave_up"}': 0,
      'upkeep_heals_total{container="web",outcome="restarted"}': 0,
      'upkeep_recoveries_total{trigger="daemon_restart",outcome="incomplete"}': 1,
      'upkeep_recoveries_total{trigger="apt",outcome="complete"}': 0,
      'upkeep_alert_deliveries_total{channel="ops",outcome="delivered"}': 1,
      'upkeep_alert_deliveries_total{channel="ops",outcome="given_up"}': 0,
      'upkeep_alert_deliveries_total{channel="mail",outcome="failed"}': 1,
      'upkeep_alert_deliveries_total{channel="mail",outcome="delivered"}': 0,
      upkeep_alerts_firing: 2,
      upkeep_alert_outbox_pending: 1,
      'upkeep_check_up{service="shop/web",check="http"}': 1,
      'upkeep_check_up{service="shop/db",check="tcp"}': 0,
      'upkeep_check_duration_seconds_count{service="shop/db",check="tcp"}': 1,
      'upkeep_check_duration_seconds_bucket{le="5",service="shop/db",check="tcp"}': 1,
      'upkeep_check_duration_seconds_bucket{le="2.5",service="shop/db",check="tcp"}': 0,
      upkeep_last_reconcile_timestamp_seconds: 1_764_320_000,
      upkeep_reconcile_duration_seconds_count: 1,
      upkeep_reconcile_duration_seconds_sum: 0.4,
      upkeep_engine_up: 1,
      upkeep_maintenance_active: 0,
      upkeep_pending_upgrades: 12,
      upkeep_reboot_required: 1,
      upkeep_last_heartbeat_timestamp_seconds: 1_764_320_001.5,
    };
    for (const [series, value] of Object.entries(expect)) assert.equal(s.get(series), value, series);
    assert.equal(s.has('upkeep_container_healthy{container="db",service="shop/db"}'), false, 'no healthcheck: no healthy series');
    assert.equal(
      seriesOf(s, 'upkeep_heals_total').some((k) => k.includes('one-off')),
      false,
      'not desired: no heal counters',
    );
  });

  it('a host fact not read yet, or not readable, is NaN (never 0: "nothing pending", "no reboot"); promtool accepts it', async (t) => {
    const m = new AgentMetrics({ collectDefault: false });
    const before = await samples(m);
    assert.ok(Number.isNaN(before.get('upkeep_pending_upgrades')) && Number.isNaN(before.get('upkeep_reboot_required')), 'before the first read');
    m.setPendingUpgrades(3);
    m.setRebootRequired(false);
    assert.deepEqual([(await samples(m)).get('upkeep_pending_upgrades'), (await samples(m)).get('upkeep_reboot_required')], [3, 0]);
    m.setPendingUpgrades(null);
    m.setRebootRequired(null);
    const { body } = await m.render();
    // prom-client writes "Nan"; Prometheus reads NaN in any case (Go's ParseFloat), and promtool below agrees.
    assert.match(body, /^upkeep_pending_upgrades nan$/im);
    assert.match(body, /^upkeep_reboot_required nan$/im);
    const promtool = promtoolOrSkip(t);
    if (promtool === null) return;
    const r = await runPromtool(promtool, ['check', 'metrics'], body);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  });

  it('has HELP and TYPE for every upkeep_ metric, and no process metrics without collectDefault', async () => {
    const { body } = await populated(false).render();
    const names = new Set([...body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]!));
    assert.ok(names.size >= 20, `only ${names.size} metrics`);
    for (const name of names) {
      assert.match(name, /^upkeep_[a-z_]+$/);
      assert.match(body, new RegExp(`^# HELP ${name} \\S.{10,}$`, 'm'), `HELP of ${name}`);
    }
    assert.equal(body.includes('process_'), false);
  });

  it('removes the series of containers that are gone, and healthy series that became null', async () => {
    const m = new AgentMetrics({ collectDefault: false });
    m.observeContainers([web, db, { ...oneOff, healthy: false }]);
    let s = await samples(m);
    assert.equal(seriesOf(s, 'upkeep_container_desired').length, 3);
    assert.equal(seriesOf(s, 'upkeep_container_healthy').length, 2);

    m.observeContainers([
      { ...web, healthy: null },
      { ...db, service: 'other/db', running: true },
    ]);
    s = await samples(m);
    assert.deepEqual(seriesOf(s, 'upkeep_container_desired'), [
      'upkeep_container_desired{container="db",service="other/db"}',
      'upkeep_container_desired{container="web",service="shop/web"}',
    ]);
    assert.deepEqual(seriesOf(s, 'upkeep_container_running'), [
      'upkeep_container_running{container="db",service="other/db"}',
      'upkeep_container_running{container="web",service="shop/web"}',
    ]);
    assert.deepEqual(seriesOf(s, 'upkeep_container_healthy'), []);
    assert.equal(s.get('upkeep_desired_containers'), 2);
    assert.equal(s.get('upkeep_desired_containers_running'), 2);

    m.observeContainers([]);
    s = await samples(m);
    assert.deepEqual(seriesOf(s, 'upkeep_container_desired'), []);
    assert.deepEqual(seriesOf(s, 'upkeep_container_running'), []);
    assert.equal(s.get('upkeep_desired_containers'), 0);
    assert.equal(s.get('upkeep_desired_containers_running'), 0);
  });

  it('starts the last-reconcile timestamp at the start time, so a new agent is not "stale"', async () => {
    const s = await samples(new AgentMetrics({ collectDefault: false, now: () => 1_700_000_000_000 }));
    assert.equal(s.get('upkeep_last_reconcile_timestamp_seconds'), 1_700_000_000);
    assert.equal(s.get('upkeep_build_info{version="unknown"}'), 1);
    assert.equal(seriesOf(s, 'upkeep_recoveries_total').length, 8, 'every trigger x outcome starts at 0');
  });

  it('documents every metric in docs/metrics.md', async () => {
    const doc = readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8');
    const { body } = await populated().render();
    for (const [, name] of body.matchAll(/^# TYPE (upkeep_\S+) /gm)) assert.ok(doc.includes(`\`${name}\``), `${name} missing from docs/metrics.md`);
  });
});
