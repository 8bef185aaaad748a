#!/usr/bin/env node
// Bundles the program with esbuild: src/cli/entry.ts (the CLI, which includes `upkeep agent`) ->
// build/upkeep.cjs, a small file that answers `--version`, loads build/upkeep-listing.cjs
// (src/cli/listing.ts) for `--help` and `upkeep` alone, build/upkeep-agent.cjs
// (src/cli/agent-main.ts: `upkeep agent` and what it needs) for the agent, and build/upkeep-main.cjs
// (src/cli/main.ts: every command, the npm dependencies inside but three that rare paths use, which
// are build/upkeep-vendor-*.cjs, required on first use) for anything else; Node's
// built-ins (node:sqlite among them) are left to the runtime. Run with Node 24: `node
// build/upkeep.cjs`. With --whole, one file holds everything: what scripts/build-sea.mjs puts into
// the single executable, which in Node 24 runs only one CommonJS file: hence CommonJS here too,
// so the two differ only in the split (and in the vendor files' packages, which are their CommonJS
// builds where the whole file holds their ES module builds).
// The build facts (version, commit, install defaults) are written into the code through esbuild
// `define` (src/adapters/program/build-info.ts reads them).
// Usage: node scripts/bundle.mjs [--outdir DIR] [--whole] [--default-bin PATH] [--docs-uri URI]
//   --outdir       where to write (default build/)
//   --whole        one file, upkeep.cjs (no upkeep-main.cjs, upkeep-agent.cjs or upkeep-listing.cjs)
//   --default-bin  the executable `upkeep install` writes into the unit when --bin is not given
//                  (e.g. /usr/bin/upkeep for a package whose /usr/bin/upkeep runs the bundle);
//                  without it a bundle's `upkeep install` requires --bin
//   --docs-uri     the unit's Documentation= (e.g. man:upkeep(1)); without it there is none
// docs/single-executable.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const root = new URL('..', import.meta.url).pathname;

/** The short commit of the checkout, `-dirty` when tracked files differ from it; "unknown" without git. */
export function sourceCommit(cwd = root) {
  const git = (...args) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git('rev-parse', '--short=7', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') === '' ? commit : `${commit}-dirty`;
  } catch {
    return 'unknown';
  }
}

/**
 * The entry's `import('./main.js')` as a require of the second file (split bundles): upkeep.cjs is
 * then only the entry (src/cli/entry.ts, which answers `--version` itself) and upkeep-main.cjs the
 * rest, so a `--version` does not parse 1.7 MiB, and Node's compile cache (which the entry enables)
 * holds the compiled main file.
 */
const mainApart = {
  name: 'main-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/(main|listing|agent-main)\.js$/ }, (args) =>
      args.importer.endsWith('/src/cli/entry.ts') ? { path: `./${APART[args.path]}`, external: true } : undefined,
    );
  },
};

/**
 * Packages that only rare paths use, each in a file of its own that the first use requires (split
 * bundles): nodemailer (an e-mail channel sending), hono (the status page's first request),
 * bcryptjs (a hashed token checked). Code a process never runs still costs its memory when it is
 * in the file it loads (about 0.9 MiB for nodemailer's 349 KB: docs/benchmarks.md); the idle agent
 * carried all three.
 */
export const VENDOR_FILES = { nodemailer: 'upkeep-vendor-nodemailer.cjs', hono: 'upkeep-vendor-hono.cjs', bcryptjs: 'upkeep-vendor-bcryptjs.cjs' };
const vendorApart = {
  name: 'vendor-apart',
  setup(build) {
    build.onResolve({ filter: new RegExp(`^(${Object.keys(VENDOR_FILES).join('|')})$`) }, (args) => ({ path: `./${VENDOR_FILES[args.path]}`, external: true }));
  },
};

/**
 * The listing file's commander without its top-level `require('node:child_process')`: commander
 * keeps it for executable subcommands, which upkeep has none of, and loading it pulls in net,
 * dgram and their streams: about 2 ms of the 28 ms `upkeep --help` takes (docs/benchmarks.md). The
 * module is loaded on the first property read instead, so commander works as before if it is used.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(build) {
    build.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'lazy-child-process', namespace: 'upkeep-lazy' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'upkeep-lazy' }, () => ({
      contents: "let m;\nmodule.exports = new Proxy({}, { get: (_, key) => (m ??= require('node:child_process'))[key] });\n",
      loader: 'js',
    }));
  },
};

/** The second file of a split bundle, next to upkeep.cjs. */
export const MAIN_FILE = 'upkeep-main.cjs';
/** The third: `upkeep --help` and `upkeep` alone (src/cli/listing.ts: commander and the command list, no command). */
export const LISTING_FILE = 'upkeep-listing.cjs';
/**
 * The fourth: `upkeep agent` (src/cli/agent-main.ts: the agent's command and what it loads, not the
 * other commands): the long-running process parses less, about 3 MiB less idle memory.
 */
export const AGENT_FILE = 'upkeep-agent.cjs';
const APART = { './main.js': MAIN_FILE, './listing.js': LISTING_FILE, './agent-main.js': AGENT_FILE };

/**
 * Builds `<outdir>/upkeep.cjs`, and with `split` (the default) `<outdir>/upkeep-main.cjs` beside it,
 * which upkeep.cjs loads for every command but `--version`, the top-level help and the agent,
 * `<outdir>/upkeep-listing.cjs`, which it loads for that help, and `<outdir>/upkeep-agent.cjs` for
 * `upkeep agent`; without `split` one file holds it all
 * (the single executable runs only one file). Resolves to { file, files, bytes, facts }: `file`
 * the one to run, `files` every file written, `bytes` their total. Options: outdir, split,
 * defaultBin, docsUri (both null when not given), commit (default: sourceCommit()).
 */
export async function bundle({ outdir = join(root, 'build'), split = true, defaultBin = null, docsUri = null, commit = sourceCommit() } = {}) {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const facts = { version, commit, defaultBin, docsUri };
  const file = join(resolve(outdir), 'upkeep.cjs');
  const mainFile = join(resolve(outdir), MAIN_FILE);
  const listingFile = join(resolve(outdir), LISTING_FILE);
  const agentFile = join(resolve(outdir), AGENT_FILE);
  mkdirSync(resolve(outdir), { recursive: true });
  // A split build's other files must not outlive a later whole one.
  rmSync(mainFile, { force: true });
  rmSync(listingFile, { force: true });
  rmSync(agentFile, { force: true });
  const vendorFiles = Object.entries(VENDOR_FILES).map(([name, f]) => [name, join(resolve(outdir), f)]);
  for (const [, f] of vendorFiles) rmSync(f, { force: true });
  const common = {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    // Node's built-ins stay require()s; everything from node_modules goes in.
    packages: 'bundle',
    // The external main file is loaded with require(), not import(): no ES module loader for it.
    supported: { 'dynamic-import': false },
    define: {
      __UPKEEP_BUILD__: JSON.stringify(facts),
      // CommonJS has no import.meta: the bundle's own file URL (the executable's, in a SEA).
      'import.meta.url': '__upkeep_import_meta_url',
    },
    banner: { js: `const __upkeep_import_meta_url = require('node:url').pathToFileURL(__filename).href;` },
    // Whitespace and syntax only: identifiers keep their names, so a stack trace in a bug report
    // still reads. Licences of the bundled packages stay at the end of the file.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
  };
  const builds = [esbuild.build({ ...common, entryPoints: ['src/cli/entry.ts'], outfile: file, plugins: split ? [mainApart] : [] })];
  if (split)
    builds.push(
      esbuild.build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: mainFile, plugins: [vendorApart] }),
      esbuild.build({ ...common, entryPoints: ['src/cli/listing.ts'], outfile: listingFile, plugins: [lazyChildProcess] }),
      esbuild.build({ ...common, entryPoints: ['src/cli/agent-main.ts'], outfile: agentFile, plugins: [vendorApart] }),
      ...vendorFiles.map(([name, outfile]) =>
        esbuild.build({
          ...common,
          stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: root, sourcefile: `vendor-${name}.cjs` },
          outfile,
        }),
      ),
    );
  const results = await Promise.all(builds);
  const warnings = results.reduce((n, r) => n + r.warnings.length, 0);
  if (warnings > 0) throw new Error(`bundle: ${warnings} warning(s), see above`);
  const bytes = results.reduce((n, r) => n + Object.values(r.metafile.outputs).reduce((m, o) => m + o.bytes, 0), 0);
  return { file, files: split ? [file, mainFile, listingFile, agentFile, ...vendorFiles.map(([, f]) => f)] : [file], bytes, facts };
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const { values } = parseArgs({
    options: { outdir: { type: 'string' }, whole: { type: 'boolean', default: false }, 'default-bin': { type: 'string' }, 'docs-uri': { type: 'string' } },
  });
  const out = await bundle({
    ...(values.outdir !== undefined && { outdir: values.outdir }),
    split: !values.whole,
    defaultBin: values['default-bin'] ?? null,
    docsUri: values['docs-uri'] ?? null,
  });
  console.log(`bundle: ${out.files.join(' + ')} (${(out.bytes / 1024).toFixed(0)} KiB, upkeep ${out.facts.version}, commit ${out.facts.commit})`);
}
