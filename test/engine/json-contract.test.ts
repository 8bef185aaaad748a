/**
 * The `--json` contract of every command, recorded on the incident host (test/engine/incident-host.ts)
 * built on a private engine: each step runs one command and compares its normalised JSON output
 * and exit code with test/fixtures/json-contract/<step>.json. The steps run in a fixed order and
 * change the host between them (the scratch container stopped on purpose and forgotten, a service
 * killed and recovered), so the fixtures tell a story: what each command said at that moment.
 *
 * UPKEEP_UPDATE_FIXTURES=1 rewrites the fixtures instead of comparing (review the git diff!).
 * Volatile values (times, ids, temp paths, random ports, the engine's identity, measured seconds)
 * are normalised by test/helpers/normalise-json.ts.
 *
 * Not covered: `agent` (a daemon, no --json), `config show-default` (prints YAML), `check` with its
 * preflight part (it runs `apt-get -s dist-upgrade` on this machine: changes with the mirror).
 * Host-dependent parts that stay in the fixtures: `preflight` reads this machine's
 * /var/lib/dpkg/info and systemd unit files (openssh-server's installed scripts: .ci/run installs it
 * for the Ansible tests' sshd, so preflight reads them instead of its knowledge base), and the
 * audit's daemon-settings finding says whether systemd could be asked; a machine of another kind
 * (other packages installed, systemd as PID 1) changes those fixtures.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { upkeep } from '../helpers/cli.js';
import { normaliseJson, type NormaliseContext } from '../helpers/normalise-json.js';
import { buildIncidentHost, type IncidentHost } from './incident-host.js';
import { PrivateEngine, sleep } from './private-engine.js';

const REPO = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const FIXTURES = join(REPO, 'test', 'fixtures', 'json-contract');
const UPDATE = process.env.UPKEEP_UPDATE_FIXTURES === '1';
const APT_PLAN = join(REPO, 'test', 'fixtures', 'apt', 'incident-plan.txt');
const CONFIG = join(REPO, 'test', 'fixtures', 'config', 'json-contract.yml');

/** The container killed (docker kill) so that `recover` has something to do. */
const KILLED = 'k3d-loculus-server-0';

let engine: PrivateEngine | null = null;
let root = '';
let host: IncidentHost;
let env: Record<string, string> = {};
let stateArgs: string[] = [];
let ctx: NormaliseContext = {};

/** Polls `check` every 100 ms until it holds; fails with `what` after `timeoutMs`. */
async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(100);
  }
}

async function containerState(name: string): Promise<{ Status: string; Health?: { Status: string } }> {
  return JSON.parse(await engine!.docker('inspect', '--format', '{{json .State}}', name));
}

/**
 * Runs one command and compares (or, with UPKEEP_UPDATE_FIXTURES=1, writes) its fixture:
 * `{ command, exitCode, json }` with the command's arguments and output normalised.
 */
async function step(name: string, args: string[]): Promise<unknown> {
  const r = await upkeep(args, env);
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    assert.fail(`${name}: upkeep ${args.join(' ')} printed no JSON (exit ${r.code})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
  const actual = withoutWaits(normaliseJson({ command: ['upkeep', ...args], exitCode: r.code, json }, ctx));
  const file = join(FIXTURES, `${name}.json`);
  const rel = relative(REPO, file);
  if (UPDATE) {
    writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
    return json;
  }
  let expected: unknown;
  try {
    expected = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    assert.fail(`${rel}: ${(err as Error).message}; generate it with UPKEEP_UPDATE_FIXTURES=1 node --import tsx --test test/engine/json-contract.test.ts`);
  }
  assert.deepStrictEqual(
    actual,
    expected,
    `the output of "upkeep ${args.join(' ')}" differs from ${rel} (stderr: ${r.stderr.trim() || '(empty)'}). ` +
      'If the change is intended (a bug fix), regenerate with UPKEEP_UPDATE_FIXTURES=1 node --import tsx --test test/engine/json-contract.test.ts and review the git diff.',
  );
  return json;
}

describe('the --json output of every command on the incident host', { timeout: 300_000 }, () => {
  before(async (t) => {
    engine = await PrivateEngine.startOrSkip(t as never);
    if (!engine) return;
    root = mkdtempSync(join(tmpdir(), 'upk-json-'));
    host = await buildIncidentHost(engine, root);
    // Healthchecks settled and the job exited: status must not catch a container "starting".
    await waitFor('silo and redis healthy, the job exited', async () => {
      const [silo, redis, job] = await Promise.all(['srsilo_silo_1', 'v-pipe-scout_redis_1', host.job].map(containerState));
      return silo!.Health?.Status === 'healthy' && redis!.Health?.Status === 'healthy' && job!.Status === 'exited';
    });
    await engine.settle(500);
    const stateDir = join(root, 'state');
    env = { DOCKER_HOST: engine.dockerHost, UPKEEP_STATE_DIR: stateDir };
    stateArgs = ['--state-dir', stateDir];
    const info = JSON.parse(await engine.docker('info', '--format', '{{json .}}')) as {
      ID: string;
      Name: string;
      ServerVersion: string;
      KernelVersion: string;
    };
    const version = JSON.parse(await engine.docker('version', '--format', '{{json .Server}}')) as { ApiVersion: string; MinAPIVersion: string };
    ctx = {
      literals: [
        [root, '<root>'],
        [engine.dir, '<engine>'],
        [REPO, '<repo>'],
        [info.ID, '<engine-id>'],
        [info.ServerVersion, '<docker-version>'],
        [info.KernelVersion, '<kernel>'],
        // The rollback check asks this machine's apt about the incident's (Ubuntu) packages: whether
        // apt knows a name at all depends on the package lists apt update last fetched here.
        ['apt-cache policy said nothing about it', '<not in any repository here>'],
        ['in no configured repository', '<not in any repository here>'],
      ],
      exact: [
        [info.Name, '<hostname>'],
        [version.ApiVersion, '<api-version>'],
        [version.MinAPIVersion, '<min-api-version>'],
      ],
      // preflight's disk-space check: this machine's filesystems (free space changes as others write).
      keys: {
        seconds: '<seconds>',
        readyAfterSeconds: '<seconds>',
        engineWaitSeconds: '<seconds>',
        graceSeconds: '<seconds>',
        freeBytes: '<bytes>',
        totalBytes: '<bytes>',
        device: '<device>',
      },
      ports: Object.fromEntries(Object.entries(host.desired).filter((e): e is [string, number] => e[1] !== null)),
    };
    mkdirSync(FIXTURES, { recursive: true });
  });
  after(async () => {
    await engine?.dispose();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** One test per step; a step's `before` changes the host first. Steps run in this order. */
  const steps: Array<{ name: string; title: string; args: () => string[]; before?: () => Promise<void>; after?: (json: unknown) => void }> = [
    { name: '01-status', title: 'status', args: () => ['status', '--json'] },
    { name: '02-check', title: 'check --no-preflight', args: () => ['check', '--json', '--no-preflight', ...stateArgs] },
    { name: '03-audit-live', title: 'audit (live containers and the compose files they name)', args: () => ['audit', '--json', ...stateArgs] },
    {
      name: '04-audit-scan',
      title: 'audit --scan of the compose project dirs',
      args: () => ['audit', '--json', '--scan', host.projects.srsilo.dir, host.projects.vpipe.dir, ...stateArgs],
    },
    {
      name: '05-audit-scan-no-live',
      title: 'audit --scan --no-live (files only)',
      args: () => ['audit', '--json', '--no-live', '--scan', host.projects.srsilo.dir, host.projects.vpipe.dir, ...stateArgs],
    },
    { name: '06-snapshot', title: 'snapshot', args: () => ['snapshot', '--json', '--note', 'json contract', ...stateArgs] },
    { name: '07-snapshot-list', title: 'snapshot --list', args: () => ['snapshot', '--list', '--json', ...stateArgs] },
    { name: '08-diff', title: 'diff: everything runs', args: () => ['diff', '--json', ...stateArgs] },
    { name: '09-recover-dry-run', title: 'recover --dry-run: nothing to do', args: () => ['recover', '--dry-run', '--json', ...stateArgs] },
    {
      name: '10-status-after-stop',
      title: 'status after the operator stopped the scratch container (docker stop)',
      before: async () => {
        await engine!.docker('stop', host.stoppedOnPurpose);
      },
      args: () => ['status', '--json'],
    },
    { name: '11-diff-after-stop', title: 'diff after the docker stop, before forget', args: () => ['diff', '--json', ...stateArgs] },
    {
      name: '12-recover-dry-run-after-stop',
      title: 'recover --dry-run after the docker stop, before forget',
      args: () => ['recover', '--dry-run', '--json', ...stateArgs],
    },
    {
      name: '13-preflight-after-stop',
      title: 'preflight of the incident apt plan (upgrades docker-ce) after the docker stop, before forget',
      args: () => ['preflight', '--json', '--no-download', '--plan', APT_PLAN, ...stateArgs],
    },
    { name: '14-forget', title: 'forget the scratch container', args: () => ['forget', host.stoppedOnPurpose, '--json', ...stateArgs] },
    { name: '15-diff-after-forget', title: 'diff after forget', args: () => ['diff', '--json', ...stateArgs] },
    {
      name: '16-diff-after-kill',
      title: `diff after docker kill of ${KILLED}`,
      before: async () => {
        await engine!.docker('kill', KILLED);
        await waitFor(`${KILLED} exited`, async () => (await containerState(KILLED)).Status === 'exited');
      },
      args: () => ['diff', '--json', ...stateArgs],
    },
    { name: '17-status-after-kill', title: 'status after the kill', args: () => ['status', '--json'] },
    {
      name: '18-preflight-after-kill',
      title: 'preflight of the incident apt plan after the kill',
      args: () => ['preflight', '--json', '--no-download', '--plan', APT_PLAN, ...stateArgs],
    },
    { name: '19-recover-dry-run-after-kill', title: 'recover --dry-run after the kill', args: () => ['recover', '--dry-run', '--json', ...stateArgs] },
    { name: '20-recover', title: 'recover', args: () => ['recover', '--yes', '--json', '--running-for', '1s', ...stateArgs] },
    { name: '21-diff-after-recover', title: 'diff after the recovery', args: () => ['diff', '--json', ...stateArgs] },
    { name: '22-status-after-recover', title: 'status after the recovery', args: () => ['status', '--json'] },
    {
      name: '23-maintenance-start',
      title: 'maintenance start --for 10m',
      args: () => ['maintenance', 'start', '--for', '10m', '--reason', 'json contract', '--json', ...stateArgs],
      after: (json) => {
        // Both times are normalised away in the fixture; what --for means is checked here. At
        // 103d28f endsAt (now + 10m) and startedAt (the store's own now) come from two clock reads,
        // so the window can be a millisecond or so shorter than 10 min.
        const w = (json as { window: { startedAt: string; endsAt: string } }).window;
        const ms = Date.parse(w.endsAt) - Date.parse(w.startedAt);
        assert.ok(ms > 599_000 && ms <= 600_000, `endsAt is about 10 min after startedAt (${ms} ms): ${JSON.stringify(w)}`);
      },
    },
    { name: '24-maintenance-status', title: 'maintenance status', args: () => ['maintenance', 'status', '--json', ...stateArgs] },
    { name: '25-maintenance-stop', title: 'maintenance stop', args: () => ['maintenance', 'stop', '--json', ...stateArgs] },
    {
      name: '26-config-check',
      title: 'config check of a small valid config',
      // A copy with a known mode: the warning about a group-readable file with secrets is part of the output.
      before: async () => {
        copyFileSync(CONFIG, join(root, 'upkeep.yml'));
        chmodSync(join(root, 'upkeep.yml'), 0o644);
      },
      args: () => ['config', 'check', '--json', '--config', join(root, 'upkeep.yml')],
    },
    {
      name: '27-install-dry-run',
      title: 'install --root DIR --dry-run',
      before: async () => {
        mkdirSync(join(root, 'install-root'));
      },
      args: () => ['install', '--root', join(root, 'install-root'), '--dry-run', '--json'],
    },
    { name: '28-install', title: 'install --root DIR', args: () => ['install', '--root', join(root, 'install-root'), '--yes', '--json'] },
    {
      name: '29-uninstall-dry-run',
      title: 'uninstall --root DIR --dry-run',
      args: () => ['uninstall', '--root', join(root, 'install-root'), '--dry-run', '--json'],
    },
    { name: '30-uninstall', title: 'uninstall --root DIR', args: () => ['uninstall', '--root', join(root, 'install-root'), '--yes', '--json'] },
  ];

  for (const s of steps) {
    test(`${s.name.slice(0, 2)} ${s.title}`, async (t) => {
      if (!engine) return t.skip('no engine');
      await s.before?.();
      const json = await step(s.name, s.args());
      s.after?.(json);
    });
  }
});

/**
 * `waitedSeconds` (time an action waited for its dependencies or a start slot) is there only when
 * it was at least 0.1 s: on a loaded machine it comes and goes, so the contract leaves it out.
 */
function withoutWaits(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutWaits);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== 'waitedSeconds')
      .map(([k, v]) => [k, withoutWaits(v)]),
  );
}
