/**
 * `upkeep upgrade` end to end with REAL apt, dpkg and a real (private) Docker engine.
 *
 * A local package `upkeep-fakedocker` at 1.0 is installed with dpkg; 2.0 sits in a local file
 * repository that only this test's APT_CONFIG names (the host's sources, lists and cache are never
 * used). Its postinst is debhelper's restart block for docker.service, as docker-ce's is. systemd
 * is not PID 1 here, so no systemctl call could restart anything: the test's policy-rc.d witness
 * logs the request and performs the restart itself, as a graceful stop and start of the private
 * engine (SIGTERM, as systemd stops docker.service), then denies the systemctl call (exit 101).
 * The engine runs the incident's two policies: `vpipe` with restart `no`, `silo` `unless-stopped`.
 *
 * 1. The gate: preflight (on the real apt-get -s and the real maintainer scripts) predicts that
 *    docker.service restarts and vpipe would not come back: `upkeep upgrade --yes` stops before
 *    changing anything (exit 1), the package stays at 1.0, no window is opened.
 * 2. `upkeep upgrade --yes --accept-risk` runs every step: the daemon restart happens during apt,
 *    silo comes back by Docker, vpipe by upkeep's recovery pass; both run at the end; the timeline
 *    has the steps; `upkeep report` for that maintenance shows the apt run with the package list
 *    and each service's down/up with who brought it back, at the engine's own times.
 * 3. Interruption: a package whose postinst waits for a file; the whole process group of `upkeep
 *    upgrade` (upkeep, apt-get, dpkg, the script: as a power loss would) is SIGKILLed inside it.
 *    The rerun says where it stopped, continues in the same window (dpkg --configure -a first),
 *    finishes, closes the window; the package ends configured; the store passes its integrity check.
 * 4. The reboot: a package whose postinst touches /var/run/reboot-required (as a kernel's hooks do).
 *    `upkeep upgrade --yes --accept-risk --reboot` runs apt, records that the run waits for the
 *    reboot and asks the rebooter. The rebooter is a FAKE (UPKEEP_REBOOT_COMMAND: a script that only
 *    says it was called; this machine is not rebooted), the boot id a file the test writes
 *    (UPKEEP_BOOT_ID_FILE). The reboot is SIMULATED as: the engine stopped, a new boot id, the
 *    reboot-required flag gone (as /run is emptied by a boot), the engine started again. Then
 *    `upkeep upgrade --resume` finishes the same run in the same maintenance, and `upkeep report`
 *    shows the reboot and the boot in its timeline.
 *
 * As root only, holding the host lock; the original policy-rc.d, /run/systemd/system,
 * /var/run/reboot-required(.pkgs), the packages and upkeep's download cache are restored in `finally`.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import { BIN, upkeep } from '../helpers/cli.js';
import { hostLock } from '../helpers/host-lock.js';
import { PrivateEngine, sleep } from './private-engine.js';
import { buildTestDeb } from '../helpers/deb.js';

// Host-wide state (dpkg, apt, policy-rc.d): never alongside another such file (test/helpers/host-lock.ts).
before(() => hostLock.acquire());
after(() => hostLock.release());

const ROOT = process.getuid?.() === 0;
const HAVE_TOOLS = ['dpkg-deb', 'apt-get', 'deb-systemd-invoke'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
const DH = new URL('../fixtures/apt/scripts/debhelper-13.11.4/', import.meta.url).pathname;
const POLICY = '/usr/sbin/policy-rc.d';
const FAKEDOCKER = 'upkeep-fakedocker';
const SLOWPKG = 'upkeep-fakeslow';
const REBOOTPKG = 'upkeep-fakereboot';
const REBOOT_FLAGS = ['/var/run/reboot-required', '/var/run/reboot-required.pkgs'];
const DEB_CACHE = '/var/cache/upkeep';

function buildDeb(dir: string, name: string, version: string, postinst: string): void {
  buildTestDeb(dir, {
    name,
    version,
    postinst,
    files: { [`usr/share/doc/${name}/README`]: `${name} ${version}\n` },
    description: 'upkeep upgrade test package',
  });
}

/** debhelper 13's restart-on-upgrade block for docker.service (docker-ce's postinst has the same). */
function restartsDocker(): string {
  const block = readFileSync(join(DH, 'postinst-systemd-restart'), 'utf8')
    .replaceAll('#UNITFILES#', "'docker.service'")
    .replaceAll('#RESTART_ACTION#', 'restart');
  return `#!/bin/sh\nset -e\n# Automatically added by dh_installsystemd/13.11.4\n${block}# End automatically added section\nexit 0\n`;
}

/** On upgrade, says a reboot is required, as a kernel's postinst hooks do (update-notifier, reboot-notifier). */
function requiresReboot(): string {
  return `#!/bin/sh\nset -e\nif [ "$1" = configure ] && [ -n "$2" ]; then\n  touch /var/run/reboot-required\n  echo ${REBOOTPKG} >> /var/run/reboot-required.pkgs\nfi\nexit 0\n`;
}

/** The host's reboot flags as they are, to put back exactly. */
function saveFlags(): Map<string, Buffer | null> {
  return new Map(REBOOT_FLAGS.map((f) => [f, existsSync(f) ? readFileSync(f) : null]));
}

function restoreFlags(saved: ReadonlyMap<string, Buffer | null>): void {
  for (const [f, content] of saved) {
    if (content === null) rmSync(f, { force: true });
    else writeFileSync(f, content);
  }
}

/** On upgrade, waits (at most 2 min) until `release` exists, after saying so in `inside`. */
function waitsInPostinst(inside: string, release: string): string {
  return `#!/bin/sh\nset -e\nif [ "$1" = configure ] && [ -n "$2" ]; then\n  touch ${inside}\n  i=0\n  while [ ! -e ${release} ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done\nfi\nexit 0\n`;
}

function installed(pkg: string): string {
  return execFileSync('dpkg-query', ['-W', '-f=${Status} ${Version}', pkg], { encoding: 'utf8' }).trim();
}

interface ReportJson {
  packages: { count: number | null; source: string | null };
  timeline: Array<{ at: string; kind: string; subject: string | null; event: string }>;
  outages: Array<{ container: string; downAt: string; backAt: string | null; by: string | null }>;
  upkeepDid: string[];
  rootCause: string[];
  scope: { kind: string; window?: { id: number; endedAt: string | null } };
}

test(
  'upkeep upgrade with real apt, dpkg and a private engine: the gate, every step, the daemon restart, the report, a SIGKILL inside dpkg, a simulated reboot and --resume',
  { skip: !ROOT ? 'needs root' : !HAVE_TOOLS ? 'needs dpkg-deb, apt-get, deb-systemd-invoke' : false, timeout: 600_000 },
  async (t) => {
    const engine = await PrivateEngine.startOrSkip(t);
    if (engine === null) return;
    const tmp = mkdtempSync('/tmp/upkeep-upgrade-e2e-');
    const savedPolicy = existsSync(POLICY) ? readFileSync(POLICY) : null;
    const madeSystemdDir = !existsSync('/run/systemd/system');
    const madeDebCache = !existsSync(DEB_CACHE);
    const savedFlags = saveFlags();
    let watching = true;
    let watcher: Promise<void> = Promise.resolve();
    try {
      if (spawnSync('sh', ['-c', 'command -v dpkg-scanpackages']).status !== 0) {
        execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'dpkg-dev'], {
          stdio: 'pipe',
          env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        });
      }
      // The engine and its two containers, as in the incident.
      await engine.run('vpipe', { flags: ['--restart', 'no'] });
      await engine.run('silo', { flags: ['--restart', 'unless-stopped'] });

      // Packages: 1.0 installed, 2.0 in the local repository.
      const v1 = join(tmp, 'v1');
      const repo = join(tmp, 'repo');
      mkdirSync(v1);
      mkdirSync(repo);
      buildDeb(v1, FAKEDOCKER, '1.0', restartsDocker());
      buildDeb(repo, FAKEDOCKER, '2.0', restartsDocker());
      const inside = join(tmp, 'in-postinst');
      const release = join(tmp, 'release');
      buildDeb(v1, SLOWPKG, '1.0', waitsInPostinst(inside, release));
      execFileSync('dpkg', ['-i', join(v1, `${FAKEDOCKER}_1.0_all.deb`), join(v1, `${SLOWPKG}_1.0_all.deb`)], { stdio: 'pipe' });
      const scan = () =>
        writeFileSync(join(repo, 'Packages'), execFileSync('dpkg-scanpackages', ['.', '/dev/null'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] }));
      scan();

      // apt sees only this repository, through APT_CONFIG (every apt-get upkeep runs inherits it).
      writeFileSync(join(tmp, 'sources.list'), `deb [trusted=yes] file:${repo} ./\n`);
      for (const d of ['lists/partial', 'cache/archives/partial']) mkdirSync(join(tmp, d), { recursive: true });
      const aptConf = join(tmp, 'apt.conf');
      writeFileSync(
        aptConf,
        [
          `Dir::Etc::SourceList "${join(tmp, 'sources.list')}";`,
          'Dir::Etc::SourceParts "/dev/null";',
          `Dir::State::Lists "${join(tmp, 'lists')}";`,
          `Dir::Cache "${join(tmp, 'cache')}";`,
          'APT::Install-Recommends "false";',
          '',
        ].join('\n'),
      );
      const aptEnv = { ...process.env, APT_CONFIG: aptConf, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' };
      const update = () => execFileSync('apt-get', ['update', '-q'], { stdio: 'pipe', env: aptEnv });
      update();

      // The witness: logs, performs docker.service's restart on the private engine, denies systemctl.
      const log = join(tmp, 'policy.log');
      const request = join(tmp, 'restart-requested');
      const done = join(tmp, 'restart-done');
      writeFileSync(
        POLICY,
        `#!/bin/sh\necho "$*" >> ${log}\nif [ "$1" = docker.service ] && [ "$2" = restart ]; then\n  touch ${request}\n  i=0\n  while [ ! -e ${done} ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n  rm -f ${done}\nfi\nexit 101\n`,
      );
      chmodSync(POLICY, 0o755);
      // debhelper's block calls deb-systemd-invoke only when systemd looks like it runs.
      if (madeSystemdDir) mkdirSync('/run/systemd/system', { recursive: true });
      const restarts: Array<{ stopAt: number; upAt: number }> = [];
      watcher = (async () => {
        while (watching) {
          if (existsSync(request)) {
            rmSync(request);
            const stopAt = Date.now();
            await engine.restart();
            restarts.push({ stopAt, upAt: Date.now() });
            writeFileSync(done, '');
          }
          await sleep(100);
        }
      })();

      const state = join(tmp, 'state');
      const env = { DOCKER_HOST: engine.dockerHost, APT_CONFIG: aptConf };
      const cli = (...args: string[]) => upkeep(['upgrade', '--state-dir', state, ...args], env);

      // 1. The gate: vpipe would not come back. Nothing changes.
      const gated = await cli('--yes');
      assert.equal(gated.code, 1, `${gated.stdout}\n${gated.stderr}`);
      assert.match(gated.stdout, /Stopped before changing anything: these containers would not \(or might not\) come back by themselves:\n {4}vpipe: no: /);
      assert.match(gated.stdout, /Stopped at the preflight gate \(run 1\): nothing changed\./);
      assert.doesNotMatch(gated.stdout, /\] snapshot/);
      assert.equal(installed(FAKEDOCKER), 'install ok installed 1.0');
      assert.equal(restarts.length, 0);
      assert.equal((await upkeep(['maintenance', 'status', '--json', '--state-dir', state], env)).stdout.includes('"active": false'), true);

      // 2. Accepted: every step runs.
      const run = await cli('--yes', '--accept-risk', '--json');
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      const result = JSON.parse(run.stdout) as { run: number; outcome: string; maintenance: number; notRunning: string[]; reportFile: string; journal: string };
      assert.deepEqual([result.run, result.outcome, result.notRunning, result.journal], [2, 'done', [], 'fresh']);
      const blocks = run.stderr.split(/^(?=\[\d+\/10\] )/m).filter((b) => b.startsWith('['));
      assert.deepEqual(
        blocks.map((b) => b.split(' ')[1]),
        ['check', 'preflight', 'snapshot', 'window-open', 'apt', 'reboot', 'recovery', 'verification', 'window-close', 'report'],
        run.stderr,
      );
      for (const b of blocks) assert.match(b, /\n {2}ok: /, `every step printed and ok:\n${b}`);
      assert.match(run.stderr, /\[ *\d+%\] .*upkeep-fakedocker/, "apt's status-fd progress, plain lines off a terminal");
      assert.equal(installed(FAKEDOCKER), 'install ok installed 2.0');
      assert.equal(restarts.length, 1, 'the postinst restarted the daemon (through the witness)');
      assert.match(readFileSync(log, 'utf8'), /^docker\.service restart$/m);
      assert.equal(await engine.isRunning('silo'), true);
      assert.equal(await engine.isRunning('vpipe'), true, 'brought back by the recovery pass');
      assert.ok(existsSync(result.reportFile), 'the report was written');

      // The timeline has the steps, apt with its package list, the window.
      const tl = JSON.parse((await upkeep(['timeline', '--json', '--state-dir', state], env)).stdout) as {
        entries: Array<{ at: string; kind: string; subject: string | null; detail: Record<string, unknown> }>;
      };
      const kinds = tl.entries.map((e) => `${e.kind}${e.kind === 'upgrade-step' ? `:${e.subject}` : ''}`);
      const order = [
        'upgrade-step:check',
        'preflight',
        'snapshot',
        'maintenance-start',
        'apt-started',
        'apt-ended',
        'recover',
        'upgrade-step:verification',
        'maintenance-stop',
        'upgrade-step:report',
      ];
      // Run 1 ended at the gate; run 2 starts with its check.
      let pos = kinds.indexOf('upgrade-step:check', kinds.indexOf('upgrade-step:ended') + 1);
      assert.ok(pos > 0, kinds.join(', '));
      for (const k of order) {
        const found = kinds.indexOf(k, pos);
        assert.ok(found >= pos, `${k} after position ${pos} in ${kinds.join(', ')}`);
        pos = found;
      }
      const aptStarted = tl.entries.find((e) => e.kind === 'apt-started')!;
      assert.deepEqual(aptStarted.detail.packages, [{ name: FAKEDOCKER, from: '1.0', to: '2.0' }]);
      const aptEnded = tl.entries.find((e) => e.kind === 'apt-ended')!;
      assert.ok(restarts[0]!.stopAt >= Date.parse(aptStarted.at) && restarts[0]!.upAt <= Date.parse(aptEnded.at), 'the daemon restarted during apt');

      // The report of that maintenance: the apt run and each service's down and up, by whom.
      const rep = await upkeep(['report', String(result.maintenance), '--format', 'json', '--state-dir', state], env);
      assert.equal(rep.code, 0, rep.stderr);
      const report = JSON.parse(rep.stdout) as ReportJson;
      assert.equal(report.scope.window?.id, result.maintenance);
      assert.notEqual(report.scope.window?.endedAt, null, 'the window is closed');
      assert.equal(report.packages.count, 1);
      assert.ok(report.timeline.some((r) => r.kind === 'apt-started' && /apt started: 1 package\(s\)/.test(r.event)));
      const outage = (name: string) => report.outages.find((o) => o.container === name)!;
      assert.equal(outage('silo').by, 'docker');
      assert.equal(outage('vpipe').by, 'upkeep');
      // The engine's own times: down inside the daemon's restart, within 1 s of what the engine says.
      const finishedAt = (await engine.inspect('vpipe')) as unknown as { State: { FinishedAt: string } };
      assert.ok(Math.abs(Date.parse(outage('vpipe').downAt) - Date.parse(finishedAt.State.FinishedAt)) <= 1000, 'vpipe down at the time the engine says');
      for (const o of [outage('silo'), outage('vpipe')]) {
        const down = Date.parse(o.downAt);
        assert.ok(down >= restarts[0]!.stopAt - 1000 && down <= restarts[0]!.upAt + 1000, `${o.container} went down with the daemon restart`);
      }
      // The daemon's restart, seen by upkeep's pings during apt, is the root cause the report names.
      assert.ok(
        report.timeline.some((r) => r.kind === 'engine-down'),
        JSON.stringify(report.timeline),
      );
      assert.ok(report.timeline.some((r) => r.kind === 'engine-up'));
      const engineDown = Date.parse(report.timeline.find((r) => r.kind === 'engine-down')!.at);
      assert.ok(engineDown >= restarts[0]!.stopAt - 1000 && engineDown <= restarts[0]!.upAt, 'engine-down within the restart');
      assert.match(report.rootCause.join('\n'), /daemon/i);
      assert.doesNotMatch(report.rootCause.join('\n'), /stopped by itself/);
      const md = await upkeep(['report', String(result.maintenance), '--state-dir', state], env);
      assert.match(md.stdout, /apt started: 1 package\(s\)/);
      assert.match(md.stdout, /silo back: started by Docker/);
      assert.match(md.stdout, /vpipe/);
      assert.equal(readFileSync(result.reportFile, 'utf8').includes('apt started: 1 package(s)'), true);

      // 3. SIGKILL inside dpkg (the whole process group, as a power loss), then the rerun.
      buildDeb(repo, SLOWPKG, '2.0', waitsInPostinst(inside, release));
      scan();
      update();
      const killed = spawn(BIN, ['upgrade', '--yes', '--state-dir', state], {
        env: { ...process.env, ...env, NO_COLOR: '1' },
        detached: true,
        stdio: 'ignore',
      });
      const exited = new Promise<void>((resolve) => killed.once('exit', () => resolve()));
      const deadline = Date.now() + 120_000;
      while (!existsSync(inside) && Date.now() < deadline) await sleep(100);
      assert.ok(existsSync(inside), 'the postinst started');
      process.kill(-killed.pid!, 'SIGKILL');
      await exited;
      await sleep(300);
      assert.match(installed(SLOWPKG), /^install ok (unpacked|half-configured) 2\.0$/, 'dpkg was interrupted');
      writeFileSync(release, '');
      const again = await cli('--yes', '--json');
      assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
      const resumed = JSON.parse(again.stdout) as { run: number; outcome: string; journal: string; maintenance: number };
      assert.deepEqual([resumed.run, resumed.outcome, resumed.journal], [3, 'done', 'continue'], 'the same run continued');
      assert.match(again.stderr, /resuming: run 3 .* was interrupted during apt: continuing from apt, in maintenance window \d+/);
      assert.doesNotMatch(again.stderr, /\] check \.\.\./, 'the steps done before are not run again');
      assert.equal(installed(SLOWPKG), 'install ok installed 2.0');
      const db = openStore({ stateDir: state, create: false, readOnly: true });
      try {
        assert.equal(db.diagnostics().integrity, 'ok');
        const last = db.latestUpgradeRun()!;
        assert.equal(last.id, 3);
        assert.equal(last.outcome, 'done');
        assert.equal(db.getMaintenance(resumed.maintenance)!.endedAt !== null, true, 'its window is closed');
        assert.equal(db.activeMaintenance(new Date().toISOString()).length, 0);
        const apt = last.records.filter((r) => r.step === 'apt').map((r) => r.status);
        assert.deepEqual(apt, ['started', 'started', 'finished'], 'apt started, killed, started again, finished');
      } finally {
        db.close();
      }
      assert.equal(await engine.isRunning('silo'), true);
      assert.equal(await engine.isRunning('vpipe'), true);

      // 4. The reboot (simulated; see the file comment): --reboot, then --resume after the "boot".
      buildDeb(v1, REBOOTPKG, '1.0', requiresReboot());
      execFileSync('dpkg', ['-i', join(v1, `${REBOOTPKG}_1.0_all.deb`)], { stdio: 'pipe' });
      buildDeb(repo, REBOOTPKG, '2.0', requiresReboot());
      scan();
      update();
      restoreFlags(new Map(REBOOT_FLAGS.map((f) => [f, null]))); // only the package's postinst says a reboot is required
      const bootIdFile = join(tmp, 'boot_id');
      writeFileSync(bootIdFile, 'e2e-boot-1\n');
      const asked = join(tmp, 'reboot-asked');
      const fakeRebooter = join(tmp, 'fake-reboot');
      writeFileSync(fakeRebooter, `#!/bin/sh\necho "$(date +%s%N)" >> ${asked}\nexit 0\n`);
      chmodSync(fakeRebooter, 0o755);
      const rebootEnv = { ...env, UPKEEP_BOOT_ID_FILE: bootIdFile, UPKEEP_REBOOT_COMMAND: fakeRebooter };
      const rcli = (...args: string[]) => upkeep(['upgrade', '--state-dir', state, ...args], rebootEnv);

      const rebooting = await rcli('--yes', '--accept-risk', '--reboot', '--json');
      assert.equal(rebooting.code, 0, `${rebooting.stdout}\n${rebooting.stderr}`);
      const r4 = JSON.parse(rebooting.stdout) as { run: number; outcome: string; maintenance: number; rebootRequired: string[] };
      assert.deepEqual([r4.run, r4.outcome], [4, 'rebooting']);
      assert.match(r4.rebootRequired.join('\n'), new RegExp(`/var/run/reboot-required \\(${REBOOTPKG}\\)`));
      assert.equal(installed(REBOOTPKG), 'install ok installed 2.0');
      assert.equal(readFileSync(asked, 'utf8').trim().split('\n').length, 1, 'the (fake) rebooter was asked once');
      assert.match(
        rebooting.stderr,
        /\[6\/10\] reboot \.\.\.\n {2}note: the maintenance window \d+ stays open \(until .*\); after the boot the agent, or upkeep upgrade --resume, finishes run 4/,
      );
      assert.doesNotMatch(rebooting.stderr, /\] recovery \.\.\./, 'nothing after the reboot ran');
      let db4 = openStore({ stateDir: state, create: false, readOnly: true });
      try {
        const waiting = db4.latestUpgradeRun()!;
        assert.deepEqual([waiting.id, waiting.endedAt], [4, null], 'the run waits, not ended');
        assert.deepEqual(waiting.records.at(-1)!.detail?.bootId, 'e2e-boot-1');
        const w = db4.getMaintenance(r4.maintenance)!;
        assert.equal(w.endedAt, null, 'its window stays open');
        assert.ok(Date.parse(w.endsAt) > Date.now(), 'with its end time set');
      } finally {
        db4.close();
      }

      // Not rebooted yet: --resume says so (exit 1).
      const early = await rcli('--resume');
      assert.equal(early.code, 1, `${early.stdout}\n${early.stderr}`);
      assert.match(early.stdout, /run 4 waits for the reboot .* the host has not rebooted yet \(boot id e2e-boot-1\)/);

      // The simulated reboot: the engine stops (the containers with it), a new boot id, /run emptied, the engine starts.
      await engine.stop();
      writeFileSync(bootIdFile, 'e2e-boot-2\n');
      restoreFlags(new Map(REBOOT_FLAGS.map((f) => [f, null])));
      await engine.start();
      const booted = Date.now() + 60_000;
      while (!(await engine.isRunning('silo')) && Date.now() < booted) await sleep(100);
      assert.equal(await engine.isRunning('silo'), true, 'unless-stopped: Docker started it at the boot');
      assert.equal(await engine.isRunning('vpipe'), false, 'restart no: nobody started it yet');

      const resumedRun = await rcli('--resume', '--json');
      assert.equal(resumedRun.code, 0, `${resumedRun.stdout}\n${resumedRun.stderr}`);
      const r5 = JSON.parse(resumedRun.stdout) as { run: number; outcome: string; maintenance: number; journal: string; notRunning: string[] };
      assert.deepEqual([r5.run, r5.maintenance, r5.journal, r5.outcome, r5.notRunning], [4, r4.maintenance, 'waiting-reboot', 'done', []]);
      assert.match(resumedRun.stderr, /resuming: run 4 .* asked for a reboot at .*; the host has rebooted: finishing it in maintenance window \d+/);
      const resumedSteps = resumedRun.stderr.split(/^(?=\[\d+\/10\] )/m).filter((b) => b.startsWith('['));
      assert.deepEqual(
        resumedSteps.map((b) => b.split(' ')[1]),
        ['reboot', 'recovery', 'verification', 'window-close', 'report'],
        resumedRun.stderr,
      );
      assert.equal(await engine.isRunning('vpipe'), true, 'brought back by the recovery pass after the boot');
      db4 = openStore({ stateDir: state, create: false, readOnly: true });
      try {
        assert.equal(db4.diagnostics().integrity, 'ok');
        const last = db4.latestUpgradeRun()!;
        assert.deepEqual([last.id, last.outcome], [4, 'done']);
        assert.notEqual(db4.getMaintenance(r4.maintenance)!.endedAt, null, 'the same window, closed');
        assert.equal(db4.activeMaintenance(new Date().toISOString()).length, 0);
      } finally {
        db4.close();
      }
      const nothing = await rcli('--resume');
      assert.equal(nothing.code, 0, nothing.stderr);
      assert.match(nothing.stdout, /nothing to resume/);

      // The report of that one maintenance: the apt run, the reboot, the boot, vpipe brought back by upkeep.
      const rep4 = await upkeep(['report', String(r4.maintenance), '--format', 'json', '--state-dir', state], rebootEnv);
      assert.equal(rep4.code, 0, rep4.stderr);
      const report4 = JSON.parse(rep4.stdout) as ReportJson;
      const rows = report4.timeline.map((row) => row.kind);
      for (const k of ['apt-started', 'apt-ended', 'reboot', 'boot', 'recover'])
        assert.ok(rows.includes(k), `${k} in the report's timeline: ${rows.join(', ')}`);
      assert.ok(rows.indexOf('apt-ended') < rows.indexOf('reboot') && rows.indexOf('reboot') < rows.indexOf('boot'), rows.join(', '));
      assert.equal(report4.outages.find((o) => o.container === 'vpipe')?.by, 'upkeep');
      const md4 = await upkeep(['report', String(r4.maintenance), '--state-dir', state], rebootEnv);
      assert.match(md4.stdout, /reboot by `upkeep upgrade --reboot` \(\/var\/run\/reboot-required/);
      assert.match(md4.stdout, /host booted/);
    } finally {
      watching = false;
      await watcher.catch(() => undefined);
      if (savedPolicy !== null) {
        writeFileSync(POLICY, savedPolicy);
        chmodSync(POLICY, 0o755);
      } else rmSync(POLICY, { force: true });
      if (madeSystemdDir) rmSync('/run/systemd/system', { recursive: true, force: true });
      writeFileSync(join(tmp, 'release'), '');
      spawnSync('dpkg', ['--configure', '-a'], { stdio: 'pipe', timeout: 60_000 });
      spawnSync('dpkg', ['--purge', FAKEDOCKER, SLOWPKG, REBOOTPKG], { stdio: 'pipe' });
      restoreFlags(savedFlags);
      if (madeDebCache) rmSync(DEB_CACHE, { recursive: true, force: true });
      await engine.dispose();
      rmSync(tmp, { recursive: true, force: true });
    }
  },
);
