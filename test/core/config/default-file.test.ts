import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { DEFAULT_CONFIG_FILE } from '../../../src/core/config/default-file.js';
import { interpolateTree } from '../../../src/core/config/interpolate.js';
import { parseConfigObject } from '../../../src/core/config/schema.js';
import { defaultConfig } from '../../../src/core/config/types.js';

test('the default file validates to exactly defaultConfig()', () => {
  assert.deepEqual(parseConfigObject(parse(DEFAULT_CONFIG_FILE)), { ok: true, config: defaultConfig() });
});

test('every commented setting in the default file is valid when uncommented', () => {
  const body = DEFAULT_CONFIG_FILE.slice(DEFAULT_CONFIG_FILE.indexOf('\n\n'));
  const uncommented = body
    .split('\n')
    .filter((l) => /^# [a-z ]/.test(l))
    .map((l) => l.slice(2))
    .join('\n');
  const env = {
    UPKEEP_WEBHOOK_SECRET: 's',
    SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/X',
    SMTP_PASSWORD: 'p',
    UPKEEP_HTTP_TOKEN: '0123456789abcdef',
  };
  const { value, issues } = interpolateTree(parse(uncommented), env);
  assert.deepEqual(issues, []);
  const r = parseConfigObject(value);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.config.services[0]?.checks.length, 3);
  assert.equal(r.config.alerts.channels.length, 5);
  assert.equal(r.config.alerts.channels[4]?.type, 'alertmanager');
  assert.deepEqual(r.config.metrics, { listen: { host: '0.0.0.0', port: 9466 }, webConfig: '/etc/upkeep/metrics-web.yml' });
  assert.equal(r.config.http.token, '0123456789abcdef');
  assert.equal(r.config.timeline.retentionMs, 90 * 86_400_000);
});
