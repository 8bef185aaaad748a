/**
 * Reads a file the host's labels or configuration name (hostile input), with the audit's reader
 * (adapters/files/audit-file-reader.ts): symlinks resolved first, then only a regular file,
 * opened without blocking (a FIFO never hangs the read), at most `maxBytes`, strictly UTF-8, no NUL.
 */
import type { ReadTextFile, TextFileRead } from '../../ports/files.js';
import { DEFAULT_MAX_FILE_BYTES, readAuditableFile, resolveReal } from './audit-file-reader.js';

/** The default size limit for files upkeep reads: 10 MiB (docs/limits.md). */
export const MAX_TEXT_FILE_BYTES = DEFAULT_MAX_FILE_BYTES;

export function textFileReader(maxBytes = MAX_TEXT_FILE_BYTES): ReadTextFile {
  return (path) => readTextFile(path, maxBytes);
}

export async function readTextFile(path: string, maxBytes = MAX_TEXT_FILE_BYTES): Promise<TextFileRead> {
  const real = await resolveReal(path);
  if (!real.ok) return { ok: false, why: real.reason };
  const r = await readAuditableFile(real.real, { maxBytes });
  return r.ok ? { ok: true, text: r.text } : { ok: false, why: r.reason };
}
