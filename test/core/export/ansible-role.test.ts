import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildAnsibleRole, escapeJinja, isSecretName, parseEnvFile, roleNameFor } from '../../../src/core/export/ansible-role.js';

test('escapeJinja writes every Jinja opener as an expression that prints it', () => {
  assert.equal(escapeJinja('a {{ b }} {% raw %} {# c #} ${D} {x}'), "a {{ '{{' }} b }} {{ '{%' }} raw %} {{ '{#' }} c #} ${D} {x}");
  assert.equal(escapeJinja('{{{'), "{{ '{{' }}{");
});

test('role names, secret names and .env values', () => {
  assert.equal(roleNameFor('V-Pipe Scout'), 'v_pipe_scout');
  assert.equal(roleNameFor('2024-stack'), 'project_2024_stack');
  for (const n of ['DB_PASSWORD', 'API_TOKEN', 'SECRET', 'SSH_KEY', 'PGPASS']) assert.ok(isSecretName(n), n);
  for (const n of ['PORT', 'GREETING', 'LAPIS_HOST']) assert.ok(!isSecretName(n), n);
  const env = parseEnvFile('# c\nA=1\nexport B=\'two words\'\nC="x y"\nD=v # note\n\nE=\n');
  assert.deepEqual(
    [...env],
    [
      ['A', '1'],
      ['B', 'two words'],
      ['C', 'x y'],
      ['D', 'v'],
      ['E', ''],
    ],
  );
});

test('buildAnsibleRole: secrets as vault variables, never their values; a file that is not compose is noted', () => {
  const role = buildAnsibleRole({
    project: 'scout',
    role: 'scout',
    workingDir: '/srv/scout',
    files: [
      { name: 'compose.yml', text: 'services:\n  a:\n    image: x\n    environment: { P: "${DB_PASSWORD}", H: "${HOST:-h}" }\n' },
      { name: 'other.yml', text: 'not: compose\n' },
    ],
    env: new Map([
      ['DB_PASSWORD', 'hunter2'],
      ['HOST', 'db'],
    ]),
    generatedAt: '2026-01-01T00:00:00.000Z',
  });
  assert.deepEqual(
    role.variables.map((v) => [v.name, v.source]),
    [
      ['DB_PASSWORD', 'vault'],
      ['HOST', 'env-file'],
    ],
  );
  for (const f of role.files) assert.ok(!f.content.includes('hunter2'), f.path);
  assert.deepEqual(role.problems, ['other.yml: not a compose file (no top-level "services:" mapping): no variables taken from it']);
  assert.deepEqual(
    role.files.map((f) => f.path),
    ['templates/compose.yml.j2', 'templates/other.yml.j2', 'templates/env.j2', 'defaults/main.yml', 'tasks/main.yml', 'meta/main.yml', 'README.md'],
  );
});

test('secrets by name and by value: URL passwords, tokens; the rest of the .env as !unsafe strings, defaults 0600', () => {
  const values: Array<[string, string, boolean]> = [
    ['DATABASE_URL', 'postgres://app:hunter2@db/app', true],
    ['REDIS_URL', 'redis://:hunter2@cache:6379/0', true],
    ['SENTRY_DSN', 'https://abc@o1.ingest.example/1', true],
    ['SLACK_WEBHOOK_URL', 'https://hooks.example/services/T0/B0/x', true],
    ['DB_PW', 'x', true],
    ['SSH_PRIVATE', 'x', true],
    ['GITHUB', 'ghp_16C7e42F292c6912E7710c838347Ae178B4a', true],
    ['B64', 'dGhpcyBpcyBhIHNlY3JldA9vYWxsb3dlZA==', true],
    ['PUBLIC_URL', 'https://user@example.org/app', false],
    ['TZ', 'Europe/Berlin', false],
    ['DATA_DIR', '/srv/volumes/application-data', false],
    ['IMAGE', 'registry.example/team/app:1.2.3', false],
    ['LOG_FORMAT', '{{.Time}}', false],
    ['X', "{{ lookup('pipe','touch /tmp/PWNED') }}", false],
  ];
  const role = buildAnsibleRole({
    project: 'p{{ 7*7 }}',
    role: 'p',
    workingDir: '/srv/{{ x }}',
    files: [{ name: 'compose.yml', text: `services:\n  a:\n    image: x\n    environment:\n${values.map(([n]) => `      ${n}: "\${${n}}"\n`).join('')}` }],
    env: new Map(values.map(([n, v]) => [n, v])),
    generatedAt: '2026-01-01T00:00:00.000Z',
  });
  for (const [name, value, secret] of values) {
    const v = role.variables.find((x) => x.name === name)!;
    assert.equal(v.secret, secret, name);
    assert.equal(v.source, secret ? 'vault' : 'env-file', name);
    for (const f of role.files) if (secret && value.length > 1) assert.ok(!f.content.includes(value), `${f.path} holds ${name}`);
  }
  const defaults = role.files.find((f) => f.path === 'defaults/main.yml')!;
  assert.equal(defaults.mode, 0o600);
  // Every value from the host tagged !unsafe: Ansible does not template it.
  assert.match(defaults.content, /^p_project: !unsafe "p\{\{ 7\*7 \}\}"$/m);
  assert.match(defaults.content, /^p_dir: !unsafe "\/srv\/\{\{ x \}\}"$/m);
  assert.match(defaults.content, /^p_log_format: !unsafe "\{\{\.Time\}\}"$/m);
  assert.ok(defaults.content.includes(`p_x: !unsafe "{{ lookup('pipe','touch /tmp/PWNED') }}"`), defaults.content);
  assert.match(defaults.content, /^p_database_url: "\{\{ vault_p_database_url \}\}"$/m);
});

test('buildAnsibleRole refuses a compose file name that would be Jinja in the tasks', () => {
  const input = { project: 'p', role: 'p', workingDir: '/srv/p', env: null, generatedAt: '2026-01-01T00:00:00.000Z' };
  const text = 'services:\n  a:\n    image: x\n';
  assert.throws(
    () => buildAnsibleRole({ ...input, files: [{ name: "a'~lookup('pipe','id')~'.yml", text }] }),
    /compose file name "a'~lookup.*has characters other than/,
  );
  assert.throws(() => buildAnsibleRole({ ...input, files: [{ name: '{{ x }}.yml', text }] }), /has characters other than/);
  assert.equal(buildAnsibleRole({ ...input, files: [{ name: 'docker-compose.prod_1.yml', text }] }).files[0]!.path, 'templates/docker-compose.prod_1.yml.j2');
});
