#!/usr/bin/env node
// Bundles the program into one file per entry point with esbuild: src/cli/entry.ts (the CLI, which
// includes `upkeep agent`) -> build/upkeep.cjs, with every npm dependency inside and Node's
// built-ins (node:sqlite among them) left to the runtime. The same file runs under Node 24
// (`node build/upkeep.cjs`) and is what scripts/build-sea.mjs puts into the single executable,
// which in Node 24 runs only CommonJS: hence CommonJS here too, so the two never differ.
// The build facts (version, commit, install defaults) are written into the code through esbuild
// `define` (src/adapters/program/build-info.ts reads them).
// Usage: node scripts/bundle.mjs [--outdir DIR] [--default-bin PATH] [--docs-uri URI]
//   --outdir       where to write (default build/)
//   --default-bin  the executable `upkeep install` writes into the unit when --bin is not given
//                  (e.g. /usr/bin/upkeep for a package whose /usr/bin/upkeep runs the bundle);
//                  without it a bundle's `upkeep install` requires --bin
//   --docs-uri     the unit's Documentation= (e.g. man:upkeep(1)); without it there is none
// docs/single-executable.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
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
 * Builds `<outdir>/upkeep.cjs`; resolves to { file, bytes, facts }. Options: outdir, defaultBin,
 * docsUri (both null when not given), commit (default: sourceCommit()).
 */
export async function bundle({ outdir = join(root, 'build'), defaultBin = null, docsUri = null, commit = sourceCommit() } = {}) {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const facts = { version, commit, defaultBin, docsUri };
  const file = join(resolve(outdir), 'upkeep.cjs');
  mkdirSync(resolve(outdir), { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['src/cli/entry.ts'],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    // Node's built-ins stay require()s; everything from node_modules goes in.
    packages: 'bundle',
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
  });
  if (result.warnings.length > 0) throw new Error(`bundle: ${result.warnings.length} warning(s), see above`);
  return { file, bytes: result.metafile.outputs[Object.keys(result.metafile.outputs)[0]].bytes, facts };
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const { values } = parseArgs({
    options: { outdir: { type: 'string' }, 'default-bin': { type: 'string' }, 'docs-uri': { type: 'string' } },
  });
  const out = await bundle({
    ...(values.outdir !== undefined && { outdir: values.outdir }),
    defaultBin: values['default-bin'] ?? null,
    docsUri: values['docs-uri'] ?? null,
  });
  console.log(`bundle: ${out.file} (${(out.bytes / 1024).toFixed(0)} KiB, upkeep ${out.facts.version}, commit ${out.facts.commit})`);
}
