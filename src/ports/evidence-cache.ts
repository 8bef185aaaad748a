/**
 * Where the packages' evidence is kept between runs (adapters/apt/evidence-cache.ts;
 * core/preflight/evidence-cache.ts says what makes it sound), filed under apt's simulation key.
 */
import type { PackageEvidence } from '../core/preflight/preflight-report.js';

export interface EvidenceCacheStore {
  /** The evidence kept for `simulationKey`, by evidenceCacheId; null with why when there is none. */
  read(simulationKey: string): Promise<{ entries: ReadonlyMap<string, PackageEvidence> } | { entries: null; why: string }>;
  /** Replaces what is kept with `entries`, for `simulationKey`. @throws when it cannot be written. */
  write(simulationKey: string, entries: ReadonlyMap<string, PackageEvidence>): Promise<void>;
}
