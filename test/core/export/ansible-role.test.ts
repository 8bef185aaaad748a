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
