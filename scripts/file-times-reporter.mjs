// A node:test reporter: each test file's time (the sum of its top-level tests), longest first.
// scripts/run-tests.mjs adds it when UPKEEP_TEST_TIMES names a file to write to; its numbers feed SECONDS there.
export default async function* fileTimes(source) {
  const per = new Map();
  for await (const ev of source) {
    if ((ev.type === 'test:pass' || ev.type === 'test:fail') && ev.data.nesting === 0 && ev.data.file) {
      per.set(ev.data.file, (per.get(ev.data.file) ?? 0) + (ev.data.details?.duration_ms ?? 0));
    }
  }
  const rows = [...per].sort((a, b) => b[1] - a[1]);
  for (const [f, ms] of rows) yield `${(ms / 1000).toFixed(1)}\t${f.replace(/.*\/test\//, 'test/')}\n`;
}
