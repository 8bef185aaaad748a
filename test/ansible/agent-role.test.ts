/**
 * The role upkeep.ops.agent for real: ansible-playbook reaches this machine over real SSH (Debian's
 * sshd, started by the test on a loopback port with its own host key, root with key
 * authentication), copies the .deb the repository builds, installs it with apt-get, writes the
 * config (a token from an Ansible Vault encrypted variable) at mode 0600 into a private directory,
 * runs `upkeep install --yes` and takes the first snapshot of a private engine into a private state
 * directory; the second run reports changed=0. Afterwards the package is purged and what the role
 * made is removed, and the test checks the machine is as it was. Host-wide (dpkg, installed
 * packages): holds test/helpers/host-lock.ts. Runs as root where upkeep is not installed;
 * otherwise skipped with the reason (a failure with UPKEEP_REQUIRE_ENGINE=1).
 */
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { PrivateEngine } from '../engine/private-engine.js';
import { hostLock } from '../helpers/host-lock.js';
import { theDeb } from '../helpers/the-deb.js';
import { AnsibleHome, missingTool, recap, run } from './ansible-run.js';
import { sshHost, startSshd, stopSshd } from './sshd.js';

before(() => hostLock.acquire());
after(() => hostLock.release());

const STATE = '/var/lib/upkeep';
const DEB_DIR = '/var/cache/upkeep-deb';
/** What the package and the role leave on this machine, and must not be here before or after. */
const LEFTOVERS = ['/usr/bin/upkeep', '/usr/lib/upkeep', '/etc/apt/apt.conf.d/99upkeep', '/etc/upkeep', STATE, DEB_DIR, '/lib/systemd/system/upkeep.service'];

async function dpkgStatus(): Promise<string> {
  const r = await run('dpkg-query', ['-W', '-f=${Status}', 'upkeep']);
  return r.code === 0 ? r.stdout.trim() : 'not-installed';
}

async function whyNot(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'needs root (it installs the package into this system and logs in as root over SSH)';
  const tool = await missingTool(['ansible-playbook', 'ansible-vault', '/usr/sbin/sshd', 'ssh', 'ssh-keygen', 'apt-get', 'dpkg-deb']);
  if (tool !== null) return `${tool} is not installed (apt-get install ansible-core openssh-server openssh-client)`;
  const status = await dpkgStatus();
  if (!status.includes('not-installed')) return `the package upkeep is on this machine already (${status})`;
  for (const p of LEFTOVERS) if (lstatSync(p, { throwIfNoEntry: false })) return `${p} exists: the test would remove it`;
  return null;
}

function skipOrFail(t: TestContext, reason: string): void {
  const message = `ANSIBLE AGENT ROLE TEST NOT RUN: ${reason}`;
  if (process.env.UPKEEP_REQUIRE_ENGINE === '1') throw new Error(`${message} (UPKEEP_REQUIRE_ENGINE=1)`);
  process.stderr.write(`\n!!! ${message}\n\n`);
  t.skip(message);
}

test(
  'upkeep.ops.agent over SSH installs the .deb, writes the config 0600 from a vault variable, and its second run changes nothing',
  { timeout: 5 * 60_000 },
  async (t) => {
    const reason = await whyNot();
    if (reason !== null) return skipOrFail(t, reason);
    const started = Date.now();
    const [deb, engine] = await Promise.all([theDeb(), PrivateEngine.startOrSkip(t)]);
    if (!engine) return;
    const phases: string[] = [];
    let mark = Date.now();
    const phase = (what: string) => {
      phases.push(`${what} ${((Date.now() - mark) / 1000).toFixed(1)} s`);
      mark = Date.now();
    };
    phase('.deb and engine');
    t.after(() => engine.dispose());
    const home = new AnsibleHome();
    t.after(() => home.dispose());
    const sshd = await startSshd(home.dir);
    t.after(() => stopSshd(sshd));
    t.after(async () => {
      // Whatever failed, leave this machine as it was.
      if ((await dpkgStatus()) !== 'not-installed')
        await run('apt-get', ['-y', '-q', 'purge', 'upkeep'], { env: { DEBIAN_FRONTEND: 'noninteractive', UPKEEP_PURGE_STATE: 'yes' } });
      for (const p of [DEB_DIR, STATE, '/etc/upkeep']) rmSync(p, { recursive: true, force: true });
    });

    await engine.run('web', { flags: ['--restart', 'always'] });
    const token = 'vaulted-token-0123456789abcdef';
    writeFileSync(join(home.dir, 'vault-pass'), 'test vault password\n', { mode: 0o600 });
    const vaulted = await run(
      'ansible-vault',
      ['encrypt_string', '--vault-password-file', join(home.dir, 'vault-pass'), token, '--name', 'vault_upkeep_http_token'],
      {
        env: home.env,
      },
    );
    assert.equal(vaulted.code, 0, vaulted.stderr);
    const etc = join(home.dir, 'etc-upkeep');
    const state = join(home.dir, 'state');
    mkdirSync(join(home.dir, 'group_vars'));
    writeFileSync(join(home.dir, 'group_vars/all.yml'), `---\n${vaulted.stdout}\n`);
    writeFileSync(join(home.dir, 'inventory.ini'), `[upkeep]\n${sshHost('viassh', sshd)}\n`);
    writeFileSync(
      join(home.dir, 'agent.yml'),
      `- name: Agents
  hosts: upkeep
  gather_facts: false
  roles:
    - role: upkeep.ops.agent
      vars:
        upkeep_deb: ${deb}
        upkeep_config_file: ${etc}/upkeep.yml
        upkeep_state_dir: ${state}
        upkeep_http_token: "{{ vault_upkeep_http_token }}"
        upkeep_config: { heal: { default: desired }, recovery: { grace: 5s } }
        upkeep_environment: { DOCKER_HOST: "${engine.dockerHost}" }
`,
    );
    const play = () => home.playbook(['-i', 'inventory.ini', '--vault-password-file', 'vault-pass', 'agent.yml']);

    phase('sshd and vault');
    const first = await play();
    phase('first run');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const firstRecap = recap(first.stdout).viassh;
    assert.ok(firstRecap && firstRecap.changed! >= 4, first.stdout);
    assert.match(await dpkgStatus(), /install ok installed/);
    assert.equal(statSync(`${etc}/upkeep.yml`).mode & 0o777, 0o600);
    assert.equal(statSync(etc).mode & 0o777, 0o700);
    const config = readFileSync(`${etc}/upkeep.yml`, 'utf8');
    assert.match(config, new RegExp(`token: ${token}`));
    assert.match(config, new RegExp(`state_dir: ${state}`));
    assert.ok(!first.stdout.includes(token), 'the vaulted token is not printed');
    const check = await run('/usr/bin/upkeep', ['config', 'check', '--config', `${etc}/upkeep.yml`, '--json']);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const snapshots = await run('/usr/bin/upkeep', ['snapshot', '--list', '--json', '--state-dir', state]);
    assert.equal(snapshots.code, 0, snapshots.stderr);
    const list = (JSON.parse(snapshots.stdout) as { snapshots: { note: string; containerCount: number }[] }).snapshots;
    assert.deepEqual(
      list.map((s) => [s.note, s.containerCount]),
      [['first snapshot (upkeep.ops.agent)', 1]],
    );

    phase('checks');
    const second = await play();
    phase('second run');
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.equal(recap(second.stdout).viassh?.changed, 0, second.stdout);
    assert.equal(recap(second.stdout).viassh?.failed, 0);
    const again = await run('/usr/bin/upkeep', ['snapshot', '--list', '--json', '--state-dir', state]);
    assert.equal((JSON.parse(again.stdout) as { snapshots: unknown[] }).snapshots.length, 1, 'no second snapshot');

    // The machine as it was: the package purged, the copied .deb and the role's files gone.
    const purged = await run('apt-get', ['-y', '-q', 'purge', 'upkeep'], { env: { DEBIAN_FRONTEND: 'noninteractive', UPKEEP_PURGE_STATE: 'yes' } });
    assert.equal(purged.code, 0, purged.stderr);
    rmSync(DEB_DIR, { recursive: true, force: true });
    for (const p of LEFTOVERS) assert.equal(lstatSync(p, { throwIfNoEntry: false }), undefined, `${p} is left behind`);
    phase('purge');
    process.stderr.write(`agent role over SSH: ${((Date.now() - started) / 1000).toFixed(1)} s: ${phases.join(', ')}\n`);
  },
);
