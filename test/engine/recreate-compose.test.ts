/**
 * Issue "Trust", C4 and C9, on a private engine with docker-compose 1.29 (Debian bookworm):
 *
 *  - C9: the incident's own quick reference, `LAPIS_PORT=8083 docker compose up -d`. A compose
 *    service whose command and environment use `${LAPIS_PORT}` (no default; no `ports:`, which
 *    docker-compose 1.29 refuses with network_mode host, and the engine has no bridge), and one whose
 *    variable has a default that differs from the value it was brought up with, are snapshotted,
 *    removed, and recovered by `upkeep recover` WITHOUT those variables in its environment: they
 *    must come back on the same ports with the same command and environment (re-created from the
 *    saved configuration, because compose would create something else). A project whose compose
 *    result is the same (variable in its .env) is still re-created by compose.
 *  - C4: a container whose compose service label is `--remove-orphans`: no label value reaches
 *    compose as an option (the orphan of its project survives, no other service is created), and
 *    the argv upkeep builds, run by the real docker-compose, reads it as a service name.
 *
 * A wrapper named docker-compose, first on upkeep's PATH, logs every argv it gets (argv carries no
 * environment values) and runs the real one. Every container runs with `network_mode: host` and
 * serves on 127.0.0.1 only; the engine has no bridge.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { upArgs } from '../../src/core/recovery/compose-command.js';
import { upkeep } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { answersHttp } from './incident-host.js';
import { PrivateEngine, TEST_IMAGE } from './private-engine.js';

const execFileP = promisify(execFile);

let engine: PrivateEngine | null = null;
let root = '';
let binDir = '';
let argvLog = '';

/** The environment upkeep runs with: no LAPIS_PORT / SILO_PORT, the logging docker-compose first on PATH. */
function upkeepEnv(): Record<string, string> {
  const env: Record<string, string> = { DOCKER_HOST: engine!.dockerHost, PATH: `${binDir}:${process.env.PATH ?? '/usr/bin:/bin'}` };
  return env;
}

/** docker-compose as the operator ran it: in `dir`, with `vars` in its environment. */
async function operatorCompose(dir: string, project: string, vars: Record<string, string>, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileP('/usr/bin/docker-compose', ['-p', project, ...args], {
    cwd: dir,
    env: { ...withoutVars(process.env), DOCKER_HOST: engine!.dockerHost, COMPOSE_INTERACTIVE_NO_CLI: '1', ...vars },
    maxBuffer: 16 << 20,
  });
}

function withoutVars(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && k !== 'LAPIS_PORT' && k !== 'SILO_PORT' && k !== 'PLAIN_PORT') out[k] = v;
  return out;
}

interface Inspected {
  Id: string;
  Config: { Cmd: string[]; Env: string[]; Labels: Record<string, string> };
  HostConfig: { PortBindings: Record<string, unknown> | null; NetworkMode: string };
  State: { Running: boolean };
}

async function inspect(name: string): Promise<Inspected> {
  return JSON.parse(await engine!.docker('inspect', '--type', 'container', name))[0] as Inspected;
}

function loggedArgv(): string[] {
  try {
    // Without the probe for a working compose (`version`).
    return readFileSync(argvLog, 'utf8')
      .split('\n')
      .filter((l) => l !== '' && l !== '[version]');
  } catch {
    return [];
  }
}

describe('re-creating removed compose containers', { timeout: 300_000 }, () => {
  before(async (t) => {
    engine = await PrivateEngine.startOrSkip(t as never);
    root = mkdtempSync(join(tmpdir(), 'upk-recreate-compose-'));
    binDir = join(root, 'bin');
    mkdirSync(binDir);
    argvLog = join(root, 'compose-argv.log');
    // One line per call: the arguments, each in [brackets], so that an empty or spaced one shows.
    writeFileSync(
      join(binDir, 'docker-compose'),
      `#!/bin/sh\nfor a in "$@"; do printf '[%s]' "$a"; done >> '${argvLog}'\necho >> '${argvLog}'\nexec /usr/bin/docker-compose "$@"\n`,
    );
    chmodSync(join(binDir, 'docker-compose'), 0o755);
  });
  after(async () => {
    await engine?.dispose();
    if (root !== '') rmSync(root, { recursive: true, force: true });
  });

  test('C9: variables set when compose ran and not now: the containers come back with the saved values', async (t) => {
    if (!engine) return t.skip('no engine');
    await engine.removeAllContainers();
    const [lapisPort, siloPort, siloDefault, plainPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    assert.equal(new Set([lapisPort, siloPort, siloDefault, plainPort]).size, 4);

    // The incident's pattern: ${LAPIS_PORT} without a default in the command and environment;
    // ${SILO_PORT:-DEFAULT} brought up with another value than its default.
    const dir = join(root, 'lapis');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'docker-compose.yml'),
      `services:
  lapis:
    image: ${TEST_IMAGE}
    command: ["httpd", "-f", "-p", "127.0.0.1:\${LAPIS_PORT}", "-h", "/www"]
    network_mode: host
    environment:
      LAPIS_PORT: "\${LAPIS_PORT}"
    stop_grace_period: 1s
  silo:
    image: ${TEST_IMAGE}
    command: ["httpd", "-f", "-p", "127.0.0.1:\${SILO_PORT:-${siloDefault}}", "-h", "/www"]
    network_mode: host
    stop_grace_period: 1s
`,
    );
    // A project whose variable is in its .env: compose creates the same container, so compose does it.
    const plainDir = join(root, 'plain');
    mkdirSync(plainDir);
    writeFileSync(join(plainDir, '.env'), `PLAIN_PORT=${plainPort}\n`);
    writeFileSync(
      join(plainDir, 'docker-compose.yml'),
      `services:
  web:
    image: ${TEST_IMAGE}
    command: ["httpd", "-f", "-p", "127.0.0.1:\${PLAIN_PORT}", "-h", "/www"]
    network_mode: host
    stop_grace_period: 1s
`,
    );
    await operatorCompose(dir, 'lapis', { LAPIS_PORT: String(lapisPort), SILO_PORT: String(siloPort) }, 'up', '-d');
    await operatorCompose(plainDir, 'plain', {}, 'up', '-d');
    for (const p of [lapisPort, siloPort, plainPort]) assert.equal(await answersHttp(p), true, `serves on ${p} before`);

    const stateArgs = ['--state-dir', join(root, 'state-c9')];
    const snap = await upkeep(['snapshot', '--json', ...stateArgs], upkeepEnv());
    assert.equal(snap.code, 0, snap.stderr);
    const names = ['lapis_lapis_1', 'lapis_silo_1', 'plain_web_1'];
    const old = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await inspect(n)] as const)));
    await engine.docker('rm', '-f', ...names);
    rmSync(argvLog, { force: true });

    const env = upkeepEnv();
    assert.equal(env.LAPIS_PORT, undefined);
    const r = await upkeep(['recover', '--yes', '--json', '--running-for', '1s', ...stateArgs], env);
    assert.equal(r.code, 0, `recover exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    const result = JSON.parse(r.stdout) as { outcomes: Array<{ container: string; action: string; outcome: string; error?: string }>; remaining: unknown[] };
    assert.deepEqual(
      result.outcomes.map((o) => [o.container, o.action, o.outcome]).sort(),
      names.map((n) => [n, 'recreate-compose', 'recreated']),
    );
    assert.deepEqual(result.remaining, []);

    // Same ports, same command, same environment and port bindings as the containers that were there.
    for (const [name, port] of [
      ['lapis_lapis_1', lapisPort],
      ['lapis_silo_1', siloPort],
      ['plain_web_1', plainPort],
    ] as const) {
      const now = await inspect(name);
      assert.notEqual(now.Id, old[name]!.Id, `${name} was re-created`);
      assert.equal(now.State.Running, true);
      assert.equal(await answersHttp(port), true, `${name} answers HTTP on 127.0.0.1:${port} again`);
      assert.deepEqual(now.Config.Cmd, old[name]!.Config.Cmd, `${name}: command`);
      assert.deepEqual(now.Config.Env, old[name]!.Config.Env, `${name}: environment`);
      const ports = (i: Inspected) =>
        i.HostConfig.PortBindings !== null && Object.keys(i.HostConfig.PortBindings).length > 0 ? i.HostConfig.PortBindings : null;
      assert.deepEqual(ports(now), ports(old[name]!), `${name}: port bindings`);
      assert.equal(now.HostConfig.NetworkMode, old[name]!.HostConfig.NetworkMode, `${name}: network mode`);
      assert.equal(
        now.Config.Labels['com.docker.compose.config-hash'],
        old[name]!.Config.Labels['com.docker.compose.config-hash'],
        `${name}: compose's config hash`,
      );
    }
    assert.equal(await answersHttp(siloDefault, 500), false, 'silo is not on its compose default port');
    assert.doesNotMatch(r.stdout + r.stderr, /LAPIS_PORT=|SILO_PORT=/, 'no environment value printed');

    // Compose was asked what it would create (option values as --opt=value, the service after --
    // or in --hash=); it ran `up` only for the project whose result is the same.
    const argv = loggedArgv();
    assert.ok(argv.includes(`[--project-name=lapis][--file=./docker-compose.yml][config][--hash=lapis]`), argv.join('\n'));
    assert.ok(argv.includes(`[--project-name=lapis][--file=./docker-compose.yml][config][--hash=silo]`), argv.join('\n'));
    assert.deepEqual(
      argv.filter((l) => l.includes('[up]')),
      ['[--project-name=plain][--file=./docker-compose.yml][up][-d][--no-deps][--no-recreate][--][web]'],
    );

    // Compose itself sees the re-created containers as its own and up to date (when the operator
    // runs it again with the variables it was brought up with): nothing is re-created.
    const idBefore = (await inspect('lapis_lapis_1')).Id;
    const again = await operatorCompose(dir, 'lapis', { LAPIS_PORT: String(lapisPort), SILO_PORT: String(siloPort) }, 'up', '-d');
    assert.match(again.stderr, /lapis_lapis_1 is up-to-date/);
    assert.equal((await inspect('lapis_lapis_1')).Id, idBefore);
  });

  test('C4: a service label "--remove-orphans" never becomes a compose option', async (t) => {
    if (!engine) return t.skip('no engine');
    await engine.removeAllContainers();
    const dir = join(root, 'evil');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'docker-compose.yml'),
      `services:\n  web:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "1000000"]\n    network_mode: none\n    stop_grace_period: 1s\n`,
    );
    const composeLabels = (service: string) => [
      '--label',
      'com.docker.compose.project=evil',
      '--label',
      `com.docker.compose.service=${service}`,
      '--label',
      'com.docker.compose.container-number=1',
      '--label',
      'com.docker.compose.oneoff=False',
      '--label',
      `com.docker.compose.project.working_dir=${dir}`,
      '--label',
      'com.docker.compose.project.config_files=docker-compose.yml',
    ];
    // An orphan of project evil (a service no longer in its file): `up --remove-orphans` would remove it.
    await engine.run('evil_old_1', { flags: composeLabels('old') });
    await engine.run('evil-hostile', { flags: composeLabels('--remove-orphans') });

    const stateArgs = ['--state-dir', join(root, 'state-c4')];
    const snap = await upkeep(['snapshot', '--json', ...stateArgs], upkeepEnv());
    assert.equal(snap.code, 0, snap.stderr);
    await engine.docker('rm', '-f', 'evil-hostile');
    rmSync(argvLog, { force: true });

    const r = await upkeep(['recover', '--yes', '--json', '--running-for', '1s', ...stateArgs], upkeepEnv());
    assert.equal(r.code, 0, `recover exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    const result = JSON.parse(r.stdout) as {
      plan: { actions: Array<{ container: string; compose?: { args: string[] } }> };
      outcomes: Array<{ container: string; outcome: string }>;
    };
    assert.deepEqual(result.plan.actions[0]?.compose?.args, [
      '--project-name=evil',
      '--file=./docker-compose.yml',
      'up',
      '-d',
      '--no-deps',
      '--no-recreate',
      '--',
      '--remove-orphans',
    ]);
    assert.deepEqual(
      result.outcomes.map((o) => [o.container, o.outcome]),
      [['evil-hostile', 'recreated']],
    );

    // Compose got the label only as an option's value; the orphan survives; no service was created.
    assert.deepEqual(loggedArgv(), ['[--project-name=evil][--file=./docker-compose.yml][config][--hash=--remove-orphans]']);
    assert.equal((await inspect('evil_old_1')).State.Running, true, 'the orphan is still there');
    assert.equal((await engine.docker('ps', '-aq', '--filter', 'name=evil_web')).trim(), '', 'no other service was created');
    const back = await inspect('evil-hostile');
    assert.equal(back.State.Running, true);
    assert.equal(back.Config.Labels['com.docker.compose.service'], '--remove-orphans', 'it came back as it was, from its saved configuration');

    // The `up` argv upkeep builds, run by the real docker-compose: `--remove-orphans` after `--` is a service name.
    const up = await execFileP('/usr/bin/docker-compose', upArgs('evil', ['docker-compose.yml'], '--remove-orphans'), {
      cwd: dir,
      env: { ...process.env, DOCKER_HOST: engine.dockerHost },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    assert.notEqual(up.code, 0);
    assert.match(up.stderr, /No such service: --remove-orphans/);
    assert.equal((await inspect('evil_old_1')).State.Running, true, 'the orphan is still there');
    assert.equal((await engine.docker('ps', '-aq', '--filter', 'name=evil_web')).trim(), '', 'no other service was created');
  });
});
