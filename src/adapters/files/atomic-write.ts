/**
 * Replaces a file's content atomically: write a temporary file in the same directory, fsync, give
 * it the original's owner (as root) and then its exact mode (setuid, setgid and sticky included:
 * chown clears setuid/setgid, so it comes first), rename over the original. An interruption leaves
 * either the old file or the new one, never half of one (a stray temporary file at worst, named
 * *.upkeep-tmp-*).
 *
 * `writeFixedFile` is what `upkeep audit --fix` uses: it first checks that the file is still the one
 * that was read (same inode, same bytes), and writes a file with several hard links in place
 * (truncate and write the same inode), since a rename would give only this name the new content.
 */
import { nodeCrypto } from '../../core/lazy-crypto.js';
import { constants } from 'node:fs';
import { chmod, chown, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FileIdentity } from './audit-file-reader.js';

export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const st = await stat(path);
  await replaceByRename(path, content, { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
}

/** How writeFixedFile wrote a file. */
export type { WriteMethod } from '../../ports/audit-files.js';
import type { WriteMethod } from '../../ports/audit-files.js';

/** The file changed between the audit's read and the write: nothing was written. */
export class FileChangedError extends Error {}

/**
 * Writes `content` to `path` if the file is still `identity` with exactly `original` as content;
 * keeps its mode bits (and owner, as root). A file with one link is replaced atomically; a file with
 * several links is written in place, so that every link sees the fix.
 */
export async function writeFixedFile(path: string, original: Uint8Array, identity: FileIdentity, content: Uint8Array): Promise<WriteMethod> {
  const fh = await open(path, (identity.nlink > 1 ? constants.O_RDWR : constants.O_RDONLY) | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.dev !== identity.dev || st.ino !== identity.ino) {
      throw new FileChangedError('it was replaced by another file after it was read; nothing written, audit it again');
    }
    if (st.size !== original.length) throw new FileChangedError('it changed after it was read; nothing written, audit it again');
    const now = Buffer.alloc(original.length);
    let at = 0;
    while (at < now.length) {
      const { bytesRead } = await fh.read(now, at, now.length - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    if (at !== original.length || !now.equals(original)) {
      throw new FileChangedError('it changed after it was read; nothing written, audit it again');
    }
    if (st.nlink > 1) {
      await fh.truncate(0);
      let done = 0;
      while (done < content.length) done += (await fh.write(content, done, content.length - done, done)).bytesWritten;
      await fh.sync();
      return 'in-place';
    }
  } finally {
    await fh.close();
  }
  await replaceByRename(path, content, { mode: identity.mode, uid: identity.uid, gid: identity.gid });
  return 'replaced';
}

async function replaceByRename(path: string, content: string | Uint8Array, owner: { mode: number; uid: number; gid: number }): Promise<void> {
  const tmp = await writeTempFile(path, content, owner.mode, process.getuid?.() === 0 ? owner : null);
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(path)); // make the rename itself durable
}

/**
 * Writes `content` to a new temporary file next to `path` (named .NAME.upkeep-tmp-XXXXXXXX),
 * fsynced, owned by `owner` when given, with exactly `mode` (whatever the umask, setuid and setgid
 * included); returns its path. The caller renames or links it into place, or removes it.
 */
export async function writeTempFile(
  path: string,
  content: string | Uint8Array,
  mode: number,
  owner: { uid: number; gid: number } | null = null,
): Promise<string> {
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'wx', mode & 0o777);
  try {
    await fh.writeFile(content, typeof content === 'string' ? 'utf8' : undefined);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    if (owner !== null) await chown(tmp, owner.uid, owner.gid);
    await chmod(tmp, mode);
    const got = (await stat(tmp)).mode & 0o7777;
    if (got !== mode) throw new Error(`could not keep mode ${mode.toString(8)} (got ${got.toString(8)})`);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  return tmp;
}

/** A fresh temporary name next to `path`: .NAME.upkeep-tmp-XXXXXXXX. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.upkeep-tmp-${nodeCrypto().randomBytes(4).toString('hex')}`);
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
