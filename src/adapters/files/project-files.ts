/**
 * The files `upkeep runbook` reads (ports/files.ts ProjectFileReader): real paths, and regular
 * files only, capped (read-text-file.ts: never blocks on a FIFO, strict UTF-8).
 */
import { lstat } from 'node:fs/promises';
import type { ProjectFileReader } from '../../ports/files.js';
import { resolveReal } from './audit-file-reader.js';
import { readTextFile } from './read-text-file.js';

/** Compose files are kilobytes: 1 MiB is far more than any real one (docs/limits.md). */
export const MAX_PROJECT_FILE_BYTES = 1024 * 1024;

export function projectFileReader(maxBytes = MAX_PROJECT_FILE_BYTES): ProjectFileReader {
  return {
    realpath: resolveReal,
    read: (path) => readTextFile(path, maxBytes),
    absent: async (path) => {
      try {
        await lstat(path);
        return false;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ENOENT';
      }
    },
  };
}
