/**
 * The real side effects of a recovery: the Engine API for start/create/inspect, and compose
 * (`docker compose` v2 plugin, or `docker-compose` v1) for re-creating removed compose services.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { toContainerFacts } from '../../core/container-facts.js';
import type { ContainerFacts } from '../../core/model.js';
import type { HostIdentity } from '../../core/recovery/desired-state.js';
import { PermanentRecoveryError, type CreateRequest, type RecoveryEffects } from '../../core/recovery/executor.js';
import {
  composeVerdict,
  configHashArgs,
  expectedConfigHash,
  savedContainerOf,
  type ComposeVerdict,
  type ConfigHashCheck,
} from '../../core/recovery/compose-command.js';
import type { ComposeUpCommand } from '../../core/recovery/plan.js';
import { ConfigV2FlagsReader } from './daemon-flags.js';
import type { DockerEngine } from './engine-client.js';
import { readHostState } from './host-state.js';

const execFileP = promisify(execFile);

/** Which compose to run: the v2 CLI plugin (`docker compose`) or the v1 program (`docker-compose`). */
export type ComposeCli = { cmd: string; prefix: string[] };

let composeCli: Promise<ComposeCli | null> | undefined;

/** Finds a working compose, preferring v2. Cached per process. */
export function findComposeCli(): Promise<ComposeCli | null> {
  composeCli ??= (async () => {
    for (const candidate of [
      { cmd: 'docker', prefix: ['compose'] },
      { cmd: 'docker-compose', prefix: [] },
    ]) {
      try {
        await execFileP(candidate.cmd, [...candidate.prefix, 'version'], { timeout: 10_000 });
        return candidate;
      } catch {
        /* try the next */
      }
    }
    return null;
  })();
  return composeCli;
}

export class EngineRecoveryEffects implements RecoveryEffects {
  /** One reader for every inspect; made again only when engineIdentity learns the root dir. */
  private flagsReader = new ConfigV2FlagsReader(null);

  constructor(private readonly engine: DockerEngine) {}

  async engineIdentity(): Promise<HostIdentity> {
    const info = await this.engine.info();
    this.flagsReader = new ConfigV2FlagsReader(this.engine.endpoint.kind === 'unix' ? info.DockerRootDir : null);
    return { id: info.ID, name: info.Name };
  }

  async listContainers(): Promise<ContainerFacts[]> {
    return (await readHostState(this.engine)).containers;
  }

  async inspect(idOrName: string): Promise<ContainerFacts | null> {
    try {
      const inspect = await this.engine.inspectContainer(idOrName);
      const flags = await this.flagsReader.read(inspect.Id);
      return toContainerFacts(inspect, flags);
    } catch (err) {
      if ((err as { status?: number }).status === 404) return null;
      throw err;
    }
  }

  async start(id: string): Promise<void> {
    await this.engine.startContainer(id);
  }

  async createAndStart(req: CreateRequest): Promise<{ id: string }> {
    const { id } = await this.engine.createContainer(req.name, req.config as unknown as Record<string, unknown>);
    for (const net of req.extraNetworks) await this.engine.connectNetwork(net.network, id, net.endpoint as Record<string, unknown>);
    await this.engine.startContainer(id);
    return { id };
  }

  /**
   * Re-creates a removed compose container. Refused labels never reach compose. Compose runs only
   * when it would create what was there: its `config --hash` now (upkeep's environment plus the
   * project's .env) must equal the hash on the old container. Otherwise (a variable set when the
   * operator ran compose and not set now, an edited file, no compose installed) the container is
   * re-created from its saved configuration, so it never comes back with other values.
   */
  async composeUp(cmd: ComposeUpCommand): Promise<void> {
    if (cmd.refused !== null) throw new PermanentRecoveryError(cmd.refused);
    const cli = await findComposeCli();
    const saved = savedContainerOf(cmd);
    if (saved !== null) {
      const verdict: ComposeVerdict =
        cli === null
          ? { use: 'saved-config', why: 'neither `docker compose` nor `docker-compose` is installed' }
          : composeVerdict(cmd.service, expectedConfigHash(saved), await this.runCompose(cli, cmd, configHashArgs(cmd), 60_000));
      if (verdict.use === 'saved-config') {
        try {
          await this.createAndStart({ name: saved.name, config: saved.createConfig, extraNetworks: saved.extraNetworks });
          return;
        } catch (err) {
          throw new Error(`${verdict.why}; re-creating it from the saved configuration failed: ${(err as Error).message}`);
        }
      }
    }
    if (cli === null) {
      throw new Error('neither `docker compose` nor `docker-compose` is installed: install one to re-create removed compose services');
    }
    const r = await this.runCompose(cli, cmd, cmd.args, 300_000);
    if (!r.ok) throw new Error(r.error);
  }

  /** Runs compose with `args` in the project's working dir against this engine; never rejects. */
  private async runCompose(cli: ComposeCli, cmd: ComposeUpCommand, args: string[], timeout: number): Promise<ConfigHashCheck> {
    const env = { ...process.env, DOCKER_HOST: this.engine.endpoint.display, COMPOSE_INTERACTIVE_NO_CLI: '1' };
    const argv = [...cli.prefix, ...args];
    try {
      const r = await execFileP(cli.cmd, argv, { cwd: cmd.workingDir ?? '/', env, timeout, maxBuffer: 16 << 20 });
      return { ok: true, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      const stderr = e.stderr ?? '';
      const last = stderr.trim().split('\n').slice(-3).join(' / ');
      return { ok: false, error: `${cli.cmd} ${argv.join(' ')} failed: ${last || e.message}`, stderr };
    }
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  now(): number {
    return Date.now();
  }
}
