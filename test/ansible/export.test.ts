/**
 * `upkeep export ansible` on a private engine: a compose project brought up by docker-compose (1.29,
 * Debian's) with a .env holding a plain variable, a secret by its name and one by its value (a URL
 * with a password), and Jinja in values (`{{.Time}}`, a `lookup('pipe', ...)`), and Jinja-like text
 * in the file; the exported role holds no secret value (defaults/main.yml 0600), passes
 * ansible-lint's production profile, renders the compose file byte for byte, and applied by
 * ansible-playbook (local connection, DOCKER_HOST the private engine, the secrets given as the vault
 * variables) writes the Jinja values literally, runs no lookup, and brings the project up with the
 * role's default compose command, `docker compose` (v2: sid's docker-compose 2.40 as the CLI plugin,
 * test/engine/private-engine.ts composeV2Env), with changed=0 on its second run. Skipped (with the
 * reason) without an engine, ansible or Compose v2.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { upkeep } from '../helpers/cli.js';
import { composeV2Env, PrivateEngine, TEST_IMAGE } from '../engine/private-engine.js';
import { AnsibleHome, missingTool, recap, run } from './ansible-run.js';

const execFileP = promisify(execFile);
const SECRET_VALUE = 's3cret-never-exported';

let engine: PrivateEngine | null = null;
let home: AnsibleHome;
before(() => {
  home = new AnsibleHome();
});
after(async () => {
  await engine?.dispose();
  home.dispose();
});

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

test('a running compose project exported as a role: no secret value, lint-clean, applied twice: changed=0', { timeout: 180_000 }, async (t) => {
  const missing = await missingTool(['ansible-playbook', 'ansible-lint', 'docker-compose']);
  if (missing !== null) {
    if (process.env.UPKEEP_REQUIRE_ENGINE === '1') throw new Error(`${missing} is not installed`);
    return t.skip(`${missing} is not installed (apt-get install ansible-core ansible-lint docker-compose)`);
  }
  engine = await PrivateEngine.startOrSkip(t);
  if (!engine) return;
  const v2 = composeV2Env(home.dir);
  if (!v2.ok) {
    if (process.env.UPKEEP_REQUIRE_ENGINE === '1') throw new Error(`${v2.reason} (UPKEEP_REQUIRE_ENGINE=1)`);
    return t.skip(v2.reason);
  }
  const project = join(home.dir, 'scout');
  mkdirSync(project);
  const compose = `services:
  worker:
    image: ${TEST_IMAGE}
    command: ["sleep", "3600"]
    network_mode: none
    restart: always
    environment:
      GREETING: "\${GREETING}"
      REDIS_PASSWORD: "\${REDIS_PASSWORD}"
      LEVEL: "\${LEVEL:-info}"
      LOG_FORMAT: "\${LOG_FORMAT}"
      INJECTED: "\${INJECTED}"
      DATABASE_URL: "\${DATABASE_URL}"
    labels:
      note: "{{ not jinja }} {% raw %} {# nor this #}"
    stop_grace_period: 1s
`;
  writeFileSync(join(project, 'docker-compose.yml'), compose);
  // Jinja in values (Ansible must not template them: the lookup would run on the controller), and a
  // secret that only its value gives away (a URL with a password).
  // (The command runs in ansible-playbook's directory, home.dir: a relative path.)
  const pwned = join(home.dir, 'PWNED');
  const injected = "{{ lookup('pipe','touch PWNED') }}";
  writeFileSync(
    join(project, '.env'),
    `GREETING='hello world'\nREDIS_PASSWORD=${SECRET_VALUE}\nLOG_FORMAT={{.Time}}\nINJECTED=${injected}\nDATABASE_URL=postgres://app:${SECRET_VALUE}@db/app\n`,
  );
  await execFileP('/usr/bin/docker-compose', ['-p', 'v-pipe-scout', 'up', '-d'], {
    cwd: project,
    env: { ...process.env, DOCKER_HOST: engine.dockerHost, COMPOSE_INTERACTIVE_NO_CLI: '1' },
  });

  // A second project, started by hand, that no role will deploy.
  const scratch = join(home.dir, 'scratch');
  mkdirSync(scratch);
  writeFileSync(
    join(scratch, 'docker-compose.yml'),
    `services:\n  debug:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "3600"]\n    network_mode: none\n    restart: always\n`,
  );
  await execFileP('/usr/bin/docker-compose', ['-p', 'scratch', 'up', '-d'], {
    cwd: scratch,
    env: { ...process.env, DOCKER_HOST: engine.dockerHost, COMPOSE_INTERACTIVE_NO_CLI: '1' },
  });

  const roles = join(home.dir, 'roles');
  const exported = await upkeep(['export', 'ansible', 'v-pipe-scout', '--output', roles, '--json'], { DOCKER_HOST: engine.dockerHost });
  assert.equal(exported.code, 0, exported.stderr);
  const result = JSON.parse(exported.stdout) as { role: string; variables: { name: string; roleVar: string; secret: boolean; source: string }[] };
  assert.equal(result.role, 'v_pipe_scout');
  assert.deepEqual(
    result.variables.map((v) => [v.name, v.roleVar, v.secret, v.source]),
    [
      ['DATABASE_URL', 'v_pipe_scout_database_url', true, 'vault'],
      ['GREETING', 'v_pipe_scout_greeting', false, 'env-file'],
      ['INJECTED', 'v_pipe_scout_injected', false, 'env-file'],
      ['LEVEL', 'v_pipe_scout_level', false, 'unset'],
      ['LOG_FORMAT', 'v_pipe_scout_log_format', false, 'env-file'],
      ['REDIS_PASSWORD', 'v_pipe_scout_redis_password', true, 'vault'],
    ],
  );
  for (const f of allFiles(join(roles, 'v_pipe_scout'))) assert.ok(!readFileSync(f, 'utf8').includes(SECRET_VALUE), `${f} holds the secret's value`);
  const defaults = readFileSync(join(roles, 'v_pipe_scout/defaults/main.yml'), 'utf8');
  assert.match(defaults, /^v_pipe_scout_redis_password: "\{\{ vault_v_pipe_scout_redis_password \}\}"$/m);
  assert.match(defaults, /^v_pipe_scout_greeting: !unsafe "hello world"$/m);
  assert.match(defaults, /^v_pipe_scout_log_format: !unsafe "\{\{\.Time\}\}"$/m);
  assert.equal(statSync(join(roles, 'v_pipe_scout/defaults/main.yml')).mode & 0o777, 0o600);
  assert.match(defaults, /^v_pipe_scout_level: null$/m);
  // upkeep audit --managed-by: the exported project is produced by the role's template, scratch by none.
  const audit = await upkeep(['audit', '--managed-by', roles, '--format', 'json'], { DOCKER_HOST: engine.dockerHost });
  assert.ok(audit.code === 0 || audit.code === 1, audit.stderr);
  const unmanaged = (JSON.parse(audit.stdout) as { live: { findings: { ruleId: string; subject: string; message: string }[] } }).live.findings.filter(
    (f) => f.ruleId === 'unmanaged-project',
  );
  assert.deepEqual(
    unmanaged.map((f) => f.subject),
    ['scratch'],
  );
  assert.match(unmanaged[0]!.message, /scratch\/docker-compose\.yml, which no template under .*roles produces/);
  // A second export into the same place is refused without --force.
  const again = await upkeep(['export', 'ansible', 'v-pipe-scout', '--output', roles], { DOCKER_HOST: engine.dockerHost });
  assert.equal(again.code, 2);
  assert.match(again.stderr, /refusing to write into .*v_pipe_scout: it exists and is not empty/);

  // ansible-lint, production profile, on a playbook that uses the role.
  const deployed = join(home.dir, 'deployed/scout');
  writeFileSync(
    join(home.dir, 'deploy.yml'),
    `---
- name: Deploy v-pipe-scout
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: v_pipe_scout
      vars:
        v_pipe_scout_dir: ${deployed}
        v_pipe_scout_environment: { DOCKER_HOST: "${engine.dockerHost}", DOCKER_CONFIG: "${v2.env.DOCKER_CONFIG}" }
        vault_v_pipe_scout_redis_password: ${SECRET_VALUE}
        vault_v_pipe_scout_database_url: postgres://app:${SECRET_VALUE}@db/app
`,
  );
  const env = { ANSIBLE_ROLES_PATH: roles };
  const lint = await run('ansible-lint', ['--profile', 'production', '--offline', '--nocolor', '-p', 'deploy.yml', join(roles, 'v_pipe_scout')], {
    cwd: home.dir,
    env: { ...home.env, ...env },
  });
  assert.equal(lint.code, 0, lint.stdout + lint.stderr);

  // The project taken down (it was brought up by compose 1.29): the role brings it up from its own
  // copy with the default command, Compose v2.
  await execFileP('/usr/bin/docker-compose', ['-p', 'v-pipe-scout', 'down', '-t', '1'], {
    cwd: project,
    env: { ...process.env, DOCKER_HOST: engine.dockerHost, COMPOSE_INTERACTIVE_NO_CLI: '1' },
  });
  const first = await home.playbook(['-i', 'localhost,', 'deploy.yml'], env);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.ok(recap(first.stdout).localhost!.changed! >= 3, first.stdout);
  assert.equal(readFileSync(join(deployed, 'docker-compose.yml'), 'utf8'), compose, 'the template renders the original bytes');
  assert.equal(statSync(join(deployed, '.env')).mode & 0o777, 0o600);
  assert.equal(
    readFileSync(join(deployed, '.env'), 'utf8'),
    `DATABASE_URL='postgres://app:${SECRET_VALUE}@db/app'\nGREETING='hello world'\nINJECTED=${JSON.stringify(injected)}\nLOG_FORMAT='{{.Time}}'\nREDIS_PASSWORD='${SECRET_VALUE}'\n`,
  );
  assert.ok(!existsSync(pwned), 'the lookup in a .env value ran on the controller');
  const running = JSON.parse(await engine.docker('inspect', '--type', 'container', 'v-pipe-scout-worker-1')) as {
    State: { Running: boolean };
    Config: { Env: string[]; Labels: Record<string, string> };
  }[];
  assert.equal(running[0]!.State.Running, true);
  assert.ok(running[0]!.Config.Env.includes('GREETING=hello world'), running[0]!.Config.Env.join(' '));
  assert.ok(running[0]!.Config.Env.includes('LEVEL=info'));
  assert.ok(running[0]!.Config.Env.includes('LOG_FORMAT={{.Time}}'), running[0]!.Config.Env.join(' '));
  assert.equal(running[0]!.Config.Labels['com.docker.compose.project.working_dir'], deployed);

  const second = await home.playbook(['-i', 'localhost,', 'deploy.yml'], env);
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.equal(recap(second.stdout).localhost?.changed, 0, second.stdout);
  assert.ok(!existsSync(pwned), 'the lookup in a .env value ran on the controller');
});
