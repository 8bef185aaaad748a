import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasLiteralSecret, maskConfig, maskUrlCredentials } from '../../../src/core/config/mask.js';
import { defaultConfig } from '../../../src/core/config/types.js';
import { FULL_EXPECTED, FULL_SECRETS } from './fixtures.js';

test('maskConfig hides secrets, tokens, passwords, header values and Slack URLs', () => {
  const masked = maskConfig({
    ...FULL_EXPECTED,
    alerts: {
      ...FULL_EXPECTED.alerts,
      channels: FULL_EXPECTED.alerts.channels.map((c) => (c.type === 'webhook' ? { ...c, headers: { authorization: 'Bearer hdr-secret' } } : c)),
    },
  });
  const text = JSON.stringify(masked);
  for (const s of [...FULL_SECRETS, 'hdr-secret']) assert.ok(!text.includes(s), s);
  assert.deepEqual(masked.alerts.channels[0], {
    type: 'webhook',
    name: 'webhook',
    url: 'https://hooks.example/upkeep',
    secret: '***',
    headers: { authorization: '***' },
    group: true,
  });
  assert.equal(masked.alerts.channels[1]?.type === 'slack' && masked.alerts.channels[1].url, 'https://hooks.slack.com/***');
  assert.deepEqual(masked.http, { token: '***' });
  assert.deepEqual({ ...masked, alerts: FULL_EXPECTED.alerts, http: FULL_EXPECTED.http }, FULL_EXPECTED, 'nothing else changes');
});

test('maskConfig hides every string that came from interpolation', () => {
  const config = { ...defaultConfig(), heartbeat: { url: 'https://hc.example/ping/uuid-1234', intervalMs: 1000 } };
  assert.equal(maskConfig(config, new Set(['uuid-1234'])).heartbeat?.url, '***');
  assert.equal(maskConfig(config).heartbeat?.url, 'https://hc.example/ping/uuid-1234');
});

test('URL credentials and literal secrets', () => {
  assert.equal(maskUrlCredentials('https://user:pw@host/x'), 'https://user:***@host/x');
  assert.equal(maskUrlCredentials('https://host/x'), 'https://host/x');
  assert.equal(hasLiteralSecret({ alerts: { channels: [{ type: 'webhook', secret: 'abc' }] } }), true);
  assert.equal(hasLiteralSecret({ alerts: { channels: [{ type: 'webhook', secret: '${S}' }] } }), false);
  assert.equal(hasLiteralSecret({ heartbeat: { url: 'https://u:p@hc.example' } }), true);
  assert.equal(hasLiteralSecret({ alerts: { channels: [{ type: 'slack', url: 'https://hooks.slack.com/services/T/B/X' }] } }), true);
  assert.equal(hasLiteralSecret({ listen: '127.0.0.1:1', alerts: { channels: [{ type: 'ntfy', url: 'https://ntfy.sh/t' }] } }), false);
});

test('URL secrets: userinfo, and query or fragment parameters named like a token, key, secret, password or signature', () => {
  assert.equal(maskUrlCredentials('https://hooks.example/upkeep?token=abc123&x=1'), 'https://hooks.example/upkeep?token=***&x=1');
  assert.equal(
    maskUrlCredentials('https://h/x?a=1&api_key=K&Secret=S&password=P&sig=G&signature=Z&access_token=T&auth=A#frag'),
    'https://h/x?a=1&api_key=***&Secret=***&password=***&sig=***&signature=***&access_token=***&auth=***#frag',
  );
  assert.equal(maskUrlCredentials('https://h/cb#access_token=T&state=1'), 'https://h/cb#access_token=***&state=1');
  assert.equal(maskUrlCredentials('https://ghp_tok@h/x'), 'https://***@h/x');
  assert.equal(maskUrlCredentials('https://h/x?page=2&topic=a'), 'https://h/x?page=2&topic=a');
  assert.equal(maskUrlCredentials('not a url?token=x'), 'not a url?token=x');
  const config = { ...defaultConfig(), heartbeat: { url: 'https://hc.example/ping?key=hb-key-42', intervalMs: 60_000 } };
  assert.equal(maskConfig(config).heartbeat?.url, 'https://hc.example/ping?key=***');
  assert.equal(hasLiteralSecret({ alerts: { channels: [{ type: 'webhook', url: 'https://h.example/x?token=abc' }] } }), true);
  assert.equal(hasLiteralSecret({ alerts: { channels: [{ type: 'webhook', url: 'https://h.example/x?token=${T}' }] } }), false);
});
