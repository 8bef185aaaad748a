/**
 * The Debian package's maintainer scripts (deploy/debian/) run as dpkg would, on a copy whose
 * absolute paths (/run/systemd/system, /etc/upkeep, /etc/apt/apt.conf.d, /var/lib/upkeep) point
 * into a temporary directory, with witnesses for deb-systemd-helper, deb-systemd-invoke and
 * systemctl on PATH: what they start, stop, link and remove in each case. (On this machine systemd
 * is not PID 1, so test/scripts/deb-install.test.ts cannot see the systemd side.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';

const DEBIAN = new URL('../../deploy/debian/', import.meta.url).pathname;
const PATHS = ['/run/systemd/system', '/etc/upkeep', '/etc/apt/apt.conf.d/99upkeep', '/var/lib/upkeep'];

let t: string;
beforeEach(() => {
  t = mkdtempSync(join(tmpdir(), 'upkeep-maint-'));
  mkdirSync(join(t, 'bin'));
  mkdirSync(join(t, 'etc/apt/apt.conf.d'), { recursive: true });
  for (const tool of ['deb-systemd-helper', 'deb-systemd-invoke', 'systemctl']) {
    writeFileSync(join(t, 'bin', tool), `#!/bin/sh\necho "${tool} $*" >> "${t}/calls"\n[ "$1 $2" != "--quiet was-enabled" ] || exit \${WAS_ENABLED:-0}\n`);
    chmodSync(join(t, 'bin', tool), 0o755);
  }
});
afterEach(() => rmSync(t, { recursive: true, force: true }));

function run(script: string, args: string[], env: Record<string, string> = {}): { code: number; stderr: string; calls: string[] } {
  let text = readFileSync(join(DEBIAN, script), 'utf8');
  for (const p of PATHS) text = text.split(p).join(`${t}${p}`);
  writeFileSync(join(t, script), text, { mode: 0o755 });
  rmSync(join(t, 'calls'), { force: true });
  const r = spawnSync('sh', [join(t, script), ...args], { env: { PATH: `${t}/bin:/usr/bin:/bin`, ...env }, encoding: 'utf8' });
  const calls = existsSync(join(t, 'calls')) ? readFileSync(join(t, 'calls'), 'utf8').trim().split('\n') : [];
  return { code: r.status ?? -1, stderr: r.stderr, calls };
}

const systemd = () => mkdirSync(join(t, 'run/systemd/system'), { recursive: true });
const configure = () => {
  mkdirSync(join(t, 'etc/upkeep'), { recursive: true });
  writeFileSync(join(t, 'etc/upkeep/upkeep.yml'), '# mine\n');
};
const hook = () => join(t, 'etc/apt/apt.conf.d/99upkeep');

describe('postinst', () => {
  it('first install, systemd running, not configured: enabled, not started, says how to configure; the hook linked', () => {
    systemd();
    const r = run('postinst', ['configure', '']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.calls, [
      'deb-systemd-helper --quiet was-enabled upkeep.service',
      'deb-systemd-helper enable upkeep.service',
      'systemctl --system daemon-reload',
    ]);
    assert.match(r.stderr, /enabled at boot but not started: it is not configured yet \(.*\/etc\/upkeep\/upkeep\.yml is missing\)/);
    assert.equal(readlinkSync(hook()), '/usr/share/upkeep/apt.conf.d/99upkeep');
  });

  it('first install, configured (the config exists): started', () => {
    systemd();
    configure();
    const r = run('postinst', ['configure', '']);
    assert.ok(r.calls.includes('deb-systemd-invoke start upkeep.service'), r.calls.join('\n'));
    assert.equal(r.stderr, '');
  });

  it('upgrade, configured: try-restart (a stopped agent stays stopped); disabled by the administrator: stays disabled', () => {
    systemd();
    configure();
    const r = run('postinst', ['configure', '0.1.0-1'], { WAS_ENABLED: '1' });
    assert.ok(r.calls.includes('deb-systemd-invoke try-restart upkeep.service'), r.calls.join('\n'));
    assert.ok(r.calls.includes('deb-systemd-helper update-state upkeep.service'));
    assert.ok(!r.calls.includes('deb-systemd-helper enable upkeep.service'));
  });

  it('systemd not running: enabled for the next boot, nothing started, no daemon-reload', () => {
    configure();
    const r = run('postinst', ['configure', '']);
    assert.deepEqual(r.calls, ['deb-systemd-helper --quiet was-enabled upkeep.service', 'deb-systemd-helper enable upkeep.service']);
  });

  it("keeps an administrator's own file at the hook's path", () => {
    writeFileSync(hook(), '// mine\n');
    run('postinst', ['configure', '']);
    assert.equal(readFileSync(hook(), 'utf8'), '// mine\n');
  });
});

describe('prerm', () => {
  it('remove: stops the agent and takes the hook link away; upgrade: neither', () => {
    systemd();
    symlinkSync('/usr/share/upkeep/apt.conf.d/99upkeep', hook());
    assert.deepEqual(run('prerm', ['upgrade', '0.1.0-2']).calls, []);
    assert.ok(existsSync(join(t, 'etc/apt/apt.conf.d')) && readlinkSync(hook()));
    const r = run('prerm', ['remove']);
    assert.deepEqual(r.calls, ['deb-systemd-invoke stop upkeep.service']);
    assert.ok(!existsSync(hook()));
  });

  it('leaves a link the administrator pointed elsewhere', () => {
    symlinkSync('/etc/my-hook', hook());
    run('prerm', ['remove']);
    assert.equal(readlinkSync(hook()), '/etc/my-hook');
  });
});

describe('postrm', () => {
  const state = () => join(t, 'var/lib/upkeep');
  const withState = () => {
    mkdirSync(state(), { recursive: true });
    writeFileSync(join(state(), 'upkeep.db'), 'x');
  };

  it('purge: the config goes, the state stays and postrm says how to remove it', () => {
    configure();
    withState();
    const r = run('postrm', ['purge']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(join(t, 'etc/upkeep')));
    assert.ok(existsSync(join(state(), 'upkeep.db')));
    assert.match(r.stderr, /kept .*\/var\/lib\/upkeep .*UPKEEP_PURGE_STATE=yes apt-get purge upkeep/s);
    assert.deepEqual(r.calls, ['deb-systemd-helper purge upkeep.service']);
  });

  it('purge with UPKEEP_PURGE_STATE=yes: the state goes too; an empty state directory goes anyway', () => {
    withState();
    run('postrm', ['purge'], { UPKEEP_PURGE_STATE: 'yes' });
    assert.ok(!existsSync(state()));
    mkdirSync(state(), { recursive: true });
    assert.equal(run('postrm', ['purge']).stderr, '');
    assert.ok(!existsSync(state()));
  });

  it('remove and abort-install touch neither the config nor the state', () => {
    configure();
    withState();
    for (const args of [['remove'], ['abort-install']]) assert.equal(run('postrm', args).code, 0);
    assert.ok(existsSync(join(t, 'etc/upkeep/upkeep.yml')) && existsSync(join(state(), 'upkeep.db')));
  });
});

describe('preinst', () => {
  it("stops where upkeep install's manifest is, naming the executable to uninstall with", () => {
    assert.equal(run('preinst', ['install']).code, 0);
    mkdirSync(join(t, 'var/lib/upkeep'), { recursive: true });
    writeFileSync(join(t, 'var/lib/upkeep/install-manifest.json'), JSON.stringify({ format: 1, bin: '/opt/upkeep/bin/upkeep', entries: [] }, null, 2));
    const r = run('preinst', ['install']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Run first: {2}sudo \/opt\/upkeep\/bin\/upkeep uninstall --yes/);
    assert.equal(run('preinst', ['upgrade', '0.1.0-1']).code, 0, 'an upgrade is the package itself');
  });
});
