/** Quoting for sh: every word read back exactly by `sh -c`, and the runbook's commands run as written. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { shQuote } from '../../../src/core/runbook/shell-quote.js';
import { buildRunbook } from '../../../src/core/runbook/runbook.js';
import { desiredStateOf } from '../../../src/core/recovery/desired-state.js';
import { desiredOf } from '../recovery/fixtures.js';

const WORDS = [
  'plain',
  '',
  'two words',
  "it's",
  '"dq"',
  '$HOME',
  '`id`',
  '$(id)',
  'a\\b',
  '*',
  '?',
  '[x]',
  '~',
  '-n',
  '#c',
  'a;b&c|d',
  '!',
  '{a,b}',
  'ü ñ',
  '%',
  "''",
  'x=y z',
];

/** What `sh -c` gives a program for `line`: its arguments, NUL-separated. */
function argsThroughSh(line: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const out = execFileSync('sh', ['-c', line], { env, encoding: 'buffer' });
  return out.toString('utf8').split('\0').slice(0, -1);
}

const root = mkdtempSync(join(tmpdir(), 'upkeep-quote-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('shQuote', () => {
  it('round-trips every word through sh -c', () => {
    const line = `printf '%s\\0' ${WORDS.map(shQuote).join(' ')}`;
    assert.deepEqual(argsThroughSh(line), WORDS);
  });
  it('leaves plain paths readable', () => assert.equal(shQuote('/opt/srsilo/docker-compose.yml'), '/opt/srsilo/docker-compose.yml'));
});

describe("the runbook's compose command", () => {
  it('runs in the working directory with every -f file, whatever the names', () => {
    const wd = join(root, "odd dir's $HOME `x`");
    mkdirSync(wd);
    const bin = join(root, 'bin');
    mkdirSync(bin);
    // A stand-in for docker: prints the directory it runs in, then its arguments.
    writeFileSync(join(bin, 'docker'), `#!/bin/sh\nprintf '%s\\0' "$PWD" "$@"\n`);
    chmodSync(join(bin, 'docker'), 0o755);
    const files = [join(wd, 'docker-compose.yml'), join(wd, 'over ride;.yml'), '/elsewhere/-base.yml', '-rel.yml'];
    const d = desiredOf({ name: 'p-web-1', compose: { project: 'p', service: 'web', workingDir: wd, files } });
    const rb = buildRunbook({
      generatedAt: '2026-01-01T00:00:00.000Z',
      stateDir: '/s',
      desired: desiredStateOf({ host: { id: 'E', name: 'h' }, takenAt: '2026-01-01T00:00:00.000Z', note: null, containers: [d], id: 1, forgotten: [] }, []),
      live: null,
      engineProblem: 'none here',
      files: new Map(),
    });
    const cmd = rb.projects[0]!.command!;
    assert.ok(cmd.startsWith('cd '), cmd);
    const got = argsThroughSh(cmd, { ...process.env, PATH: `${bin}:${process.env.PATH}` });
    assert.deepEqual(got, [
      wd,
      'compose',
      '-p',
      'p',
      '-f',
      'docker-compose.yml',
      '-f',
      'over ride;.yml',
      '-f',
      '/elsewhere/-base.yml',
      '-f',
      './-rel.yml',
      'up',
      '-d',
    ]);
  });
});
