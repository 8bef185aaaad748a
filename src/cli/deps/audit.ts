/**
 * The real dependencies of the audit use case (app/audit.ts): the Docker engine from DOCKER_HOST,
 * systemd, the state database, and the file system through adapters/files (which decides what may
 * be opened and how a fix is written). Tests pass their own AuditDeps.
 */
import { readFile, stat } from 'node:fs/promises';
import { EngineClient } from '../../adapters/docker/engine-client.js';
import { readHostState } from '../../adapters/docker/host-state.js';
import { readAuditableFile, resolveReal } from '../../adapters/files/audit-file-reader.js';
import { writeFixedFile } from '../../adapters/files/atomic-write.js';
import { discoverComposeFiles, discoverScriptFiles } from '../../adapters/files/compose-discovery.js';
import { openStore } from '../../adapters/store/sqlite-store.js';
import { resolveStateDir } from '../../adapters/store/state-dir.js';
import { isUnitEnabled } from '../../adapters/systemd/unit-state.js';
import { parseDockerHost } from '../../core/docker-host.js';
import type { AuditDeps, AuditFileSystem } from '../../app/audit.js';

export interface AuditEnvironment {
  env: Readonly<Record<string, string | undefined>>;
  /** `--state-dir`, when given. */
  stateDir?: string;
  cwd?: string;
}

/** The file system as the audit may use it. */
export const auditFileSystem: AuditFileSystem = {
  async readConfig(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  },
  async kind(path) {
    const st = await stat(path).catch(() => null);
    return st === null ? null : st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other';
  },
  discover: discoverComposeFiles,
  discoverScripts: discoverScriptFiles,
  realpath: resolveReal,
  read: readAuditableFile,
  write: writeFixedFile,
};

/** AuditDeps over the real engine, systemd, state database and file system. */
export function auditDeps(environment: AuditEnvironment): AuditDeps {
  const stateDir = (): string =>
    resolveStateDir(environment.env, process.getuid?.() === 0, environment.stateDir === undefined ? {} : { flag: environment.stateDir });
  const withEngine = async <T>(fn: (engine: EngineClient) => Promise<T>): Promise<T> => {
    const engine = new EngineClient(parseDockerHost(environment.env.DOCKER_HOST));
    try {
      return await fn(engine);
    } finally {
      await engine.close();
    }
  };
  return {
    cwd: environment.cwd ?? process.cwd(),
    readHost: () => withEngine((engine) => readHostState(engine)),
    dockerEnabledAtBoot: () => isUnitEnabled('docker.service'),
    openStore() {
      try {
        return { store: openStore({ stateDir: stateDir(), create: false }) };
      } catch (err) {
        return { store: null, why: (err as Error).message };
      }
    },
    updateRestartPolicy: (id, policy) => withEngine((engine) => engine.updateRestartPolicy(id, policy)),
    files: auditFileSystem,
  };
}
