/**
 * compareDebianVersions against Debian's own version comparison on this machine, never against our
 * code, on:
 *  - 10,000 generated pairs (seeded: epochs, tildes, plus signs, letters, long digit runs, revisions),
 *    most of them near-misses (one version mutated into the other), where orderings go wrong;
 *  - every OLD/NEW pair of this machine's real `apt-get -s dist-upgrade`;
 *  - every installed package version (`dpkg-query -W`), sorted by our order, each neighbour pair
 *    checked: the oracles agreeing on every neighbour proves they agree on the whole order;
 *  - generated strings dpkg refuses (about 115), which our parser must refuse too: our refusal
 *    (claim null) must meet an oracle's refusal, and our relation its relation.
 *
 * Two oracles. `dpkg --compare-versions` (dpkg's C code, what dpkg and apt act on) is the reference,
 * but takes one process per pair: asking it all 10,800 pairs took 10-20 s on 2 cores. So:
 *  1. Dpkg::Version, the Perl module of libdpkg-perl (Debian's second implementation, the one
 *     dpkg-dev's tools use), judges EVERY pair: one `perl` process reads the pairs on stdin and
 *     answers -1, 0 or 1, or `invalid` with version_check's reasons. Our answer must be its answer.
 *  2. dpkg's C code has the last word, one process per pair, on every pair where (a) Dpkg::Version
 *     and our code disagree; (b) a version falls where Dpkg::Version is known to differ from dpkg
 *     (list below): there only dpkg judges; (c) a fixed sample of the rest, evenly spaced within
 *     each generator mutation x relation (6 each) and each other source x relation (40 each): about
 *     225 pairs. Wherever dpkg judged, our code must match dpkg; on (a) and (c) Dpkg::Version must
 *     match dpkg too, or the test fails saying the oracles diverge (the bulk check would then prove
 *     nothing). About 700 dpkg runs in all; the whole file takes 5-7 s on a busy 2-core machine,
 *     most of it the `apt-get -s` (4 s idle), which runs alongside.
 *
 * Where Dpkg::Version differs from dpkg's C code (dpkg 1.21.22 here):
 *  - numbers above 2^64: Perl's `<=>` compares them as doubles, so 99999999999999999999999 "equals"
 *    99999999999999999999998. Rounding keeps the order, so only two different runs close enough to
 *    round together can come out wrong: a pair with a run in a and a run in b, different, one above
 *    2^64 - 1, within a 10^-12 ratio, goes to dpkg (about 50; other pairs with long runs stay);
 *  - epochs: dpkg reads them with strtol (a sign accepted, above INT_MAX refused), Dpkg::Version
 *    takes digits of any size: an epoch other than plain digits up to INT_MAX goes to dpkg;
 *  - "1:" (nothing after the colon): dpkg refuses it, Dpkg::Version reads an epochless "1:";
 *  - an upstream version not starting with a digit: dpkg warns and compares, Dpkg::Version refuses.
 * About 490 pairs; Dpkg::Version answers differently from dpkg on about 400 of them. With
 * UPKEEP_DPKG_ORACLE=all dpkg judges every pair as well (10-20 s): that run found the oracles
 * agreeing on all the other pairs, which is what lets Dpkg::Version judge them alone.
 *
 * Without perl or Dpkg::Version (or with UPKEEP_DPKG_ORACLE=c) every pair goes to dpkg, as before:
 * one run per pair asking the relation our code claims (exit 0 confirms it exactly; a refused pair
 * must exit 2), in two `sh` scripts in parallel; the test output says so.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCommand } from '../../../src/adapters/apt/run-command.js';
import { simulateUpgrade } from '../../../src/adapters/apt/simulate-upgrade.js';
import { parseAptSimulation } from '../../../src/core/preflight/apt-plan.js';
import { compareDebianVersions, parseDebianVersion } from '../../../src/core/preflight/debian-version.js';
import { hostLock } from '../../helpers/host-lock.js';
import { prng } from '../../helpers/prng.js';

// It reads this machine's installed versions and apt's simulation of an upgrade and asserts on
// them: it must not run while another file installs or removes packages (apt then fails with
// "Cache is out of sync" or sees a half-changed dpkg database).
before(() => hostLock.acquire());
after(() => hostLock.release());

type Relation = 'lt' | 'eq' | 'gt';
/** An oracle's answer on a pair: the relation of a to b, or 'refused' when it rejects a or b. */
type Verdict = Relation | 'refused';
interface Check {
  a: string;
  b: string;
  /** The relation our code claims, or null when our parser refuses a or b (the oracles must refuse too). */
  claim: Relation | null;
  source: string;
  /** Generated pairs: how b was made ("mutation 3", "independent"); the dpkg sample is spread over these. */
  kind?: string;
}

const WORKERS = 2;
const SAFE = /^[0-9A-Za-z.+~:-]+$/;
/** dpkg refuses an epoch above INT_MAX. */
const INT_MAX = 2147483647n;
/** Perl's largest integer: above it, numbers are doubles. */
const UV_MAX = 2n ** 64n - 1n;
/** The dpkg sample: per generator mutation x relation, and per other source x relation. */
const SAMPLE_PER_GENERATED_STRATUM = 6;
const SAMPLE_PER_OTHER_STRATUM = 40;

class VersionGenerator {
  /** Which of mutate's cases made its last result (the oracle sample is spread over them). */
  lastMutation = -1;

  constructor(private readonly next: () => number) {}

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  digits(): string {
    if (this.chance(0.5)) {
      return this.pick([
        '0',
        '1',
        '2',
        '9',
        '10',
        '00',
        '01',
        '007',
        '99',
        '100',
        '000000000000000000001',
        '18446744073709551616',
        '99999999999999999999999',
        '9007199254740993',
        '9007199254740992',
      ]);
    }
    const len = 1 + Math.floor(this.next() * (this.chance(0.2) ? 25 : 3));
    let s = '';
    for (let i = 0; i < len; i++) s += String(Math.floor(this.next() * 10));
    return s;
  }

  private separator(): string {
    return this.pick(['.', '.', '.', '.', '+', '~', '~~', '', 'a', 'b', 'z', 'A', 'Z', 'rc', 'beta', 'dfsg', 'p', '+b', '~rc', '.~', '+~', 'ds', '+really']);
  }

  upstream(allowHyphen: boolean, allowColon: boolean): string {
    let s = this.chance(0.02) ? this.pick(['a', 'v', '~', '+']) : '';
    s += this.digits();
    const segments = Math.floor(this.next() * 5);
    for (let i = 0; i < segments; i++) {
      s += this.separator();
      if (this.chance(0.85)) s += this.digits();
      if (allowHyphen && this.chance(0.05)) s += '-';
      if (allowColon && this.chance(0.05)) s += ':';
    }
    if (this.chance(0.15)) s += this.pick(['~', '~~', 'a', '+', '.', '~beta1', '+dfsg']);
    return s;
  }

  revision(): string {
    const parts = [this.pick(['', '0', '1', '2', '10', '01'])];
    const n = Math.floor(this.next() * 3);
    for (let i = 0; i < n; i++)
      parts.push(this.pick(['ubuntu', 'deb12u', '+deb12u', '+b', '~', '~deb', '.', 'build', '~bpo12+', '+really', 'a']), this.chance(0.8) ? this.digits() : '');
    const r = parts.join('');
    return r === '' ? '1' : r;
  }

  version(): string {
    const epoch = this.chance(0.3) ? `${this.pick(['0', '1', '2', '5', '00', '01', '10', '2147483647'])}:` : '';
    const hasRevision = this.chance(0.6);
    const up = this.upstream(hasRevision, epoch !== '');
    return `${epoch}${up}${hasRevision ? `-${this.revision()}` : ''}`;
  }

  /** A near-miss of `v`: equal for dpkg, or different in one small place. */
  mutate(v: string): string {
    const pos = Math.floor(this.next() * (v.length + 1));
    this.lastMutation = Math.floor(this.next() * 9);
    switch (this.lastMutation) {
      case 0:
        return v;
      case 1:
        return v.slice(0, pos) + this.pick(['~', '+', '.', 'a', 'Z', '0', '9', '~~']) + v.slice(pos);
      case 2:
        return v.slice(0, pos) + v.slice(pos + 1);
      case 3:
        return v.replace(/\d+/g, (d) => (this.chance(0.3) ? `000${d}` : d));
      case 4:
        return v.includes(':') ? v.replace(/^(\d+):/, (_, e: string) => `${this.chance(0.5) ? '0' : Number(e) + 1}:`) : `0:${v}`;
      case 5:
        return /-[^-]*$/.test(v) && !v.slice(v.lastIndexOf('-')).includes(':') ? `${v}${this.pick(['~', '+b1', '0', '.1'])}` : `${v}-0`;
      case 6:
        return v.replace(/\d+(?=\D*$)/, (d) => String(BigInt(d) + BigInt(this.pick([-1, 1, 10]))).replace('-', ''));
      case 7:
        return v.slice(0, pos) + this.pick(['.', '+', '~', 'a', '']) + this.digits() + v.slice(pos);
      default:
        return this.version();
    }
  }
}

function relationOf(a: string, b: string): Relation {
  const c = compareDebianVersions(a, b);
  return c < 0 ? 'lt' : c > 0 ? 'gt' : 'eq';
}

function check(a: string, b: string, source: string): Check {
  const valid = parseDebianVersion(a).ok && parseDebianVersion(b).ok;
  return { a, b, claim: valid ? relationOf(a, b) : null, source };
}

/** Our code's answer, in the oracles' terms. */
function ours(c: Check): Verdict {
  return c.claim ?? 'refused';
}

function describe(c: Check): string {
  return `${c.source}${c.kind === undefined ? '' : ` (${c.kind})`}: '${c.a}' ${c.claim ?? '(refused)'} '${c.b}'`;
}

/** Runs `lines` as WORKERS sh scripts in parallel (after `prelude` in each); returns their output lines, in order. */
async function runShWorkers(lines: string[], prelude = ''): Promise<string[]> {
  if (lines.length === 0) return [];
  const dir = await mkdtemp(join(tmpdir(), 'upkeep-dpkg-oracle-'));
  try {
    const size = Math.ceil(lines.length / WORKERS);
    const runs = [];
    for (let w = 0; w < WORKERS; w++) {
      const script = join(dir, `worker-${w}.sh`);
      await writeFile(script, `${prelude}${lines.slice(w * size, (w + 1) * size).join('\n')}\n`);
      runs.push(runCommand('sh', [script], { timeoutMs: 600_000 }));
    }
    const out: string[] = [];
    for (const r of await Promise.all(runs)) {
      assert.equal(r.code, 0, r.stderr);
      out.push(...r.stdout.split('\n').filter((l) => l !== ''));
    }
    assert.equal(out.length, lines.length);
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The fallback: runs dpkg once per check, asking the relation our code claims; returns each exit code, in order. */
async function askDpkg(checks: Check[]): Promise<number[]> {
  const lines = checks.map((c) => {
    assert.match(c.a, SAFE);
    assert.match(c.b, SAFE);
    return `dpkg --compare-versions '${c.a}' ${c.claim ?? 'lt'} '${c.b}' 2>/dev/null; echo $?`;
  });
  return (await runShWorkers(lines)).map(Number);
}

/**
 * dpkg's own verdict on each pair: asks `first` (the relation we expect), then the others until
 * one holds (exit 0); exit 2 is a refusal. Anything else comes back as "exit N" or "none".
 */
async function dpkgVerdicts(pairs: { a: string; b: string; first: Relation }[]): Promise<string[]> {
  const prelude = `v() {
  for r in $3; do
    dpkg --compare-versions "$1" "$r" "$2" 2>/dev/null
    c=$?
    case $c in 0) echo "$r"; return ;; 1) ;; 2) echo refused; return ;; *) echo "exit $c"; return ;; esac
  done
  echo none
}
`;
  const lines = pairs.map(({ a, b, first }) => {
    assert.match(a, SAFE);
    assert.match(b, SAFE);
    const order = [first, ...(['lt', 'eq', 'gt'] as const).filter((r) => r !== first)].join(' ');
    return `v '${a}' '${b}' '${order}'`;
  });
  return runShWorkers(lines, prelude);
}

/** Reads tab-separated pairs, one per line; writes -1, 0 or 1, or "invalid", a's problem, b's problem. */
const DPKG_VERSION_ORACLE = String.raw`
use strict;
use warnings;
while (my $line = <STDIN>) {
  chomp $line;
  my ($x, $y) = split /\t/, $line, -1;
  my (undef, $why_x) = version_check($x);
  my (undef, $why_y) = version_check($y);
  if ($why_x ne '' or $why_y ne '') {
    print "invalid\t$why_x\t$why_y\n";
    next;
  }
  my $cmp = Dpkg::Version->new($x) <=> Dpkg::Version->new($y);
  print "$cmp\n";
}
`;
const PERL_ENV = { ...process.env, LC_ALL: 'C', LANG: 'C', LANGUAGE: '' };

/** Why Dpkg::Version cannot run here (null: it can). */
async function dpkgVersionMissing(): Promise<string | null> {
  const r = await runCommand('perl', ['-MDpkg::Version', '-e', '1']);
  if (r.code === 0) return null;
  return (
    r.failure ??
    (r.stderr
      .trim()
      .split('\n')[0]
      ?.replace(/ \(@INC contains:.*$/, '') ||
      `exit ${r.code}`)
  );
}

interface PerlAnswer {
  verdict: Verdict;
  /** version_check's reasons when Dpkg::Version refused a or b. */
  problems: string[];
}

/** Every pair through one `perl -MDpkg::Version` process. */
async function askDpkgVersion(checks: Check[]): Promise<PerlAnswer[]> {
  if (checks.length === 0) return [];
  const child = spawn('perl', ['-MDpkg::Version', '-e', DPKG_VERSION_ORACLE], { env: PERL_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.on('error', () => {}); // perl dying early: its exit code and stderr say why
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  child.stdin.end(
    checks
      .map((c) => {
        assert.match(c.a, SAFE);
        assert.match(c.b, SAFE);
        return `${c.a}\t${c.b}\n`;
      })
      .join(''),
  );
  assert.equal(await exited, 0, stderr);
  assert.equal(stderr, '');
  const lines = stdout.split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, checks.length);
  return lines.map((line, i) => {
    const [head, ...problems] = line.split('\t');
    if (head === 'invalid') return { verdict: 'refused', problems: problems.filter((p) => p !== '') };
    const verdict = ({ '-1': 'lt', '0': 'eq', '1': 'gt' } as const)[head as '-1' | '0' | '1'];
    assert.ok(verdict !== undefined && problems.length === 0, `Dpkg::Version on ${describe(checks[i]!)}: '${line}'`);
    return { verdict, problems: [] };
  });
}

/**
 * Whether a holds a digit run and b another one, different, above 2^64 and within a 10^-12 ratio
 * of each other. Dpkg::Version compares two digit runs with Perl's `<=>`: exact up to 2^64 - 1
 * (integers), as doubles above, where rounding keeps the order but can make two different numbers
 * equal (a double has 15-16 significant digits). Only such a false tie can make Dpkg::Version wrong
 * on digits, so the pairs without one (most pairs with long runs: equal runs, runs far apart) stay
 * in its reach.
 */
function closeBigNumbers(a: string, b: string): boolean {
  const runs = (v: string) => [...new Set((v.match(/\d+/g) ?? []).map(BigInt))];
  const inB = runs(b);
  return runs(a).some((r) =>
    inB.some((s) => {
      const [lo, hi] = r < s ? [r, s] : [s, r];
      return hi > UV_MAX && lo !== hi && (hi - lo) * 10n ** 12n <= hi;
    }),
  );
}

/** Why only dpkg may judge this pair: it has a version where Dpkg::Version is known to differ from dpkg's C code (null: none). */
function beyondDpkgVersion(c: Check, perl: PerlAnswer): string | null {
  if (closeBigNumbers(c.a, c.b)) return 'numbers above 2^64 Perl may round together';
  for (const v of [c.a, c.b]) {
    const colon = v.indexOf(':');
    if (colon !== -1) {
      const epoch = v.slice(0, colon);
      if (!/^\d+$/.test(epoch) || BigInt(epoch) > INT_MAX) return 'epoch not plain digits up to INT_MAX';
      if (colon === v.length - 1) return 'nothing after the colon';
    }
  }
  if (perl.problems.includes('version number does not start with digit')) return 'upstream not starting with a digit';
  return null;
}

/** The sample's strata: generator mutation (or source) x our relation. */
function stratum(c: Check): string {
  const source = c.source.startsWith('apt-get') ? 'apt-get' : c.source;
  return `${source}${c.source === 'generated' ? ` ${c.kind}` : ''}: ${ours(c)}`;
}

/** A deterministic sample of `indices`: in each stratum, that many pairs evenly spaced. */
function sample(checks: Check[], indices: number[]): number[] {
  const strata = new Map<string, number[]>();
  for (const i of indices) {
    const key = stratum(checks[i]!);
    const members = strata.get(key);
    if (members === undefined) strata.set(key, [i]);
    else members.push(i);
  }
  const picked: number[] = [];
  for (const members of strata.values()) {
    const per = checks[members[0]!]!.source === 'generated' ? SAMPLE_PER_GENERATED_STRATUM : SAMPLE_PER_OTHER_STRATUM;
    const k = Math.min(per, members.length);
    for (let j = 0; j < k; j++) picked.push(members[Math.floor(((j + 0.5) * members.length) / k)]!);
  }
  return picked;
}

interface Judged {
  checks: Check[];
  perl: PerlAnswer[];
  /** dpkg's verdict on the pairs it judged, by index. */
  dpkg: Map<number, string>;
  /** Pairs only dpkg judged, with why. */
  beyond: Map<number, string>;
  /** Pairs in Dpkg::Version's reach where it disagreed with our code. */
  disputed: number[];
  sampled: number[];
  perlSeconds: number;
  dpkgSeconds: number;
}

/** Dpkg::Version on every pair, then dpkg on the pairs beyond it, the disputed ones and the sample. */
async function judge(checks: Check[], everyPair: boolean): Promise<Judged> {
  const t0 = performance.now();
  const perl = await askDpkgVersion(checks);
  const t1 = performance.now();
  const beyond = new Map<number, string>();
  const reach: number[] = [];
  checks.forEach((c, i) => {
    const why = beyondDpkgVersion(c, perl[i]!);
    if (why === null) reach.push(i);
    else beyond.set(i, why);
  });
  const disputed = reach.filter((i) => perl[i]!.verdict !== ours(checks[i]!));
  const sampled = sample(
    checks,
    reach.filter((i) => perl[i]!.verdict === ours(checks[i]!)),
  );
  const toDpkg = everyPair ? checks.map((_, i) => i) : [...beyond.keys(), ...disputed, ...sampled].sort((x, y) => x - y);
  const verdicts = await dpkgVerdicts(
    toDpkg.map((i) => {
      const c = checks[i]!;
      return { a: c.a, b: c.b, first: c.claim ?? 'lt' };
    }),
  );
  const dpkg = new Map(toDpkg.map((i, j) => [i, verdicts[j]!]));
  return { checks, perl, dpkg, beyond, disputed, sampled, perlSeconds: (t1 - t0) / 1000, dpkgSeconds: (performance.now() - t1) / 1000 };
}

async function installedVersions(): Promise<string[]> {
  const r = await runCommand('dpkg-query', ['-W', '-f=${Version}\\n']);
  assert.equal(r.code, 0, r.stderr);
  return [...new Set(r.stdout.split('\n').filter((v) => v !== ''))];
}

function count<T>(xs: Iterable<T>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[String(x)] = (out[String(x)] ?? 0) + 1;
  return out;
}

/** At most 20 lines of a long list, for an assertion message. */
function firstLines(lines: string[]): string {
  return lines.slice(0, 20).join('\n') + (lines.length > 20 ? `\n... and ${lines.length - 20} more` : '');
}

test("compareDebianVersions agrees with Debian's own comparison (Dpkg::Version, dpkg --compare-versions) on every pair", { timeout: 300_000 }, async (t) => {
  const gen = new VersionGenerator(prng(0x5eed));
  const generated: Check[] = [];
  const refused: Check[] = [];
  while (generated.length < 10_000) {
    const a = gen.version();
    const nearMiss = gen.chance(0.75);
    const b = nearMiss ? gen.mutate(a) : gen.version();
    if (!SAFE.test(b) || b.startsWith('-')) continue; // dpkg would read a leading '-' as an option
    const c: Check = { ...check(a, b, 'generated'), kind: nearMiss ? `mutation ${gen.lastMutation}` : 'independent' };
    if (c.claim !== null) generated.push(c);
    else if (refused.length < 300) refused.push({ ...c, source: 'refused' });
  }

  const installed = (await installedVersions()).sort(compareDebianVersions);
  assert.ok(installed.length > 50, `only ${installed.length} installed versions`);
  const neighbours = installed.slice(1).map((v, i) => check(installed[i]!, v, 'installed versions, sorted'));
  const local = [...generated, ...neighbours, ...refused];
  const mode = process.env.UPKEEP_DPKG_ORACLE;
  const missing = mode === 'c' ? 'UPKEEP_DPKG_ORACLE=c' : await dpkgVersionMissing();

  // apt-get -s takes seconds: let it run while the oracles work through the local checks.
  const started = performance.now();
  const aptChecks = simulateUpgrade('dist-upgrade').then((text) => {
    const plan = parseAptSimulation(text);
    assert.deepEqual(plan.problems, []);
    return plan.packages
      .filter((p) => p.oldVersion !== null && p.newVersion !== null)
      .map((p) => check(p.oldVersion!, p.newVersion!, `apt-get -s dist-upgrade: ${p.name}`));
  });

  const claims = { lt: 0, eq: 0, gt: 0 };
  for (const c of generated) claims[c.claim!]++;

  if (missing === null) {
    const everyPair = mode === 'all';
    const [l, f] = await Promise.all([judge(local, everyPair), aptChecks.then((checks) => judge(checks, everyPair))]);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const disagreements: string[] = [];
    const divergences: string[] = [];
    let perlWrongBeyond = 0;
    for (const j of [l, f]) {
      j.checks.forEach((c, i) => {
        const perl = j.perl[i]!.verdict;
        const dpkg = j.dpkg.get(i);
        if (dpkg === undefined ? perl !== ours(c) : dpkg !== ours(c))
          disagreements.push(`${describe(c)} -> Dpkg::Version ${perl}, dpkg ${dpkg ?? '(not asked)'}`);
        if (dpkg !== undefined && !j.beyond.has(i) && dpkg !== perl) divergences.push(`${describe(c)}: Dpkg::Version ${perl}, dpkg ${dpkg}`);
        if (dpkg !== undefined && j.beyond.has(i) && dpkg !== perl) perlWrongBeyond++;
      });
    }
    const all = [l, f];
    const sum = (pick: (j: Judged) => number) => all.reduce((s, j) => s + pick(j), 0);
    const beyond = count(all.flatMap((j) => [...j.beyond.values()]));
    const dpkgRefused = sum((j) => [...j.dpkg.keys()].filter((i) => j.checks[i]!.claim === null).length);
    t.diagnostic(
      `Dpkg::Version (one perl process) judged all ${l.checks.length + f.checks.length} pairs: ${generated.length} generated ` +
        `(lt ${claims.lt}, eq ${claims.eq}, gt ${claims.gt}), ${f.checks.length} apt upgrade pairs, ${neighbours.length} neighbours of ` +
        `${installed.length} installed versions, ${refused.length} refused strings`,
    );
    t.diagnostic(
      `dpkg --compare-versions judged ${sum((j) => j.dpkg.size)} of them: ${sum((j) => j.beyond.size)} beyond Dpkg::Version ` +
        `(${JSON.stringify(beyond)}; it differed from dpkg on ${perlWrongBeyond} of them), ${sum((j) => j.disputed.length)} disputed, ` +
        `${sum((j) => j.sampled.length)} sampled; ${dpkgRefused} of the ${refused.length} refused strings${everyPair ? ' (UPKEEP_DPKG_ORACLE=all: every pair)' : ''}`,
    );
    t.diagnostic(
      `perl ${sum((j) => j.perlSeconds).toFixed(1)} s, dpkg ${sum((j) => j.dpkgSeconds).toFixed(1)} s, ${seconds} s in all with apt-get -s alongside; ` +
        `${disagreements.length} disagreements with our code, ${divergences.length} between the oracles`,
    );
    assert.equal(divergences.length, 0, `Dpkg::Version and dpkg's C code disagree where this test trusts Dpkg::Version:\n${firstLines(divergences)}`);
    assert.equal(disagreements.length, 0, `compareDebianVersions disagrees with the oracles:\n${firstLines(disagreements)}`);
    assert.ok(sum((j) => j.sampled.length) >= 200, `a dpkg sample of only ${sum((j) => j.sampled.length)} pairs`);
    assert.ok(dpkgRefused >= 50, `dpkg judged only ${dpkgRefused} refused strings`);
  } else {
    t.diagnostic(`not using Dpkg::Version (${missing}): every pair goes to dpkg --compare-versions, one process each (10-20 s on 2 cores)`);
    const [localCodes, fromApt] = await Promise.all([askDpkg(local), aptChecks]);
    const all = [...local, ...fromApt];
    const codes = [...localCodes, ...(await askDpkg(fromApt))];
    const seconds = ((performance.now() - started) / 1000).toFixed(1);

    const disagreements = all
      .map((c, i) => ({ ...c, code: codes[i]! }))
      .filter((c) => (c.claim === null ? c.code !== 2 : c.code !== 0))
      .map((c) => `${c.source}: '${c.a}' ${c.claim ?? '(refused)'} '${c.b}' -> dpkg exit ${c.code}`);

    t.diagnostic(
      `dpkg oracle: ${generated.length} generated pairs (lt ${claims.lt}, eq ${claims.eq}, gt ${claims.gt}), ` +
        `${fromApt.length} apt upgrade pairs, ${neighbours.length} neighbours of ${installed.length} installed versions, ` +
        `${refused.length} refused strings; ${all.length} dpkg runs in ${seconds} s; ${disagreements.length} disagreements`,
    );
    assert.deepEqual(disagreements, []);
  }
  assert.ok(claims.lt > 1000 && claims.gt > 1000 && claims.eq > 300, JSON.stringify(claims));
  assert.ok(refused.length >= 100, `only ${refused.length} refused strings`);
});
