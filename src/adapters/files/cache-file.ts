/**
 * Cache files in upkeep's state directory (apt's simulation, the packages' evidence): read only
 * when they are ours, written whole or not at all.
 *
 * Ours: a regular file (never followed through a symlink, never a FIFO that would block) owned by
 * this user and writable by no one else, no larger than the caller allows: a cache planted or
 * grown by someone else is ignored, never believed. Written to a temporary file (0600, O_EXCL) in
 * the same directory, fsynced, renamed over the old one; the directory must exist, so a command
 * that only reads (check, preflight) never creates the state directory on a host without one.
 */
import { nodeCrypto } from '../../core/lazy-crypto.js';
import { constants } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';

/** The file's text when it is ours (see the file comment); otherwise null and why. */
export async function readOwnedCacheFile(file: string, maxBytes: number): Promise<{ text: string } | { text: null; why: string }> {
  let fh;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { text: null, why: code === 'ENOENT' ? 'no cache yet' : `cache not readable (${code ?? (err as Error).message})` };
  }
  try {
    const s = await fh.stat();
    if (!s.isFile()) return { text: null, why: 'cache ignored: not a regular file' };
    const uid = process.getuid?.();
    if (uid !== undefined && s.uid !== uid) return { text: null, why: `cache ignored: owned by uid ${s.uid}, not ${uid}` };
    if ((s.mode & 0o022) !== 0) return { text: null, why: 'cache ignored: writable by others' };
    if (s.size > maxBytes) return { text: null, why: 'cache ignored: too large' };
    return { text: await fh.readFile('utf8') };
  } catch (err) {
    return { text: null, why: `cache not readable (${(err as Error).message})` };
  } finally {
    await fh.close();
  }
}

/** Writes `content` to `file` in the existing directory `dir`, atomically (see the file comment). */
export async function writeCacheFile(dir: string, file: string, content: string): Promise<void> {
  const st = await stat(dir).catch(() => null);
  if (st === null || !st.isDirectory()) throw new Error(`no state directory ${dir} yet (\`upkeep snapshot\` creates it)`);
  const tmp = `${file}.${process.pid}.${nodeCrypto().randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
