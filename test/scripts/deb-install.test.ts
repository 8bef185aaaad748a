/**
 * The Debian package installed for real: into this machine's own file system with apt-get, run from
 * /usr/bin/upkeep against a private engine, reinstalled, removed and purged, and the file lists of
 * /usr, /etc, /lib, /opt and /var/lib compared with those from before (docs/install.md, "The Debian
 * package"). Runs only as root with apt-get and dpkg, and where upkeep is neither installed nor has
 * state here; otherwise it is skipped with the reason, and with UPKEEP_REQUIRE_ENGINE=1 (CI) a skip
 * is a failure. It builds the .deb with `npm run deb -- --fast` unless build/ holds one newer than its
 * inputs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { PrivateEngine } from '../engine/private-engine.js';
import { hostLock } from '../helpers/host-lock.js';
import { theDeb } from '../helpers/the-deb.js';

// Host-wide state (dpkg, apt, policy-rc.d): never alongside another such file (test/helpers/host-lock.ts).
before(() => hostLock.acquire());
after(() => hostLock.release());

const execFileP = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const STATE = '/var/lib/upkeep';
const HOOK = '/etc/apt/apt.conf.d/99upkeep';
/** The trees compared before and after; dpkg's and apt's own databases and Docker's data change by themselves. */
const TREES = ['/usr', '/etc', '/lib', '/opt', '/var/lib'];
const IGNORED = ['/var/lib/dpkg', '/var/lib/apt', '/var/lib/docker', '/var/lib/containerd', '/etc/ld.so.cache'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  try {
    const r = await execFileP(cmd, args, { env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 256 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : 127, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}

const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive' };
const apt = (args: string[], env: Record<string, string> = {}) =>
  run('apt-get', ['-y', '-q', '-o', 'DPkg::Lock::Timeout=300', ...args], { ...APT_ENV, ...env });

function ok(r: Run, what: string): Run {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Every path under the compared trees, with its type ("d /etc", "f /usr/bin/upkeep", "l ..."). */
function fileList(): Set<string> {
  const out = new Set<string>();
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const p = dir === '/' ? `/${name}` : `${dir}/${name}`;
      if (IGNORED.includes(p)) continue;
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      const type = st.isSymbolicLink() ? 'l' : st.isDirectory() ? 'd' : 'f';
      out.add(`${type} ${p}`);
      if (type === 'd') walk(p);
    }
  };
  for (const t of TREES) {
    // /lib is a symlink to usr/lib on merged-/usr systems: walked once, as /usr/lib.
    if (lstatSync(t, { throwIfNoEntry: false })?.isSymbolicLink()) out.add(`l ${t}`);
    else walk(t);
  }
  return out;
}

function difference(a: Set<string>, b: Set<string>): string[] {
  return [...a].filter((x) => !b.has(x)).sort();
}

async function dpkgStatus(): Promise<string> {
  const r = await run('dpkg-query', ['-W', '-f=${Status}', 'upkeep']);
  return r.code === 0 ? r.stdout.trim() : 'not-installed';
}

/** Why this cannot run here, or null. */
async function whyNot(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'needs root (it installs the package into this system)';
  for (const tool of ['apt-get', 'dpkg', 'dpkg-deb', 'dpkg-query'])
    if ((await run('sh', ['-c', `command -v ${tool}`])).code !== 0) return `${tool} is not installed`;
  const status = await dpkgStatus();
  if (!status.includes('not-installed')) return `the package upkeep is on this machine already (${status}): the test would replace and purge it`;
  if (existsSync(STATE)) return `${STATE} exists (upkeep's state on this machine): the test would purge it`;
  return null;
}

function skipOrFail(t: TestContext, reason: string): void {
  const message = `DEBIAN PACKAGE INSTALL TEST NOT RUN: ${reason}`;
  if (process.env.UPKEEP_REQUIRE_ENGINE === '1') throw new Error(`${message} (UPKEEP_REQUIRE_ENGINE=1)`);
  process.stderr.write(`\n!!! ${message}\n\n`);
  t.skip(message);
}

let installed = false;
after(async () => {
  // Whatever failed, leave this machine as it was.
  if (installed && (await dpkgStatus()) !== 'not-installed') await apt(['purge', 'upkeep'], { UPKEEP_PURGE_STATE: 'yes' });
  if (installed) rmSync(STATE, { recursive: true, force: true });
});

test('the .deb installs into this system, runs, reinstalls, and purge leaves the file lists as they were', { timeout: 30 * 60_000 }, async (t) => {
  const reason = await whyNot();
  if (reason !== null) return skipOrFail(t, reason);
  const deb = await theDeb();
  const engine = await PrivateEngine.startOrSkip(t);
  if (!engine) return;
  t.after(() => engine.dispose());
  const before = fileList();

  // lintian reads only the .deb and takes ~25 s of CPU: it runs while the package is installed and
  // tried below, and its verdict is checked here.
  const haveLintian = (await run('sh', ['-c', 'command -v lintian'])).code === 0;
  // Its own TMPDIR: lintian leaves a file there (mldbm-elf-*, its ELF index), which /tmp kept from every run.
  const lintianTmp = mkdtempSync(join(tmpdir(), 'upk-lintian-'));
  const lintian = haveLintian ? run('lintian', ['--allow-root', '--pedantic', deb], { TMPDIR: lintianTmp }) : null;
  t.after(async () => {
    await lintian?.catch(() => undefined);
    rmSync(lintianTmp, { recursive: true, force: true });
  });

  installed = true;
  ok(await apt(['install', deb]), 'apt-get install ./upkeep_*.deb');
  const afterInstall = fileList();

  await t.test('dpkg -L lists only files the package brought, and each exists', async () => {
    const listed = ok(await run('dpkg', ['-L', 'upkeep']), 'dpkg -L')
      .stdout.split('\n')
      .filter((l) => l.startsWith('/'));
    for (const p of listed) assert.ok(existsSync(p) || lstatSync(p, { throwIfNoEntry: false }), `${p} is listed but missing`);
    const added = new Set(difference(afterInstall, before).map((e) => e.slice(2)));
    // dpkg says /lib/...; on a merged-/usr system that is /usr/lib/... in the file lists.
    const canonical = listed.map((p) => join(realpathSync(dirname(p)), basename(p)));
    for (const p of canonical) {
      if (statSync(p).isDirectory()) continue;
      assert.ok(added.has(p), `dpkg -L upkeep lists ${p}, which was on this system before the package`);
    }
    for (const p of [
      '/usr/bin/upkeep',
      '/usr/lib/upkeep/node',
      '/usr/lib/upkeep/upkeep.cjs',
      '/usr/lib/upkeep/upkeep-main.cjs',
      '/usr/lib/upkeep/upkeep-listing.cjs',
      '/usr/lib/upkeep/upkeep-agent.cjs',
      '/usr/lib/upkeep/upkeep-vendor-nodemailer.cjs',
      '/usr/lib/upkeep/upkeep-vendor-hono.cjs',
      '/usr/lib/upkeep/upkeep-vendor-bcryptjs.cjs',
      '/lib/systemd/system/upkeep.service',
      '/usr/share/man/man1/upkeep.1.gz',
    ])
      assert.ok(listed.includes(p), p);
    // What the maintainer scripts made, beyond dpkg's list: the hook's link, the unit's enablement.
    const byScripts = [...added].filter((p) => !canonical.includes(p));
    for (const p of byScripts)
      assert.ok(
        p === HOOK || p.startsWith('/etc/systemd/system/') || p.startsWith('/var/lib/systemd/deb-systemd-helper-enabled') || p.startsWith(STATE),
        `${p} appeared with the package but is not the package's`,
      );
    assert.equal(readlinkSync(HOOK), '/usr/share/upkeep/apt.conf.d/99upkeep');
    assert.ok(existsSync('/etc/systemd/system/multi-user.target.wants/upkeep.service'), 'the unit is enabled');
    assert.ok(!existsSync('/etc/upkeep/upkeep.yml'), 'the package installs no config');
  });

  await t.test('/usr/bin/upkeep --version, and check against the private engine', async (st) => {
    const v = ok(await run('/usr/bin/upkeep', ['--version']), 'upkeep --version');
    assert.match(v.stdout, new RegExp(version.replace(/\./g, '\\.')));
    await engine.run('safe', { flags: ['--restart', 'always'] });
    // A state directory of the test's own (check writes apt's simulation there, never creates it):
    // the second check reads the first one's simulation instead of running apt again.
    const checkState = mkdtempSync(join(tmpdir(), 'upk-deb-check-'));
    st.after(() => rmSync(checkState, { recursive: true, force: true }));
    const stateArgs = ['--state-dir', checkState];
    const r = await run('/usr/bin/upkeep', ['check', ...stateArgs], { DOCKER_HOST: engine.dockerHost });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /All 1 running containers would come back/);
    const risky = await engine.run('fragile', { flags: ['--restart', 'no'] });
    assert.ok(risky);
    const j = await run('/usr/bin/upkeep', ['check', '--json', ...stateArgs], { DOCKER_HOST: engine.dockerHost });
    assert.equal(j.code, 1, j.stdout + j.stderr);
    assert.equal((JSON.parse(j.stdout) as { risk: boolean }).risk, true);
  });

  await t.test('upkeep install says the package installed the unit and the hook, and does nothing', async () => {
    // --dry-run first: were the package not recognised, --yes would write into this system.
    for (const args of [['--dry-run'], ['--yes']]) {
      const r = await run('/usr/bin/upkeep', ['install', ...args]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Nothing to do: the Debian package upkeep is installed\./);
    }
    assert.ok(!existsSync('/etc/systemd/system/upkeep.service'));
    assert.ok(!existsSync(`${STATE}/install-manifest.json`));
  });

  await t.test('the man page shows every command', async () => {
    const help = ok(await run('/usr/bin/upkeep', ['--help']), 'upkeep --help').stdout;
    const commands = help
      .slice(help.indexOf('Commands:'))
      .split('\n')
      .map((l) => /^ {2}([a-z-]+)/.exec(l)?.[1])
      .filter((c): c is string => c !== undefined && c !== 'help');
    assert.ok(commands.length >= 15, commands.join(' '));
    const man = await run('man', ['--warnings', '-l', '/usr/share/man/man1/upkeep.1.gz'], { MANWIDTH: '100', MAN_KEEP_FORMATTING: '', PAGER: 'cat' });
    assert.equal(man.code, 0, man.stderr);
    assert.equal(man.stderr.trim(), '', 'groff warnings');
    for (const c of commands) assert.match(man.stdout, new RegExp(`^ {3}upkeep ${c}$`, 'm'), `upkeep ${c}`);
    assert.match(man.stdout, /upkeep config show-default/);
  });

  await t.test('bash completion loads and completes commands and options', async () => {
    const complete = async (line: string): Promise<string> => {
      const words = line.split(' ');
      const script = `source /usr/share/bash-completion/completions/upkeep && COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}) && COMP_CWORD=${words.length - 1} && _upkeep && echo "\${COMPREPLY[*]}"`;
      return ok(await run('bash', ['-c', script]), `completing ${line}`).stdout.trim();
    };
    assert.equal(await complete('upkeep sta'), 'status');
    assert.equal(await complete('upkeep config '), 'check show-default -h --help');
    assert.match(await complete('upkeep install --'), /--root .*--dry-run/);
    if (existsSync('/usr/share/bash-completion/bash_completion')) {
      const loaded = await run('bash', ['-c', 'source /usr/share/bash-completion/bash_completion && _completion_loader upkeep; complete -p upkeep']);
      assert.match(loaded.stdout, /-F _upkeep upkeep/);
    }
  });

  await t.test('the unit passes systemd-analyze verify', async (st) => {
    if ((await run('sh', ['-c', 'command -v systemd-analyze'])).code !== 0) return st.skip('no systemd-analyze');
    const r = await run('systemd-analyze', ['verify', '/lib/systemd/system/upkeep.service']);
    const about = `${r.stdout}${r.stderr}`
      .split('\n')
      .filter((l) => l.includes('upkeep'))
      .join('\n');
    assert.equal(about, '', about);
  });

  await t.test('a second install (reinstall) works and changes no file list', async () => {
    ok(await apt(['install', '--reinstall', deb]), 'apt-get install --reinstall');
    const again = fileList();
    const outsideState = (xs: string[]) => xs.filter((e) => !e.slice(2).startsWith(STATE));
    assert.deepEqual(outsideState(difference(again, afterInstall)), []);
    assert.deepEqual(outsideState(difference(afterInstall, again)), []);
  });

  await t.test('remove takes the apt hook away with the program; purge keeps the state unless asked', async () => {
    ok(await apt(['remove', 'upkeep']), 'apt-get remove');
    assert.ok(!existsSync('/usr/bin/upkeep'));
    assert.ok(lstatSync(HOOK, { throwIfNoEntry: false }) === undefined, 'no apt hook left that runs a missing program');
    const purged = ok(await apt(['purge', 'upkeep']), 'apt-get purge');
    assert.match(purged.stderr + purged.stdout, /kept \/var\/lib\/upkeep/);
    const now = fileList();
    assert.deepEqual(difference(before, now), [], 'purge removed files that were there before');
    const left = difference(now, before);
    assert.ok(left.length > 0 && left.every((e) => e.slice(2) === STATE || e.slice(2).startsWith(`${STATE}/`)), left.join('\n'));
    rmSync(STATE, { recursive: true, force: true });
    assert.deepEqual(difference(fileList(), before), []);
  });

  await t.test('installed again and purged with UPKEEP_PURGE_STATE=yes: exactly the file lists from before', async () => {
    ok(await apt(['install', deb]), 'apt-get install');
    ok(await run('/usr/bin/upkeep', ['snapshot'], { DOCKER_HOST: engine.dockerHost }), 'upkeep snapshot');
    assert.ok(existsSync(`${STATE}/upkeep.db`));
    ok(await apt(['purge', 'upkeep'], { UPKEEP_PURGE_STATE: 'yes' }), 'apt-get purge');
    const now = fileList();
    assert.deepEqual(difference(now, before), [], 'left behind');
    assert.deepEqual(difference(before, now), [], 'removed');
  });

  await t.test('on a host where `upkeep install` ran, preinst stops and says what to run', async () => {
    mkdirSync(STATE, { recursive: true, mode: 0o700 });
    writeFileSync(`${STATE}/install-manifest.json`, JSON.stringify({ format: 1, bin: '/opt/upkeep/bin/upkeep', entries: [] }, null, 2));
    try {
      const r = await apt(['install', deb]);
      assert.notEqual(r.code, 0);
      assert.match(r.stdout + r.stderr, /sudo \/opt\/upkeep\/bin\/upkeep uninstall --yes/);
      assert.match(await dpkgStatus(), /not-installed|^$/);
      assert.ok(!existsSync('/usr/bin/upkeep'));
    } finally {
      rmSync(STATE, { recursive: true, force: true });
      // The refused install leaves dpkg's selection at "install" for a package that is not there
      // ("install ok not-installed": a later `apt-get dselect-upgrade` would install it): back to unknown.
      await run('dpkg', ['--purge', 'upkeep']);
    }
    assert.equal(await dpkgStatus(), 'unknown ok not-installed', "dpkg's selection for upkeep is cleared");
    const now = fileList();
    assert.deepEqual(difference(now, before), []);
    assert.deepEqual(difference(before, now), []);
  });

  await t.test('lintian finds no errors', async (st) => {
    if (lintian === null) return skipOrFail(st, 'lintian is not installed (apt-get install lintian)');
    const r = await lintian;
    const tags = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /^[EWX]: /.test(l));
    assert.deepEqual(tags, [], 'lintian errors or warnings (overrides: deploy/debian/lintian-overrides, docs/install.md)');
  });
});
