/**
 * `upkeep --help` without loading the commands (src/cli/program-root.ts LISTING, loaded by src/cli/listing.ts): the same text as the
 * program with every command registered, at the widths terminals have; and `upkeep` alone still
 * shows it and fails.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { upkeep } from '../helpers/cli.js';

async function helpAt(program: Command, width: number): Promise<string> {
  program.configureHelp({ ...program.configureHelp(), helpWidth: width });
  return program.helpInformation();
}

describe('the top-level help from the listing', () => {
  for (const width of [40, 80, 120, 200]) {
    it(`is the help of the whole program at ${width} columns`, async () => {
      const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: process.env };
      const listed = await buildProgram(io, () => undefined, ['--help']);
      const full = await buildProgram(io, () => undefined, ['--help'], { full: true });
      assert.ok(full.commands.length > 10);
      assert.equal(await helpAt(listed, width), await helpAt(full, width), 'LISTING in src/cli/program-root.ts differs from the commands: update it');
    });
  }

  it('`upkeep --help` and `upkeep` alone through the program: the list, exit 0 and 2', async () => {
    const help = await upkeep(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: upkeep \[options\] \[command\]/);
    assert.match(help.stdout, /\n {2}check \[options\] +The main job/);
    assert.doesNotMatch(help.stdout, /agent-config/, 'the internal command stays hidden');
    const none = await upkeep([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Commands:[\s\S]*no command given/);
  });

  it('`upkeep help` is the list, exit 0 (it was exit 2, "no command given")', async () => {
    const r = await upkeep(['help']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, (await upkeep(['--help'])).stdout);
  });

  it('`upkeep help check` and `upkeep check --help` still show the command itself', async () => {
    const a = await upkeep(['help', 'check']);
    const b = await upkeep(['check', '--help']);
    assert.equal(a.code, 0);
    assert.equal(a.stdout, b.stdout);
    assert.match(a.stdout, /^Usage: upkeep check \[options\]/);
    assert.match(a.stdout, /--json/);
  });
});
