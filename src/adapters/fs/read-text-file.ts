/**
 * Reads a file the host's labels or configuration name (hostile input): only a regular file,
 * opened without blocking (a FIFO never hangs the read), at most `maxBytes`, strictly UTF-8.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { ReadTextFile, TextFileRead } from '../../ports/files.js';

/** The default size limit for files upkeep reads: 10 MiB (docs/limits.md). */
export const MAX_TEXT_FILE_BYTES = 10 * 1024 * 1024;

export function textFileReader(maxBytes = MAX_TEXT_FILE_BYTES): ReadTextFile {
  return (path) => readTextFile(path, maxBytes);
}

export async function readTextFile(path: string, maxBytes = MAX_TEXT_FILE_BYTES): Promise<TextFileRead> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    return { ok: false, why: String((err as NodeJS.ErrnoException).code ?? (err as Error).message) };
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { ok: false, why: 'not a regular file' };
    if (st.size > maxBytes) return { ok: false, why: `larger than ${formatBytes(maxBytes)} (${formatBytes(st.size)})` };
    // Read at most one byte past the limit: a file that grows while it is read is still bounded.
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, length, buf.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buf.length) break;
    }
    if (length > maxBytes) return { ok: false, why: `larger than ${formatBytes(maxBytes)}` };
    try {
      return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, length)) };
    } catch {
      return { ok: false, why: 'not valid UTF-8' };
    }
  } catch (err) {
    return { ok: false, why: String((err as NodeJS.ErrnoException).code ?? (err as Error).message) };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB` : `${n} bytes`;
}
