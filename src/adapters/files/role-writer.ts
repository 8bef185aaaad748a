/**
 * Writes an exported Ansible role (`upkeep export ansible --output DIR`): DIR/ROLE/..., each file
 * atomically with its mode; refuses a role directory that exists and is not empty, unless forced.
 */
import { mkdir, readdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { syncDirectory, writeTempFile } from './atomic-write.js';

/** Writes `files` under `dir`; returns the paths written. */
export async function writeRoleFiles(dir: string, files: ReadonlyArray<{ path: string; content: string; mode: number }>, force: boolean): Promise<string[]> {
  const existing = await readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err)));
  if (existing.length > 0 && !force) {
    throw new UsageError(`refusing to write into ${dir}: it exists and is not empty`, {
      hint: 'pass --force to replace the role files in it, or choose another --output',
    });
  }
  const written: string[] = [];
  for (const f of files) {
    const path = join(dir, f.path);
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    await rename(await writeTempFile(path, f.content, f.mode), path);
    await syncDirectory(dirname(path));
    written.push(path);
  }
  return written;
}
