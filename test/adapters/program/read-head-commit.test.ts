/** readHeadCommit (src/adapters/program/build-info.ts) against git itself, on repositories made by git. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readHeadCommit } from '../../../src/adapters/program/build-info.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-head-'));
after(() => rmSync(root, { recursive: true, force: true }));
const repo = join(root, 'repo');
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', ...args], { cwd, encoding: 'utf8' }).trim();
const revParse = (cwd: string) => git(cwd, 'rev-parse', 'HEAD');

test('agrees with git rev-parse HEAD: loose ref, packed ref, detached HEAD, a worktree', () => {
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  for (const n of ['1', '2']) {
    writeFileSync(join(repo, 'f'), n);
    git(repo, 'add', 'f');
    git(repo, 'commit', '-qm', n);
  }
  assert.equal(readHeadCommit(repo), revParse(repo), 'loose ref');
  git(repo, 'pack-refs', '--all');
  assert.equal(readHeadCommit(repo), revParse(repo), 'packed ref');
  git(repo, 'checkout', '-q', 'HEAD~1');
  assert.equal(readHeadCommit(repo), revParse(repo), 'detached');
  git(repo, 'checkout', '-q', 'main');
  const wt = join(root, 'wt');
  git(repo, 'worktree', 'add', '-q', '-b', 'side', wt, 'HEAD~1');
  assert.equal(readHeadCommit(wt), revParse(wt), 'worktree (.git is a file, the ref in the common dir)');
  assert.notEqual(readHeadCommit(wt), readHeadCommit(repo));
});

test('null where it cannot tell (the caller asks git then): no repository, an unborn branch, a .git file it cannot read', () => {
  const none = join(root, 'none');
  mkdirSync(none);
  assert.equal(readHeadCommit(none), null);
  const unborn = join(root, 'unborn');
  execFileSync('git', ['init', '-q', unborn]);
  assert.equal(readHeadCommit(unborn), null);
  const odd = join(root, 'odd');
  mkdirSync(odd);
  writeFileSync(join(odd, '.git'), 'something else\n');
  assert.equal(readHeadCommit(odd), null);
});
