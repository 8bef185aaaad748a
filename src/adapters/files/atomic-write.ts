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
  const tmp = join(dirname(path), `.${basename(path)}.upkeep-tmp-${randomBytes(4).toString('hex')}`);
  const fh = await open(tmp, 'wx', st.mode & 0o7777);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await chmod(tmp, st.mode & 0o7777);
    if (process.getuid?.() === 0) await chown(tmp, st.uid, st.gid);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  // Make the rename itself durable.
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
