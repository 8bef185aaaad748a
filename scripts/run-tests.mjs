#!/usr/bin/env node
// Runs every test/**/*.test.ts with node:test (through tsx), prints node's summary, and fails
// when no test ran: `node --test` with no files finds nothing and still exits 0.
// Usage: node scripts/run-tests.mjs [--fast] [path-filter ...]
//   --fast  leaves out the files listed in SLOW (a real Docker engine, apt/dpkg on this machine or
//           the network, fuzz and crash loops) and runs 300 of the random agent test's 2,000 seeds:
//           npm run test:fast, under a minute; npm test runs all.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Left out by --fast: path prefixes, each with why it is slow. */
const SLOW = [
  ['test/engine/', 'private dockerd, busybox containers, agent processes'],
  ['test/adapters/docker/engine-client.test.ts', 'private dockerd'],
  ['test/cli/status-check.test.ts', 'private dockerd'],
  ['test/cli/install.test.ts', 'its last test starts a private dockerd (the others are fast but share the file)'],
  ['test/cli/preflight.test.ts', 'its last test starts a private dockerd (the others are fast but share the file)'],
  ['test/adapters/apt/preflight-e2e.test.ts', 'builds .debs, runs apt-get and dpkg as root'],
  ['test/adapters/apt/maintainer-scripts.test.ts', 'downloads a package with apt (network)'],
  ['test/adapters/apt/simulate-upgrade.test.ts', "runs apt-get --simulate on this machine's package lists (~45 s)"],
  ['test/scripts/deb-install.test.ts', 'builds the .deb, installs and purges it with apt-get as root, a private dockerd (minutes)'],
  ['test/cli/check-apt-cache.test.ts', "runs upkeep check on this machine's apt (three simulations)"],
  ['test/adapters/store/crash-safety.test.ts', 'kills a writer process again and again (~20 s)'],
  ['test/core/audit/audit-fuzz.test.ts', '1500 mutated compose files (~30 s); npm test runs it'],
  ['test/core/audit/fix-property.test.ts', '400 random compose documents (~10 s); npm test runs it'],
  ['test/scripts/build-sea.test.ts', 'builds the single executable: postject rewrites a 120 MiB binary (~7 s), then runs it (~12 s in all)'],
];

/**
 * Started first, longest first (seconds each took in a CI run, UPKEEP_TEST_TIMES): with two or more
 * files at a time, a long file started last would finish alone while the other lanes sit idle.
 * The rest follow in path order. A file missing here only costs some idle lane time.
 */
const LONG_FIRST = [
  'test/engine/recovery-incident.test.ts',
  'test/engine/recovery-incident-docker28.test.ts',
  'test/scripts/deb-install.test.ts',
  'test/cli/status-check.test.ts',
  'test/agent/agent-random.test.ts',
  'test/engine/agent.test.ts',
  'test/engine/agent-docker28.test.ts',
  'test/engine/agent-process.test.ts',
  'test/engine/json-contract.test.ts',
  'test/cli/check-apt-cache.test.ts',
  'test/engine/one-system.test.ts',
  'test/engine/restart-matrix.test.ts',
  'test/engine/restart-matrix-docker28.test.ts',
  'test/engine/recreate-compose.test.ts',
  'test/engine/upgrade-e2e.test.ts',
  'test/cli/preflight.test.ts',
  'test/adapters/apt/simulate-upgrade.test.ts',
  'test/engine/agent-floor.test.ts',
  'test/adapters/apt/maintainer-scripts.test.ts',
  'test/adapters/apt/debian-version-oracle.test.ts',
  'test/engine/upgrade-in-place.test.ts',
  'test/engine/agent-bundle.test.ts',
  'test/adapters/docker/engine-client.test.ts',
];

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `run-tests: this is Node ${process.version}; upkeep needs Node 24. \`npm ci\` installs it in node_modules/.bin, and \`npm test\` puts that first on PATH: run the tests with \`npm test\` (or node_modules/.bin/node scripts/run-tests.mjs).`,
  );
  process.exit(1);
}

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const fast = args.includes('--fast');
const filters = args.filter((a) => a !== '--fast');

function rank(file) {
  const i = LONG_FIRST.indexOf(file);
  return i === -1 ? LONG_FIRST.length : i;
}

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const files = find(join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .filter((f) => !fast || !SLOW.some(([prefix]) => f.startsWith(prefix)))
  .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
console.error(`run-tests: ${files.length} test files on Node ${process.version} (${process.execPath})`);

const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    // UPKEEP_TEST_TIMES=FILE: each file's time, longest first, written to FILE (for LONG_FIRST above).
    ...(process.env.UPKEEP_TEST_TIMES
      ? [`--test-reporter=${join(root, 'scripts', 'file-times-reporter.mjs')}`, `--test-reporter-destination=${process.env.UPKEEP_TEST_TIMES}`]
      : []),
    // Three files at a time on two cores: most engine files wait on dockerd more than they compute
    // (the whole suite used 1.1 of the 2 cores at two at a time); measured in docs/benchmarks.md.
    `--test-concurrency=${process.env.UPKEEP_TEST_CONCURRENCY ?? 3}`,
    ...files,
  ],
  {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    // --fast: the seeded random agent test runs 300 of its 2,000 sequences (29 s -> about 5 s);
    // npm test runs all of them. UPKEEP_SEEDS set by hand wins.
    env: fast && process.env.UPKEEP_SEEDS === undefined ? { ...process.env, UPKEEP_SEEDS: '300' } : process.env,
  },
);
// node's summary ("ℹ tests N", "ℹ pass N") can be followed by pages of failure details: read it
// line by line from the whole output and keep the last value of each.
const summary = { tests: 0, pass: 0 };
let partial = '';
const readSummary = (line) => {
  const m = /^ℹ (tests|pass) (\d+)$/.exec(line);
  if (m) summary[m[1]] = Number(m[2]);
};
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const lines = (partial + chunk).split('\n');
  partial = lines.pop() ?? '';
  lines.forEach(readSummary);
});
child.on('close', (code) => {
  readSummary(partial);
  const { tests, pass } = summary;
  if (tests === 0 || pass === 0) {
    console.error(`run-tests: no test ran (tests ${tests}, pass ${pass}): failing`);
    process.exit(1);
  }
  process.exit(code ?? 1);
});
