/**
 * The playbook upkeep.ops.rolling_upgrade run by ansible-playbook over three hosts on this machine:
 * `alpha` and `beta` by the local connection, `gamma` over real SSH (Debian's sshd started by the
 * test on a loopback port). Each host has its own private engine (DOCKER_HOST), its own state
 * directory, its own boot id file (UPKEEP_BOOT_ID_FILE) and its own package root.
 *
 * The package roots, and how isolated they are: each host is a `dpkg --root` tree in the test's
 * directory (its own dpkg database, /var/run and installed files) with its own apt view (APT_CONFIG:
 * a local file repository holding its package at 2.0, its own lists and cache, `Dir::State::status`
 * in the root, `DPkg::Options { --root; --force-script-chrootless }` so that apt's dpkg installs
 * there and the maintainer scripts run with DPKG_ROOT set, and none of this machine's apt.conf.d).
 * upkeep follows apt there (core/preflight/dpkg-location.ts): its preflight, upgrade and reboot
 * checks read that root's database and its /var/run/reboot-required. This machine's dpkg database
 * and /var/run are not touched (checked at the end). Shared still: preflight's download cache as
 * root (/var/cache/upkeep/debs, entries per package name, removed afterwards) and the CPU; the
 * file holds the host lock for that cache.

 * The reboot: ansible.builtin.reboot refuses a local connection and would reboot this machine over
 * SSH, so the inventory selects `upkeep_reboot_method: command`: the command asks the test, which
 * SIMULATES the boot: the host's engine stopped, a new boot id written, the reboot flags removed
 * from its root (as a boot empties /run), the engine started again.
 *
 * alpha: a container `restart: always`, its package's postinst says a reboot is required.
 * beta: a desired container already down (stopped after the snapshot): preflight says it would not
 * be running at the end. gamma: a container `restart: always`, a plain upgrade.
 * 1. upkeep_gate_action stop: alpha upgraded, rebooted, resumed, report fetched; beta stops the
 *    play before it changes anything; gamma is not touched (its package stays 1.0).
 * 2. upkeep_gate_action skip: beta skipped; gamma (over SSH) upgraded with its report fetched; the
 *    fleet summary says so. As root only.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { PrivateEngine, sleep } from '../engine/private-engine.js';
import { BIN, upkeep } from '../helpers/cli.js';
import { hostLock } from '../helpers/host-lock.js';
import { AnsibleHome, missingTool, recap, run } from './ansible-run.js';
import { sshHost, startSshd, stopSshd } from './sshd.js';
import { buildTestDeb } from '../helpers/deb.js';

before(() => hostLock.acquire());
after(() => hostLock.release());

const HOSTS = ['alpha', 'beta', 'gamma'] as const;
type Host = (typeof HOSTS)[number];
/** Debian's reboot flags, relative to a tree (a host's package root; this machine's /). */
const REBOOT_FLAGS = ['var/run/reboot-required', 'var/run/reboot-required.pkgs'];
const DEB_CACHE = '/var/cache/upkeep';
const pkg = (h: Host) => `upkeep-ru-${h}`;

async function whyNot(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'needs root (dpkg, apt-get, sshd)';
  const tool = await missingTool(['ansible-playbook', '/usr/sbin/sshd', 'ssh-keygen', 'dpkg-deb', 'dpkg-scanpackages', 'apt-get']);
  if (tool !== null) return `${tool} is not installed (apt-get install ansible-core openssh-server openssh-client dpkg-dev)`;
  return null;
}

function buildDeb(dir: string, name: string, version: string, postinst: string): string {
  return buildTestDeb(dir, {
    name,
    version,
    postinst,
    files: { [`usr/share/doc/${name}/README`]: `${name} ${version}\n` },
    description: 'upkeep rolling upgrade test package',
  });
}

const PLAIN = '#!/bin/sh\nexit 0\n';
// Run without chroot (--force-script-chrootless): DPKG_ROOT names the host's tree.
const REBOOT = (name: string) =>
  `#!/bin/sh\nset -e\nif [ "$1" = configure ] && [ -n "$2" ]; then\n  mkdir -p "$DPKG_ROOT/var/run"\n  touch "$DPKG_ROOT/var/run/reboot-required"\n  echo ${name} >> "$DPKG_ROOT/var/run/reboot-required.pkgs"\nfi\nexit 0\n`;

/** The version installed in a package root. */
function installedIn(root: string, name: string): string {
  return execFileSync('dpkg-query', [`--admindir=${root}/var/lib/dpkg`, '-W', '-f=${Version}', name], { encoding: 'utf8' }).trim();
}

/** What this machine's dpkg and /var/run say about the test's packages and the reboot flag: the test changes neither. */
async function machineView(): Promise<string> {
  const q = await run('dpkg-query', ['-W', ...HOSTS.map(pkg)]);
  const flags = REBOOT_FLAGS.map((f) => (existsSync(`/${f}`) ? readFileSync(`/${f}`, 'utf8') : null));
  return JSON.stringify([q.code, q.stdout, q.stderr, flags]);
}

function skipOrFail(t: TestContext, reason: string): void {
  const message = `ROLLING UPGRADE TEST NOT RUN: ${reason}`;
  if (process.env.UPKEEP_REQUIRE_ENGINE === '1') throw new Error(`${message} (UPKEEP_REQUIRE_ENGINE=1)`);
  process.stderr.write(`\n!!! ${message}\n\n`);
  t.skip(message);
}

interface Fleet {
  done: string[];
  skipped: { host: string; why: string }[];
  failed: { host: string; why: string }[];
  notReached: string[];
}

test(
  'upkeep.ops.rolling_upgrade over three hosts: the gate stops the play, then skips the host; rebooted, resumed, reported',
  { timeout: 10 * 60_000 },
  async (t) => {
    const reason = await whyNot();
    if (reason !== null) return skipOrFail(t, reason);
    const started = Date.now();
    const home = new AnsibleHome();
    t.after(() => home.dispose());
    const machineBefore = await machineView();
    const madeDebCache = !existsSync(DEB_CACHE);
    // preflight's download cache: the test's packages' entries are removed afterwards (the rest is not the test's).
    const cached = HOSTS.map((h) => join(DEB_CACHE, 'debs', `${pkg(h)}_2.0`)).filter((p) => !existsSync(p));
    t.after(() => {
      if (madeDebCache) rmSync(DEB_CACHE, { recursive: true, force: true });
      for (const p of cached) rmSync(p, { recursive: true, force: true });
    });
    const engineList = await Promise.all(HOSTS.map(() => PrivateEngine.startOrSkip(t)));
    for (const e of engineList) if (e !== null) t.after(() => e.dispose());
    if (engineList.some((e) => e === null)) return;
    const engines = Object.fromEntries(HOSTS.map((h, i) => [h, engineList[i]!])) as Record<Host, PrivateEngine>;
    const sshd = await startSshd(home.dir);
    t.after(() => stopSshd(sshd));

    const dirs = {} as Record<Host, string>;
    const roots = {} as Record<Host, string>;
    const hostVars: string[] = [];
    for (const h of HOSTS) {
      const d = join(home.dir, h);
      dirs[h] = d;
      for (const sub of ['v1', 'repo', 'lists/partial', 'cache/archives/partial', 'state', 'root/var/lib/dpkg/info', 'root/var/lib/dpkg/updates'])
        mkdirSync(join(d, sub), { recursive: true });
      const root = join(d, 'root');
      roots[h] = root;
      writeFileSync(join(root, 'var/lib/dpkg/status'), '');
      const v1 = buildDeb(join(d, 'v1'), pkg(h), '1.0', PLAIN);
      buildDeb(join(d, 'repo'), pkg(h), '2.0', h === 'alpha' ? REBOOT(pkg(h)) : PLAIN);
      execFileSync('dpkg', [`--root=${root}`, '--force-script-chrootless', '-i', v1], { stdio: 'pipe' });
      writeFileSync(
        join(d, 'repo/Packages'),
        execFileSync('dpkg-scanpackages', ['.', '/dev/null'], { cwd: join(d, 'repo'), stdio: ['ignore', 'pipe', 'pipe'] }),
      );
      writeFileSync(join(d, 'sources.list'), `deb [trusted=yes] file:${join(d, 'repo')} ./\n`);
      writeFileSync(
        join(d, 'apt.conf'),
        [
          // None of this machine's apt.conf.d (another test's installed upkeep hook, say).
          'Dir::Etc::Parts "/dev/null";',
          `Dir::Etc::SourceList "${join(d, 'sources.list')}";`,
          'Dir::Etc::SourceParts "/dev/null";',
          `Dir::State::Lists "${join(d, 'lists')}";`,
          `Dir::Cache "${join(d, 'cache')}";`,
          `Dir::State::status "${root}/var/lib/dpkg/status";`,
          `DPkg::Options:: "--root=${root}";`,
          'DPkg::Options:: "--force-script-chrootless";',
          'APT::Install-Recommends "false";',
          '',
        ].join('\n'),
      );
      execFileSync('apt-get', ['update', '-q'], { stdio: 'pipe', env: { ...process.env, APT_CONFIG: join(d, 'apt.conf'), LC_ALL: 'C' } });
      writeFileSync(join(d, 'boot_id'), `${h}-boot-1\n`);
      const env = { DOCKER_HOST: engines[h].dockerHost, APT_CONFIG: join(d, 'apt.conf'), UPKEEP_BOOT_ID_FILE: join(d, 'boot_id'), LC_ALL: 'C' };
      // The reboot asks the test (below) and waits until it has simulated the boot.
      const ask = join(d, 'reboot-asked');
      const done = join(d, 'reboot-done');
      hostVars.push(h);
      mkdirSync(join(home.dir, 'host_vars'), { recursive: true });
      writeFileSync(
        join(home.dir, 'host_vars', `${h}.yml`),
        `---
upkeep_bin: ${BIN}
upkeep_state_dir: ${join(d, 'state')}
upkeep_environment: ${JSON.stringify(env)}
upkeep_reboot_method: command
upkeep_reboot_command: "touch ${ask}; i=0; while [ ! -e ${done} ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; rm -f ${done}"
upkeep_reboot_timeout: 60
upkeep_reports_dir: ${join(home.dir, 'reports')}
`,
      );
    }
    writeFileSync(join(home.dir, 'inventory.ini'), `[upkeep]\nalpha ansible_connection=local\nbeta ansible_connection=local\n${sshHost('gamma', sshd)}\n`);

    // The containers, and what should run (the snapshot); beta's `fragile` is then stopped: down, and desired.
    for (const h of HOSTS) await engines[h].run('web', { flags: ['--restart', 'always'] });
    await engines.beta.run('fragile', { flags: ['--restart', 'no'] });
    for (const h of HOSTS) {
      const s = await upkeep(['snapshot', '--state-dir', join(dirs[h], 'state')], { DOCKER_HOST: engines[h].dockerHost });
      assert.equal(s.code, 0, s.stderr);
    }
    await engines.beta.docker('stop', '-t', '1', 'fragile');

    // The simulated boots, as the hosts ask for them.
    let watching = true;
    const boots: Record<Host, number> = { alpha: 1, beta: 1, gamma: 1 };
    const watcher = (async () => {
      while (watching) {
        for (const h of HOSTS) {
          if (!existsSync(join(dirs[h], 'reboot-asked'))) continue;
          rmSync(join(dirs[h], 'reboot-asked'));
          await engines[h].stop();
          boots[h] += 1;
          writeFileSync(join(dirs[h], 'boot_id'), `${h}-boot-${boots[h]}\n`);
          for (const f of REBOOT_FLAGS) rmSync(join(roots[h], f), { force: true });
          await engines[h].start();
          writeFileSync(join(dirs[h], 'reboot-done'), '');
        }
        await sleep(100);
      }
    })();
    t.after(async () => {
      watching = false;
      await watcher;
    });
    const fleet = (): Fleet => JSON.parse(readFileSync(join(home.dir, 'reports/fleet-summary.json'), 'utf8')) as Fleet;
    const play = (action: string) => home.playbook(['-i', 'inventory.ini', 'upkeep.ops.rolling_upgrade', '-e', `upkeep_gate_action=${action}`]);

    // 1. stop: alpha done (with its reboot), beta stops the play, gamma untouched.
    const stopped = await play('stop');
    assert.equal(stopped.code, 2, stopped.stdout + stopped.stderr);
    const r1 = recap(stopped.stdout);
    assert.equal(r1.alpha?.failed, 0, stopped.stdout);
    assert.equal(r1.beta?.failed, 1, stopped.stdout);
    assert.equal(r1.gamma, undefined, 'gamma was not reached');
    assert.match(stopped.stdout, /beta: the upgrade would leave containers down: fragile \(already down/);
    assert.equal(installedIn(roots.alpha, pkg('alpha')), '2.0');
    assert.equal(installedIn(roots.beta, pkg('beta')), '1.0', 'beta changed nothing');
    assert.equal(installedIn(roots.gamma, pkg('gamma')), '1.0', 'gamma was not touched');
    assert.equal(boots.alpha, 2, 'alpha rebooted once');
    assert.equal(readFileSync(join(dirs.alpha, 'boot_id'), 'utf8').trim(), 'alpha-boot-2');
    assert.equal(await engines.alpha.isRunning('web'), true);
    const alphaReports = readdirSync(join(home.dir, 'reports/alpha'));
    assert.equal(alphaReports.length, 1, alphaReports.join(' '));
    assert.match(readFileSync(join(home.dir, 'reports/alpha', alphaReports[0]!), 'utf8'), /reboot/i);
    let summary = fleet();
    assert.deepEqual(summary.done, ['alpha']);
    assert.deepEqual(
      summary.failed.map((f) => f.host),
      ['beta'],
    );
    assert.deepEqual(summary.notReached, ['gamma']);

    // 2. skip: beta skipped, gamma upgraded over SSH.
    const skipped = await play('skip');
    assert.equal(skipped.code, 0, skipped.stdout + skipped.stderr);
    const r2 = recap(skipped.stdout);
    for (const h of HOSTS) assert.equal(r2[h]?.failed, 0, `${h}: ${skipped.stdout}`);
    assert.equal(installedIn(roots.beta, pkg('beta')), '1.0', 'beta still changed nothing');
    assert.equal(installedIn(roots.gamma, pkg('gamma')), '2.0');
    assert.equal(await engines.gamma.isRunning('web'), true);
    assert.equal(readdirSync(join(home.dir, 'reports/gamma')).length, 1);
    summary = fleet();
    assert.deepEqual(summary.done, ['alpha', 'gamma']);
    assert.deepEqual(
      summary.skipped.map((s) => s.host),
      ['beta'],
    );
    assert.match(summary.skipped[0]!.why, /fragile/);
    // Only the roots changed: this machine's dpkg database and reboot flag are as they were.
    assert.equal(await machineView(), machineBefore);
    assert.equal(existsSync(join(roots.alpha, 'var/run/reboot-required')), false, "alpha's reboot emptied its /var/run");
    process.stderr.write(`rolling upgrade, three hosts, two plays: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  },
);
