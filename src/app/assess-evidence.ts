/**
 * Preflight's evidence policy: for each package of an apt plan, which source says what its upgrade
 * does to services, in order of trust (docs/preflight.md):
 *   1. candidate scripts (the new version's, downloaded): confidence high;
 *   2. installed scripts (the old version's; the new one's may differ): medium;
 *   3. the unit files the package ships, assuming debhelper's default restart, when no script can
 *      be read: low (they also name the units of script actions on units computed at run time);
 *   4. the knowledge base (also when the scripts show no effect, or cannot be fully read): medium.
 * A script the parser cannot follow, or an action on a unit nothing names, is `unknown` (the
 * verdict becomes unknown), never "does not restart", unless the knowledge base knows the package.
 *
 * Downloads: one at a time (apt's lock); the first failure that says the mirror cannot be reached
 * stops every further download (one note, not one wait per package), and the packages fall back
 * to the installed scripts and the knowledge base.
 */
import { evidenceCacheId, type EvidenceCacheInfo } from '../core/preflight/evidence-cache.js';
import type { EvidenceCacheStore } from '../ports/evidence-cache.js';
import { lookupKnowledge } from '../core/preflight/knowledge-base.js';
import type { PlannedPackage } from '../core/preflight/apt-plan.js';
import { analyseMaintainerScript, effectsOfUpgrade, type ScriptAnalysis, type ScriptKind, type UpgradeScripts } from '../core/preflight/maintainer-scripts.js';
import type { PackageEvidence } from '../core/preflight/preflight-report.js';
import { assumeDebhelperRestart, shippedUnitsSource, type UnitState } from '../core/preflight/shipped-units.js';

/** The text of a package's four maintainer scripts; null where it has none. */
export type ScriptTexts = Record<ScriptKind, string | null>;

/** Why a candidate could not be downloaded: `unreachable` (network, mirror, timeout) stops all further downloads. */
export class CandidateDownloadError extends Error {
  constructor(
    message: string,
    readonly kind: 'unreachable' | 'other',
  ) {
    super(message);
  }
}

/** Where a package's evidence is read (adapters/apt/upgrade-sources.ts implements it on dpkg, apt and systemd). */
export interface PackageEvidenceSource {
  /** The installed version's scripts, or null when it has none to read (not installed, unreadable). */
  installedScripts(p: PlannedPackage): Promise<ScriptTexts | null>;
  /**
   * The candidate's scripts (apt-get download, dpkg-deb -e).
   * @throws CandidateDownloadError when it cannot be downloaded or read.
   */
  candidateScripts(p: PlannedPackage): Promise<ScriptTexts>;
  /** The restartable units the installed version ships, with its list file's name; null when there is no list. */
  shippedUnits(p: PlannedPackage): Promise<{ list: string; units: string[] } | null>;
  /** Enabled and active state of each unit. */
  unitStates(units: readonly string[]): Promise<ReadonlyMap<string, UnitState>>;
}

/** The evidence of every package, and what happened to the downloads. */
export interface GatheredEvidence {
  evidence: PackageEvidence[];
  /** One sentence when downloads failed (or were stopped), else null. */
  downloadNote: string | null;
  /** Packages whose candidate scripts were read. */
  downloaded: number;
  /** How much came from the evidence cache (null: no cache was offered). */
  cache: EvidenceCacheInfo | null;
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The evidence for every package the plan unpacks or removes (configure-only steps have none of their own). */
export async function gatherEvidence(
  packages: readonly PlannedPackage[],
  source: PackageEvidenceSource,
  opts: {
    download: boolean;
    onProgress?: (line: string) => void;
    /** The evidence cache and apt's simulation key (null: the plan has none); used only without download. */
    cache?: { store: EvidenceCacheStore; simulationKey: string | null };
  },
): Promise<GatheredEvidence> {
  const todo = packages.filter((p) => p.action !== 'configure');
  if (opts.cache !== undefined && !opts.download) {
    const { evidence, cache } = await evidenceThroughCache(todo, source, opts.cache.store, opts.cache.simulationKey);
    return { evidence, downloadNote: null, downloaded: 0, cache };
  }
  const candidates = new Map<PlannedPackage, ScriptTexts>();
  let downloadNote: string | null = null;
  if (opts.download) {
    const wanted = todo.filter((p) => p.newVersion !== null);
    if (wanted.length > 0)
      opts.onProgress?.(`reading the maintainer scripts of ${wanted.length} package(s) to be installed (apt-get download; --no-download skips this)`);
    const failed: string[] = [];
    for (let i = 0; i < wanted.length; i++) {
      const p = wanted[i]!;
      try {
        candidates.set(p, await source.candidateScripts(p));
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        if (err instanceof CandidateDownloadError && err.kind === 'unreachable') {
          const rest = wanted.length - i - 1;
          downloadNote =
            `could not download ${p.name} ${p.newVersion} (${why}); ${rest > 0 ? `not trying the other ${rest}: ` : ''}` +
            `the new versions' scripts were not read, so the installed scripts and the knowledge base are used (lower confidence)`;
          break;
        }
        failed.push(`${p.name} ${p.newVersion}: ${why}`);
      }
    }
    if (downloadNote === null && failed.length > 0) {
      downloadNote = `could not download ${failed.length} of ${wanted.length} package(s) (first: ${failed[0]}); for ${failed.length === 1 ? 'it' : 'them'} the installed scripts and the knowledge base are used (lower confidence)`;
    }
  }
  const evidence = await mapLimit(todo, 16, (p) => evidenceFor(p, candidates.get(p) ?? null, source));
  return {
    evidence,
    downloadNote,
    downloaded: candidates.size,
    cache: opts.cache === undefined ? null : { cached: 0, total: todo.length, note: 'not used: the candidates were downloaded' },
  };
}

/**
 * The evidence without downloads, each package's from the cache when it is there for this key,
 * read now otherwise; what was read now is kept for the next run, except evidence that needed the
 * units' enabled or active state (it changes without dpkg).
 */
async function evidenceThroughCache(
  todo: readonly PlannedPackage[],
  source: PackageEvidenceSource,
  store: EvidenceCacheStore,
  simulationKey: string | null,
): Promise<{ evidence: PackageEvidence[]; cache: EvidenceCacheInfo }> {
  if (simulationKey === null) {
    const evidence = await mapLimit(todo, 16, (p) => evidenceFor(p, null, source));
    return { evidence, cache: { cached: 0, total: todo.length, note: "not used: apt's simulation has no key" } };
  }
  const kept = await store.read(simulationKey).catch((err: Error) => ({ entries: null, why: `cache not readable (${err.message})` }));
  let note = kept.entries === null ? kept.why : null;
  const keep = new Map<string, PackageEvidence>();
  let cached = 0;
  const evidence = await mapLimit(todo, 16, async (p) => {
    const id = evidenceCacheId(p);
    const hit = kept.entries?.get(id);
    if (hit !== undefined) {
      cached++;
      keep.set(id, hit);
      // The plan's own record of the package (its line, origins) is today's, not the cached run's.
      return { ...hit, pkg: p };
    }
    let runtimeState = false;
    const tracked: PackageEvidenceSource = {
      installedScripts: (x) => source.installedScripts(x),
      candidateScripts: (x) => source.candidateScripts(x),
      shippedUnits: (x) => source.shippedUnits(x),
      unitStates: (units) => {
        runtimeState = true;
        return source.unitStates(units);
      },
    };
    const e = await evidenceFor(p, null, tracked);
    if (!runtimeState) keep.set(id, e);
    return e;
  });
  const changed = keep.size !== (kept.entries?.size ?? -1) || cached < keep.size;
  if (changed) {
    try {
      await store.write(simulationKey, keep);
    } catch (err) {
      note = `not cached: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  return { evidence, cache: { cached, total: todo.length, note } };
}

function analyse(scripts: ScriptTexts | null, kind: ScriptKind): ScriptAnalysis | null {
  const text = scripts?.[kind] ?? null;
  return text === null ? null : analyseMaintainerScript(kind, text);
}

/** Evidence for one package (see the file comment for the order). */
export async function evidenceFor(p: PlannedPackage, candidate: ScriptTexts | null, source: PackageEvidenceSource): Promise<PackageEvidence> {
  const kb = lookupKnowledge(p.name);
  const base = { pkg: p, rebootNeeded: kb?.rebootNeeded ?? false, notes: kb?.notes ?? [] };
  const fromKnowledge = (extraNotes: string[] = []): PackageEvidence => ({
    ...base,
    notes: [...extraNotes, ...base.notes],
    effects: kb!.effects,
    source: `knowledge base: ${kb!.source}`,
  });
  if (p.newVersion === null) return { ...base, effects: [], source: 'none (removal)', confidence: 'high' };
  const installed = p.oldVersion === null ? null : await source.installedScripts(p).catch(() => null);
  const shipped = async () => (p.oldVersion === null ? null : await source.shippedUnits(p).catch(() => null));
  const newScripts = candidate ?? installed;
  if (newScripts !== null && Object.values(newScripts).some((s) => s !== null)) {
    const scripts: UpgradeScripts = {
      oldPrerm: analyse(installed, 'prerm'),
      newPreinst: analyse(newScripts, 'preinst'),
      oldPostrm: analyse(installed, 'postrm'),
      newPostinst: analyse(newScripts, 'postinst'),
    };
    const from = p.oldVersion ?? '0';
    const unreadable = [scripts.oldPrerm, scripts.newPreinst, scripts.oldPostrm, scripts.newPostinst].flatMap((a) =>
      a === null ? [] : a.problems.map((x) => `${a.kind} line ${x.line}: ${x.message} (the shell there was not analysed)`),
    );
    const unresolved = unresolvedUpgradeActions(scripts, from, p.newVersion);
    const units = unresolved.length > 0 ? await shipped() : null;
    const found = effectsOfUpgrade(scripts, from, p.newVersion, units ? { shippedUnits: units.units } : {});
    const unnamed = units === null || units.units.length === 0 ? unresolved.map((u) => `${u}, and the package ships no unit file to name it`) : [];
    const unknown = [...unreadable, ...unnamed];
    if (unknown.length > 0 && kb !== null) return fromKnowledge([`its maintainer scripts could not be fully read (${unknown.join('; ')})`]);
    const effects = found.map((e) => ({ unit: e.unit, action: e.action, when: e.when === 'install' ? ('upgrade' as const) : e.when }));
    if (effects.length > 0 || kb === null) {
      const named = units !== null && found.some((e) => e.unitFrom !== undefined) ? `; units named from the unit files the package ships (${units.list})` : '';
      return {
        ...base,
        effects,
        source: `${candidate ? 'candidate scripts' : "installed scripts (the new version's may differ)"}${named}`,
        confidence: candidate ? 'high' : 'medium',
        ...(unknown.length > 0 ? { unknown } : {}),
      };
    }
  } else if (candidate === null) {
    // No script to read (a downloaded candidate without scripts does tell: nothing restarts): what
    // debhelper's default does to the units the package ships.
    const units = await shipped();
    if (units !== null && units.units.length > 0) {
      const states = await source.unitStates(units.units);
      const { restarted, skipped } = assumeDebhelperRestart(units.units, states);
      if (restarted.length > 0 || kb === null) {
        const notes =
          skipped.length > 0
            ? [`ships ${skipped.join(', ')}: not enabled or running here, so deb-systemd-invoke would leave ${skipped.length === 1 ? 'it' : 'them'} alone`]
            : [];
        return {
          ...base,
          notes: [...notes, ...base.notes],
          effects: restarted.map((unit) => ({ unit, action: 'restart' as const, when: 'upgrade' as const, assumed: true })),
          source: shippedUnitsSource(units.list),
          confidence: 'low',
        };
      }
    }
  }
  if (kb !== null) return fromKnowledge();
  return { ...base, effects: [], source: newScripts ? 'maintainer scripts (no service effect)' : 'none (not installed, not downloaded)' };
}

/** The upgrade's actions on units the scripts compute at run time, as "postinst line 12 restarts a unit computed at run time". */
function unresolvedUpgradeActions(scripts: UpgradeScripts, from: string, to: string): string[] {
  // effectsOfUpgrade with one made-up unit tells which unresolved actions run in this upgrade.
  const probe = '\u0000probe';
  return effectsOfUpgrade(scripts, from, to, { shippedUnits: [probe] })
    .filter((e) => e.unit === probe)
    .map((e) => `line ${e.evidence.line} ${e.action}s a unit computed at run time`);
}
