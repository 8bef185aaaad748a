/**
 * What every distributed form of upkeep must do, as node:test tests: the bundle run by Node 24
 * (test/scripts/bundle.test.ts) and the single executable (test/scripts/build-sea.test.ts) both
 * register them. Each test runs the built program in an empty working directory, away from the
 * checkout, so a file it still needed from there (node_modules, package.json) would show.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
export const ROOT = new URL('../..', import.meta.url).pathname;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command` (the program and any leading arguments) with `args`; never throws for an exit code. */
export async function runProgram(command: readonly string[], args: string[], cwd: string): Promise<Run> {
  const [file, ...lead] = command;
  try {
    const r = await execFileP(file!, [...lead, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 16 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The checkout's short HEAD: the commit a build made from it must name (with `-dirty` when it had changes). */
export function headCommit(): string {
  return execFileSync('git', ['rev-parse', '--short=7', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
}

export const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * Registers the tests every built form passes. `command()` is called after the caller's before()
 * hooks (the build) have run; `form` is what --version must name.
 */
export function builtProgramTests(command: () => readonly string[], form: 'bundle' | 'single executable'): void {
  let work = '';
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'upkeep-built-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));
  const run = (args: string[]) => runProgram(command(), args, work);

  it(`--version names the version, the commit it was built from, the runtime and "${form}"`, async () => {
    const r = await run(['--version']);
    assert.equal(r.code, 0, r.stderr);
    const m = /^upkeep (\S+) \(commit (\S+), Node (v\d+\.\d+\.\d+) (\w+)-(\w+), (.+)\)\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.deepEqual(m.slice(1), [VERSION, m[2], process.version, process.platform, process.arch, form]);
    assert.match(m[2]!, new RegExp(`^${headCommit()}(-dirty)?$`));
    const json = JSON.parse((await run(['--version', '--json'])).stdout);
    assert.deepEqual(json, {
      name: 'upkeep',
      version: VERSION,
      commit: m[2],
      form: form === 'bundle' ? 'bundle' : 'single-executable',
      runtime: { name: 'node', version: process.version, platform: process.platform, arch: process.arch },
    });
  });

  it('--help lists the commands; no command at all is exit 2', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const c of ['check', 'status', 'audit', 'agent', 'timeline', 'maintenance', 'install', 'config']) assert.match(r.stdout, new RegExp(`\\n  ${c}\\b`));
    assert.equal((await run([])).code, 2);
  });

  it('a store round trip through node:sqlite: a maintenance window opened, then seen by status and the timeline', async () => {
    const state = join(work, 'state');
    const start = await run(['maintenance', 'start', '--for', '10m', '--state-dir', state]);
    assert.equal(start.code, 0, start.stderr);
    assert.doesNotMatch(start.stderr, /Warning/);
    const status = await run(['maintenance', 'status', '--json', '--state-dir', state]);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout);
    assert.equal(s.active, true);
    assert.equal(s.windows.length, 1);
    assert.equal(s.windows[0].source, 'manual');
    // One reading of the clock for both ends: exactly what was asked.
    assert.equal(Date.parse(s.windows[0].endsAt) - Date.parse(s.windows[0].startedAt), 10 * 60_000);
    const timeline = await run(['timeline', '--json', '--state-dir', state]);
    assert.equal(timeline.code, 0, timeline.stderr);
    assert.deepEqual(
      JSON.parse(timeline.stdout).entries.map((e: { kind: string; subject: string }) => [e.kind, e.subject]),
      [['maintenance-start', 'manual']],
    );
  });

  it('config show-default --json: the same defaults as the checkout', async () => {
    const r = await run(['config', 'show-default', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const fromCheckout = execFileSync(join(ROOT, 'bin', 'upkeep'), ['config', 'show-default', '--json'], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(r.stdout), JSON.parse(fromCheckout));
  });

  it('an unknown command: exit 2 and a message', async () => {
    const r = await run(['nonsense']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'nonsense'/);
  });
}
