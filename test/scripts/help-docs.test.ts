/**
 * The man page and bash completion generator (scripts/deb/help-docs.mjs) on a small command tree in
 * commander's help format; test/scripts/deb-install.test.ts checks the real ones, installed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
// @ts-expect-error: a plain .mjs script without types
import { helpSection, readHelpTree, renderBashCompletion, renderManPage, roffEscape } from '../../scripts/deb/help-docs.mjs';

const HELP: Record<string, string> = {
  '': `Usage: upkeep [options] [command]

Keeps a Docker host's services running.
Predict, prevent, heal, tell.

Options:
  -V, --version               output the version number
  -h, --help                  display help for command

Commands:
  check [options]             The main job: what would not survive maintenance
                              on this host, with a verdict
  config                      Check the config file
  help [command]              display help for command
`,
  check: `Usage: upkeep check [options]

The main job

Options:
  --json             print JSON
  --state-dir <dir>  where the state database lives
  -h, --help         display help for command

Exit codes: 0 fine.
`,
  config: `Usage: upkeep config [options] [command]

Check the config file

Options:
  -h, --help              display help for command

Commands:
  check [options]         Validate the config file
  show-default [options]  Print the default
  help [command]          display help for command
`,
  'config check': `Usage: upkeep config check [options]

Validate

Options:
  --config <file>  the file
  -h, --help       display help for command
`,
  'config show-default': `Usage: upkeep config show-default [options]

Print the default

Options:
  -h, --help  display help for command
`,
};

const tree = await readHelpTree(async (args: string[]) => HELP[args.slice(0, -1).join(' ')] ?? assert.fail(`no help for ${args.join(' ')}`));

describe('readHelpTree', () => {
  it("walks every command and subcommand, without commander's help command", () => {
    const paths: string[] = [];
    const walk = (n: { path: string[]; children: unknown[] }) => {
      paths.push(n.path.join(' '));
      (n.children as (typeof n)[]).forEach(walk);
    };
    walk(tree);
    assert.deepEqual(paths, ['', 'check', 'config', 'config check', 'config show-default']);
  });

  it('reads wrapped entries and options with their arguments', () => {
    assert.deepEqual(helpSection(HELP[''], 'Commands')[0], [
      'check [options]',
      'The main job: what would not survive maintenance on this host, with a verdict',
    ]);
    const check = tree.children[0];
    assert.deepEqual(check.options, [
      { flags: ['--json'], arg: false },
      { flags: ['--state-dir'], arg: true },
      { flags: ['-h', '--help'], arg: false },
    ]);
    assert.equal(tree.description, "Keeps a Docker host's services running.\nPredict, prevent, heal, tell.");
  });
});

describe('renderManPage', () => {
  const page = renderManPage(tree, { version: '9.9.9', date: '2026-01-02' });

  it('has a section per command with its whole help, escaped for roff', () => {
    assert.match(page, /^\.TH UPKEEP 1 "2026-01-02" "upkeep 9\.9\.9" "User Commands"$/m);
    assert.match(page, /^\.SH NAME\nupkeep \\- keeps a Docker host's services running$/m);
    for (const c of ['check', 'config', 'config check', 'config show-default']) assert.match(page, new RegExp(`^\\.SS "upkeep ${c}"$`, 'm'));
    assert.match(page, /^ {2}\\-\\-state\\-dir <dir> {2}where the state database lives$/m);
    assert.equal(roffEscape(".x\n'y\na\\b"), "\\&.x\n\\&'y\na\\eb");
  });

  it('formats without warnings', { skip: !hasMan() && 'no man/groff here' }, () => {
    const out = execFileSync('sh', ['-c', 'man --warnings -l - 2>&1 >/dev/null'], { input: page, encoding: 'utf8', env: { ...process.env, MANWIDTH: '100' } });
    assert.equal(out, '');
  });
});

describe('renderBashCompletion', () => {
  const script = renderBashCompletion(tree);
  const complete = (line: string): string => {
    const words = line.split(' ');
    return execFileSync(
      'bash',
      ['-c', `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _upkeep; echo "\${COMPREPLY[*]}"`],
      { encoding: 'utf8' },
    ).trim();
  };

  it('completes commands, subcommands and options at each level', () => {
    assert.equal(complete('upkeep ch'), 'check');
    assert.equal(complete('upkeep config '), 'check show-default -h --help');
    assert.equal(complete('upkeep config check --c'), '--config');
    assert.equal(complete('upkeep check --state-dir x --j'), '--json');
    assert.equal(complete('upkeep --json config sh'), 'show-default');
  });
});

function hasMan(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v man'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
