/** The texts install writes: the apt hook agrees with the shipped deploy/apt/99upkeep, the unit says what it must; the Debian package's are the same texts. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SHIPPED_BIN, renderAptHook } from '../../../src/core/install/apt-hook.js';
import { PACKAGE_BIN, PACKAGE_DOCS, renderPackageAptHook, renderPackageUnit } from '../../../src/core/install/package.js';
import { AGENT_NODE_OPTIONS, renderUnitFile } from '../../../src/core/install/unit-file.js';

const SHIPPED = readFileSync(new URL('../../../deploy/apt/99upkeep', import.meta.url), 'utf8');

describe('apt hook', () => {
  it('is deploy/apt/99upkeep, modulo the executable path', () => {
    assert.equal(renderAptHook(SHIPPED_BIN), SHIPPED);
    const other = renderAptHook('/opt/upkeep/bin/upkeep');
    assert.ok(!other.includes(SHIPPED_BIN));
    assert.equal(other.split('/opt/upkeep/bin/upkeep').join(SHIPPED_BIN), SHIPPED);
  });

  it('runs preflight before packages are installed (its exit code stands: preflight.block), and a maintenance window around each dpkg run that never blocks apt', () => {
    const text = renderAptHook('/x/upkeep');
    assert.match(text, /^DPkg::Pre-Install-Pkgs \{ "\/x\/upkeep preflight --hook"; \};$/m);
    assert.match(text, /^DPkg::Tools::Options::\/x\/upkeep::Version "3";$/m);
    assert.match(text, /^DPkg::Pre-Invoke \{ "\/x\/upkeep maintenance start --source apt --for 2h --quiet \|\| true"; \};$/m);
    assert.match(text, /^DPkg::Post-Invoke \{ "\/x\/upkeep maintenance stop --source apt --quiet \|\| true"; \};$/m);
    for (const line of text.split('\n').filter((l) => l.includes('maintenance') && l.includes('{ "'))) assert.match(line, /\|\| true"; \};$/, line);
  });
});

describe('systemd unit', () => {
  const unit = renderUnitFile({ bin: '/opt/upkeep/bin/upkeep', configPath: '/etc/upkeep/upkeep.yml', docs: 'file:///opt/upkeep/docs/install.md' });
  const lines = unit.split('\n');

  it('wants Docker but never requires or binds to it: the agent keeps running while docker.service is down', () => {
    assert.ok(lines.includes('After=docker.service network-online.target'));
    assert.ok(lines.includes('Wants=docker.service'));
    assert.ok(!lines.some((l) => /^(Requires|BindsTo|PartOf|Requisite)=/.test(l)));
  });

  it('runs the agent with the config, restarts always, starts at boot', () => {
    for (const l of [
      'ExecStart=/opt/upkeep/bin/upkeep agent --config /etc/upkeep/upkeep.yml',
      'Type=simple',
      'Restart=always',
      'RestartSec=5s',
      'WantedBy=multi-user.target',
      'Documentation=file:///opt/upkeep/docs/install.md',
    ])
      assert.ok(lines.includes(l), l);
  });

  it('gives the agent its Node options in one quoted assignment (unquoted, systemd would drop every word after the first)', () => {
    assert.ok(lines.includes(`Environment="NODE_OPTIONS=${AGENT_NODE_OPTIONS}"`));
    assert.deepEqual(AGENT_NODE_OPTIONS.split(' '), ['--max-semi-space-size=1', '--jitless']);
  });

  it("is hardened without cutting off the Docker socket, Docker's files or the state directory", () => {
    for (const l of [
      'NoNewPrivileges=yes',
      'ProtectSystem=full',
      'ProtectHome=read-only',
      'PrivateTmp=yes',
      'ProtectKernelTunables=yes',
      'ProtectKernelModules=yes',
      'ProtectControlGroups=yes',
      'RestrictSUIDSGID=yes',
      'LockPersonality=yes',
      'StateDirectory=upkeep',
      'StateDirectoryMode=0700',
    ])
      assert.ok(lines.includes(l), l);
    assert.ok(!lines.includes('ProtectSystem=strict'), 'strict would make /var/lib/docker and compose working files read-only');
    assert.ok(
      !lines.some((l) => /^(PrivateDevices|PrivateNetwork|RestrictAddressFamilies|InaccessiblePaths)=/.test(l)),
      'the unix socket and the network must stay reachable',
    );
  });

  it('every comment is on its own line (systemd has no trailing comments)', () => {
    for (const l of lines) if (l.includes('#')) assert.match(l, /^#/, l);
  });

  it('has no Documentation= line when the program does not know where its docs are (a bundle built without --docs-uri)', () => {
    const bare = renderUnitFile({ bin: '/usr/bin/upkeep', configPath: '/etc/upkeep/upkeep.yml', docs: null }).split('\n');
    assert.ok(!bare.some((l) => l.startsWith('Documentation')));
    assert.deepEqual(
      bare,
      lines.filter((l) => !l.startsWith('Documentation=')).map((l) => l.replace('/opt/upkeep/bin/upkeep', '/usr/bin/upkeep')),
    );
  });
});

describe("the Debian package's unit and apt hook", () => {
  it("are install's texts for /usr/bin/upkeep, with the package named as their origin", () => {
    const unit = renderPackageUnit();
    const installs = renderUnitFile({ bin: PACKAGE_BIN, configPath: '/etc/upkeep/upkeep.yml', docs: PACKAGE_DOCS });
    const strip = (text: string) => text.split('\n').filter((l) => !l.startsWith('#') && !l.startsWith('ConditionPathExists='));
    assert.deepEqual(strip(unit), strip(installs));
    assert.ok(unit.includes('# Installed by the Debian package upkeep;'));
    assert.equal(renderPackageAptHook(), renderAptHook(PACKAGE_BIN).replace('Installed by `upkeep install`.', 'Installed by the Debian package upkeep.'));
  });

  it('starts the agent only once it is configured: the package installs no config file', () => {
    const lines = renderPackageUnit().split('\n');
    assert.ok(lines.includes('ConditionPathExists=/etc/upkeep/upkeep.yml'));
    assert.ok(lines.indexOf('ConditionPathExists=/etc/upkeep/upkeep.yml') < lines.indexOf('[Service]'), 'a [Unit] setting');
    assert.ok(
      !renderUnitFile({ bin: '/x', configPath: '/c', docs: 'file:///d' }).includes('ConditionPathExists'),
      'upkeep install writes the config, so its unit needs no condition',
    );
  });
});
