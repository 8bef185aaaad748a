import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseComposeRestart, parseDeployCondition, parseTargetPolicy, samePolicy } from '../../../src/core/audit/restart-value.js';

describe('restart values', () => {
  it('reads compose restart values', () => {
    assert.deepEqual(parseComposeRestart('no'), { name: 'no', maximumRetryCount: 0 });
    assert.deepEqual(parseComposeRestart(' unless-stopped '), { name: 'unless-stopped', maximumRetryCount: 0 });
    assert.deepEqual(parseComposeRestart('on-failure:3'), { name: 'on-failure', maximumRetryCount: 3 });
    assert.deepEqual(parseComposeRestart('on-failure'), { name: 'on-failure', maximumRetryCount: 0 });
    for (const bad of ['always:3', 'sometimes', '', 'false', 'on-failure:x']) assert.equal(parseComposeRestart(bad), null, bad);
  });

  it('reads deploy.restart_policy conditions as docker compose v2 applies them', () => {
    assert.deepEqual(parseDeployCondition('any', null), { name: 'always', maximumRetryCount: 0 });
    assert.deepEqual(parseDeployCondition('none', null), { name: 'no', maximumRetryCount: 0 });
    assert.deepEqual(parseDeployCondition('on-failure', 5), { name: 'on-failure', maximumRetryCount: 5 });
    assert.equal(parseDeployCondition('sometimes', null), null);
  });

  it('accepts only policies that bring a service back as a --restart-policy target', () => {
    assert.deepEqual(parseTargetPolicy('always'), { name: 'always', maximumRetryCount: 0 });
    assert.deepEqual(parseTargetPolicy('on-failure:2'), { name: 'on-failure', maximumRetryCount: 2 });
    assert.equal(parseTargetPolicy('no'), null);
    assert.equal(parseTargetPolicy('forever'), null);
  });

  it('compares retry limits only for on-failure', () => {
    assert.equal(samePolicy({ name: 'on-failure', maximumRetryCount: 3 }, { name: 'on-failure', maximumRetryCount: 5 }), false);
    assert.equal(samePolicy({ name: 'always', maximumRetryCount: 3 }, { name: 'always', maximumRetryCount: 0 }), true);
  });
});
