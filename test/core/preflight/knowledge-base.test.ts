import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { KNOWLEDGE_BASE, lookupKnowledge, type KnownEffect } from '../../../src/core/preflight/knowledge-base.js';
import { analyseMaintainerScript } from '../../../src/core/preflight/maintainer-scripts.js';

test('every package the issue names has a sourced entry', () => {
  const required = [
    'docker-ce',
    'docker.io',
    'containerd.io',
    'containerd',
    'runc',
    'docker-compose-plugin',
    'openssh-server',
    'systemd',
    'dbus',
    'libc6',
    'linux-image-*',
  ];
  assert.deepEqual(KNOWLEDGE_BASE.map((e) => e.package).sort(), [...required].sort());
  for (const e of KNOWLEDGE_BASE) assert.ok(e.source.length > 20, `${e.package} has no real source`);
});

test('lookupKnowledge: exact names, then patterns; unknown packages have no entry', () => {
  assert.equal(lookupKnowledge('docker-ce')?.effects[0]?.action, 'restart');
  assert.deepEqual(
    lookupKnowledge('docker.io')?.effects.map((e) => e.action),
    ['start', 'start'],
  );
  assert.equal(lookupKnowledge('linux-image-6.8.0-88-generic')?.rebootNeeded, true);
  assert.equal(lookupKnowledge('linux-image-generic')?.package, 'linux-image-*');
  assert.equal(lookupKnowledge('linux-image'), null);
  assert.equal(lookupKnowledge('docker-ce-cli'), null);
  assert.equal(lookupKnowledge('xlinux-image-1'), null);
});

/** Entries whose source is a saved script must say what the analyser reads from that script. */
test('entries sourced from real scripts agree with the analyser on those scripts', () => {
  const cases: Array<[string, string]> = [
    ['docker.io', 'installed/docker.io_20.10.24+dfsg1-1+deb12u1+b6.postinst'],
    ['containerd', 'installed/containerd_1.6.20~ds1-1+deb12u3.postinst'],
    ['openssh-server', 'candidate/openssh-server_1%3a9.2p1-2+deb12u10.postinst'],
    ['systemd', 'candidate/systemd_252.39-1~deb12u2.postinst'],
    ['dbus', 'installed/dbus_1.14.10-1~deb12u1.postinst'],
    ['libc6', 'installed/libc6_2.36-9+deb12u14.postinst'],
  ];
  const key = (e: KnownEffect): string => `${e.when} ${e.action} ${e.unit}`;
  for (const [pkg, file] of cases) {
    const text = readFileSync(new URL(`../../fixtures/apt/scripts/${file.replaceAll('%', '%25')}`, import.meta.url), 'utf8');
    const read = analyseMaintainerScript('postinst', text)
      .effects.filter((e) => (e.when === 'upgrade' || e.when === 'always') && e.versionGuards.length === 0)
      .map(key);
    const known = lookupKnowledge(pkg)!.effects.map(key);
    assert.deepEqual([...new Set(read)].sort(), [...known].sort(), pkg);
  }
});
