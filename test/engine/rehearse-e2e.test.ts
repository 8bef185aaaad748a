/**
 * `upkeep rehearse` against REAL apt and dpkg and a private engine, as root: local .deb packages at
 * 1.0 installed with dpkg, 2.0 in a local file repository that only this test's APT_CONFIG names
 * (under /var/tmp: the view's /tmp is its own). 2.0 of them: a daemon whose postinst restarts it
 * (debhelper's code), a start-only one, a "docker-like" one whose postinst restarts its unit and
 * docker.service in one deb-systemd-invoke call, kills a host daemon directly (pkill: no
 * policy-rc.d on that path) and, in the rehearsals only, tries to kill dockerd and restart the
 * private engine's containers; one whose postinst starts a daemon itself with start-stop-daemon,
 * one whose postinst fails, one with a conffile the test edits first, and a meta package pulling in
 * a kernel-like package whose postinst writes /var/run/reboot-required and runs update-initramfs
 * and update-grub.
 *
 * The rehearsal must report the restarts, the failure, the conffile question with its diff, the
 * boot steps and the reboot flag, and the containers' fate from the observed docker.service
 * restart; the host must be byte-identical afterwards (dpkg's database, /etc, /boot), its daemon,
 * the engine and its containers untouched (same PIDs, same start times), no process of the
 * rehearsal left, no mount left in the host's namespace; SIGKILL of the rehearsal mid-run leaves
 * nothing behind. Then the same upgrade on the host, witnessed by a logging policy-rc.d that denies
 * every action, must ask for the service actions the rehearsal reported. The host is restored in
 * `finally` (packages purged, policy-rc.d, /run/systemd/system, /run/reboot-required, /boot).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BIN, upkeep } from '../helpers/cli.js';
import { hostLock } from '../helpers/host-lock.js';
import { PrivateEngine } from './private-engine.js';
import { buildTestDeb, type TestDeb } from '../helpers/deb.js';

before(() => hostLock.acquire());
after(() => hostLock.release());

const ROOT = process.getuid?.() === 0;
const HAVE_TOOLS = ['dpkg-deb', 'apt-get', 'deb-systemd-invoke', 'unshare', 'start-stop-daemon'].every(
  (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0,
);
const DH = new URL('../fixtures/apt/scripts/debhelper-13.11.4/', import.meta.url).pathname;
const POLICY = '/usr/sbin/policy-rc.d';
const SVC = 'upkeep-rh-svc';
const START = 'upkeep-rh-start';
const DOCKERISH = 'upkeep-rh-docker';
const DIRECT = 'upkeep-rh-direct';
const FAIL = 'upkeep-rh-fail';
const CONF = 'upkeep-rh-conf';
const META = 'upkeep-rh-kernel-meta';
const KREL = '0.0.3-upkeeprh';
const KERNEL = `linux-image-${KREL}`;
const CONFFILE = `/etc/${CONF}.conf`;
const HOSTD = 'upkeep-rh-hostd';
const DEB_CACHE = '/var/cache/upkeep/debs';
const ALWAYS = 'rh-always';
const NOPOLICY = 'rh-nopolicy';

function debhelper(template: string, unit: string): string {
  return readFileSync(join(DH, template), 'utf8').replaceAll('#UNITFILES#', unit).replaceAll('#RESTART_ACTION#', 'restart');
}
const script = (body: string) => `#!/bin/sh\nset -e\n${body}\nexit 0\n`;
const unitFile = (d: string) => `[Unit]\nDescription=${d}\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n`;

/** A package of this test's, built by the shared builder (test/helpers/deb.ts). */
const buildDeb = (dir: string, d: TestDeb): void => void buildTestDeb(dir, { description: 'upkeep rehearse test package', ...d });

/** A fingerprint of the host state the rehearsal must not change: contents under dpkg's database, /etc, /boot; names under a few more. */
function hostFingerprint(): string {
  const h = createHash('sha256');
  for (const [dirs, contents] of [
    [['/var/lib/dpkg', '/etc', '/boot'], true],
    [['/usr/sbin', '/usr/bin', '/lib/systemd/system'], false],
  ] as const) {
    const list = execFileSync('find', [...dirs, '-xdev', ...(contents ? [] : ['-maxdepth', '1']), '-printf', '%p %y %s %T@ %m\\n'], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    })
      .split('\n')
      .sort();
    h.update(list.join('\n'));
    if (contents)
      for (const line of list) {
        const [p, type] = line.split(' ');
        if (type === 'f' && p) h.update(readFileSync(p));
      }
  }
  return h.digest('hex');
}

/** The mounts of the host's namespace, without those of the private engines other tests run. */
function hostMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !/\/tmp\/upk-|netns|overlay2/.test(l))
    .map((l) => l.split(' ').slice(4).join(' '))
    .sort();
}

/**
 * A rehearsal's own processes: the sandbox's `sh -c SCRIPT upkeep-rehearse ...` and the recorders
 * under /run/upkeep-rehearse/bin; not another test's path that merely contains the word
 * (test/cli/rehearse.test.ts ran beside this file with /tmp/upkeep-rehearse-cli-* once).
 */
const SANDBOX_PROCESS = String.raw`(^| )upkeep-rehearse( |$)|\/run\/upkeep-rehearse\/`;

function processesMatching(re: RegExp): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (re.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '))) out.push(Number(pid));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** `pid`'s ancestors, nearest first (host PIDs, also for processes inside the view's PID namespace). */
function ancestors(pid: number): number[] {
  const out: number[] = [];
  for (let p = pid; p > 1 && out.length < 64;) {
    try {
      p = Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    } catch {
      break;
    }
    out.push(p);
  }
  return out;
}

/** For a failure message: each process matching `re`, with its ancestors' command lines. */
function describeProcesses(re: RegExp): string {
  const cmd = (p: number) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      return '(gone)';
    }
  };
  return processesMatching(re)
    .map(
      (p) =>
        `${p} ${cmd(p)} <- ${ancestors(p)
          .map((a) => `${a} ${cmd(a).slice(0, 80)}`)
          .join(' <- ')}`,
    )
    .join('\n');
}

const startTime = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];

async function waitFor(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test(
  'upkeep rehearse runs the real upgrade in a throwaway view: restarts, failure, conffile, reboot; the host is untouched; the real run asks for the same restarts',
  { skip: !ROOT ? 'needs root' : !HAVE_TOOLS ? 'needs dpkg-deb, apt-get, deb-systemd-invoke, unshare, start-stop-daemon' : false, timeout: 120_000 },
  async (t) => {
    const engine = await PrivateEngine.startOrSkip(t);
    if (engine === null) return;
    const tmp = mkdtempSync('/var/tmp/upkeep-rehearse-e2e-');
    const savedPolicy = existsSync(POLICY) ? readFileSync(POLICY) : null;
    const madeSystemdDir = !existsSync('/run/systemd/system');
    const hadRebootFlag = existsSync('/run/reboot-required');
    const hostd = spawn('bash', ['-c', `exec -a ${HOSTD} sleep 600`], { stdio: 'ignore', detached: true });
    let kernelNamesBefore: string | null = null;
    const pkgs = [SVC, START, DOCKERISH, DIRECT, FAIL, CONF, META];
    try {
      const v1 = join(tmp, 'v1');
      const repo = join(tmp, 'repo');
      mkdirSync(v1);
      mkdirSync(repo);
      const slowFlag = join(tmp, 'slow');
      const hostileFlag = join(tmp, 'hostile');
      // A host directory the view's processes point links at from the rehearsal's results (the
      // view's /run/upkeep-rehearse): what the rehearsal writes after the upgrade must not land here.
      const planted = join(tmp, 'planted');
      mkdirSync(planted);
      for (const [dir, version] of [
        [v1, '1.0'],
        [repo, '2.0'],
      ] as const) {
        const two = version === '2.0';
        buildDeb(dir, {
          name: SVC,
          version,
          files: { [`lib/systemd/system/${SVC}.service`]: unitFile('daemon') },
          postinst: script(debhelper('postinst-systemd-restart', `${SVC}.service`)),
        });
        buildDeb(dir, {
          name: START,
          version,
          files: { [`lib/systemd/system/${START}.service`]: unitFile('start-only') },
          postinst: script(debhelper('postinst-systemd-start', `${START}.service`)),
        });
        buildDeb(dir, {
          name: DOCKERISH,
          version,
          files: { [`lib/systemd/system/${DOCKERISH}.service`]: unitFile('docker-like') },
          postinst: script(
            `${debhelper('postinst-systemd-restart', `${DOCKERISH}.service docker.service`)}\nif [ "$1" = configure ] && [ -n "$2" ]; then pkill -f ${HOSTD} || true; fi\n` +
              // What a careless script might do to the engine, tried in the rehearsals only (never on this shared host).
              `if [ -e ${hostileFlag} ]; then pkill -f dockerd || true; docker restart ${ALWAYS} ${NOPOLICY} || true; ` +
              // ... and to the kernel's host name and settings (the view's UTS namespace; /proc/sys read-only).
              `hostname upkeep-rehearsal-view || true; sysctl -w kernel.domainname=upkeep-rehearsal-view || true; ` +
              // ... and links planted where the rehearsal collects its results, at a host directory.
              `for f in conffiles boot reboot-required reboot-required.pkgs exit; do ln -s ${planted} /run/upkeep-rehearse/$f || true; done; fi`,
          ),
        });
        buildDeb(dir, {
          name: DIRECT,
          version,
          postinst: script(
            two
              ? // A restart preflight's reader does not see (behind timeout): the rehearsal lists it as missed.
                `if [ -e ${slowFlag} ]; then sleep 60; fi\ntimeout 10 deb-systemd-invoke restart ${DIRECT}.service || true\nstart-stop-daemon --start --background --make-pidfile --pidfile /var/lib/${DIRECT}.pid --startas /bin/sh -- -c 'exec sleep 7777'`
              : '',
          ),
        });
        buildDeb(dir, {
          name: FAIL,
          version,
          postinst: script(two ? `if [ "$1" = configure ]; then echo "${FAIL}: cannot configure, /etc/nothing is missing" >&2; exit 3; fi` : ''),
        });
        buildDeb(dir, { name: CONF, version, files: { [CONFFILE.slice(1)]: `setting = ${two ? 2 : 1}\n` }, conffiles: [CONFFILE] });
        buildDeb(dir, { name: META, version, ...(two ? { depends: KERNEL } : {}) });
      }
      buildDeb(repo, {
        name: KERNEL,
        version: '2.0',
        files: { [`boot/vmlinuz-${KREL}`]: 'not a kernel\n' },
        postinst: script(
          `if [ "$1" = configure ]; then\n  command -v update-initramfs >/dev/null && update-initramfs -c -k ${KREL}\n  command -v update-grub >/dev/null && update-grub\n` +
            `  echo '*** System restart required ***' > /var/run/reboot-required\n  echo ${KERNEL} >> /var/run/reboot-required.pkgs\nfi`,
        ),
      });
      execFileSync('dpkg', ['-i', ...pkgs.map((n) => join(v1, `${n}_1.0_all.deb`))], { stdio: 'pipe' });
      writeFileSync(CONFFILE, 'setting = local\n');
      writeFileSync(join(repo, 'Packages'), execFileSync('dpkg-scanpackages', ['.', '/dev/null'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] }));
      writeFileSync(join(tmp, 'sources.list'), `deb [trusted=yes] file:${repo} ./\n`);
      for (const d of ['lists/partial', 'cache/archives/partial']) mkdirSync(join(tmp, d), { recursive: true });
      writeFileSync(
        join(tmp, 'apt.conf'),
        `Dir::Etc::SourceList "${join(tmp, 'sources.list')}";\nDir::Etc::SourceParts "/dev/null";\nDir::State::Lists "${join(tmp, 'lists')}";\nDir::Cache "${join(tmp, 'cache')}";\nAPT::Install-Recommends "false";\n`,
      );
      await engine.run(ALWAYS, { flags: ['--restart', 'always'] });
      await engine.run(NOPOLICY);
      const env = { DOCKER_HOST: engine.dockerHost, APT_CONFIG: join(tmp, 'apt.conf'), UPKEEP_STATE_DIR: join(tmp, 'state') };
      // preflight's downloads of these test packages stay in the test's directory.
      const cacheArgs = ['--cache-dir', join(tmp, 'debs')];
      execFileSync('apt-get', ['update', '-q'], { stdio: 'pipe', env: { ...process.env, ...env } });
      // debhelper's blocks ask deb-systemd-invoke only when systemd looks like it runs.
      if (madeSystemdDir) mkdirSync('/run/systemd/system', { recursive: true });

      // A store, so that the rehearsal is recorded in the timeline.
      assert.equal((await upkeep(['snapshot'], env)).code, 0);
      const hostdStart = startTime(hostd.pid!);
      const dockerd = processesMatching(new RegExp(`dockerd.*${engine.dir}`));
      assert.equal(dockerd.length, 1, "the private engine's dockerd");
      const dockerdStart = startTime(dockerd[0]!);
      const containers = async () => (await engine.docker('inspect', '--format', '{{.Name}} {{.State.Pid}} {{.State.StartedAt}}', ALWAYS, NOPOLICY)).trim();
      const containersBefore = await containers();
      writeFileSync(hostileFlag, '');
      const kernelNames = () => `${readFileSync('/proc/sys/kernel/hostname', 'utf8').trim()} ${readFileSync('/proc/sys/kernel/domainname', 'utf8').trim()}`;
      kernelNamesBefore = kernelNames();
      const fingerprint = hostFingerprint();
      const mounts = hostMounts();

      const r = await upkeep(['rehearse', '--mode', 'full-upgrade', ...cacheArgs, '--keep', join(tmp, 'keep'), '--json'], env);
      assert.equal(r.code, 5, `the upgrade fails (a postinst fails): exit 5\n${r.stderr}\n${r.stdout.slice(0, 4000)}`);
      const j = JSON.parse(r.stdout) as {
        upgradeFailed: boolean;
        aptExit: number;
        services: Array<{ unit: string; action: string; package: string; script: string; via: string }>;
        failures: Array<{ package: string; script: string; exitCode: number; lastLines: string[] }>;
        conffiles: Array<{ path: string; answer: string; diff: string | null }>;
        bootSteps: Array<{ tool: string; package: string; args: string }>;
        kernels: string[];
        bootFiles: string[];
        reboot: { required: boolean; packages: string[] };
        upperBytes: number;
        comparison: Array<{ package: string; unit: string; mark: string }>;
        consequences: { docker: { restarts: boolean }; containers: Array<{ name: string; runningAtEnd: string }> };
      };
      assert.equal(j.upgradeFailed, true);
      assert.equal(j.aptExit, 100);
      const asked = j.services.map((s) => `${s.unit} ${s.action}`).sort();
      assert.deepEqual(
        asked,
        [`${SVC}.service restart`, `${START}.service start`, `${DOCKERISH}.service restart`, 'docker.service restart', `${DIRECT}.service restart`].sort(),
        r.stdout,
      );
      assert.deepEqual(
        j.services.find((s) => s.unit === `${SVC}.service`),
        { unit: `${SVC}.service`, action: 'restart', package: SVC, script: 'postinst', via: 'policy-rc.d' },
      );
      assert.equal(j.failures.length, 1);
      assert.equal(j.failures[0]!.package, FAIL);
      assert.equal(j.failures[0]!.script, 'postinst');
      assert.equal(j.failures[0]!.exitCode, 3);
      assert.ok(
        j.failures[0]!.lastLines.some((l) => l.includes('/etc/nothing is missing')),
        j.failures[0]!.lastLines.join('\n'),
      );
      assert.equal(j.conffiles.length, 1, JSON.stringify(j.conffiles));
      assert.equal(j.conffiles[0]!.path, CONFFILE);
      assert.match(j.conffiles[0]!.answer, /Keeping old config file/);
      assert.match(j.conffiles[0]!.diff ?? '', /^-setting = local$/m);
      assert.match(j.conffiles[0]!.diff ?? '', /^\+setting = 2$/m);
      assert.deepEqual(j.bootSteps.map((b) => `${b.tool} ${b.package}`).sort(), [`update-grub ${KERNEL}`, `update-initramfs ${KERNEL}`], r.stdout);
      assert.deepEqual(j.kernels, [KERNEL]);
      assert.ok(j.bootFiles.includes(`vmlinuz-${KREL}`), j.bootFiles.join(','));
      assert.deepEqual(j.reboot, { required: true, packages: [KERNEL] });
      assert.ok(j.upperBytes > 0);
      // preflight reads the candidates' scripts: what it names is confirmed; the restart behind `timeout` it cannot see is missed.
      assert.deepEqual(
        j.comparison.map((c) => `${c.mark} ${c.package} ${c.unit}`).sort(),
        [
          `confirmed ${DOCKERISH} ${DOCKERISH}.service`,
          `confirmed ${DOCKERISH} docker.service`,
          `confirmed ${START} ${START}.service`,
          `confirmed ${SVC} ${SVC}.service`,
          `missed ${DIRECT} ${DIRECT}.service`,
        ].sort(),
        JSON.stringify(j.comparison),
      );
      // The daemon the postinst started itself ran in the view (its pidfile kept with --keep), and is gone.
      assert.ok(existsSync(join(tmp, 'keep', 'root', 'var', 'lib', `${DIRECT}.pid`)), 'the start-stop-daemon daemon ran in the view');

      // Nothing changed on the host.
      assert.equal(hostFingerprint(), fingerprint, 'dpkg database, /etc, /boot, /usr/*bin, units unchanged');
      assert.deepEqual(hostMounts(), mounts);
      // The view's daemon and the rehearsal's own processes.
      assert.deepEqual(processesMatching(new RegExp(`sleep 7777|${SANDBOX_PROCESS}`)), []);
      assert.equal(startTime(hostd.pid!), hostdStart, 'the host daemon was not killed by the pkill in the view');
      assert.equal(startTime(dockerd[0]!), dockerdStart, 'the engine was not killed by the pkill in the view');
      assert.equal(await containers(), containersBefore, 'same container PIDs and start times');
      assert.equal(kernelNames(), kernelNamesBefore, "the host's host name and domain name, though a script set them in the view");
      const tl = await upkeep(['timeline', '--json', '--kind', 'rehearsal'], env);
      const entries = (JSON.parse(tl.stdout) as { entries: Array<{ detail: { message: string; upgradeFailed: boolean; exitCode: number } }> }).entries;
      assert.equal(entries.length, 1, tl.stdout);
      assert.equal(entries[0]!.detail.upgradeFailed, true);
      assert.match(
        entries[0]!.detail.message,
        /^rehearsal: 8 package\(s\); 5 service action\(s\) requested; 1 maintainer script\(s\) failed; 1 conffile question\(s\); reboot required; preflight missed 1, wrong 0: the upgrade fails$/,
      );
      // The consequences, from the observed docker.service restart: preflight's restart semantics.
      assert.equal(j.consequences.docker.restarts, true);
      assert.deepEqual(j.consequences.containers.map((c) => `${c.name} ${c.runningAtEnd}`).sort(), [`${ALWAYS} yes`, `${NOPOLICY} no`]);
      assert.equal(readFileSync(CONFFILE, 'utf8'), 'setting = local\n');
      assert.equal(existsSync(`/boot/vmlinuz-${KREL}`), false);
      assert.deepEqual(readdirSync(planted), [], 'nothing written through the links planted in the results');
      // Written in the view only (the host's /run and /var/lib are not fingerprinted: other tests use them).
      for (const f of ['/run/reboot-required', '/run/reboot-required.pkgs', `/var/lib/${DIRECT}.pid`])
        assert.equal(existsSync(f), hadRebootFlag && f.startsWith('/run/'), f);
      assert.deepEqual(
        readdirSync('/tmp').filter((n) => n.startsWith('upkeep-rehearse-')),
        [],
      );

      // SIGKILL in the middle (a postinst sleeping): nothing mounted, no process, no work directory left.
      writeFileSync(slowFlag, '');
      // On disk this time (--scratch): the writable layer must go too. SIGKILL of upkeep, then
      // Ctrl-C as a terminal sends it (SIGINT to upkeep's whole process group).
      const scratch = join(tmp, 'scratch');
      mkdirSync(scratch);
      for (const how of ['SIGKILL', 'Ctrl-C'] as const) {
        const killed = spawn(BIN, ['rehearse', '--mode', 'full-upgrade', ...cacheArgs, '--scratch', scratch, '--json'], {
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        });
        // Kept for the messages below: two CI runs saw a slow postinst with the scratch directory
        // empty (not reproduced in 11 runs alone and beside a CPU load): upkeep's own words say why.
        let said = '';
        for (const s of [killed.stdout, killed.stderr]) s.on('data', (c: Buffer) => (said = (said + c.toString()).slice(-8000)));
        // This rehearsal's slow postinst: a `sleep 60` below this upkeep process (the view's PID
        // namespace included), not any process of that name.
        await waitFor(
          `the rehearsal to reach the slow postinst (${how})`,
          () => processesMatching(/^sleep 60 $/).some((p) => ancestors(p).includes(killed.pid!)),
          60_000,
        );
        const slow = processesMatching(/^sleep 60 $/).filter((p) => ancestors(p).includes(killed.pid!));
        assert.deepEqual(
          [killed.exitCode, killed.signalCode],
          [null, null],
          `upkeep rehearse ended before it was killed (${how}), exit ${killed.exitCode}, signal ${killed.signalCode}:\n${said}`,
        );
        assert.equal(
          readdirSync(scratch).length,
          1,
          `the writable layer is in the scratch directory (${how}); upkeep said:\n${said}\nthe slow postinsts and their ancestors:\n${describeProcesses(/^sleep 60 $/)}`,
        );
        if (how === 'SIGKILL') killed.kill('SIGKILL');
        else process.kill(-killed.pid!, 'SIGINT');
        // Its processes gone: the slow postinsts seen below it, and anything of a sandbox.
        await waitFor(`every process of the rehearsal to end (${how})`, () => {
          const sleeping = processesMatching(/^sleep 60 $/);
          return slow.every((p) => !sleeping.includes(p)) && processesMatching(new RegExp(`${SANDBOX_PROCESS}|unshare --mount`)).length === 0;
        });
        await waitFor(`the work directory to be removed (${how})`, () => readdirSync('/tmp').every((n) => !n.startsWith('upkeep-rehearse-')));
        await waitFor(`the scratch layer to be removed (${how})`, () => readdirSync(scratch).length === 0);
        assert.deepEqual(hostMounts(), mounts);
        assert.equal(hostFingerprint(), fingerprint);
      }
      rmSync(slowFlag);
      rmSync(hostileFlag);

      // upkeep upgrade --rehearse: the upgrade fails in the rehearsal, so it stops before changing anything.
      const up = await upkeep(['upgrade', '--rehearse', '--yes', '--mode', 'full-upgrade'], env);
      assert.equal(up.code, 1, up.stderr);
      assert.match(
        up.stderr,
        /THE UPGRADE FAILS[\s\S]*upkeep-rh-fail postinst exit 3[\s\S]*stopped before changing anything: in the rehearsal the upgrade fails/,
      );
      assert.equal(hostFingerprint(), fingerprint);

      // The same upgrade on the host: the witness policy-rc.d logs what it is asked and denies it.
      const log = join(tmp, 'policy.log');
      writeFileSync(POLICY, `#!/bin/sh\necho "$*" >> ${log}\nexit 101\n`);
      chmodSync(POLICY, 0o755);
      const real = spawnSync('apt-get', ['-y', '-q', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', 'dist-upgrade'], {
        env: { ...process.env, ...env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' },
        encoding: 'utf8',
      });
      assert.equal(real.status, 100, real.stdout + real.stderr);
      const witnessed = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '))
        .sort();
      // deb-systemd-invoke stops at the first unit the witness refuses: of `restart upkeep-rh-docker.service
      // docker.service` the witness logs only the first, though the real run asked for both (its own message
      // says so). The rehearsal asks policy-rc.d once per unit: every unit, as on a host without a policy-rc.d.
      assert.match(real.stdout + real.stderr, /returned 101, not running 'restart upkeep-rh-docker\.service docker\.service'/);
      assert.deepEqual(witnessed, asked.filter((a) => a !== 'docker.service restart').sort(), 'the rehearsal reported what the real run asked for');
    } finally {
      // Were the view not isolated, a script would have renamed this machine: put the names back.
      if (kernelNamesBefore !== null) {
        const [hostName, domainName] = kernelNamesBefore.split(' ');
        writeFileSync('/proc/sys/kernel/hostname', hostName!);
        writeFileSync('/proc/sys/kernel/domainname', domainName!);
      }
      await engine.dispose();
      hostd.kill('SIGKILL');
      for (const pid of processesMatching(/^sleep 7777 $/)) process.kill(pid, 'SIGKILL');
      if (savedPolicy !== null) {
        writeFileSync(POLICY, savedPolicy);
        chmodSync(POLICY, 0o755);
      } else rmSync(POLICY, { force: true });
      if (madeSystemdDir) rmSync('/run/systemd/system', { recursive: true, force: true });
      if (!hadRebootFlag) for (const f of ['/run/reboot-required', '/run/reboot-required.pkgs']) rmSync(f, { force: true });
      spawnSync('dpkg', ['--purge', ...pkgs, KERNEL], { stdio: 'pipe' });
      rmSync(CONFFILE, { force: true });
      rmSync(`${CONFFILE}.dpkg-dist`, { force: true });
      rmSync(`/boot/vmlinuz-${KREL}`, { force: true });
      rmSync(`/var/lib/${DIRECT}.pid`, { force: true });
      // upkeep upgrade --rehearse's preflight kept these packages' control files in the shared cache.
      if (existsSync(DEB_CACHE))
        for (const n of readdirSync(DEB_CACHE))
          if (/^(upkeep-rh-|linux-image-0\.0\.3-upkeeprh)/.test(n)) rmSync(join(DEB_CACHE, n), { recursive: true, force: true });
      rmSync(tmp, { recursive: true, force: true });
    }
  },
);
