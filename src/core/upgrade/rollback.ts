/**
 * The rollback plan of an upgrade (issue 15, item 6): before apt runs, the installed version of
 * every package the plan changes, and for the packages that restart or replace the engine or the
 * kernel, how that version can be reinstalled afterwards:
 *  - `repository`: `apt-cache policy` lists it from a configured repository (not only
 *    /var/lib/dpkg/status);
 *  - `cache`: a .deb in apt's cache whose own control fields (read with `dpkg-deb -f`, never from
 *    its file name) are that package, version and architecture;
 *  - `copy`: a copy rebuilt from the dpkg database and kept in STATE/rollback/ (within a size cap);
 *  - `none`: none of these, with why.
 * Pure: the facts (apt-cache's text, the cached .debs, what dpkg knows) come in, the plan comes out.
 * apt-cache's text is read defensively: a block that is cut short or not in the expected shape is
 * "unknown", never "available".
 */
import { lookupKnowledge } from '../preflight/knowledge-base.js';
import { kernelReleaseOf } from '../preflight/kernels.js';
import { compareDebianVersions, parseDebianVersion } from '../preflight/debian-version.js';

/** The units whose restart is the engine's (docker.service stops every container). */
const ENGINE_UNITS = new Set(['docker.service', 'containerd.service']);

/**
 * Whether upgrading a package restarts or replaces the engine or the kernel: the preflight's
 * knowledge base says it restarts docker.service or containerd.service (docker-ce, docker.io,
 * containerd, containerd.io), or it is runc (every container's runtime), or a kernel image.
 */
export function replacesEngineOrKernel(name: string): boolean {
  if (kernelReleaseOf(name) !== null) return true;
  if (name === 'runc') return true;
  const k = lookupKnowledge(name);
  return k !== null && k.effects.some((e) => ENGINE_UNITS.has(e.unit));
}

/** One version in `apt-cache policy`'s version table, with where it can come from. */
export interface PolicyVersion {
  version: string;
  /** The source lines' locations: `http://deb.debian.org/debian bookworm/main amd64 Packages`, `/var/lib/dpkg/status`. */
  sources: string[];
}

/** What `apt-cache policy PKG` said about one package; `unknown` when its block could not be read. */
export type PolicyReading = { known: true; installed: string | null; candidate: string | null; versions: PolicyVersion[] } | { known: false; why: string };

const DPKG_STATUS_SOURCE = /^\/var\/lib\/dpkg\/status$/;
const SOURCE_LINE = /^(?:\/var\/lib\/dpkg\/status|\S+ \S+(?: \S+)? Packages)$/;

/**
 * Reads `LC_ALL=C apt-cache policy PKG...`: one block per package (`NAME:` at column 0, then
 * `  Installed:`, `  Candidate:`, `  Version table:`, version lines ` *** V PRIO` / `     V PRIO`,
 * each followed by its source lines `        PRIO LOCATION`). A block with a line of another shape,
 * a version without a source line (the text was cut), an invalid version, or a package named twice
 * is unknown. A package with no block at all is absent from the map (the caller: unknown).
 */
export function parseAptCachePolicy(text: string): Map<string, PolicyReading> {
  const out = new Map<string, PolicyReading>();
  const seen = new Set<string>();
  let name: string | null = null;
  let block: { installed: string | null; candidate: string | null; versions: PolicyVersion[]; table: boolean } | null = null;
  let bad: string | null = null;
  const close = () => {
    if (name === null) return;
    if (bad === null && block !== null) {
      if (!block.table && block.versions.length === 0 && block.installed === null) bad = 'no version table';
      else if (block.versions.some((v) => v.sources.length === 0)) bad = 'a version without a source line (cut short?)';
    }
    out.set(
      name,
      bad !== null || block === null
        ? { known: false, why: bad ?? 'empty block' }
        : { known: true, installed: block.installed, candidate: block.candidate, versions: block.versions },
    );
    name = null;
    block = null;
    bad = null;
  };
  const lines = text.split('\n');
  // apt-cache ends its output with a newline: without one, the last line may be cut short.
  const cut = text !== '' && !text.endsWith('\n');
  for (const [i, raw] of lines.entries()) {
    if (cut && i === lines.length - 1 && name !== null) {
      bad ??= 'the output ends in the middle of a line (cut short?)';
      continue;
    }
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const header = /^([a-z0-9][a-z0-9+.-]*(?::[a-z0-9-]+)?):$/.exec(line);
    if (header !== null) {
      close();
      const n = header[1]!;
      if (seen.has(n)) {
        out.set(n, { known: false, why: 'named twice' });
        name = null;
        continue;
      }
      seen.add(n);
      name = n;
      block = { installed: null, candidate: null, versions: [], table: false };
      continue;
    }
    if (name === null || block === null || bad !== null) continue;
    const b = block;
    let m: RegExpExecArray | null;
    if ((m = /^ {2}(Installed|Candidate): (\S+)$/.exec(line)) !== null) {
      const v = m[2] === '(none)' ? null : m[2]!;
      if (v !== null && !parseDebianVersion(v).ok) bad = `invalid version ${JSON.stringify(v)}`;
      else if (m[1] === 'Installed') b.installed = v;
      else b.candidate = v;
    } else if (line === '  Version table:') {
      b.table = true;
    } else if (b.table && (m = /^ (\*\*\*| {3}) (\S+) (-?\d+)$/.exec(line)) !== null) {
      if (!parseDebianVersion(m[2]!).ok) bad = `invalid version ${JSON.stringify(m[2])}`;
      else b.versions.push({ version: m[2]!, sources: [] });
    } else if (b.table && b.versions.length > 0 && (m = /^ {8}(-?\d+) (\S.*)$/.exec(line)) !== null) {
      // `/var/lib/dpkg/status`, or `URI SUITE[/COMPONENT] [ARCH] Packages`: anything else (a line cut short) is not a source.
      if (!SOURCE_LINE.test(m[2]!)) bad = `unexpected source ${JSON.stringify(m[2]!.slice(0, 80))}`;
      else b.versions[b.versions.length - 1]!.sources.push(m[2]!);
    } else if (/^ {5}\S/.test(line) && !b.table) {
      // apt prints package pins here in some versions ("Package pin: ..."): readable, not needed.
      if (!/^ {5}Package pin: /.test(line)) bad = `unexpected line ${JSON.stringify(line.slice(0, 80))}`;
    } else {
      bad = `unexpected line ${JSON.stringify(line.slice(0, 80))}`;
    }
  }
  close();
  return out;
}

/** A repository (not dpkg's status) offering exactly this version, or null; unknown readings give null. */
export function repositoryOffering(reading: PolicyReading | undefined, version: string): string | null {
  if (reading === undefined || !reading.known || !parseDebianVersion(version).ok) return null;
  for (const v of reading.versions) {
    if (compareDebianVersions(v.version, version) !== 0) continue;
    const repo = v.sources.find((s) => !DPKG_STATUS_SOURCE.test(s));
    if (repo !== undefined) return repo;
  }
  return null;
}

/** A .deb in apt's cache, with the fields `dpkg-deb -f` read from it (null: could not be read). */
export interface CachedDeb {
  path: string;
  fields: { package: string; version: string; architecture: string } | null;
}

/** What dpkg knows of an installed package, for rebuilding it. */
export interface InstalledPackage {
  name: string;
  version: string;
  architecture: string;
  /** `dpkg-query`'s Status: `install ok installed` for a package that can be copied. */
  status: string;
  /** The file list dpkg keeps (`PKG.list` / `PKG:ARCH.list`), or null when there is none. */
  listFile: string | null;
  /** Bytes of the regular files in the list (what a copy would hold, before compression). */
  bytes: number;
  /** Paths in the list that are no longer on disk (a copy would not be the package). */
  missing: string[];
}

/** A package the upgrade changes, as the apt plan names it. */
export interface ChangedPackage {
  name: string;
  /** Installed version (null: a new package, nothing to roll back to but its removal). */
  from: string | null;
  to: string | null;
}

/** Everything read about the host, for {@link planRollback}. */
export interface RollbackFacts {
  /** Parsed `apt-cache policy` of the changed packages (missing: unknown). */
  policies: ReadonlyMap<string, PolicyReading>;
  /** .debs in apt's cache whose name could be one of the engine/kernel packages. */
  cached: readonly CachedDeb[];
  /** dpkg's view of the engine/kernel packages (null: not installed, or dpkg-query failed). */
  installed: ReadonlyMap<string, InstalledPackage | null>;
}

export interface RollbackOptions {
  /** The state directory's rollback folder (`STATE/rollback`). */
  dir: string;
  /** Most bytes all kept copies may hold together. */
  capBytes: number;
  /** False (preflight): copies are judged possible, not made. */
  keepCopies: boolean;
}

export type RollbackSource =
  | { kind: 'repository'; origin: string }
  | { kind: 'cache'; path: string }
  | { kind: 'copy'; path: string; bytes: number; from: string }
  | { kind: 'none'; why: string };

export interface RollbackPackage {
  name: string;
  from: string;
  to: string | null;
  architecture: string | null;
  /** Restarts or replaces the engine or the kernel: reinstallability was checked (and a copy kept). */
  critical: boolean;
  source: RollbackSource;
}

/** The plan, as recorded before apt runs. */
export interface RollbackPlan {
  recordedAt: string;
  packages: RollbackPackage[];
  /** New packages (no installed version): a rollback removes them. */
  newPackages: string[];
  capBytes: number;
  notes: string[];
}

/** Where a kept copy of NAME VERSION ARCH goes: `DIR/NAME_VERSION_ARCH.deb`, the epoch's colon as apt's cache writes it (`%3a`). */
export function copyFileName(name: string, version: string, arch: string): string {
  return `${name}_${version.replace(/:/g, '%3a')}_${arch}.deb`;
}

/**
 * The plan from the changed packages and the facts; `at` is when it is made. Copies that would
 * go over the cap (counted in the plan's order, the uncompressed size) are not kept, and say so.
 */
export function planRollback(changed: readonly ChangedPackage[], facts: RollbackFacts, opts: RollbackOptions, at: string): RollbackPlan {
  const packages: RollbackPackage[] = [];
  const newPackages: string[] = [];
  const notes: string[] = [];
  let used = 0;
  for (const c of changed) {
    if (c.from === null) {
      newPackages.push(c.name);
      continue;
    }
    const critical = replacesEngineOrKernel(c.name);
    const installed = facts.installed.get(c.name) ?? null;
    const architecture = installed?.architecture ?? null;
    const reading = facts.policies.get(c.name);
    const base = { name: c.name, from: c.from, to: c.to, architecture, critical };
    const repo = repositoryOffering(reading, c.from);
    if (repo !== null) {
      packages.push({ ...base, source: { kind: 'repository', origin: repo } });
      continue;
    }
    const repoWhy =
      reading === undefined
        ? 'apt-cache policy said nothing about it'
        : !reading.known
          ? `apt-cache policy not understood (${reading.why})`
          : 'in no configured repository';
    if (!critical) {
      packages.push({ ...base, source: { kind: 'none', why: `${repoWhy}; only engine and kernel packages are kept` } });
      continue;
    }
    const deb = facts.cached.find(
      (d) =>
        d.fields !== null &&
        d.fields.package === c.name &&
        parseDebianVersion(d.fields.version).ok &&
        compareDebianVersions(d.fields.version, c.from!) === 0 &&
        (architecture === null || d.fields.architecture === architecture),
    );
    if (deb !== undefined) {
      packages.push({ ...base, source: { kind: 'cache', path: deb.path } });
      continue;
    }
    const copyWhy = cannotCopy(c, installed);
    if (copyWhy !== null) {
      packages.push({ ...base, source: { kind: 'none', why: `${repoWhy}, not in apt's cache, and no copy can be made: ${copyWhy}` } });
      continue;
    }
    const inst = installed!;
    if (used + inst.bytes > opts.capBytes) {
      packages.push({
        ...base,
        source: {
          kind: 'none',
          why: `${repoWhy}, not in apt's cache, and a copy (${mib(inst.bytes)}) would pass the rollback cap (${mib(opts.capBytes)}, ${mib(used)} already kept): not kept`,
        },
      });
      continue;
    }
    used += inst.bytes;
    packages.push({
      ...base,
      source: { kind: 'copy', path: `${opts.dir}/${copyFileName(c.name, c.from, inst.architecture)}`, bytes: inst.bytes, from: inst.listFile! },
    });
  }
  if (!opts.keepCopies && packages.some((p) => p.source.kind === 'copy')) notes.push('copies are possible; upkeep upgrade keeps them before apt runs');
  return { recordedAt: at, packages, newPackages, capBytes: opts.capBytes, notes };
}

function cannotCopy(c: ChangedPackage, installed: InstalledPackage | null): string | null {
  if (installed === null) return 'dpkg does not know it as installed';
  if (installed.status !== 'install ok installed') return `its dpkg status is "${installed.status}"`;
  if (!parseDebianVersion(installed.version).ok || compareDebianVersions(installed.version, c.from!) !== 0)
    return `dpkg has ${installed.version} installed, the plan says ${c.from}`;
  if (installed.listFile === null) return 'dpkg has no file list for it (PKG.list)';
  if (installed.missing.length > 0)
    return `${installed.missing.length} file(s) of its list are gone (${installed.missing.slice(0, 3).join(', ')}${installed.missing.length > 3 ? ', ...' : ''})`;
  return null;
}

/** A planned copy that could not be written becomes `none`, with why; a written one keeps its real size. */
export function withCopyOutcomes(plan: RollbackPlan, outcomes: ReadonlyMap<string, { ok: true; bytes: number } | { ok: false; why: string }>): RollbackPlan {
  return {
    ...plan,
    packages: plan.packages.map((p) => {
      if (p.source.kind !== 'copy') return p;
      const o = outcomes.get(p.name);
      if (o === undefined) return p;
      return o.ok
        ? { ...p, source: { ...p.source, bytes: o.bytes } }
        : { ...p, source: { kind: 'none', why: `in no repository or cache, and its copy could not be made: ${o.why}` } };
    }),
  };
}

/** Quotes a word for sh when it needs it. */
function sh(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-][A-Za-z0-9_@%+=:,./~-]*$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command that puts the old versions back: `apt-get install --allow-downgrades PKG=OLD ...`
 * for packages in a repository, the .deb's path for a cached or kept one. Packages with no way
 * back are left out (listed by {@link rollbackGaps}); null when no package can be rolled back.
 */
export function rollbackCommand(plan: RollbackPlan): string | null {
  const words = plan.packages.flatMap((p) =>
    p.source.kind === 'repository' ? [`${p.name}=${p.from}`] : p.source.kind === 'cache' || p.source.kind === 'copy' ? [p.source.path] : [],
  );
  if (words.length === 0) return null;
  return ['apt-get', 'install', '--allow-downgrades', ...words].map(sh).join(' ');
}

/** Packages whose old version cannot be reinstalled, engine and kernel ones first. */
export function rollbackGaps(plan: RollbackPlan): RollbackPackage[] {
  const gaps = plan.packages.filter((p) => p.source.kind === 'none');
  return [...gaps.filter((p) => p.critical), ...gaps.filter((p) => !p.critical)];
}

/** One line per engine/kernel package whose rollback would be impossible (preflight's warning). */
export function rollbackWarnings(plan: RollbackPlan): string[] {
  return plan.packages
    .filter((p) => p.critical && p.source.kind === 'none')
    .map((p) => `${p.name} ${p.from} -> ${p.to ?? '(removed)'}: no rollback possible: ${(p.source as { why: string }).why}`);
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
}

/** One line for the run's output: how many packages can go back and how, and the gaps. */
export function rollbackSummary(plan: RollbackPlan): string {
  const count = (k: RollbackSource['kind']) => plan.packages.filter((p) => p.source.kind === k).length;
  const kept = plan.packages.filter((p) => p.source.kind === 'copy').map((p) => (p.source as { path: string }).path);
  const gaps = rollbackGaps(plan);
  const parts = [
    `rollback plan: ${plan.packages.length} installed version(s) recorded`,
    `${count('repository')} in a repository, ${count('cache')} in apt's cache, ${kept.length} kept${kept.length > 0 ? ` (${kept.join(', ')})` : ''}`,
  ];
  if (gaps.length > 0) parts.push(`no way back for ${gaps.map((p) => `${p.name}${p.critical ? ' (engine/kernel)' : ''}`).join(', ')}`);
  return parts.join('; ');
}

/** The rollback plan as the report and the runbook show it (the JSON of `upkeep report`'s `rollback`). */
export interface RollbackSection {
  recordedAt: string;
  /** The command that reinstalls the old versions that can be reinstalled, or null when none can. */
  command: string | null;
  packages: Array<{
    name: string;
    from: string;
    to: string | null;
    critical: boolean;
    via: RollbackSource['kind'];
    /** The repository, or the .deb's path (cache, copy); null for `none`. */
    where: string | null;
    /** Why there is no way back (`none` only). */
    why: string | null;
  }>;
  /** New packages: a rollback removes them (`apt-get remove`). */
  newPackages: string[];
  capBytes: number;
}

export function rollbackSection(plan: RollbackPlan): RollbackSection {
  return {
    recordedAt: plan.recordedAt,
    command: rollbackCommand(plan),
    packages: plan.packages.map((p) => ({
      name: p.name,
      from: p.from,
      to: p.to,
      critical: p.critical,
      via: p.source.kind,
      where: p.source.kind === 'repository' ? p.source.origin : p.source.kind === 'none' ? null : p.source.path,
      why: p.source.kind === 'none' ? p.source.why : null,
    })),
    newPackages: [...plan.newPackages],
    capBytes: plan.capBytes,
  };
}

/**
 * A size such as `512M`, `512MiB`, `2G`, `0` or a number of bytes (units are powers of 1024).
 * @returns the bytes, or null when it is not a size.
 */
export function parseByteSize(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(?:(k|m|g|t)(?:i?b)?|b)?$/i.exec(text.trim());
  if (m === null) return null;
  const power = { k: 1, m: 2, g: 3, t: 4 }[(m[2] ?? '').toLowerCase() as 'k'] ?? 0;
  return Math.floor(Number(m[1]) * 1024 ** power);
}
