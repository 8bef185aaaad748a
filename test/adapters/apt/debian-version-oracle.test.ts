/**
 * compareDebianVersions against the real oracle, `dpkg --compare-versions`, on this machine:
 *  - 10,000 generated pairs (seeded: epochs, tildes, plus signs, letters, long digit runs, revisions),
 *    most of them near-misses (one version mutated into the other), where orderings go wrong;
 *  - every OLD/NEW pair of this machine's real `apt-get -s dist-upgrade`;
 *  - every installed package version (`dpkg-query -W`), sorted by our order, each neighbour pair
 *    checked: dpkg agreeing on every neighbour proves it agrees on the whole order;
 *  - generated strings dpkg refuses, which our parser must refuse too.
 *
 * One dpkg run per pair: we ask dpkg the relation our code claims (lt, eq or gt); exit 0 confirms
 * it exactly. Process start-up dominates, so the calls run in two `sh` scripts in parallel.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCommand } from '../../../src/adapters/apt/run-command.js';
import { simulateUpgrade } from '../../../src/adapters/apt/simulate-upgrade.js';
import { parseAptSimulation } from '../../../src/core/preflight/apt-plan.js';
import { compareDebianVersions, parseDebianVersion } from '../../../src/core/preflight/debian-version.js';
import { prng } from '../../helpers/prng.js';

type Relation = 'lt' | 'eq' | 'gt';
interface Check {
  a: string;
  b: string;
  /** The relation our code claims, or null when our parser refuses a or b (dpkg must refuse too). */
  claim: Relation | null;
  source: string;
}

const WORKERS = 2;
const SAFE = /^[0-9A-Za-z.+~:-]+$/;

class VersionGenerator {
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
    switch (Math.floor(this.next() * 9)) {
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

/** Runs dpkg once per check; returns each exit code, in order. */
async function askDpkg(checks: Check[]): Promise<number[]> {
  const dir = await mkdtemp(join(tmpdir(), 'upkeep-dpkg-oracle-'));
  try {
    const size = Math.ceil(checks.length / WORKERS);
    const runs = [];
    for (let w = 0; w < WORKERS; w++) {
      const lines = checks.slice(w * size, (w + 1) * size).map((c) => {
        assert.match(c.a, SAFE);
        assert.match(c.b, SAFE);
        return `dpkg --compare-versions '${c.a}' ${c.claim ?? 'lt'} '${c.b}' 2>/dev/null; echo $?`;
      });
      const script = join(dir, `worker-${w}.sh`);
      await writeFile(script, `${lines.join('\n')}\n`);
      runs.push(runCommand('sh', [script], { timeoutMs: 600_000 }));
    }
    const codes: number[] = [];
    for (const r of await Promise.all(runs)) {
      assert.equal(r.code, 0, r.stderr);
      codes.push(
        ...r.stdout
          .trim()
          .split('\n')
          .filter((l) => l !== '')
          .map(Number),
      );
    }
    assert.equal(codes.length, checks.length);
    return codes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function installedVersions(): Promise<string[]> {
  const r = await runCommand('dpkg-query', ['-W', '-f=${Version}\\n']);
  assert.equal(r.code, 0, r.stderr);
  return [...new Set(r.stdout.split('\n').filter((v) => v !== ''))];
}

test('compareDebianVersions agrees with dpkg --compare-versions on every pair', { timeout: 300_000 }, async (t) => {
  const gen = new VersionGenerator(prng(0x5eed));
  const generated: Check[] = [];
  const refused: Check[] = [];
  while (generated.length < 10_000) {
    const a = gen.version();
    const b = gen.chance(0.75) ? gen.mutate(a) : gen.version();
    if (!SAFE.test(b) || b.startsWith('-')) continue; // dpkg would read a leading '-' as an option
    const c = check(a, b, 'generated');
    if (c.claim !== null) generated.push(c);
    else if (refused.length < 300) refused.push({ ...c, source: 'refused' });
  }

  const installed = (await installedVersions()).sort(compareDebianVersions);
  assert.ok(installed.length > 50, `only ${installed.length} installed versions`);
  const neighbours = installed.slice(1).map((v, i) => check(installed[i]!, v, 'installed versions, sorted'));
  const local = [...generated, ...neighbours, ...refused];

  // apt-get -s takes seconds: let it run while dpkg works through the local checks.
  const started = performance.now();
  const aptChecks = simulateUpgrade('dist-upgrade').then((text) => {
    const plan = parseAptSimulation(text);
    assert.deepEqual(plan.problems, []);
    return plan.packages
      .filter((p) => p.oldVersion !== null && p.newVersion !== null)
      .map((p) => check(p.oldVersion!, p.newVersion!, `apt-get -s dist-upgrade: ${p.name}`));
  });
  const [localCodes, fromApt] = await Promise.all([askDpkg(local), aptChecks]);
  const all = [...local, ...fromApt];
  const codes = [...localCodes, ...(await askDpkg(fromApt))];
  const seconds = ((performance.now() - started) / 1000).toFixed(1);

  const disagreements = all
    .map((c, i) => ({ ...c, code: codes[i]! }))
    .filter((c) => (c.claim === null ? c.code !== 2 : c.code !== 0))
    .map((c) => `${c.source}: '${c.a}' ${c.claim ?? '(refused)'} '${c.b}' -> dpkg exit ${c.code}`);

  const claims = { lt: 0, eq: 0, gt: 0 };
  for (const c of generated) claims[c.claim!]++;
  t.diagnostic(
    `dpkg oracle: ${generated.length} generated pairs (lt ${claims.lt}, eq ${claims.eq}, gt ${claims.gt}), ` +
      `${fromApt.length} apt upgrade pairs, ${neighbours.length} neighbours of ${installed.length} installed versions, ` +
      `${refused.length} refused strings; ${all.length} dpkg runs in ${seconds} s; ${disagreements.length} disagreements`,
  );
  assert.deepEqual(disagreements, []);
  assert.ok(claims.lt > 1000 && claims.gt > 1000 && claims.eq > 300, JSON.stringify(claims));
  assert.ok(refused.length >= 100, `only ${refused.length} refused strings`);
});
