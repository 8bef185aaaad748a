/**
 * `upkeep preflight` against REAL apt and dpkg: local .deb packages (a debhelper-restart daemon, a
 * start-only one, a kernel-like one) at 1.0 installed with dpkg, 2.0 in a local file repository
 * that only this test's apt options name. The prediction on the real `apt-get -s` output must equal
 * what the real `apt-get install` then asks for, witnessed by a logging policy-rc.d that denies
 * every action (exit 101). The same install runs the Pre-Install-Pkgs hook (protocol 3), whose
 * warning must appear in apt's output. As root only; never touches the network or the machine's
 * apt sources, lists or cache; the original policy-rc.d and /boot are restored in `finally`.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, openSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, upkeep } from '../../helpers/cli.js';

const ROOT = process.getuid?.() === 0;
const HAVE_TOOLS = ['dpkg-deb', 'apt-get', 'deb-systemd-invoke'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
const DH = new URL('../../fixtures/apt/scripts/debhelper-13.11.4/', import.meta.url).pathname;
const POLICY = '/usr/sbin/policy-rc.d';
const SVC = 'upkeep-fakesvc';
const START = 'upkeep-fakestart';
const KREL = '0.0.2-upkeeptest';
const KERNEL = `linux-image-${KREL}`;
const NO_ENGINE = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

function postinstFrom(template: string, unit: string, restartAction = 'restart'): string {
  const block = readFileSync(join(DH, template), 'utf8').replaceAll('#UNITFILES#', unit).replaceAll('#RESTART_ACTION#', restartAction);
  return `#!/bin/sh\nset -e\n# Automatically added by dh_installsystemd/13.11.4\n${block}# End automatically added section\nexit 0\n`;
}

function buildDeb(dir: string, name: string, version: string, files: Record<string, string>, postinst: string | null): void {
  const root = join(dir, `${name}_${version}`);
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  writeFileSync(
    join(root, 'DEBIAN', 'control'),
    `Package: ${name}\nVersion: ${version}\nArchitecture: all\nMaintainer: upkeep tests <tests@upkeep.invalid>\nDescription: upkeep preflight test package\n`,
  );
  if (postinst !== null) {
    writeFileSync(join(root, 'DEBIAN', 'postinst'), postinst);
    chmodSync(join(root, 'DEBIAN', 'postinst'), 0o755);
  }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, join(dir, `${name}_${version}_all.deb`)], { stdio: 'pipe' });
  rmSync(root, { recursive: true });
}

const unitFile = (d: string) => `[Unit]\nDescription=${d}\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n`;

test('preflight on the real apt-get -s output predicts what the real apt-get install asks for; the hook warns', { skip: !ROOT ? 'needs root' : !HAVE_TOOLS ? 'needs dpkg-deb, apt-get, deb-systemd-invoke' : false, timeout: 90_000 }, async () => {
  const tmp = mkdtempSync('/tmp/upkeep-apt-e2e-');
  const savedPolicy = existsSync(POLICY) ? readFileSync(POLICY) : null;
  const madeSystemdDir = !existsSync('/run/systemd/system');
  try {
    if (spawnSync('sh', ['-c', 'command -v dpkg-scanpackages']).status !== 0) {
      execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'dpkg-dev'], { stdio: 'pipe', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    }
    const v1 = join(tmp, 'v1');
    const repo = join(tmp, 'repo');
    mkdirSync(v1);
    mkdirSync(repo);
    for (const [dir, version] of [[v1, '1.0'], [repo, '2.0']] as const) {
      buildDeb(dir, SVC, version, { [`lib/systemd/system/${SVC}.service`]: unitFile('fake daemon') }, postinstFrom('postinst-systemd-restart', `${SVC}.service`));
      buildDeb(dir, START, version, { [`lib/systemd/system/${START}.service`]: unitFile('fake start-only') }, postinstFrom('postinst-systemd-start', `${START}.service`));
    }
    buildDeb(repo, KERNEL, '2.0', { [`boot/vmlinuz-${KREL}`]: 'not a kernel\n' }, null);
    execFileSync('dpkg', ['-i', join(v1, `${SVC}_1.0_all.deb`), join(v1, `${START}_1.0_all.deb`)], { stdio: 'pipe' });
    writeFileSync(join(repo, 'Packages'), execFileSync('dpkg-scanpackages', ['.', '/dev/null'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] }));

    // apt sees only this repository; its lists and cache are private to the test.
    writeFileSync(join(tmp, 'sources.list'), `deb [trusted=yes] file:${repo} ./\n`);
    for (const d of ['lists/partial', 'cache/archives/partial']) mkdirSync(join(tmp, d), { recursive: true });
    const aptOpts = [
      '-o', `Dir::Etc::SourceList=${join(tmp, 'sources.list')}`,
      '-o', 'Dir::Etc::SourceParts=/dev/null',
      '-o', `Dir::State::Lists=${join(tmp, 'lists')}`,
      '-o', `Dir::Cache=${join(tmp, 'cache')}`,
      '-o', 'APT::Install-Recommends=false',
    ];
    const env = { ...process.env, ...NO_ENGINE, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive', NO_COLOR: '1' };
    execFileSync('apt-get', [...aptOpts, 'update', '-q'], { stdio: 'pipe', env });
    const pkgs = [SVC, START, KERNEL];
    const simulation = execFileSync('apt-get', [...aptOpts, '-s', 'install', ...pkgs], { env, encoding: 'utf8' });
    const planFile = join(tmp, 'plan.txt');
    writeFileSync(planFile, simulation);

    const r = await upkeep(['preflight', '--plan', planFile, '--no-download', '--json'], NO_ENGINE);
    assert.equal(r.code, 3, `a kernel is in the plan: exit 3\n${r.stderr}`);
    const report = JSON.parse(r.stdout) as {
      packages: Array<{ name: string; from: string | null; to: string; effects: string[]; source: string }>;
      reboot: { needed: boolean; why: string[] };
      containers: null;
      containersNote: string;
    };
    const pkg = (n: string) => report.packages.find((p) => p.name === n)!;
    assert.deepEqual(report.packages.map((p) => p.name).sort(), [...pkgs].sort());
    assert.equal(pkg(SVC).from, '1.0');
    assert.equal(pkg(SVC).to, '2.0');
    assert.match(pkg(SVC).source, /^installed scripts/);
    assert.equal(pkg(KERNEL).from, null);
    assert.equal(report.reboot.needed, true);
    assert.match(report.reboot.why.join(' '), new RegExp(KERNEL));
    assert.equal(report.containers, null);
    assert.match(report.containersNote, /containers not assessed/);

    // The prediction as (unit, action) pairs, from the package lines' effects.
    const predicted = report.packages
      .flatMap((p) => p.effects)
      .map((e) => /^(restarts|starts|stops|try-restarts|restarts \(if running\)) (\S+\.service)$/.exec(e))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => `${m[2]} ${m[1] === 'starts' ? 'start' : m[1] === 'stops' ? 'stop' : m[1] === 'restarts' ? 'restart' : 'try-restart'}`)
      .sort();
    assert.deepEqual(predicted, [`${SVC}.service restart`, `${START}.service start`].sort());

    // The witness: policy-rc.d logs what the real install asks for and denies it.
    const log = join(tmp, 'policy.log');
    writeFileSync(POLICY, `#!/bin/sh\necho "$*" >> ${log}\nexit 101\n`);
    chmodSync(POLICY, 0o755);
    // debhelper blocks only call deb-systemd-invoke when systemd looks like it runs.
    if (madeSystemdDir) mkdirSync('/run/systemd/system', { recursive: true });
    const hookCmd = `${BIN} preflight --hook`;
    // stdout and stderr into one file, so that the order of the hook's warning and dpkg's lines shows.
    const out = openSync(join(tmp, 'apt-output.txt'), 'w');
    const install = spawnSync(
      'apt-get',
      [...aptOpts, '-y', '-q', '-o', `DPkg::Pre-Install-Pkgs::=${hookCmd}`, '-o', `DPkg::Tools::Options::${BIN}::Version=3`, 'install', ...pkgs],
      { env, stdio: ['ignore', out, out] },
    );
    closeSync(out);
    const aptOutput = readFileSync(join(tmp, 'apt-output.txt'), 'utf8');
    assert.equal(install.status, 0, aptOutput);
    const asked = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('upkeep-'))
      .sort();
    assert.deepEqual(asked, predicted, `policy-rc.d log:\n${readFileSync(log, 'utf8')}`);
    assert.ok(existsSync(`/boot/vmlinuz-${KREL}`), 'the kernel-like package installed its image');

    // The hook ran before dpkg and printed the same warning into apt's output.
    assert.match(aptOutput, /upkeep preflight \(before dpkg\):/);
    assert.match(aptOutput, new RegExp(`${SVC}\\s+1\\.0 -> 2\\.0\\s+MAJOR; restarts ${SVC}\\.service`));
    assert.match(aptOutput, new RegExp(`Reboot needed: ${KERNEL}`));
    assert.ok(aptOutput.indexOf('upkeep preflight (before dpkg)') < aptOutput.indexOf(`Unpacking ${SVC}`), 'the warning comes before dpkg unpacks');
  } finally {
    if (savedPolicy !== null) {
      writeFileSync(POLICY, savedPolicy);
      chmodSync(POLICY, 0o755);
    } else rmSync(POLICY, { force: true });
    if (madeSystemdDir) rmSync('/run/systemd/system', { recursive: true, force: true });
    spawnSync('dpkg', ['--purge', SVC, START, KERNEL], { stdio: 'pipe' });
    rmSync(`/boot/vmlinuz-${KREL}`, { force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
});
