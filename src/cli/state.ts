/** Opens upkeep's store for a command: --state-dir, UPKEEP_STATE_DIR, /var/lib/upkeep as root, else XDG. */
import { openStore } from '../adapters/store/sqlite-store.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DATABASE_FILE, resolveStateDir } from '../adapters/store/state-dir.js';
import type { Store } from '../adapters/store/store.js';
import type { Io } from './io.js';

export interface StateOptions {
  stateDir?: string;
}

export function stateDirFor(io: Io, opts: StateOptions): string {
  return resolveStateDir(io.env, process.getuid?.() === 0, opts.stateDir === undefined ? {} : { flag: opts.stateDir });
}

/** Runs `fn` with the store open and always closes it. `create` false: a missing database is an error. */
export async function withStore<T>(io: Io, opts: StateOptions & { create?: boolean; readOnly?: boolean }, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = openStore({ stateDir: stateDirFor(io, opts), create: opts.create ?? true, readOnly: opts.readOnly === true });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

/**
 * Runs `fn` with the store when one exists and opens; otherwise with null and, when opening failed
 * for another reason than "not there yet", that reason (commands that only show the desired state
 * go on without it).
 */
export async function withOptionalStore<T>(io: Io, opts: StateOptions, fn: (store: Store | null, problem: string | null) => Promise<T>): Promise<T> {
  const stateDir = stateDirFor(io, opts);
  if (!existsSync(join(stateDir, DATABASE_FILE))) return fn(null, null);
  let store: Store;
  try {
    store = openStore({ stateDir, create: false, readOnly: true });
  } catch (err) {
    return fn(null, (err as Error).message);
  }
  try {
    return await fn(store, null);
  } finally {
    store.close();
  }
}
