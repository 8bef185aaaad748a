/**
 * scripts/bundle.mjs: the bundle, one file, runs under Node 24 on its own (copied into an empty
 * directory, away from node_modules), with the store on node:sqlite; and the install defaults it
 * was built with (--default-bin, --docs-uri) are what `upkeep install` writes, or --bin is required.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawnAgent } from '../helpers/agent-process.js';
import { builtProgramTests, ROOT, runProgram } from '../helpers/built-program.js';
import { until } from '../helpers/webhook.js';

const dir = mkdtempSync(join(tmpdir(), 'upkeep-bundle-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs scripts/bundle.mjs into `outdir` with `args`; returns the bundle's files copied alone into `alone`. */
function bundleInto(outdir: string, alone: string, args: string[] = []): string {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), '--outdir', outdir, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const files = args.includes('--whole')
    ? ['upkeep.cjs']
    : [
        'upkeep-agent.cjs',
        'upkeep-listing.cjs',
        'upkeep-main.cjs',
        'upkeep-vendor-bcryptjs.cjs',
        'upkeep-vendor-hono.cjs',
        'upkeep-vendor-nodemailer.cjs',
        'upkeep.cjs',
      ];
  assert.deepEqual(readdirSync(outdir).sort(), files, 'the entry (and its main, listing, agent and vendor files), nothing beside them');
  mkdirSync(alone, { recursive: true });
  for (const f of files) copyFileSync(join(outdir, f), join(alone, f));
  return join(alone, 'upkeep.cjs');
}

describe('the bundle (node build/upkeep.cjs)', () => {
  let file = '';
  before(() => {
    file = bundleInto(join(dir, 'out'), join(dir, 'alone'));
  });
  builtProgramTests(() => [process.execPath, file], 'bundle');

  it('upkeep install without --bin: exit 2, it asks for one, and writes nothing', async () => {
    const root = mkdtempSync(join(dir, 'root-'));
    const r = await runProgram([process.execPath, file], ['install', '--root', root, '--yes'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /this upkeep is a bundle run by node, not an executable: pass --bin/);
    assert.deepEqual(readdirSync(root), []);
  });

  it('the agent from the bundle serves the status page with its stylesheet and script (shipped inside the bundle)', async () => {
    // No engine: the agent waits for one and its pages say so; the assets are what is checked.
    const state = mkdtempSync(join(dir, 'agent-state-'));
    const configPath = join(state, 'upkeep.yml');
    writeFileSync(configPath, 'recovery: { grace: 1s }\n', { mode: 0o600 });
    const agent = spawnAgent({
      configPath,
      stateDir: join(state, 'state'),
      dockerHost: `unix://${join(state, 'no-docker.sock')}`,
      command: [process.execPath, file],
      cwd: dir,
    });
    try {
      const line = await until('the agent listens', () => agent.out.find((l) => l.includes('metrics and status listening')) ?? null, 20_000);
      const base = `http://${(JSON.parse(line) as { address: string }).address}`;
      const css = await fetch(`${base}/assets/status.css`);
      assert.equal(css.status, 200);
      assert.match(await css.text(), /prefers-color-scheme:dark/);
      const js = await fetch(`${base}/assets/status.js`);
      assert.match(await js.text(), /new EventSource\('\/api\/v1\/events'\)/);
      const page = await fetch(`${base}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<link rel="stylesheet" href="\/assets\/status.css">/);
    } finally {
      // SIGTERM: the agent stops at once and kills apt's simulation (host-facts) with it; a SIGKILL
      // left that apt-get running on its own for its 4-5 s of CPU.
      agent.proc.kill('SIGTERM');
      assert.equal(await agent.exited, 0, 'the agent stops on SIGTERM');
    }
  });
});

describe('the split bundle and the compile cache', () => {
  let file = '';
  before(() => {
    file = bundleInto(join(dir, 'out-cache'), join(dir, 'alone-cache'));
  });
  const run = (args: string[], env: NodeJS.ProcessEnv) =>
    new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [file, ...args], { cwd: dir, env }, (err, _out, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr }));
    });

  it('--version answers from upkeep.cjs alone: upkeep-main.cjs is not loaded', async () => {
    const alone = join(dir, 'entry-only');
    mkdirSync(alone);
    copyFileSync(file, join(alone, 'upkeep.cjs'));
    const out = execFileSync(process.execPath, [join(alone, 'upkeep.cjs'), '--version'], { encoding: 'utf8' });
    assert.match(out, /^upkeep \S+ \(commit .*, bundle\)\n$/);
    assert.throws(() => execFileSync(process.execPath, [join(alone, 'upkeep.cjs'), 'status', '--help'], { stdio: 'pipe' }), /upkeep-main\.cjs/);
  });

  it('--help and `upkeep` alone answer from upkeep.cjs and upkeep-listing.cjs: upkeep-main.cjs is not loaded; the same help', async () => {
    const alone = join(dir, 'entry-and-listing');
    mkdirSync(alone);
    for (const f of ['upkeep.cjs', 'upkeep-listing.cjs']) copyFileSync(join(dir, 'out-cache', f), join(alone, f));
    const help = execFileSync(process.execPath, [join(alone, 'upkeep.cjs'), '--help'], { encoding: 'utf8' });
    assert.equal(help, execFileSync(process.execPath, [file, 'help'], { encoding: 'utf8' }), 'upkeep help (through main) prints the same');
    assert.match(help, /^Usage: upkeep \[options\] \[command\]\n[\s\S]*\n {2}check \[options\] +The main job/);
    // commander's child_process (executable subcommands, none here) is not loaded for the help,
    // nor dgram, which it pulls in (net too, but a pipe or a terminal as stdout loads that anyway):
    // scripts/bundle.mjs's lazy-child-process.
    const loadList = join(alone, 'modules.txt');
    const hook = join(alone, 'hook.cjs');
    writeFileSync(hook, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loadList)}, process.moduleLoadList.join('\\n')));\n`);
    assert.equal(execFileSync(process.execPath, ['-r', hook, join(alone, 'upkeep.cjs'), '--help'], { encoding: 'utf8' }), help);
    const loaded = readFileSync(loadList, 'utf8').split('\n');
    assert.ok(loaded.includes('NativeModule fs'), 'the load list was written');
    assert.deepEqual(
      loaded.filter((m) => /^NativeModule (child_process|dgram)$/.test(m)),
      [],
    );
    const none = await run([], process.env);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no command given/);
    const bad = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [join(alone, 'upkeep.cjs'), '--bogus'], (err, _o, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr })),
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown option '--bogus'/);
  });

  it('`upkeep agent` runs from upkeep.cjs and upkeep-agent.cjs: upkeep-main.cjs (every other command) is not loaded', async () => {
    const alone = join(dir, 'entry-and-agent');
    mkdirSync(alone);
    for (const f of ['upkeep.cjs', 'upkeep-agent.cjs']) copyFileSync(join(dir, 'out-cache', f), join(alone, f));
    const help = execFileSync(process.execPath, [join(alone, 'upkeep.cjs'), 'agent', '--help'], { encoding: 'utf8' });
    assert.equal(help, execFileSync(process.execPath, [file, 'help', 'agent'], { encoding: 'utf8' }), 'the same help as through main');
    assert.match(help, /^Usage: upkeep agent \[options\]/);
    const bad = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [join(alone, 'upkeep.cjs'), 'agent', '--bogus'], (err, _o, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr })),
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown option '--bogus'/);
    const agentBytes = statSync(join(alone, 'upkeep-agent.cjs')).size;
    const mainBytes = statSync(join(dir, 'out-cache', 'upkeep-main.cjs')).size;
    assert.ok(agentBytes < mainBytes, `the agent's file (${agentBytes} bytes) is smaller than every command's (${mainBytes})`);
  });

  it("zod's other locales are not in any file (the schema's namespace import lets the bundler drop them)", () => {
    const out = join(dir, 'out-cache');
    for (const f of readdirSync(out)) {
      const text = readFileSync(join(out, f), 'utf8');
      // Function names are kept (no identifier minification): the Russian locale's plural helper.
      assert.ok(!text.includes('getRussianPlural'), `${f} holds zod's Russian locale`);
    }
    // The English one zod configures at load is there: the config errors read as before.
    assert.ok(readFileSync(join(out, 'upkeep-main.cjs'), 'utf8').includes('Invalid input'));
  });

  it('nodemailer, hono and bcryptjs are files of their own, which the agent and main files require on first use', async () => {
    const out = join(dir, 'out-cache');
    for (const f of ['upkeep-agent.cjs', 'upkeep-main.cjs']) {
      const text = readFileSync(join(out, f), 'utf8');
      for (const v of ['nodemailer', 'hono', 'bcryptjs'])
        assert.ok(text.includes(`require("./upkeep-vendor-${v}.cjs")`), `${f} requires upkeep-vendor-${v}.cjs`);
    }
    // Each file alone gives the package's API as a CommonJS module (the package's `require` build),
    // which the bundle's import of it reads: default = module.exports, names = its properties.
    const probe = execFileSync(
      process.execPath,
      [
        '-e',
        `const d = ${JSON.stringify(out)};
         const nm = require(d + '/upkeep-vendor-nodemailer.cjs'), h = require(d + '/upkeep-vendor-hono.cjs'), b = require(d + '/upkeep-vendor-bcryptjs.cjs');
         console.log(typeof nm.createTransport, typeof h.Hono, typeof b.compareSync, b.compareSync('x', b.hashSync('x', 4)));`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(probe.trim(), 'function function function true');
  });

  it("a command fills the user's cache directory (0700), and the next start uses it", async () => {
    const home = mkdtempSync(join(dir, 'home-'));
    const env = { PATH: process.env['PATH'], HOME: home };
    assert.equal((await run(['config', 'show-default'], env)).code, 0);
    const cache = join(home, '.cache', 'upkeep', 'compile-cache');
    assert.equal(statSync(cache).mode & 0o777, 0o700);
    const entries = readdirSync(cache, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    assert.ok(entries.length > 0, 'the compiled main file is kept');
    const before = entries.map((e) => statSync(join(e.parentPath, e.name)).mtimeMs);
    assert.equal((await run(['config', 'show-default'], env)).code, 0);
    const again = readdirSync(cache, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    assert.deepEqual(
      again.map((e) => statSync(join(e.parentPath, e.name)).mtimeMs),
      before,
      'a start that found its code in the cache does not write it again',
    );
  });

  it('a cache directory that others can write is not used (and the program still runs)', async () => {
    const home = mkdtempSync(join(dir, 'home-'));
    const cache = join(home, '.cache', 'upkeep', 'compile-cache');
    mkdirSync(cache, { recursive: true });
    chmodSync(cache, 0o777);
    const r = await run(['config', 'show-default'], { PATH: process.env['PATH'], HOME: home });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(cache), []);
  });

  it('the agent leaves it off (it starts once; the cache would only hold memory): nothing written', async () => {
    const home = mkdtempSync(join(dir, 'home-'));
    // `agent --help`: the agent's own process, without the short-lived `agent-config` child it
    // starts to read its config (which, like every other command, uses the cache).
    const r = await run(['agent', '--help'], { PATH: process.env['PATH'], HOME: home });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(home), []);
    assert.equal((await run(['timeline', '--help'], { PATH: process.env['PATH'], HOME: home })).code, 0);
    assert.deepEqual(readdirSync(home), ['.cache'], 'another command does use it');
  });

  it('NODE_DISABLE_COMPILE_CACHE: nothing written', async () => {
    const home = mkdtempSync(join(dir, 'home-'));
    const r = await run(['config', 'show-default'], { PATH: process.env['PATH'], HOME: home, NODE_DISABLE_COMPILE_CACHE: '1' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(home), []);
  });
});

describe('a bundle built with --default-bin and --docs-uri (what a package that runs the bundle passes)', () => {
  let file = '';
  before(() => {
    file = bundleInto(join(dir, 'out-pkg'), join(dir, 'alone-pkg'), ['--default-bin', '/usr/bin/upkeep', '--docs-uri', 'man:upkeep(1)']);
  });

  it('upkeep install writes them into the unit and the apt hook', async () => {
    const root = mkdtempSync(join(dir, 'root-'));
    const r = await runProgram([process.execPath, file], ['install', '--root', root, '--yes'], dir);
    assert.equal(r.code, 0, r.stderr);
    const unit = readFileSync(join(root, 'etc/systemd/system/upkeep.service'), 'utf8').split('\n');
    assert.ok(unit.includes('ExecStart=/usr/bin/upkeep agent --config /etc/upkeep/upkeep.yml'), unit.join('\n'));
    assert.ok(unit.includes('Documentation=man:upkeep(1)'));
    assert.match(readFileSync(join(root, 'etc/apt/apt.conf.d/99upkeep'), 'utf8'), /\/usr\/bin\/upkeep /);
    assert.ok(existsSync(join(root, 'etc/upkeep/upkeep.yml')));
  });
});
