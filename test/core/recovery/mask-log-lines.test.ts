/** Log lines forwarded in alerts: the container's secret values and NAME=value secrets are masked. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskLogLines } from '../../../src/core/recovery/mask-secrets.js';

test('values of secret-looking variables of the container are masked wherever they appear', () => {
  const env = ['PASSWORD=leak123', 'DB_TOKEN=t0k3n-abc', 'PORT=8083', 'LANG=C', 'API_KEY=xy'];
  assert.deepEqual(maskLogLines(['connecting with leak123 to db', 'bearer t0k3n-abc rejected', 'listening on 8083'], env), [
    'connecting with *** to db',
    'bearer *** rejected',
    'listening on 8083',
  ]);
});

test('NAME=value and NAME: value with a secret-looking name are masked; others kept', () => {
  assert.deepEqual(maskLogLines(['PASSWORD=leak123 user=bob', 'redis_password: "s3cr et"', 'session=abc; path=/', 'count=3']), [
    'PASSWORD=*** user=bob',
    'redis_password: ***',
    'session=***; path=/',
    'count=3',
  ]);
});
