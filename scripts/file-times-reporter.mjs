// A node:test reporter: each test file's time, longest first. scripts/run-tests.mjs adds it when
// UPKEEP_TEST_TIMES names a file to write to; its numbers feed SECONDS there.
// A file's time is the sum of its top-level tests; in a run of one file at a time
// (UPKEEP_TIMES_WALL=1, set by run-tests for its fixed lanes) it is the wall time from the end of
// the file before to its own last event instead, which also counts its process start and its
// file-level hooks (an engine started in `before` and disposed in `after`): what the plan needs.
export default async function* fileTimes(source) {
  const wall = process.env.UPKEEP_TIMES_WALL === '1';
  const per = new Map();
  const lastAt = new Map();
  const firstAt = new Map();
  let previousEnd = Date.now();
  let current = null;
  for await (const ev of source) {
    const file = ev.data?.file;
    if (wall && file) {
      if (file !== current) {
        if (current !== null) previousEnd = lastAt.get(current) ?? previousEnd;
        current = file;
        if (!firstAt.has(file)) firstAt.set(file, previousEnd);
      }
      lastAt.set(file, Date.now());
    }
    if ((ev.type === 'test:pass' || ev.type === 'test:fail') && ev.data.nesting === 0 && file) {
      per.set(file, (per.get(file) ?? 0) + (ev.data.details?.duration_ms ?? 0));
    }
  }
  if (wall) for (const [f, end] of lastAt) per.set(f, Math.max(per.get(f) ?? 0, end - firstAt.get(f)));
  const rows = [...per].sort((a, b) => b[1] - a[1]);
  for (const [f, ms] of rows) yield `${(ms / 1000).toFixed(1)}\t${f.replace(/.*\/test\//, 'test/')}\n`;
}
