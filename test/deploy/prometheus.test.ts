/** deploy/prometheus: the shipped alert rules load (promtool check rules), pass their unit tests
 * (promtool test rules) and use only metrics the agent exports. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { AgentMetrics } from '../../src/adapters/metrics/agent-metrics.js';
import { promtoolOrSkip, promtoolVersion, runPromtool } from './promtool.js';

const dir = fileURLToPath(new URL('../../deploy/prometheus/', import.meta.url));
const rulesFile = `${dir}upkeep.rules.yml`;

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function rules(): Rule[] {
  const doc = parse(readFileSync(rulesFile, 'utf8')) as { groups: { rules: Rule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

describe('deploy/prometheus/upkeep.rules.yml', () => {
  it('passes `promtool check rules`', async (t) => {
    const promtool = promtoolOrSkip(t);
    if (promtool === null) return;
    const r = await runPromtool(promtool, ['check', 'rules', 'upkeep.rules.yml'], undefined, dir);
    assert.equal(r.code, 0, `${promtoolVersion(promtool)}:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${rules().length} rules found`));
  });

  it('passes `promtool test rules upkeep.rules.test.yml`', async (t) => {
    const promtool = promtoolOrSkip(t);
    if (promtool === null) return;
    const r = await runPromtool(promtool, ['test', 'rules', 'upkeep.rules.test.yml', 'upkeep.rules.days.test.yml'], undefined, dir);
    assert.equal(r.code, 0, `${promtoolVersion(promtool)}:\n${r.stdout}${r.stderr}`);
    assert.equal(r.stdout.match(/SUCCESS/g)?.length, 2, r.stdout);
  });

  it('has the main rules, each with a severity and summary/description annotations', () => {
    const all = rules();
    const names = all.map((r) => r.alert);
    for (const name of [
      'UpkeepDesiredContainerDown',
      'UpkeepAgentAbsent',
      'UpkeepReconcileStale',
      'UpkeepEngineDown',
      'UpkeepGaveUpHealing',
      'UpkeepAlertDeliveryFailing',
      'UpkeepRebootRequired',
      'UpkeepCheckFailing',
      'UpkeepHostServicesDown',
      'UpkeepRebootPendingTooLong',
      'UpkeepAgentStoppedReporting',
    ]) {
      assert.ok(names.includes(name), `${name} missing`);
    }
    assert.equal(new Set(names).size, names.length, 'alert names are unique');
    for (const r of all) {
      assert.match(r.labels?.severity ?? '', /^(critical|warning|info)$/, `${r.alert}: severity`);
      assert.ok(r.annotations?.summary, `${r.alert}: summary`);
      assert.ok(r.annotations?.description, `${r.alert}: description`);
    }
    const reboot = all.find((r) => r.alert === 'UpkeepRebootRequired')!;
    assert.equal(reboot.for, '24h');
    assert.equal(reboot.labels?.severity, 'info');
  });

  it('has a unit test for every rule', () => {
    const tests = readFileSync(`${dir}upkeep.rules.test.yml`, 'utf8') + readFileSync(`${dir}upkeep.rules.days.test.yml`, 'utf8');
    for (const r of rules()) assert.match(tests, new RegExp(`alertname: ${r.alert}\\n`), `${r.alert} has no alert_rule_test`);
  });

  it('uses only metrics the agent exports', async () => {
    const m = new AgentMetrics({ collectDefault: false });
    m.observeContainers([{ container: 'c', service: 's', desired: true, running: true, healthy: true }]);
    m.alertSent('ops', 'delivered');
    m.checkResult('s', 'http', true, 0.1);
    const { body } = await m.render();
    const exported = new Set([...body.matchAll(/^# TYPE (\S+) /gm)].map((x) => x[1]!));
    for (const r of rules()) {
      for (const [name] of r.expr.matchAll(/\bupkeep_[a-z_]+/g)) {
        assert.ok(exported.has(name), `${r.alert} uses ${name}, which AgentMetrics does not export`);
      }
    }
  });
});
