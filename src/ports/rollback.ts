/**
 * The rollback plan's view of the host (core/upgrade/rollback.ts): what apt and dpkg say about
 * the packages an upgrade changes, how a copy of an installed package is kept, and where the
 * recorded plans are read back (adapters/apt/rollback-facts.ts, adapters/apt/keep-package-copy.ts,
 * the store).
 */
import type { CachedDeb, InstalledPackage, RollbackPlan } from '../core/upgrade/rollback.js';

export interface RollbackFactsReader {
  /** `LC_ALL=C apt-cache policy NAME...`'s stdout, or null when apt-cache failed (then: unknown). Never throws. */
  aptCachePolicy(names: readonly string[]): Promise<string | null>;
  /** The .debs in apt's cache that could hold these packages, each with its own control fields. Never throws. */
  cachedDebs(names: readonly string[]): Promise<CachedDeb[]>;
  /** dpkg's view of an installed package (null: not installed, or dpkg cannot say). Never throws. */
  installedPackage(name: string): Promise<InstalledPackage | null>;
}

export interface PackageCopier {
  /**
   * Rebuilds the installed package from the dpkg database into `dest` (a .deb, written to a temp
   * file and renamed, owner-only). Never throws: a failure is `{ ok: false, why }`.
   */
  keepCopy(pkg: InstalledPackage, dest: string): Promise<{ ok: true; bytes: number } | { ok: false; why: string }>;
}

/** A recorded plan with the run and maintenance window it belongs to. */
export interface StoredRollbackPlan {
  runId: number;
  maintenanceId: number | null;
  plan: RollbackPlan;
}

export interface RollbackPlanSource {
  /** The plan recorded by the upgrade run of that maintenance window, or the newest one; null: none. */
  rollbackPlan(query: { maintenanceId: number } | { newest: true }): StoredRollbackPlan | null;
}
