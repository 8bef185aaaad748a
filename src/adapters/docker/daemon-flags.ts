/**
 * Reads what only the daemon's own files know: HasBeenManuallyStopped and HasBeenStartedBefore,
 * from <DockerRootDir>/containers/<id>/config.v2.json (root-only). Never throws: anything
 * unreadable is "unknown" (null), and the first reason is kept for the one-line notice.
 */
import { readFile } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseDaemonOnlyFlags } from '../../core/container-facts.js';
import type { DaemonOnlyFlags } from '../../core/engine-types.js';

export interface DaemonFlagsReader {
  read(containerId: string): Promise<DaemonOnlyFlags>;
  /** Why flags were unknown, if they were (e.g. "permission denied"), for a single notice. */
  readonly unreadableReason: string | null;
}

const UNKNOWN: DaemonOnlyFlags = { manuallyStopped: null, startedBefore: null };
// The callback API: for hundreds of small files it costs about half the CPU of fs/promises.
const readFileP = promisify(readFile);

export class ConfigV2FlagsReader implements DaemonFlagsReader {
  unreadableReason: string | null = null;

  constructor(private readonly rootDir: string | null) {}

  async read(containerId: string): Promise<DaemonOnlyFlags> {
    if (this.rootDir === null) {
      this.unreadableReason ??= 'the engine is not on this host';
      return UNKNOWN;
    }
    if (!/^[0-9a-f]{12,64}$/.test(containerId)) return UNKNOWN;
    const path = join(this.rootDir, 'containers', containerId, 'config.v2.json');
    try {
      return parseDaemonOnlyFlags(await readFileP(path, 'utf8'));
    } catch (err) {
      const code = (err as { code?: string }).code;
      this.unreadableReason ??=
        code === 'EACCES' || code === 'EPERM'
          ? `permission denied on ${path} (run as root to read it)`
          : code === 'ENOENT'
            ? `${path} does not exist (is DockerRootDir on this host?)`
            : `${path} could not be read: ${(err as Error).message}`;
      return UNKNOWN;
    }
  }
}
