/**
 * Waits for what a failed start was blocked on (core/recovery/start-conditions.ts): a bind-mount
 * source to appear, a port to be free. Resolves as soon as the condition holds, or after `ms` at
 * the latest (the caller's fallback schedule), or when `signal` aborts; never rejects.
 *
 * - A path: fs.watch on its nearest existing ancestor (re-armed one level deeper as directories
 *   appear), plus an existence check when the watch fires. inotify does not see changes made on
 *   another machine (NFS): the fallback bound covers that.
 * - A port: /proc/net/tcp and tcp6 read every 100 ms until nothing listens on it (no socket of
 *   ours is opened on it, so nothing is taken from whoever is about to bind it).
 */
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { StartBlocker } from '../../core/recovery/start-conditions.js';

export function blockerCleared(blocker: StartBlocker, ms: number, signal?: AbortSignal): Promise<void> {
  return blocker.kind === 'mount-source' ? pathAppears(blocker.path, ms, signal) : portFree(blocker.port, ms, signal);
}

/** Resolves when `path` exists (or after ms, or on abort). */
export function pathAppears(path: string, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    let watcher: FSWatcher | null = null;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      watcher?.close();
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    const arm = (): void => {
      if (done) return;
      if (existsSync(path)) return finish();
      let dir = dirname(path);
      while (!existsSync(dir) && dir !== dirname(dir)) dir = dirname(dir);
      watcher?.close();
      try {
        watcher = watch(dir, { persistent: false }, () => arm());
        watcher.on('error', () => undefined);
      } catch {
        watcher = null; // not watchable: the fallback bound decides
      }
      // It may have appeared between the check and the watch.
      if (existsSync(path)) finish();
    };
    const timer = setTimeout(finish, Math.max(0, ms));
    if (signal?.aborted) return finish();
    signal?.addEventListener('abort', finish, { once: true });
    arm();
  });
}

/** True when some socket listens on `port` (TCP, v4 or v6), from /proc/net/tcp{,6}. */
export function portListened(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is f[1] ("0100007F:1F90"), st is f[3]; 0A = LISTEN.
      if (f[3] === '0A' && f[1]?.endsWith(hex)) return true;
    }
  }
  return false;
}

/** Resolves when nothing listens on `port` (or after ms, or on abort). */
export async function portFree(port: number, ms: number, signal?: AbortSignal): Promise<void> {
  const end = Date.now() + ms;
  while (!signal?.aborted && Date.now() < end && portListened(port)) {
    await new Promise((r) => setTimeout(r, Math.min(100, Math.max(0, end - Date.now()))));
  }
}
