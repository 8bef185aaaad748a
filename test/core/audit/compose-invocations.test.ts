import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jobRunsByFile, parseComposeInvocations, scriptKindOf, type ComposeInvocation, type ScriptKind } from '../../../src/core/audit/compose-invocations.js';

type Expected = Partial<ComposeInvocation> | null;

/** Each script (shell unless said) and the one invocation expected from it (null: none). */
const CASES: Array<{ name: string; text: string; kind?: ScriptKind; want: Expected }> = [
  {
    name: 'docker compose run --rm',
    text: 'docker compose run --rm worker',
    want: { line: 1, text: 'docker compose run --rm worker', subcommand: 'run', services: ['worker'], files: [], cwd: null, cwdKnown: true },
  },
  {
    name: 'docker-compose run without --rm',
    text: 'docker-compose run worker ./task.sh --all',
    want: { text: 'docker-compose run worker', services: ['worker'] },
  },
  {
    name: 'options with values before run',
    text: 'docker compose -f ../compose.yml --project-name nightly --env-file .env run --rm -e A=1 --name x -T worker',
    want: {
      files: ['../compose.yml'],
      services: ['worker'],
      text: 'docker compose -f ../compose.yml --project-name nightly --env-file .env run --rm -e A=1 --name x -T worker',
    },
  },
  { name: '--file=, -fFILE and several files', text: 'docker compose --file=a.yml -fb.yml run w', want: { files: ['a.yml', 'b.yml'], services: ['w'] } },
  { name: 'docker global options before compose', text: 'docker --context prod -H ssh://x compose run --rm w', want: { services: ['w'] } },
  { name: 'an absolute path to the binary', text: '/usr/local/bin/docker-compose run w', want: { services: ['w'] } },
  {
    name: 'line continuations',
    text: '# nightly\ndocker compose \\\n  -f ../compose.yml \\\n  run --rm \\\n  worker\n',
    want: { line: 2, files: ['../compose.yml'], services: ['worker'] },
  },
  { name: 'sudo with options', text: 'sudo -u deploy -E docker compose run --rm w', want: { services: ['w'] } },
  { name: 'env assignments before the command', text: 'COMPOSE_PROJECT_NAME=x TAG="1.2" docker compose run w', want: { services: ['w'] } },
  { name: 'env and exec wrappers', text: 'exec env -i A=1 docker-compose run w', want: { services: ['w'] } },
  { name: 'after cd &&', text: 'cd /srv/app && docker compose run --rm w', want: { cwd: '/srv/app', cwdKnown: true, services: ['w'] } },
  { name: 'after a cd to a variable', text: 'cd "$APP" && docker compose run --rm w', want: { cwd: null, cwdKnown: false } },
  { name: 'cd to the script directory', text: 'cd "$(dirname "$0")/.."\ndocker compose run w', want: { line: 2, cwd: './..', cwdKnown: true } },
  { name: 'cd to the script directory (BASH_SOURCE)', text: 'cd "$(dirname "${BASH_SOURCE[0]}")" && docker compose run w', want: { cwd: '.', cwdKnown: true } },
  { name: 'a file from a variable is not known', text: 'docker compose -f "$FILE" run w', want: { files: null, services: ['w'] } },
  { name: 'a quoted service', text: "docker compose run --rm 'worker'", want: { services: ['worker'] } },
  { name: 'up --abort-on-container-exit: all services', text: 'docker compose up --abort-on-container-exit', want: { subcommand: 'up', services: 'all' } },
  {
    name: 'up --abort-on-container-exit with services',
    text: 'docker compose up --build --abort-on-container-exit test db',
    want: { services: ['test', 'db'] },
  },
  {
    name: 'up --exit-code-from',
    text: 'docker-compose -f ci.yml up --exit-code-from tests',
    want: { subcommand: 'up', services: ['tests'], files: ['ci.yml'] },
  },
  { name: 'up --exit-code-from=', text: 'docker compose up --exit-code-from=tests', want: { services: ['tests'] } },
  { name: 'up -d is not a job', text: 'docker compose up -d', want: null },
  { name: 'other subcommands', text: 'docker compose exec web ls\ndocker compose pull\ndocker run --rm alpine', want: null },
  { name: 'a comment', text: '# docker compose run --rm w', want: null },
  { name: 'in a string, not a command', text: 'echo "docker compose run --rm w"', want: null },
  { name: 'after a pipe and ||', text: 'true || docker compose run w | tee log', want: { services: ['w'] } },
  { name: 'a Makefile recipe', kind: 'makefile', text: 'nightly:\n\t@docker compose run --rm w\n', want: { line: 2, services: ['w'] } },
  { name: 'not a Makefile recipe line', kind: 'makefile', text: 'X = docker compose run --rm w\n', want: null },
  {
    name: 'a systemd unit',
    kind: 'systemd',
    text: '[Service]\nType=oneshot\nWorkingDirectory=/srv/app\nExecStart=/usr/bin/docker compose \\\n  run --rm backup\n',
    want: { line: 4, services: ['backup'] },
  },
  {
    name: 'an Ansible shell: string',
    kind: 'ansible',
    text: '- name: nightly\n  ansible.builtin.shell: "cd /srv/app && docker compose run --rm w"\n',
    want: { line: 2, cwd: '/srv/app', services: ['w'] },
  },
  {
    name: 'an Ansible command: block scalar',
    kind: 'ansible',
    text: '- name: nightly\n  command: |\n    docker compose -f /srv/app/compose.yml\n    run --rm w\n  become: true\n',
    want: null, // a literal block is one command per line: the second line is not compose
  },
  {
    name: 'an Ansible cmd: folded block',
    kind: 'ansible',
    text: '- ansible.builtin.command:\n    cmd: >\n      docker compose -f /srv/app/compose.yml\n      run --rm w\n',
    want: { line: 3, files: ['/srv/app/compose.yml'], services: ['w'] },
  },
  { name: 'Ansible YAML that is not a command', kind: 'ansible', text: 'vars:\n  run: docker compose run --rm w\n', want: null },
];

describe('parseComposeInvocations', () => {
  for (const c of CASES) {
    test(c.name, () => {
      const got = parseComposeInvocations(c.text, c.kind ?? 'shell');
      if (c.want === null) return assert.deepEqual(got, []);
      assert.equal(got.length, 1, JSON.stringify(got));
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual(got[0]![k as keyof ComposeInvocation], v, k);
    });
  }

  test('a cd on its own line holds for the rest of a shell script, not of a Makefile', () => {
    assert.equal(parseComposeInvocations('cd deploy\n\ndocker compose run w\n', 'shell')[0]!.cwd, 'deploy');
    assert.equal(parseComposeInvocations('a:\n\tcd deploy\n\tdocker compose run w\n', 'makefile')[0]!.cwd, null);
  });
});

describe('scriptKindOf', () => {
  test('by name, and by #! line for a name without a dot', () => {
    assert.equal(scriptKindOf('nightly.sh', null), 'shell');
    assert.equal(scriptKindOf('Makefile', null), 'makefile');
    assert.equal(scriptKindOf('backup.service', null), 'systemd');
    assert.equal(scriptKindOf('site.yml', null), 'ansible');
    assert.equal(scriptKindOf('nightly', '#!/usr/bin/env bash'), 'shell');
    assert.equal(scriptKindOf('nightly', '#!/bin/sh -e'), 'shell');
    assert.equal(scriptKindOf('tool', '#!/usr/bin/env python3'), null);
    assert.equal(scriptKindOf('LICENSE', 'MIT License'), null);
    assert.equal(scriptKindOf('backup.timer', null), null);
  });
});

describe('jobRunsByFile', () => {
  const compose = [
    { path: '/r/compose.yml', services: ['web', 'worker'] },
    { path: '/r/ci/docker-compose.yml', services: ['tests', 'db'] },
    { path: '/r/other/compose.yaml', services: ['web'] },
  ];
  const script = (display: string, dir: string, text: string) => ({ display, dir, invocations: parseComposeInvocations(text, 'shell') });

  test('-f relative to the script directory', () => {
    const runs = jobRunsByFile([script('scripts/run.sh', '/r/scripts', 'docker compose -f ../compose.yml run --rm worker')], compose);
    assert.deepEqual([...runs.keys()], ['/r/compose.yml']);
    assert.equal(runs.get('/r/compose.yml')!.get('worker'), '`scripts/run.sh:1` runs it with `docker compose -f ../compose.yml run --rm worker`');
  });

  test('-f relative to cd DIR', () => {
    const runs = jobRunsByFile([script('x.sh', '/r/scripts', 'cd .. && docker compose -f compose.yml run web')], compose);
    assert.ok(runs.get('/r/compose.yml')?.has('web'));
    assert.equal(runs.has('/r/other/compose.yaml'), false);
  });

  test('without -f: the default file of the directory; up --abort-on-container-exit marks all its services', () => {
    const runs = jobRunsByFile([script('ci/test.sh', '/r/ci', 'docker-compose up --abort-on-container-exit')], compose);
    assert.deepEqual([...runs.get('/r/ci/docker-compose.yml')!.keys()], ['tests', 'db']);
  });

  test('a service that the named file does not have is not marked', () => {
    const runs = jobRunsByFile([script('ci/test.sh', '/r/ci', 'docker compose run nope')], compose);
    assert.equal(runs.size, 0);
  });

  test('cd "$(dirname "$0")/..": the default file of the parent of the script directory', () => {
    const runs = jobRunsByFile([script('scripts/x.sh', '/r/scripts', 'cd "$(dirname "$0")/.." && docker compose run --rm web')], compose);
    assert.deepEqual([...runs.keys()], ['/r/compose.yml']); // web is in two files: not by name
  });

  test('after a cd to an unknown directory, a relative -f names nothing; the service name decides', () => {
    const runs = jobRunsByFile([script('a.sh', '/r', 'cd "$X" && docker compose run --rm web')], compose);
    assert.equal(runs.size, 0); // web is in two files
  });

  test('unknown file: the service name if exactly one scanned file has it', () => {
    const runs = jobRunsByFile([script('a.sh', '/elsewhere', 'docker compose -f "$F" run --rm worker\ndocker compose -f "$F" run --rm web')], compose);
    assert.deepEqual([...runs.keys()], ['/r/compose.yml']);
    assert.deepEqual([...runs.get('/r/compose.yml')!.keys()], ['worker']); // web is in two files
  });
});
