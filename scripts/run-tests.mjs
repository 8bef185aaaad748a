#!/usr/bin/env node
// Runs every test/**/*.test.ts with node:test (through tsx), prints node's summary, and fails
// when no test ran: `node --test` with no files finds nothing and still exits 0.
// Usage: node scripts/run-tests.mjs [--fast] [--checks] [path-filter ...]
//   --checks  also runs the static checks (typecheck, lint, format:check: CHECKS below, each with
//           its cache in node_modules/.cache/upkeep) in the light group's lane before its tests,
//           beside the engine lanes (npm test does); a failing check fails the run.
//   --fast  leaves out the files listed in SLOW (a real Docker engine, apt/dpkg on this machine or
//           the network, fuzz and crash loops, the bundle builds) and runs 300 of the random agent
//           test's 2,000 seeds: npm run test:fast, 37-42 s with the build on 2 idle cores
//           (2026-12-01, docs/benchmarks.md); npm test runs all.
// Most pure and in-memory test files share one process (SHARED_DIRS below); the others run in a
// process each.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Left out by --fast: path prefixes, each with why it is slow. */
const SLOW = [
  ['test/engine/', 'private dockerd, busybox containers, agent processes'],
  ['test/adapters/docker/engine-client.test.ts', 'private dockerd'],
  ['test/cli/status-check.test.ts', 'private dockerd'],
  ['test/cli/install.test.ts', 'its last test starts a private dockerd (the others are fast but share the file)'],
  ['test/cli/preflight.test.ts', 'its last test starts a private dockerd (the others are fast but share the file)'],
  ['test/adapters/apt/preflight-e2e.test.ts', 'builds .debs, runs apt-get and dpkg as root'],
  ['test/adapters/apt/rollback-e2e.test.ts', 'builds .debs, installs, upgrades and rolls back with apt-get and dpkg as root'],
  ['test/cli/upgrade-rollback.test.ts', 'builds .debs, runs upkeep upgrade and a rollback with apt-get and dpkg as root'],
  ['test/adapters/apt/maintainer-scripts.test.ts', 'downloads a package with apt (network)'],
  ['test/adapters/apt/simulate-upgrade.test.ts', "runs apt-get --simulate on this machine's package lists (~45 s)"],
  ['test/ansible/', 'ansible-playbook and ansible-lint (seconds each); agent-role.test.ts builds the .deb and installs it over SSH as root'],
  ['test/scripts/deb-install.test.ts', 'builds the .deb, installs and purges it with apt-get as root, a private dockerd (minutes)'],
  ['test/cli/check-apt-cache.test.ts', "runs upkeep check on this machine's apt (three simulations)"],
  ['test/adapters/store/crash-safety.test.ts', 'kills a writer process again and again (~20 s)'],
  ['test/adapters/apt/download-unreachable.test.ts', "upkeep preflight with downloads over this machine's package lists (~14 s)"],
  ['test/deploy/prometheus.test.ts', 'promtool checks and unit-tests the shipped rules (~8 s)'],
  ['test/core/audit/audit-fuzz.test.ts', '1500 mutated compose files (~30 s); npm test runs it'],
  ['test/core/audit/fix-property.test.ts', '400 random compose documents (~10 s); npm test runs it'],
  ['test/deploy/fleet-prometheus.test.ts', "starts Debian's prometheus and scrapes a TLS listener (~9 s)"],
  ['test/adapters/notify/alertmanager.test.ts', "starts Debian's alertmanager (~8 s)"],
  ['test/scripts/bundle.test.ts', 'three esbuild runs over the whole program on both cores, then the bundles run (~20 s of CPU)'],
  ['test/scripts/build-sea.test.ts', 'builds the single executable: postject rewrites a 120 MiB binary (~7 s), then runs it (~12 s in all)'],
];

/**
 * Seconds each file took in a CI run (UPKEEP_TEST_TIMES, a clean-clone CI at commit 1814b60 with
 * nothing else running, 2026-12-01; a .cases.ts file's time halved between its two engines'
 * files), for the plan's lanes. A file missing here counts as one second.
 */
const SECONDS = new Map([
  ['test/engine/recovery-incident-docker28.test.ts', 58],
  ['test/engine/recovery-incident.test.ts', 58],
  ['test/ansible/agent-role.test.ts', 54],
  ['test/engine/k3d-recovery.test.ts', 52],
  ['test/ansible/rolling-upgrade.test.ts', 51],
  ['test/scripts/deb-install.test.ts', 48],
  ['test/engine/agent-process.test.ts', 43],
  ['test/cli/check-apt-cache.test.ts', 42],
  ['test/agent/agent-random.test.ts', 40],
  ['test/engine/upgrade-e2e.test.ts', 35],
  ['test/engine/json-contract.test.ts', 32],
  ['test/engine/agent-docker28.test.ts', 30],
  ['test/engine/agent.test.ts', 30],
  ['test/engine/status-page.browser.test.ts', 30],
  ['test/engine/one-system.test.ts', 27],
  ['test/ansible/export.test.ts', 25],
  ['test/cli/preflight.test.ts', 23],
  ['test/engine/restart-matrix-docker28.test.ts', 23],
  ['test/engine/restart-matrix.test.ts', 23],
  ['test/ansible/collection.test.ts', 20],
  ['test/engine/rehearse-e2e.test.ts', 20],
  ['test/cli/status-check.test.ts', 18],
  ['test/engine/recreate-compose.test.ts', 18],
  ['test/engine/agent-floor.test.ts', 15],
  ['test/adapters/docker/engine-client.test.ts', 13],
  ['test/core/audit/audit-fuzz.test.ts', 13],
  ['test/adapters/apt/simulate-upgrade.test.ts', 11],
  ['test/engine/audit-live.test.ts', 11],
  ['test/engine/upgrade-in-place.test.ts', 11],
  ['test/scripts/build-sea.test.ts', 11],
  ['test/scripts/bundle.test.ts', 11],
  ['test/adapters/apt/preflight-e2e.test.ts', 10],
  ['test/cli/config.test.ts', 10],
  ['test/cli/install.test.ts', 9],
  ['test/engine/agent-alertmanager.test.ts', 9],
  ['test/engine/agent-bundle.test.ts', 9],
  ['test/engine/recreate-compose-v2.test.ts', 9],
  ['test/adapters/apt/download-unreachable.test.ts', 8],
  ['test/deploy/prometheus.test.ts', 8],
  ['test/adapters/apt/debian-version-oracle.test.ts', 7],
  ['test/adapters/notify/alertmanager.test.ts', 7],
  ['test/deploy/fleet-prometheus.test.ts', 7],
  ['test/adapters/apt/rollback-e2e.test.ts', 6],
  ['test/adapters/store/crash-safety.test.ts', 6],
  ['test/cli/upgrade-rollback.test.ts', 6],
  ['test/adapters/apt/run-command.test.ts', 5],
  ['test/cli/upgrade.test.ts', 5],
  ['test/adapters/apt/package-sizes.test.ts', 4],
  ['test/adapters/apt/maintainer-scripts.test.ts', 3],
  ['test/agent/maintenance-schedule.test.ts', 3],
  ['test/app/upgrade.test.ts', 3],
  ['test/cli/help.test.ts', 3],
  ['test/cli/maintenance.test.ts', 3],
  ['test/cli/runbook.test.ts', 3],
  ['test/core/audit/fix-property.test.ts', 3],
  ['test/agent/agent-scenarios.test.ts', 2],
  ['test/agent/outbox.test.ts', 2],
  ['test/architecture/layer-matrix.test.ts', 2],
  ['test/cli/agent-memory.test.ts', 2],
  ['test/cli/audit-sarif.test.ts', 2],
  ['test/cli/process-edges.test.ts', 2],
  ['test/cli/rehearse.test.ts', 2],
  ['test/cli/report.test.ts', 2],
  ['test/engine/k3d-stand-in.test.ts', 2],
]);

/** What --fast runs in fewer seconds than npm test: the random agent test's 300 seeds of 2,000. */
const FAST_SECONDS = new Map([['test/agent/agent-random.test.ts', 5]]);

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `run-tests: this is Node ${process.version}; upkeep needs Node 24. \`npm ci\` installs it in node_modules/.bin, and \`npm test\` puts that first on PATH: run the tests with \`npm test\` (or node_modules/.bin/node scripts/run-tests.mjs).`,
  );
  process.exit(1);
}

const root = new URL('..', import.meta.url).pathname;
/** A test file's text, read once: the plan, the heavy/light split and the sharing rule all look at it. */
const texts = new Map();
const textOf = (f) => texts.get(f) ?? texts.set(f, readFileSync(join(root, f), 'utf8')).get(f);
const args = process.argv.slice(2);
const fast = args.includes('--fast');
// --plan: print each lane's files in the order node:test runs them (path order), with their planned
// start and end in seconds (from SECONDS), instead of running them.
const planOnly = args.includes('--plan');
const withChecks = args.includes('--checks');
const filters = args.filter((a) => a !== '--fast' && a !== '--plan' && a !== '--checks');

/** The static checks --checks runs (package.json scripts), one after another. */
const CHECKS = ['typecheck', 'lint', 'format:check'];

/**
 * Which files go in which lane, for `lanes` lanes side by side (each lane one node:test process
 * running its files one after another). node:test runs the files it is given in path order (it
 * sorts the list), so a lane's order is not ours to choose, only its files: the plan balances the
 * lanes' known times. Files that hold the host lock (test/helpers/host-lock.ts: apt, dpkg,
 * installed packages) run one at a time whatever the lanes, and one that starts while another
 * holds the lock only waits, its lane idle: so every lock-holder goes in the first lane, where
 * they follow each other and never wait (they are the longest chain, about 360 s of the engine
 * lanes' 500), and the other files, longest first, each to the lane with the least planned time.
 * (Until 2026-12-01 this planned a start order too, which node:test did not follow; the lanes'
 * contents were balanced all the same.)
 *
 * SECONDS counts a file's top-level tests, not its file-level hooks nor its process start. The
 * plan scaled the lock-holders' times by 1.25 for a while, fitted on two CI runs whose lock lane
 * ran 80 s past its plan: the two SSH files idled 50 s each after their last test (Ansible's
 * ControlPersist kept sshd's sessions and its stderr pipe; fixed in test/ansible/sshd.ts), so the
 * factor is gone with that cause.
 */
function plan(files, lanes) {
  const locked = (f) => /helpers\/host-lock\.js/.test(textOf(f));
  const seconds = (f) => (fast ? FAST_SECONDS.get(f) : undefined) ?? SECONDS.get(f) ?? 1;
  const load = Array.from({ length: Math.max(1, lanes) }, () => 0);
  const byLane = load.map(() => []);
  const put = (lane, f) => {
    byLane[lane].push(f);
    load[lane] += seconds(f);
  };
  for (const f of files.filter(locked)) put(0, f);
  const longestFirst = files.filter((f) => !locked(f)).sort((a, b) => seconds(b) - seconds(a) || (a < b ? -1 : a > b ? 1 : 0));
  for (const f of longestFirst) put(load.indexOf(Math.min(...load)), f);
  // node:test's order within a lane.
  for (const laneFiles of byLane) laneFiles.sort();
  if (planOnly) {
    byLane.forEach((laneFiles, lane) => {
      let at = 0;
      for (const f of laneFiles) {
        const end = at + seconds(f);
        console.log(`${String(Math.round(at)).padStart(4)} ${String(Math.round(end)).padStart(4)} lane ${lane}${locked(f) ? ' lock' : '     '} ${f}`);
        at = end;
      }
    });
    console.log(`planned: ${Math.round(Math.max(...load))} s on ${load.length} lanes for ${files.length} files\n`);
  }
  return { order: byLane.flat(), byLane };
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

// Two files at a time on two cores. Three was 20 % faster on a quiet machine (397 s against
// 506 s, docs/benchmarks.md), but a CI run at three lost a private engine's containerd under
// the load (dockerd killed it as unresponsive) and hung: UPKEEP_TEST_CONCURRENCY=3 for a dev run.
// --fast starts no engine and runs no apt: three at a time there (it keeps it under a minute).
const concurrency = Number(process.env.UPKEEP_TEST_CONCURRENCY ?? (fast ? 3 : 2));
const files = find(join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .filter((f) => !fast || !SLOW.some(([prefix]) => f.startsWith(prefix)));
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
console.error(`run-tests: ${files.length} test files on Node ${process.version} (${process.execPath})`);

/**
 * Two groups, each a node:test run of its own, side by side: the files that start an engine, run
 * apt or dpkg, or a browser (test/engine/, or naming the private engine, the host lock or
 * playwright) in `concurrency` lanes as planned above, and the others
 * (unit and CLI tests: CPU for a second or two each) in one more lane beside them. So at most
 * `concurrency` engines run at once, as before, and the light files no longer take a lane from
 * them: about 2 minutes less on two cores (docs/benchmarks.md). --fast, a single file, or
 * UPKEEP_TEST_LIGHT_LANES=0: one group. --checks puts the static checks in the light lane too,
 * ahead of its files (below).
 */
const HEAVY = /PrivateEngine|private-engine|helpers\/host-lock|playwright/;
// test/ansible/collection.test.ts (ansible-lint, syntax checks, the galaxy build: no engine, no lock)
// is light: the Ansible files that need an engine or the lock name it and are heavy by HEAVY.
const heavy = (f) => f.startsWith('test/engine/') || HEAVY.test(textOf(f));
const lightLanes = Number(process.env.UPKEEP_TEST_LIGHT_LANES ?? 1);
const split = !fast && lightLanes > 0 && files.some(heavy) && files.some((f) => !heavy(f));
// The engine files run in fixed lanes, one node:test process per lane (the plan's lanes), not one
// process taking the next file in the list whenever a file ends: there, a lock-holder waited for the
// lock with its lane idle whenever another lane held it, and the waits added up (a CI run took 630 s
// against a plan of 534). In the fixed lanes every lock-holder is in the first one, and a wrong
// estimate delays only its own lane.
const enginePlan = split ? plan(files.filter(heavy), concurrency) : null;

/**
 * Files that run together in one node:test process (--test-isolation=none) instead of a process
 * each: a process per file costs about 0.3 s of CPU (node, tsx and the imports again), and the
 * pure and in-memory tests are most of the files (test/core, test/agent, test/app: 91 files, 53 s
 * of CPU in a process each, 24 s in one; docs/benchmarks.md). Only files whose text shows nothing
 * that would outlive them in a shared process: no write to process.env, no top-level hook (one at
 * the top of a file belongs to the whole process there), no node:test mock (mocked timers and
 * methods are the process's), no process.chdir, umask, exit, exitCode or process listeners, no
 * global replaced (globalThis.x, Date.now, console.error), no helper that registers hooks
 * (helpers/built-program), no engine or host lock. Everything else keeps a process of its own.
 * The text is all it reads: state made in src/ stays its author's care (agent-random's metrics
 * are made without the process-wide gc observer for this reason).
 */
const SHARED_DIRS = ['test/core/', 'test/agent/', 'test/app/', 'test/architecture/', 'test/helpers/'];
const NOT_SHARED =
  /process\.env(\.\w+|\[[^\]]+\])\s*([-+|&?]{0,2}=[^=])|process\.env\s*=[^=]|Object\.assign\(process\.env|delete process\.env|^(before|after|beforeEach|afterEach)\(|\bmock\.|process\.(chdir|umask|exitCode|exit|on|once|off|removeAllListeners)\b|globalThis\.\w+\s*=[^=]|(Date|Math|console)\.\w+\s*=[^=]|setMaxListeners|helpers\/built-program/m;
const shared = (f) => SHARED_DIRS.some((d) => f.startsWith(d)) && !heavy(f) && !NOT_SHARED.test(textOf(f));
const sharedFiles = files.filter(shared);
const sharedGroup = sharedFiles.length > 0 ? [{ name: 'shared', files: plan(sharedFiles, 1).order, concurrency: 1, isolation: 'none' }] : [];
const own = (list) => list.filter((f) => !shared(f));
const lightOwn = split ? own(files.filter((f) => !heavy(f))) : [];

/**
 * Lanes: each a list of groups run one after another; the lanes side by side. npm test: one lane
 * per engine group, and the light lane (the checks, the shared process, the other light files);
 * --fast or a filter: the shared process beside the other files (`concurrency` at a time).
 */
const lanes = split
  ? [
      ...enginePlan.byLane.filter((laneFiles) => laneFiles.length > 0).map((laneFiles, i) => [{ name: `engine-${i}`, files: laneFiles, concurrency: 1 }]),
      [
        ...sharedGroup,
        // None when every light file picked is shared: node --test given no file runs every file.
        ...(lightOwn.length > 0 ? [{ name: 'light', files: plan(lightOwn, lightLanes).order, concurrency: lightLanes }] : []),
      ],
    ]
  : [
      ...(sharedGroup.length > 0 ? [sharedGroup] : []),
      ...(own(files).length > 0 ? [[{ name: 'all', files: plan(own(files), concurrency).order, concurrency }]] : []),
    ];
const groups = lanes.flat();
if (planOnly) process.exit(0);
if (split)
  console.error(
    `run-tests: ${enginePlan.order.length} engine files in ${lanes.length - 1} fixed lanes (${lanes
      .slice(0, -1)
      .map((l) => l[0].files.length)
      .join(' + ')}), beside ${sharedFiles.length} light files in one process, then ${lightOwn.length} others ${lightLanes} at a time`,
  );
else if (sharedFiles.length > 0 && groups.length > 1)
  console.error(`run-tests: ${sharedFiles.length} files in one process beside ${groups.at(-1).files.length} others ${concurrency} at a time`);

const timesFile = process.env.UPKEEP_TEST_TIMES;
const children = groups.map((g, i) => ({
  group: g,
  child: null,
  times: timesFile === undefined ? null : groups.length === 1 ? timesFile : `${timesFile}.${g.name}`,
  summary: {},
  partial: '',
  code: null,
  done: false,
  index: i,
  /** The group after this one in its lane, started when this one ends. */
  next: null,
}));
{
  let i = 0;
  for (const lane of lanes) {
    for (let k = 0; k + 1 < lane.length; k++) children[i + k].next = children[i + k + 1];
    i += lane.length;
  }
}
// --checks: the static checks run first in the last lane (the light one when split), then its
// groups. Beside the light groups instead of before them, they slowed every lane; at nice 10, the
// whole suite was not faster (docs/benchmarks.md).
const checksFailed = [];
let checkChild = null;
// Set by a signal or the watchdog: no further check or group starts.
let stopping = false;
const firsts = [];
{
  let i = 0;
  for (const lane of lanes) {
    firsts.push(children[i]);
    i += lane.length;
  }
}
for (const state of firsts) {
  if (withChecks && state === firsts.at(-1))
    runChecks()
      .catch((err) => {
        checksFailed.push(`the checks (${err.message})`);
      })
      .then(() => {
        if (stopping) ended(state, 1);
        else start(state);
      });
  else start(state);
}

/** Runs CHECKS one after another (their output shown only when one fails); the failures in checksFailed. */
async function runChecks() {
  const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts;
  for (const name of CHECKS) {
    if (stopping) return;
    const began = Date.now();
    const output = [];
    const code = await new Promise((resolve) => {
      checkChild = spawn('sh', ['-c', scripts[name]], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        env: { ...process.env, PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` },
      });
      checkChild.stdout.on('data', (b) => output.push(b));
      checkChild.stderr.on('data', (b) => output.push(b));
      checkChild.on('error', (e) => {
        output.push(Buffer.from(String(e)));
        resolve(1);
      });
      checkChild.on('close', (c) => resolve(c));
    });
    checkChild = null;
    const took = ((Date.now() - began) / 1000).toFixed(1);
    if (stopping) {
      console.error(`run-tests: ${name} stopped (${took} s)`);
      return;
    }
    if (code === 0) console.error(`run-tests: ${name} passed (${took} s)`);
    else {
      checksFailed.push(name);
      console.error(`run-tests: ${name} FAILED (exit ${code}, ${took} s): \`npm run ${name}\` (${scripts[name]}):\n${Buffer.concat(output).toString('utf8')}`);
    }
  }
}

function start(state) {
  const g = state.group;
  const times = state.times;
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      // UPKEEP_TEST_TIMES=FILE: each file's time, longest first, written to FILE (for SECONDS above).
      ...(times === null ? [] : [`--test-reporter=${join(root, 'scripts', 'file-times-reporter.mjs')}`, `--test-reporter-destination=${times}`]),
      `--test-concurrency=${g.concurrency}`,
      ...(g.isolation === undefined ? [] : [`--test-isolation=${g.isolation}`]),
      ...g.files,
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      // Its own process group, so the watchdog below can stop it with every test file and daemon under it.
      detached: true,
      // --fast: the seeded random agent test runs 300 of its 2,000 sequences (29 s -> about 5 s);
      // npm test runs all of them. UPKEEP_SEEDS set by hand wins.
      env: {
        ...process.env,
        ...(fast && process.env.UPKEEP_SEEDS === undefined ? { UPKEEP_SEEDS: '300' } : {}),
      },
    },
  );
  state.child = child;
  // node's summary ("ℹ tests N", "ℹ pass N") can be followed by pages of failure details: read it
  // line by line from the whole output and keep the last value of each. Whole lines only go out,
  // so that the two groups' lines never mix within a line.
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    const lines = (state.partial + chunk).split('\n');
    state.partial = lines.pop() ?? '';
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
    for (const line of lines) readSummary(state.summary, line);
  });
  // Done when node's output is closed; or 10 s after it exited, should a process that left the
  // group still hold the output open.
  child.on('close', (code) => ended(state, code));
  child.on('exit', (code) => setTimeout(() => ended(state, code), 10_000).unref());
}

function readSummary(summary, line) {
  const m = /^ℹ (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/.exec(line);
  if (m) summary[m[1]] = Number(m[2]);
}

/**
 * The watchdog: node:test times out tests, never after hooks, and has no time limit per file; a
 * hook waiting on a wedged daemon would hold the suite until CI's own limit, with nothing said. After
 * UPKEEP_TEST_DEADLINE_MIN minutes (default 30; the suite takes about 8 on 2 cores) it prints what
 * is still running (the test files among it), stops every group's processes and fails.
 */
const deadlineMin = Number(process.env.UPKEEP_TEST_DEADLINE_MIN ?? 30);
let timedOut = false;
const watchdog = setTimeout(() => {
  timedOut = true;
  const still = [...children.map((c) => c.child), checkChild]
    .filter((c) => c !== null)
    .flatMap((c) => groupProcesses(c.pid))
    .map((p) => `  ${p.pid} ${p.cmdline.slice(0, 300)}`)
    .join('\n');
  console.error(`\nrun-tests: the suite has run ${deadlineMin} min (UPKEEP_TEST_DEADLINE_MIN) and is not done: stopping it. Still running:\n${still}`);
  killGroups('SIGTERM');
  setTimeout(() => killGroups('SIGKILL'), 10_000).unref();
}, deadlineMin * 60_000);
watchdog.unref();

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killGroups(signal);
    setTimeout(() => killGroups('SIGKILL'), 10_000).unref();
  });
}

function killGroups(signal) {
  stopping = true;
  for (const c of [...children.map((x) => x.child), checkChild]) {
    if (c === null) continue;
    try {
      process.kill(-c.pid, signal);
    } catch {
      /* gone */
    }
  }
}

/** The processes of the process group `pgid`, from /proc (pid and command line). */
function groupProcesses(pgid) {
  const out = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command's closing parenthesis: state, ppid, pgrp.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      out.push({ pid: Number(pid), cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim() });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

function ended(state, code) {
  if (state.done) return;
  state.done = true;
  state.code = code;
  if (state.partial !== '') {
    process.stdout.write(`${state.partial}\n`);
    readSummary(state.summary, state.partial);
  }
  if (state.next !== null) {
    if (stopping) ended(state.next, 1);
    else start(state.next);
  }
  if (children.every((c) => c.done)) finish();
}

function finish() {
  clearTimeout(watchdog);
  if (timedOut) {
    console.error(`run-tests: failing: the suite did not finish within ${deadlineMin} min (see "Still running" above)`);
    process.exit(1);
  }
  const total = {};
  for (const c of children) for (const [k, v] of Object.entries(c.summary)) total[k] = k === 'duration_ms' ? Math.max(total[k] ?? 0, v) : (total[k] ?? 0) + v;
  if (children.length > 1) {
    // node:test's summary for the whole suite: the groups' counts added, the wall time of the longest.
    process.stdout.write(`\nrun-tests: the ${children.map((c) => c.group.name).join(' and ')} groups together:\n`);
    for (const k of ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo', 'duration_ms'])
      if (total[k] !== undefined) process.stdout.write(`ℹ ${k} ${total[k]}\n`);
    if (timesFile !== undefined) mergeTimes(children.map((c) => c.times));
  }
  const tests = total.tests ?? 0;
  const pass = total.pass ?? 0;
  if (tests === 0 || pass === 0) {
    console.error(`run-tests: no test ran (tests ${tests}, pass ${pass}): failing`);
    process.exit(1);
  }
  if (checksFailed.length > 0) {
    console.error(`run-tests: failing: ${checksFailed.join(', ')} failed (their output is above)`);
    process.exit(1);
  }
  const failed = children.find((c) => c.code !== 0);
  process.exit(failed === undefined ? 0 : (failed.code ?? 1));
}

/** The groups' file times in one file (UPKEEP_TEST_TIMES), longest first. */
function mergeTimes(parts) {
  const lines = [];
  for (const p of parts) {
    try {
      lines.push(...readFileSync(p, 'utf8').split('\n').filter(Boolean));
      rmSync(p, { force: true });
    } catch {
      /* a group that wrote none */
    }
  }
  lines.sort((a, b) => Number(b.split('\t')[0]) - Number(a.split('\t')[0]));
  writeFileSync(timesFile, `${lines.join('\n')}\n`);
}
