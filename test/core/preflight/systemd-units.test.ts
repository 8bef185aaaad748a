import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { lastSetting, parseUnitFile, propagateRestarts, resolveUnit, type UnitDefinition } from '../../../src/core/preflight/systemd-units.js';

const unitFixture = (name: string): { file: string; text: string } => ({
  file: `/lib/systemd/system/${name}`,
  text: readFileSync(new URL(`../../fixtures/apt/units/${name}`, import.meta.url), 'utf8'),
});
const realUnit = (name: string): UnitDefinition => resolveUnit({ name, main: unitFixture(name), dropIns: [] });
const byName = (...defs: UnitDefinition[]): Map<string, UnitDefinition> => new Map(defs.map((d) => [d.name, d]));
const inline = (name: string, text: string, dropIns: string[] = []): UnitDefinition =>
  resolveUnit({ name, main: { file: name, text }, dropIns: dropIns.map((t, i) => ({ file: `${name}.d/${i}.conf`, text: t })) });

test('the real docker.service: Wants containerd, Requires docker.socket, no BindsTo', () => {
  const docker = realUnit('docker.service');
  assert.deepEqual(docker.problems, []);
  assert.deepEqual(docker.wants, ['network-online.target', 'containerd.service']);
  assert.deepEqual(docker.requires, ['docker.socket']);
  assert.deepEqual(docker.bindsTo, []);
  assert.deepEqual(docker.partOf, []);
  assert.deepEqual(docker.after, ['network-online.target', 'docker.socket', 'firewalld.service', 'containerd.service']);
  assert.equal(lastSetting(docker, 'Service.KillMode'), 'process');
  assert.equal(lastSetting(docker, 'Service.StartLimitBurst'), '3');
  assert.equal(lastSetting(docker, 'Service.ExecReload'), '/bin/kill -s HUP $MAINPID');
  assert.equal(lastSetting(realUnit('containerd.service'), 'Service.KillMode'), 'process');
  assert.deepEqual(realUnit('docker.socket').settings['Socket.ListenStream'], ['/run/docker.sock']);
});

test('a containerd restart does not reach docker.service (Wants only); a docker.socket restart does (Requires)', () => {
  const units = byName(realUnit('docker.service'), realUnit('containerd.service'), realUnit('docker.socket'));
  assert.deepEqual(propagateRestarts([{ unit: 'containerd.service', action: 'restart' }], units), [
    { unit: 'containerd.service', action: 'restart', cause: null },
  ]);
  assert.deepEqual(propagateRestarts([{ unit: 'docker.socket', action: 'restart' }], units), [
    { unit: 'docker.socket', action: 'restart', cause: null },
    { unit: 'docker.service', action: 'try-restart', cause: { unit: 'docker.socket', dependency: 'Requires' } },
  ]);
  assert.deepEqual(
    propagateRestarts([{ unit: 'docker.socket', action: 'stop' }], units).map((c) => `${c.action} ${c.unit}`),
    ['stop docker.socket', 'stop docker.service'],
  );
});

test('BindsTo and PartOf propagate, transitively and once; Wants does not', () => {
  const units = byName(
    inline('db.service', '[Unit]\nDescription=db\n'),
    inline('app.service', '[Unit]\nBindsTo=db.service\nAfter=db.service\n'),
    inline('sidecar.service', '[Unit]\nPartOf=app.service\n'),
    inline('loop.service', '[Unit]\nPartOf=sidecar.service app.service\n'),
    inline('cache.service', '[Unit]\nWants=db.service\n'),
  );
  assert.deepEqual(
    propagateRestarts([{ unit: 'db.service', action: 'restart' }], units).map((c) => [c.unit, c.action, c.cause?.unit ?? null, c.cause?.dependency ?? null]),
    [
      ['db.service', 'restart', null, null],
      ['app.service', 'try-restart', 'db.service', 'BindsTo'],
      ['sidecar.service', 'try-restart', 'app.service', 'PartOf'],
      ['loop.service', 'try-restart', 'app.service', 'PartOf'],
    ],
  );
  assert.deepEqual(propagateRestarts([{ unit: 'unknown.service', action: 'stop' }], units), [{ unit: 'unknown.service', action: 'stop', cause: null }]);
});

test('drop-ins append to lists, an empty assignment resets, a later single value wins', () => {
  const docker = resolveUnit({
    name: 'docker.service',
    main: unitFixture('docker.service'),
    dropIns: [
      { file: '/etc/systemd/system/docker.service.d/10-bind.conf', text: '[Unit]\nWants=\nBindsTo=containerd.service\n' },
      { file: '/etc/systemd/system/docker.service.d/20-restart.conf', text: '[Service]\nRestart=always\n' },
    ],
  });
  assert.deepEqual(docker.wants, []);
  assert.deepEqual(docker.bindsTo, ['containerd.service']);
  assert.equal(lastSetting(docker, 'Service.Restart'), 'always');
  assert.deepEqual(docker.settings['Service.Restart'], ['on-failure', 'always']);
  const units = byName(docker, realUnit('containerd.service'));
  assert.deepEqual(
    propagateRestarts([{ unit: 'containerd.service', action: 'restart' }], units).map((c) => c.unit),
    ['containerd.service', 'docker.service'],
  );
});

test('unit file syntax: continuations, comments, problems collected with lines', () => {
  const parsed = parseUnitFile(
    [
      'Orphan=1',
      '[Unit]',
      '# comment',
      '; other comment',
      'After=a.service \\',
      '  b.service',
      'garbage line',
      '[Service]',
      'ExecStart=/bin/x \\',
      '# inside',
      '  --flag',
    ].join('\n'),
    'x.service',
  );
  assert.deepEqual(
    parsed.settings.map((s) => [s.section, s.key, s.value, s.line]),
    [
      ['Unit', 'After', 'a.service  b.service', 5],
      ['Service', 'ExecStart', '/bin/x  --flag', 9],
    ],
  );
  assert.deepEqual(
    parsed.problems.map((p) => [p.line, p.message]),
    [
      [1, 'assignment outside of any [Section]'],
      [7, 'expected "Key=Value" or "[Section]"'],
    ],
  );
  assert.deepEqual(inline('x.service', '[Unit]\nAfter=a.service  b.service\n').after, ['a.service', 'b.service']);
});
