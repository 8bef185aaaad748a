/**
 * Replaces a file's content atomically: write a temporary file in the same directory, fsync, give
 * it the original's mode and owner, rename over the original. An interruption leaves either the
 * old file or the new one, never half of one (a stray temporary file at worst, named *.upkeep-tmp-*).
 */
import { randomBytes } from 'node:crypto';
import { chmod, chown, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const st = await stat(path);
  const tmp = await writeTempFile(path, content, st.mode & 0o7777);
  try {
    if (process.getuid?.() === 0) await chown(tmp, st.uid, st.gid);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(path)); // make the rename itself durable
}

/**
 * Writes `content` to a new temporary file next to `path` (named .NAME.upkeep-tmp-XXXXXXXX),
 * fsynced, with exactly `mode` (whatever the umask); returns its path. The caller renames or links
 * it into place, or removes it.
 */
export async function writeTempFile(path: string, content: string, mode: number): Promise<string> {
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await chmod(tmp, mode);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  return tmp;
}

/** A fresh temporary name next to `path`: .NAME.upkeep-tmp-XXXXXXXX. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.upkeep-tmp-${randomBytes(4).toString('hex')}`);
}

/** fsyncs a directory, so that a rename, link or unlink in it survives a power loss. */
export async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
