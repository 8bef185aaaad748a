/** The Host header check against DNS rebinding (adapters/http/host-header.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { localHostCheck } from '../../../src/adapters/http/host-header.js';

describe('localHostCheck', () => {
  const check = localHostCheck('127.0.0.1', 'db1.lab.example.org');
  it('serves loopback names, the listen host, no Host header, and this machine own name (whole or its first label)', () => {
    for (const h of [undefined, 'localhost', 'localhost:9465', '127.0.0.1:9465', '[::1]:9465', 'DB1.lab.example.org:9465', 'db1', 'db1:9465'])
      assert.equal(check(h), true, String(h));
  });
  it('refuses any other name (a rebinding site), including look-alikes of the machine name', () => {
    for (const h of ['evil.example', 'evil.example:9465', 'db1.evil.example', 'db10', 'lab.example.org', '127.0.0.2']) assert.equal(check(h), false, h);
  });
  it('an empty machine name adds nothing', () => {
    assert.equal(localHostCheck(undefined, '')(''), false);
  });
});
