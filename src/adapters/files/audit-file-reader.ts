/**
 * Reads a file for `upkeep audit`, refusing anything it should not open or cannot audit safely:
 *
 * - only regular files: the file is opened with O_NONBLOCK (a FIFO never blocks the open) and
 *   O_NOFOLLOW (the caller resolved symlinks already and checked where they lead), then fstat'ed;
 *   a FIFO, socket, device or directory is refused without reading a byte;
 * - at most `maxBytes` (default 10 MiB): a larger file is refused, and never more than that is read
 *   (a file growing while it is read is refused too);
 * - no NUL byte (a binary file), and valid UTF-8, decoded strictly: a file that is not UTF-8 is
 *   refused, never decoded with replacement characters, so a fix can never rewrite bytes it did not
 *   mean to change. The decoded text encodes back to exactly the bytes read (a BOM is kept).
 *
 * What is returned carries the file's identity (device, inode, mode, owner, links) and its bytes,
 * so that the writer can check that the file is still the one that was audited before it writes.
 */
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';

/** 10 MiB: far more than any compose file; audit time stays linear below it (docs/limits.md). */
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;

/** What the writer needs to know about the file it replaces. */
export type { AuditFileRead, FileIdentity, ReadRefusal } from '../../ports/audit-files.js';
import type { AuditFileRead } from '../../ports/audit-files.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads `path` (already resolved: a symlink there is refused) under the rules of the file comment. */
export async function readAuditableFile(path: string, opts: { maxBytes?: number } = {}): Promise<AuditFileRead> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { ok: false, refusal: 'not-regular', reason: 'it is a symbolic link (not followed here)' };
    return { ok: false, refusal: 'unreadable', reason: `cannot open it: ${(err as Error).message}` };
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { ok: false, refusal: 'not-regular', reason: `it is ${kindOf(st)}, not a regular file: only regular files are read` };
    if (st.size > maxBytes) return { ok: false, refusal: 'too-large', reason: tooLarge(st.size, maxBytes) };
    const bytes = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await fh.read(bytes, length, bytes.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) return { ok: false, refusal: 'too-large', reason: tooLarge(length, maxBytes) };
      if (length === bytes.length) break;
    }
    const content = bytes.subarray(0, length);
    const nul = content.indexOf(0);
    if (nul >= 0) return { ok: false, refusal: 'binary', reason: `it is binary (a NUL byte at offset ${nul}), not YAML` };
    let text: string;
    try {
      text = utf8.decode(content);
    } catch {
      return {
        ok: false,
        refusal: 'not-utf8',
        reason: `it is not valid UTF-8 (first bad byte at offset ${firstInvalidUtf8(content)}); convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8), then audit it again`,
      };
    }
    return {
      ok: true,
      text,
      bytes: Buffer.from(content),
      identity: { dev: st.dev, ino: st.ino, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, nlink: st.nlink },
    };
  } catch (err) {
    return { ok: false, refusal: 'unreadable', reason: `cannot read it: ${(err as Error).message}` };
  } finally {
    await fh.close();
  }
}

/** The real path of `path` (every symlink resolved), or the error why there is none. */
export async function resolveReal(path: string): Promise<{ ok: true; real: string } | { ok: false; reason: string }> {
  try {
    return { ok: true, real: await realpath(path) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' ? 'it does not exist (or is a broken symbolic link)' : (err as Error).message };
  }
}

/** True when `real` is `root` or below it (both real paths). */
export function isInside(real: string, root: string): boolean {
  const rel = relative(root, real);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
}

/** Offset of the first byte that makes `bytes` invalid UTF-8 (for the message). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    const end = i + need + 1;
    if (end > bytes.length) return i;
    try {
      utf8.decode(bytes.subarray(i, end));
    } catch {
      return i;
    }
    i = end;
  }
  return i;
}

function tooLarge(size: number, max: number): string {
  return `it is larger than the audit's limit of ${formatBytes(max)} (${size > max ? `at least ${formatBytes(size)}` : formatBytes(size)}): not read`;
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB` : `${n} bytes`;
}

function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}
