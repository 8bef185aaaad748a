/**
 * The program's entry point: bin/upkeep runs it (dist/cli/entry.js), and the bundles start here.
 * It stays small: `--version` is answered from here, and everything else is in main.ts, loaded
 * after Node's compile cache is on (in the Debian package's bundle main.ts is a file of its own,
 * upkeep-main.cjs, so `--version` never parses it, `--help` is upkeep-listing.cjs, and `upkeep agent`
 * is upkeep-agent.cjs, agent-main.ts: scripts/bundle.mjs).
 */
import { isSea } from 'node:sea';
import { enableProgramCompileCache } from '../adapters/program/compile-cache.js';

// A single executable is its own program; otherwise Node runs this file (dist/cli/entry.js or the bundle).
const self = isSea() || process.argv[1] === undefined ? [process.execPath] : [process.execPath, process.argv[1]];

const argv = process.argv.slice(2);

/**
 * `upkeep --version` (or -V, with or without --json) alone: answered without loading the command
 * line parser or any command (main.ts answers the same anywhere else on a command line).
 */
function versionOnly(args: readonly string[]): { json: boolean } | null {
  if (!args.some((a) => a === '--version' || a === '-V')) return null;
  return args.every((a) => a === '--version' || a === '-V' || a === '--json') ? { json: args.includes('--json') } : null;
}

/**
 * No command named and no version asked for (`upkeep --help`, `upkeep`): only the top-level help
 * (or an error with it) can follow; listing.ts answers it without main.ts. The same test as
 * program-root.ts's listingOnly, kept here so that this file loads nothing for it.
 */
const listingOnly = argv.every((a) => a.startsWith('-')) && !argv.some((a) => a === '--version' || a === '-V');

const version = versionOnly(argv);
const run: Promise<number> = version
  ? Promise.all([import('../adapters/program/build-info.js'), import('./io.js')]).then(([{ buildInfo, versionLine }, { printJson, processIo }]) => {
      const io = processIo(); // a closed stdout is no crash
      const info = buildInfo();
      if (version.json) printJson(io, info);
      else io.stdout.write(`${versionLine(info)}\n`);
      return 0;
    })
  : runMain();

/** Everything but `--version`: main.ts (or listing.ts), with the compile cache on before it loads. */
async function runMain(): Promise<number> {
  // A single executable carries its code inside (with V8's code cache when built so): nothing to
  // cache. The agent starts once and runs for months: the cache would only keep its buffers (about
  // 2 MiB of its idle memory, docs/benchmarks.md).
  const agent = argv.find((a) => !a.startsWith('-')) === 'agent';
  if (!isSea() && !agent) enableProgramCompileCache();
  if (listingOnly) return (await import('./listing.js')).runListing(argv);
  // `upkeep agent`: a program of that command alone (agent-main.ts), not every command's code.
  const { main, setSelfCommand } = agent ? await import('./agent-main.js') : await import('./main.js');
  setSelfCommand(self);
  return main(argv);
}
void run.then((code) => {
  process.exitCode = code;
});
