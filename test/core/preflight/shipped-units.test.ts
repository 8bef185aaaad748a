import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assumeDebhelperRestart, shippedUnits, shippedUnitsSource } from '../../../src/core/preflight/shipped-units.js';

test('shippedUnits: restartable units directly in /lib or /usr/lib/systemd/system; templates, drop-ins, links, targets left out', () => {
  const paths = [
    '/lib/systemd/system',
    '/lib/systemd/system/docker.service',
    '/lib/systemd/system/docker.socket',
    '/usr/lib/systemd/system/fstrim.timer',
    '/usr/lib/systemd/system/fstrim.service',
    '/usr/lib/systemd/system/getty@.service',
    '/lib/systemd/system/foo.service.d/override.conf',
    '/lib/systemd/system/multi-user.target.wants/foo.service',
    '/lib/systemd/system/foo.target',
    '/etc/systemd/system/local.service',
    '/lib/systemd/user/pipewire.service',
    '/usr/sbin/dockerd',
    '/lib/systemd/system/docker.service',
  ];
  assert.deepEqual(shippedUnits(paths), ['docker.service', 'docker.socket', 'fstrim.service', 'fstrim.timer']);
  assert.deepEqual(shippedUnits([]), []);
});

test('assumeDebhelperRestart: deb-systemd-invoke restarts units that are enabled or active, leaves the others', () => {
  const states = new Map([
    ['on.service', { enabled: true, active: null }],
    ['running.service', { enabled: false, active: true }],
    ['off.service', { enabled: false, active: false }],
  ]);
  assert.deepEqual(assumeDebhelperRestart(['off.service', 'on.service', 'running.service', 'unknown.service'], states), {
    restarted: ['on.service', 'running.service'],
    skipped: ['off.service', 'unknown.service'],
  });
  assert.equal(shippedUnitsSource('fakesvc.list'), "unit files the package ships (fakesvc.list), assuming debhelper's default restart");
});
