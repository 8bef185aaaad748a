/**
 * The serial group: test files that change host-wide state (the dpkg database and its lock,
 * installed packages, /usr/sbin/policy-rc.d, /boot) or read it and assert on it (apt's view of the
 * installed packages) hold this lock for their whole run, so that they never overlap, whatever
 * runs them in parallel (`npm test` runs two or more files at once; someone may run two by hand).
 * The other files run alongside freely.
 *
 * The lock is a directory (mkdir is atomic) holding the owner's PID; one whose owner is gone is
 * taken over. Usage, at the top of such a file:
 *
 *   before(() => hostLock.acquire());
 *   after(() => hostLock.release());
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HOST_LOCK_DIR = join(tmpdir(), 'upkeep-tests-host-state.lock');

function ownerAlive(dir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
  } catch {
    return true; // being created right now: wait
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DirLock {
  /** `onWait` is called after each attempt that found the lock taken (tests count them). */
  acquire(what?: string, onWait?: (attempts: number) => void): Promise<void>;
  release(): void;
}

export function dirLock(dir: string): DirLock {
  let held = false;
  return {
    /** Waits (polling every 100 ms, saying so every 30 s) until this process holds the lock. */
    async acquire(what = process.argv[1] ?? 'a test file', onWait?: (attempts: number) => void): Promise<void> {
      if (held) return;
      const began = Date.now();
      let said = began;
      let attempts = 0;
      for (;;) {
        try {
          mkdirSync(dir);
          writeFileSync(join(dir, 'pid'), String(process.pid));
          held = true;
          return;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        if (!ownerAlive(dir)) {
          rmSync(dir, { recursive: true, force: true });
          continue;
        }
        onWait?.(++attempts);
        if (Date.now() - said > 30_000) {
          said = Date.now();
          process.stderr.write(`${what}: waiting ${Math.round((said - began) / 1000)} s for the test lock ${dir}\n`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    release(): void {
      if (!held) return;
      held = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const hostLock = dirLock(HOST_LOCK_DIR);
