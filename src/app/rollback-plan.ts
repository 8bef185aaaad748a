/**
 * The rollback plan as a use case: read (apt-cache policy of the changed packages; apt's cache and
 * dpkg's database for the engine and kernel ones) -> plan (core/upgrade/rollback.ts, pure) ->
 * apply (keep the copies the plan asks for, through the PackageCopier port). `assessRollback`
 * stops after the plan (preflight: what would be possible); `prepareRollback` keeps the copies
 * (upkeep upgrade, before apt). Never throws: what cannot be read is unknown, and a copy that
 * cannot be made is a package with no way back, said why.
 */
import {
  planRollback,
  replacesEngineOrKernel,
  parseAptCachePolicy,
  withCopyOutcomes,
  type ChangedPackage,
  type InstalledPackage,
  type PolicyReading,
  type RollbackPlan,
} from '../core/upgrade/rollback.js';
import type { PackageCopier, RollbackFactsReader } from '../ports/rollback.js';

/** The default cap on the copies kept in STATE/rollback/ together. */
export const DEFAULT_ROLLBACK_CAP_BYTES = 512 * 1024 * 1024;

export interface RollbackDeps {
  facts: RollbackFactsReader;
  /** Null: copies are only judged possible (preflight). */
  copier: PackageCopier | null;
  /** STATE/rollback */
  dir: string;
  capBytes: number;
  now(): number;
}

async function readAndPlan(deps: RollbackDeps, changed: readonly ChangedPackage[], keepCopies: boolean) {
  const old = changed.filter((c) => c.from !== null);
  const critical = old.filter((c) => replacesEngineOrKernel(c.name)).map((c) => c.name);
  const policyText = old.length === 0 ? '' : await deps.facts.aptCachePolicy(old.map((c) => c.name));
  const policies: Map<string, PolicyReading> = policyText === null ? new Map() : parseAptCachePolicy(policyText);
  const installed = new Map<string, InstalledPackage | null>();
  for (const name of critical) installed.set(name, await deps.facts.installedPackage(name));
  const cached = critical.length === 0 ? [] : await deps.facts.cachedDebs(critical);
  const plan = planRollback(
    changed,
    { policies, cached, installed },
    { dir: deps.dir, capBytes: deps.capBytes, keepCopies },
    new Date(deps.now()).toISOString(),
  );
  if (policyText === null) plan.notes.push('apt-cache policy could not run: no package counts as available from a repository');
  return { plan, installed };
}

/** What a rollback would be now, without keeping anything (upkeep preflight). */
export async function assessRollback(deps: Omit<RollbackDeps, 'copier'>, changed: readonly ChangedPackage[]): Promise<RollbackPlan> {
  return (await readAndPlan({ ...deps, copier: null }, changed, false)).plan;
}

/** The plan with its copies kept (upkeep upgrade, before apt): the plan to record. */
export async function prepareRollback(deps: RollbackDeps, changed: readonly ChangedPackage[]): Promise<RollbackPlan> {
  const { plan, installed } = await readAndPlan(deps, changed, deps.copier !== null);
  if (deps.copier === null) return plan;
  const outcomes = new Map<string, { ok: true; bytes: number } | { ok: false; why: string }>();
  for (const p of plan.packages) {
    if (p.source.kind !== 'copy') continue;
    const pkg = installed.get(p.name);
    if (pkg == null) continue;
    outcomes.set(p.name, await deps.copier.keepCopy(pkg, p.source.path));
  }
  return withCopyOutcomes(plan, outcomes);
}
