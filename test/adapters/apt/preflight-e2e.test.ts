/**
 * `upkeep preflight` against REAL apt and dpkg: local .deb packages (a debhelper-restart daemon, a
 * start-only one, a kernel-like one; one whose installed version has no maintainer scripts, so
 * only the unit it ships (its PKG.list) tells; one whose postinst restarts units it computes from
 * its own file list) at 1.0 installed with dpkg, 2.0 in a local file repository
 * that only this test's apt options name. The prediction on the real `apt-get -s` output must equal
 * what the real `apt-get install` then asks for, witnessed by a logging policy-rc.d that denies
 * every action (exit 101). The same install runs the Pre-Install-Pkgs hook (protocol 3), whose
 * warning must appear in apt's output. As root only; never touches the network or the machine's
 * apt sources, lists or cache; the original policy-rc.d and /boot are restored in `finally`.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  openSync,
  existsSync,
  statSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BIN, upkeep } from '../../helpers/cli.js';
import { hostLock } from '../../helpers/host-lock.js';
import { buildTestDeb } from '../../helpers/deb.js';

// Host-wide state (dpkg, apt, policy-rc.d): never alongside another such file (test/helpers/host-lock.ts).
before(() => hostLock.acquire());
after(() => hostLock.release());

const ROOT = process.getuid?.() === 0;
const HAVE_TOOLS = ['dpkg-deb', 'apt-get', 'deb-systemd-invoke'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
const DH = new URL('../../fixtures/apt/scripts/debhelper-13.11.4/', import.meta.url).pathname;
const POLICY = '/usr/sbin/policy-rc.d';
const SVC = 'upkeep-fakesvc';
const START = 'upkeep-fakestart';
const LISTED = 'upkeep-fakelisted';
const LOOP = 'upkeep-fakeloop';
const KREL = '0.0.2-upkeeptest';
const KERNEL = `linux-image-${KREL}`;
const NO_ENGINE = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

function postinstFrom(template: string, unit: string, restartAction = 'restart'): string {
  const block = readFileSync(join(DH, template), 'utf8').replaceAll('#UNITFILES#', unit).replaceAll('#RESTART_ACTION#', restartAction);
  return `#!/bin/sh\nset -e\n# Automatically added by dh_installsystemd/13.11.4\n${block}# End automatically added section\nexit 0\n`;
}

function buildDeb(dir: string, name: string, version: string, files: Record<string, string>, postinst: string | null): void {
  // Installed-Size as dpkg-gencontrol writes it (KiB), which the disk-space check reads.
  const installedSizeKiB = Math.ceil(Object.values(files).reduce((n, t) => n + Buffer.byteLength(t), 0) / 1024) + 4;
  buildTestDeb(dir, { name, version, files, installedSizeKiB, description: 'upkeep preflight test package', ...(postinst !== null ? { postinst } : {}) });
}

/** Restarts on upgrade every unit the package ships, found at run time: the analyser cannot name them, the shipped units can. */
const loopPostinst = (pkg: string) =>
  `#!/bin/sh\nset -e\nif [ "$1" = configure ] && [ -n "$2" ]; then\n  for unit in $(dpkg-query -L ${pkg} | sed -n 's|^/lib/systemd/system/\\([^/]*\\.service\\)$|\\1|p'); do\n    deb-systemd-invoke restart "$unit" >/dev/null || true\n  done\nfi\nexit 0\n`;

const unitFile = (d: string) => `[Unit]\nDescription=${d}\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n`;

/** The local repository of both tests (1.0 debs in v1/, 2.0 in repo/, apt's private lists), built once. */
interface Repository {
  tmp: string;
  v1: string;
  repo: string;
  aptOpts: string[];
  env: NodeJS.ProcessEnv;
}
let built: Repository | undefined;
let repositoryDir: string | undefined;
function repository(): Repository {
  if (built !== undefined) return built;
  const tmp = (repositoryDir = mkdtempSync('/tmp/upkeep-apt-e2e-'));
  if (spawnSync('sh', ['-c', 'command -v dpkg-scanpackages']).status !== 0) {
    execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'dpkg-dev'], {
      stdio: 'pipe',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  const v1 = join(tmp, 'v1');
  const repo = join(tmp, 'repo');
  mkdirSync(v1);
  mkdirSync(repo);
  for (const [dir, version] of [
    [v1, '1.0'],
    [repo, '2.0'],
  ] as const) {
    buildDeb(dir, SVC, version, { [`lib/systemd/system/${SVC}.service`]: unitFile('fake daemon') }, postinstFrom('postinst-systemd-restart', `${SVC}.service`));
    buildDeb(
      dir,
      START,
      version,
      { [`lib/systemd/system/${START}.service`]: unitFile('fake start-only') },
      postinstFrom('postinst-systemd-start', `${START}.service`),
    );
  }
  // 1.0 has no maintainer scripts at all; 2.0 restarts its unit the debhelper way.
  buildDeb(v1, LISTED, '1.0', { [`lib/systemd/system/${LISTED}.service`]: unitFile('fake, scripts tell nothing') }, null);
  buildDeb(
    repo,
    LISTED,
    '2.0',
    { [`lib/systemd/system/${LISTED}.service`]: unitFile('fake, scripts tell nothing') },
    postinstFrom('postinst-systemd-restart', `${LISTED}.service`),
  );
  for (const [dir, version] of [
    [v1, '1.0'],
    [repo, '2.0'],
  ] as const) {
    buildDeb(dir, LOOP, version, { [`lib/systemd/system/${LOOP}.service`]: unitFile('fake, units from its file list') }, loopPostinst(LOOP));
  }
  buildDeb(repo, KERNEL, '2.0', { [`boot/vmlinuz-${KREL}`]: 'not a kernel\n' }, null);
  writeFileSync(join(repo, 'Packages'), execFileSync('dpkg-scanpackages', ['.', '/dev/null'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] }));

  // apt sees only this repository; its lists and cache are private to the test.
  writeFileSync(join(tmp, 'sources.list'), `deb [trusted=yes] file:${repo} ./\n`);
  for (const d of ['lists/partial', 'cache/archives/partial']) mkdirSync(join(tmp, d), { recursive: true });
  const aptOpts = [
    '-o',
    `Dir::Etc::SourceList=${join(tmp, 'sources.list')}`,
    '-o',
    'Dir::Etc::SourceParts=/dev/null',
    '-o',
    `Dir::State::Lists=${join(tmp, 'lists')}`,
    '-o',
    `Dir::Cache=${join(tmp, 'cache')}`,
    '-o',
    'APT::Install-Recommends=false',
  ];
  const env = { ...process.env, ...NO_ENGINE, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive', NO_COLOR: '1' };
  execFileSync('apt-get', [...aptOpts, 'update', '-q'], { stdio: 'pipe', env });
  built = { tmp, v1, repo, aptOpts, env };
  return built;
}
after(() => {
  if (repositoryDir !== undefined) rmSync(repositoryDir, { recursive: true, force: true });
});

test(
  'preflight on the real apt-get -s output predicts what the real apt-get install asks for; the hook warns',
  { skip: !ROOT ? 'needs root' : !HAVE_TOOLS ? 'needs dpkg-deb, apt-get, deb-systemd-invoke' : false, timeout: 90_000 },
  async () => {
    const { tmp, v1, aptOpts, env } = repository();
    const savedPolicy = existsSync(POLICY) ? readFileSync(POLICY) : null;
    const madeSystemdDir = !existsSync('/run/systemd/system');
    const enableLink = `/etc/systemd/system/multi-user.target.wants/${LISTED}.service`;
    try {
      execFileSync('dpkg', ['-i', ...[SVC, START, LISTED, LOOP].map((n) => join(v1, `${n}_1.0_all.deb`))], { stdio: 'pipe' });
      // Enabled (as `systemctl enable` would): debhelper's default restart applies to it.
      mkdirSync('/etc/systemd/system/multi-user.target.wants', { recursive: true });
      symlinkSync(`/lib/systemd/system/${LISTED}.service`, enableLink);
      const pkgs = [SVC, START, LISTED, LOOP, KERNEL];
      const simulation = execFileSync('apt-get', [...aptOpts, '-s', 'install', ...pkgs], { env, encoding: 'utf8' });
      const planFile = join(tmp, 'plan.txt');
      writeFileSync(planFile, simulation);

      const r = await upkeep(['preflight', '--plan', planFile, '--no-download', '--json'], NO_ENGINE);
      assert.equal(r.code, 3, `a kernel is in the plan: exit 3\n${r.stderr}`);
      const report = JSON.parse(r.stdout) as {
        packages: Array<{ name: string; from: string | null; to: string; effects: string[]; source: string; confidence: string }>;
        reboot: { needed: boolean; why: string[] };
        containers: null;
        containersNote: string;
      };
      const pkg = (n: string) => report.packages.find((p) => p.name === n)!;
      assert.deepEqual(report.packages.map((p) => p.name).sort(), [...pkgs].sort());
      assert.equal(pkg(SVC).from, '1.0');
      assert.equal(pkg(SVC).to, '2.0');
      assert.match(pkg(SVC).source, /^installed scripts/);
      assert.equal(pkg(SVC).confidence, 'medium');
      // No script to read: the unit the package ships (its dpkg list), enabled here, probably restarts.
      assert.deepEqual(pkg(LISTED).effects, ['MAJOR', `probably restarts ${LISTED}.service`]);
      assert.equal(pkg(LISTED).source, `unit files the package ships (${LISTED}.list), assuming debhelper's default restart`);
      assert.equal(pkg(LISTED).confidence, 'low');
      // The script restarts a unit it computes; the shipped units name it.
      assert.deepEqual(pkg(LOOP).effects, ['MAJOR', `restarts ${LOOP}.service`]);
      assert.equal(pkg(LOOP).source, `installed scripts (the new version's may differ); units named from the unit files the package ships (${LOOP}.list)`);
      assert.equal(pkg(KERNEL).from, null);
      assert.equal(report.reboot.needed, true);
      assert.match(report.reboot.why.join(' '), new RegExp(KERNEL));
      assert.equal(report.containers, null);
      assert.match(report.containersNote, /containers not assessed/);

      // The prediction as (unit, action) pairs, from the package lines' effects.
      const predicted = report.packages
        .flatMap((p) => p.effects)
        .map((e) => /^(?:probably )?(restarts|starts|stops|try-restarts|restarts \(if running\)) (\S+\.service)$/.exec(e))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => `${m[2]} ${m[1] === 'starts' ? 'start' : m[1] === 'stops' ? 'stop' : m[1] === 'restarts' ? 'restart' : 'try-restart'}`)
        .sort();
      assert.deepEqual(predicted, [`${SVC}.service restart`, `${START}.service start`, `${LISTED}.service restart`, `${LOOP}.service restart`].sort());

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
      assert.match(
        aptOutput,
        new RegExp(
          `${LISTED}\\s+1\\.0 -> 2\\.0\\s+MAJOR; probably restarts ${LISTED}\\.service\\s+unit files the package ships \\(${LISTED}\\.list\\), assuming debhelper's default restart`,
        ),
      );
      assert.ok(aptOutput.indexOf('upkeep preflight (before dpkg)') < aptOutput.indexOf(`Unpacking ${SVC}`), 'the warning comes before dpkg unpacks');
    } finally {
      if (savedPolicy !== null) {
        writeFileSync(POLICY, savedPolicy);
        chmodSync(POLICY, 0o755);
      } else rmSync(POLICY, { force: true });
      if (madeSystemdDir) rmSync('/run/systemd/system', { recursive: true, force: true });
      rmSync(enableLink, { force: true });
      spawnSync('dpkg', ['--purge', SVC, START, LISTED, LOOP, KERNEL], { stdio: 'pipe' });
      rmSync(`/boot/vmlinuz-${KREL}`, { force: true });
    }
  },
);

const HAVE_UNSHARE = spawnSync('sh', ['-c', 'command -v unshare && command -v mount']).status === 0;

/**
 * Runs bin/upkeep ARGS in a private mount namespace (`unshare -m`: the host sees none of it) with a
 * tmpfs of `sizeKiB` over `dir` and, when given, a file of `fileBytes` written in it first.
 */
function upkeepOverTmpfs(
  dir: string,
  sizeKiB: number,
  file: { name: string; bytes: number } | null,
  args: string[],
  env: NodeJS.ProcessEnv,
): { code: number | null; stdout: string; stderr: string } {
  const fill = file === null ? '' : `head -c ${file.bytes} /dev/zero > "$1/${file.name}" && `;
  const r = spawnSync(
    'unshare',
    ['-m', 'sh', '-c', `mount -t tmpfs -o size=${sizeKiB}k upkeep-space-test "$1" && ${fill}shift && exec "$@"`, 'sh', dir, BIN, ...args],
    {
      env,
      encoding: 'utf8',
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface SpaceJson {
  verdict: string;
  space: {
    verdict: string;
    filesystems: Array<{
      mountPoint: string;
      fsType: string;
      paths: string[];
      verdict: string;
      why: string;
      needs: Array<{ what: string; bytes: number; estimate: boolean }>;
    }>;
  };
}

test(
  'preflight checks disk space with real apt sizes: a tiny tmpfs over /boot (a kernel) or over the archives is short (exit 3), a large one is ok',
  { skip: !ROOT ? 'needs root' : !HAVE_TOOLS || !HAVE_UNSHARE ? 'needs dpkg-deb, apt-get, unshare' : false, timeout: 60_000 },
  () => {
    const { tmp, repo, aptOpts, env } = repository();
    // upkeep's own apt calls (apt-config, apt-cache) read the test's repository through APT_CONFIG.
    const aptConf = join(tmp, 'apt.conf');
    writeFileSync(
      aptConf,
      `Dir::Etc::SourceList "${join(tmp, 'sources.list')}";\nDir::Etc::SourceParts "/dev/null";\nDir::State::Lists "${join(tmp, 'lists')}";\nDir::Cache "${join(tmp, 'cache')}";\n`,
    );
    const archives = join(tmp, 'cache', 'archives');
    const spaceEnv = { ...env, APT_CONFIG: aptConf };
    const planOf = (pkgs: string[]) => {
      const file = join(tmp, `plan-${pkgs.join('-')}.txt`);
      writeFileSync(file, execFileSync('apt-get', [...aptOpts, '-s', 'install', ...pkgs], { env, encoding: 'utf8' }));
      return ['preflight', '--plan', file, '--no-download', '--state-dir', join(tmp, 'state')];
    };

    // The kernel's .deb is in apt's archives: its /boot files are read from it (dpkg-deb -c).
    const kernelDeb = `${KERNEL}_2.0_all.deb`;
    copyFileSync(join(repo, kernelDeb), join(archives, kernelDeb));
    const initrd = { name: 'initrd.img-0.0.1-upkeeptest', bytes: 600_000 };
    const kernelPlan = planOf([KERNEL]);
    const small = upkeepOverTmpfs('/boot', 1024, initrd, [...kernelPlan, '--json'], spaceEnv);
    assert.equal(small.code, 3, small.stderr);
    const s = JSON.parse(small.stdout) as SpaceJson;
    assert.equal(s.space.verdict, 'short', JSON.stringify(s.space, null, 1));
    const boot = s.space.filesystems[0]!;
    assert.deepEqual([boot.mountPoint, boot.fsType, boot.verdict], ['/boot', 'tmpfs', 'short']);
    assert.deepEqual(
      boot.needs.map((n) => [n.bytes, n.estimate]),
      [
        ['not a kernel\n'.length, false],
        [initrd.bytes, true],
      ],
    );
    assert.match(boot.needs[0]!.what, new RegExp(`^${KERNEL}'s files under /boot \\(its cached \\.deb\\)$`));
    assert.match(boot.needs[1]!.what, new RegExp(`as large as ${initrd.name}, the largest in /boot`));
    assert.ok(!existsSync(`/boot/${initrd.name}`), "the host's /boot is untouched");

    const large = upkeepOverTmpfs('/boot', 64 * 1024, initrd, [...kernelPlan, '--json'], spaceEnv);
    const l = JSON.parse(large.stdout) as SpaceJson;
    assert.equal(l.space.verdict, 'ok', large.stdout);
    assert.equal(l.space.filesystems.find((f) => f.mountPoint === '/boot')!.verdict, 'ok');

    // The archives: SVC's .deb is to be downloaded, its Size as apt's lists give it.
    rmSync(join(archives, kernelDeb));
    const svcPlan = planOf([SVC]);
    const debBytes = statSync(join(repo, `${SVC}_2.0_all.deb`)).size;
    assert.ok(debBytes < 1024);
    const full = upkeepOverTmpfs(archives, 16, null, svcPlan, spaceEnv);
    assert.equal(full.code, 3, `${full.stdout}\n${full.stderr}`);
    assert.match(full.stdout, /^Disk space: NOT ENOUGH \(sizes per package from apt; margin 20 MiB \+ 10% of what is needed, on each filesystem\)$/m);
    assert.match(full.stdout, new RegExp(`^  ${archives} \\(tmpfs\\): SHORT by [0-9.]+ MiB: needs ${debBytes} B \\+ 20 MiB margin, 16 KiB free$`, 'm'));
    assert.match(full.stdout, /^ {4}to free space: apt-get clean \(empties the archives directory of cached \.debs\); then see what else takes space/m);
    assert.match(full.stdout, /^Do first: .*free space on .* first \(SHORT by/m);
    const roomy = upkeepOverTmpfs(archives, 64 * 1024, null, [...svcPlan, '--json'], spaceEnv);
    const r = JSON.parse(roomy.stdout) as SpaceJson;
    assert.equal(r.space.verdict, 'ok', roomy.stdout);
    assert.notEqual(roomy.code, 3, 'nothing else in this plan is a risk');
    const onArchives = r.space.filesystems.find((f) => f.paths.includes(archives))!;
    assert.deepEqual(onArchives.needs[0], { what: `1 archive(s) to download into ${archives} (0 already there)`, bytes: debBytes, estimate: false });
  },
);
