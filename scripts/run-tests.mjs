#!/usr/bin/env node
// Runs every test/**/*.test.ts with node:test (through tsx), prints node's summary, and fails
// when no test ran: `node --test` with no files finds nothing and still exits 0.
// Usage: node scripts/run-tests.mjs [path-filter ...]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

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
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.UPKEEP_TEST_CONCURRENCY ?? 2}`, ...files],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
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
