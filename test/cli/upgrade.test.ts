/**
 * `upkeep upgrade` as a user types it: usage errors, root only (run as `nobody` through runuser),
 * and no terminal without --yes: a dry run that changes nothing (a stub engine, apt shown an empty
 * private repository through APT_CONFIG, so the machine's own pending upgrades stay out of it).
 * Holds the host lock: the verdict reads this machine's installed kernels and dpkg database, which
 * the files that install fixture packages (a fake linux-image among them) change while they run.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import { BIN, upkeep } from '../helpers/cli.js';
import { hostLock } from '../helpers/host-lock.js';
import { stubEngine } from '../helpers/stub-engine.js';

const tmp = mkdtempSync(join(tmpdir(), 'upkeep-upgrade-cli-'));
let server: Server;
const socket = join(tmp, 'docker.sock');
const env = { DOCKER_HOST: `unix://${socket}`, APT_CONFIG: join(tmp, 'apt.conf') };

// Host-wide state (dpkg, installed kernels): never alongside another such file (test/helpers/host-lock.ts).
before(() => hostLock.acquire());
after(() => hostLock.release());

before(async () => {
  server = await stubEngine(socket, join(tmp, 'docker-root'));
  writeFileSync(join(tmp, 'sources.list'), '');
  for (const d of ['lists/partial', 'cache/archives/partial']) mkdirSync(join(tmp, d), { recursive: true });
  writeFileSync(
    env.APT_CONFIG,
    `Dir::Etc::SourceList "${join(tmp, 'sources.list')}";\nDir::Etc::SourceParts "/dev/null";\nDir::State::Lists "${join(tmp, 'lists')}";\nDir::Cache "${join(tmp, 'cache')}";\n`,
  );
});
after(() => {
  server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('upkeep upgrade (CLI)', () => {
  it('refuses a bad --mode, --apt-option or --window with exit 2 and says what is allowed', async () => {
    const mode = await upkeep(['upgrade', '--mode', 'dist-upgrade', '--yes'], env);
    assert.equal(mode.code, 2);
    assert.match(mode.stderr, /--mode "dist-upgrade": use upgrade or full-upgrade/);
    const opt = await upkeep(['upgrade', '--apt-option', '--force-yes', '--yes'], env);
    assert.equal(opt.code, 2);
    assert.match(opt.stderr, /--apt-option "--force-yes" must look like Name::Of::Option=value/);
    const w = await upkeep(['upgrade', '--window', '10s', '--yes'], env);
    assert.equal(w.code, 2);
    assert.match(w.stderr, /--window must be at least 1m/);
  });

  it('as another user than root: exit 2, a clear error and what to do', { skip: process.getuid?.() !== 0 ? 'needs root to become nobody' : false }, () => {
    const r = spawnSync('runuser', ['-u', 'nobody', '--', BIN, 'upgrade', '--yes', '--state-dir', join(tmp, 'nobody-state')], {
      encoding: 'utf8',
      env: { ...process.env, ...env, NO_COLOR: '1' },
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /upkeep: error: upkeep upgrade runs apt-get and dpkg .*: it must run as root\nhint: sudo upkeep upgrade/);
    assert.ok(!existsSync(join(tmp, 'nobody-state')), 'nothing written');
  });

  it('not on a terminal and without --yes: a dry run, said so; no state database is created', async () => {
    const state = join(tmp, 'state');
    const r = await upkeep(['upgrade', '--state-dir', state], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /not on a terminal and no --yes: a dry run only, nothing is changed/);
    assert.match(r.stdout, /upkeep upgrade --mode upgrade: the steps\n {2}1\. check/);
    assert.match(r.stdout, /Dry run: nothing changed\. Run `upkeep upgrade --yes` to do it\./);
    assert.ok(!existsSync(join(state, 'upkeep.db')), 'a dry run does not even create the state database');
  });

  it(
    'on a terminal without --yes: shows the steps after the gate and asks; "n" changes nothing',
    { skip: process.getuid?.() !== 0 ? 'needs root' : spawnSync('sh', ['-c', 'command -v script']).status !== 0 ? 'needs script(1) for a terminal' : false },
    async () => {
      const state = join(tmp, 'state-tty');
      // script(1) gives upkeep a terminal; the answer is typed ahead into it. Not spawnSync: the
      // stub engine answers from this process.
      const r = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
        const child = spawn('script', ['-qec', `${BIN} upgrade --state-dir ${state}`, '/dev/null'], { env: { ...process.env, ...env, NO_COLOR: '1' } });
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
        child.once('close', (status) => resolve({ status, stdout }));
        child.stdin.end('n\n');
      });
      assert.equal(r.status, 0, r.stdout);
      assert.match(r.stdout, /Steps:\r?\n {2}1\. check/);
      assert.match(r.stdout, /Run the upgrade now\? \[y\/N\]/);
      assert.match(r.stdout, /Not run \(declined; run 1\): nothing changed\./);
      const db = openStore({ stateDir: state, create: false, readOnly: true });
      try {
        assert.equal(db.latestUpgradeRun()?.outcome, 'declined');
        assert.deepEqual(db.recentMaintenance(), [], 'no window was opened');
      } finally {
        db.close();
      }
    },
  );

  it(
    '--resume with nothing waiting for a reboot: says so, exit 0; --resume with --dry-run or --reboot: exit 2',
    { skip: process.getuid?.() !== 0 ? 'needs root' : false },
    async () => {
      const r = await upkeep(['upgrade', '--resume', '--state-dir', join(tmp, 'state-resume')], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^nothing to resume: no upkeep upgrade run waits for a reboot$/m);
      for (const extra of ['--dry-run', '--reboot']) {
        const bad = await upkeep(['upgrade', '--resume', extra, '--state-dir', join(tmp, 'state-resume')], env);
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /--resume finishes a run after its reboot: it takes neither --dry-run nor --reboot/);
      }
    },
  );

  it('--help names --reboot and --resume, the reboot path and its exit codes', async () => {
    const r = await upkeep(['upgrade', '--help'], env);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--reboot +when apt leaves a reboot required/);
    assert.match(r.stdout, /--resume +after the boot: finish the run that rebooted the\s+host/);
    assert.match(r.stdout, /with --reboot the run\nrecords that it waits for the reboot/);
    assert.match(r.stdout, /--resume before the host rebooted/);
  });

  it('--dry-run --json: the result as JSON, the gate and the preflight verdict', async () => {
    const r = await upkeep(['upgrade', '--dry-run', '--json', '--mode', 'full-upgrade', '--state-dir', join(tmp, 'state2')], env);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as {
      outcome: string;
      run: null;
      gate: { go: boolean; atRisk: unknown[] };
      preflight: { verdict: string; packages: unknown[] };
    };
    assert.deepEqual([j.outcome, j.run, j.gate.go, j.gate.atRisk, j.preflight.verdict, j.preflight.packages], ['dry-run', null, true, [], 'nothing-stops', []]);
  });
});
