/**
 * A private, real Docker engine for tests: its own data-root, exec-root, socket and pidfile, no
 * bridge and no iptables, so tests never touch the host's own engine and send no traffic off the
 * machine. Images are made locally (busybox-static + `docker import`): no registry is needed.
 *
 * Usage in a test file:
 *   const engine = await PrivateEngine.startOrSkip(t);   // null when skipped
 *   await engine.run('web', ['--restart', 'always'], ['httpd', '-f', ...]);
 *   await engine.crash(); await engine.start();
 *   await engine.dispose();
 *
 * When dockerd or busybox are missing, it installs docker.io and busybox-static as root; otherwise
 * the test is skipped with a loud message, and with UPKEEP_REQUIRE_ENGINE=1 (set by .ci/run) the
 * test fails instead.
 *
 * Two engine generations (`{ engine: ... }`, default UPKEEP_TEST_ENGINE, else 'bookworm'):
 * - 'bookworm': Debian bookworm's docker.io 20.10 (API 1.41) with containerd 1.6, installed as above.
 * - 'docker28': Debian sid's docker.io 28.5.2 (API 1.51) with containerd 2.1, unpacked by
 *   `scripts/engine-28.sh` into a cache directory (never installed); its usr/bin and usr/sbin go
 *   first on dockerd's PATH, so dockerd finds that containerd and shim, and bookworm's runc and
 *   docker-init further along. Not fetched here: when it is missing the test is skipped (or fails
 *   under UPKEEP_REQUIRE_ENGINE=1) with the command to run.
 * `engine.server` holds what the running daemon reports (version, API version, containerd).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, copyFileSync, closeSync } from 'node:fs';
import { request } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';

const execFileP = promisify(execFile);

/**
 * The longest any one docker CLI call of the harness may take (UPKEEP_TEST_DOCKER_TIMEOUT_MS,
 * default 120 s: a `docker stop` waits for its container's stop timeout, a loaded CI machine is
 * slow, but nothing the tests do takes a minute).
 */
const DOCKER_CLI_TIMEOUT_MS = Number(process.env.UPKEEP_TEST_DOCKER_TIMEOUT_MS ?? 120_000);

export const TEST_IMAGE = 'upkeep-test/busybox:latest';

const TOOLS = { dockerd: '/usr/sbin/dockerd', busybox: '/bin/busybox' } as const;

let availability: Promise<{ ok: true } | { ok: false; reason: string }> | undefined;

/** Which engine a private engine runs: see the file comment. */
export type EngineGeneration = 'bookworm' | 'docker28';
export const ENGINE_GENERATIONS: readonly EngineGeneration[] = ['bookworm', 'docker28'];

/** The Docker 28 version scripts/engine-28.sh unpacks (its directory is named after it). */
export const DOCKER28_VERSION = '28.5.2';

/** The generation asked for by UPKEEP_TEST_ENGINE (default 'bookworm'). */
export function defaultEngineGeneration(): EngineGeneration {
  const asked = process.env.UPKEEP_TEST_ENGINE;
  if (asked === undefined || asked === '') return 'bookworm';
  if (asked === 'bookworm' || asked === 'docker28') return asked;
  throw new Error(`UPKEEP_TEST_ENGINE=${asked}: expected one of ${ENGINE_GENERATIONS.join(', ')}`);
}

/**
 * Where scripts/engine-28.sh unpacks Docker 28 (the directory holding `root/usr/sbin/dockerd`):
 * UPKEEP_ENGINE28_DIR, else UPKEEP_ENGINE_CACHE/docker-VERSION, else ~/.cache/upkeep/engines/docker-VERSION
 * (XDG_CACHE_HOME respected), as the script computes it.
 */
export function docker28Dir(): string {
  if (process.env.UPKEEP_ENGINE28_DIR) return process.env.UPKEEP_ENGINE28_DIR;
  const parent = process.env.UPKEEP_ENGINE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'upkeep', 'engines');
  return join(parent, `docker-${DOCKER28_VERSION}`);
}

/**
 * Compose v2 (sid's docker-compose 2.40, the `docker compose` CLI plugin, unpacked by
 * scripts/engine-28.sh beside Docker 28) made available to the docker CLI: a DOCKER_CONFIG
 * directory under `dir` whose cli-plugins holds it. Returns the environment to run with (the docker
 * CLI then has `docker compose`), or the reason it cannot (not unpacked).
 */
export function composeV2Env(dir: string): { ok: true; env: Record<string, string> } | { ok: false; reason: string } {
  const plugin = join(docker28Dir(), 'root', 'usr', 'libexec', 'docker', 'cli-plugins', 'docker-compose');
  if (!existsSync(plugin)) return { ok: false, reason: `Compose v2 not unpacked (${plugin}): run scripts/engine-28.sh` };
  const config = join(dir, 'docker-config');
  mkdirSync(join(config, 'cli-plugins'), { recursive: true });
  if (!existsSync(join(config, 'cli-plugins', 'docker-compose'))) symlinkSync(plugin, join(config, 'cli-plugins', 'docker-compose'));
  return { ok: true, env: { DOCKER_CONFIG: config } };
}

/** The dockerd binary and the PATH it runs with, per generation. */
function engineBinaries(generation: EngineGeneration): { dockerd: string; path: string } {
  const hostPath = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  // runc (and docker-init) are found on PATH: /usr/sbin and /usr/bin must be on it whatever the caller's PATH.
  const basePath = `${hostPath}:/usr/sbin:/usr/bin:/sbin:/bin`;
  if (generation === 'bookworm') return { dockerd: TOOLS.dockerd, path: basePath };
  const root = join(docker28Dir(), 'root');
  return { dockerd: join(root, 'usr', 'sbin', 'dockerd'), path: `${join(root, 'usr', 'bin')}:${join(root, 'usr', 'sbin')}:${basePath}` };
}

/** Makes sure the tools for `generation` are there (bookworm's are the base of both). */
export async function ensureGenerationTools(generation: EngineGeneration): Promise<{ ok: true } | { ok: false; reason: string }> {
  const base = await ensureEngineTools();
  if (!base.ok || generation === 'bookworm') return base;
  const dir = docker28Dir();
  const complete =
    existsSync(join(dir, '.complete')) && existsSync(join(dir, 'root', 'usr', 'sbin', 'dockerd')) && existsSync(join(dir, 'root', 'usr', 'bin', 'containerd'));
  return complete ? base : { ok: false, reason: `Docker ${DOCKER28_VERSION} + containerd 2 not unpacked in ${dir}: run scripts/engine-28.sh` };
}

/** What the running daemon reports (GET /version). */
export interface EngineServerInfo {
  generation: EngineGeneration;
  version: string;
  apiVersion: string;
  minApiVersion: string;
  containerd: string;
}

export interface EngineOptions {
  /** The engine generation (default: UPKEEP_TEST_ENGINE, else 'bookworm'). */
  engine?: EngineGeneration;
}

/** Makes sure dockerd, the docker CLI and busybox-static are there (installing them as root). */
export function ensureEngineTools(): Promise<{ ok: true } | { ok: false; reason: string }> {
  availability ??= (async () => {
    const missing = () => !existsSync(TOOLS.dockerd) || !existsSync(TOOLS.busybox) || !hasDockerCli();
    if (!missing()) return { ok: true as const };
    if (process.getuid?.() !== 0) {
      return { ok: false as const, reason: 'dockerd/busybox-static are not installed and this is not root (apt-get install docker.io busybox-static)' };
    }
    try {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      const install = () =>
        execFileP('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'docker.io', 'busybox-static'], { env, maxBuffer: 64 << 20 });
      await install().catch(async () => {
        await execFileP('apt-get', ['update', '-q'], { env, maxBuffer: 64 << 20 });
        await install();
      });
    } catch (err) {
      return { ok: false as const, reason: `installing docker.io and busybox-static failed: ${(err as Error).message}` };
    }
    return missing() ? { ok: false as const, reason: 'docker.io/busybox-static still missing after apt-get install' } : { ok: true as const };
  })();
  return availability;
}

function hasDockerCli(): boolean {
  return ['/usr/local/bin/docker', '/usr/bin/docker'].some((p) => existsSync(p));
}

function dockerCli(): string {
  return existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : '/usr/bin/docker';
}

export interface RunOptions {
  /** `docker run` flags before the image, e.g. ['--restart', 'always']. */
  flags?: string[];
  /** Command and arguments after the image. Default: sleep forever (PID 1 ignores SIGTERM: exit 137). */
  cmd?: string[];
}

export class PrivateEngine {
  readonly dir: string;
  readonly socketPath: string;
  readonly dockerHost: string;
  readonly dataRoot: string;
  private proc: ChildProcess | null = null;
  private exitPromise: Promise<void> | null = null;
  private extraArgs: string[];
  private currentGeneration: EngineGeneration;
  private serverInfo: EngineServerInfo | null = null;

  private constructor(dir: string, extraArgs: string[], generation: EngineGeneration) {
    this.dir = dir;
    this.socketPath = join(dir, 'docker.sock');
    this.dockerHost = `unix://${this.socketPath}`;
    this.dataRoot = join(dir, 'data');
    this.extraArgs = extraArgs;
    this.currentGeneration = generation;
  }

  /** The generation the next start() runs (and the running daemon, if started). */
  get generation(): EngineGeneration {
    return this.currentGeneration;
  }

  /** What the daemon reported at its last start: version, API version, containerd. */
  get server(): EngineServerInfo {
    if (!this.serverInfo) throw new Error('private engine not started yet');
    return this.serverInfo;
  }

  /**
   * Starts a private engine with the test image imported, or skips the test (see the file comment).
   * `extraArgs` go to dockerd (e.g. ['--live-restore']); `options.engine` picks the generation.
   */
  static async startOrSkip(t: TestContext, extraArgs: string[] = [], options: EngineOptions = {}): Promise<PrivateEngine | null> {
    const generation = options.engine ?? defaultEngineGeneration();
    if (!(await PrivateEngine.availableOrSkip(t, [generation]))) return null;
    const engine = new PrivateEngine(mkdtempSync(join(tmpdir(), 'upk-')), extraArgs, generation);
    try {
      await engine.start();
      await engine.importTestImage();
    } catch (err) {
      await engine.dispose();
      throw err;
    }
    return engine;
  }

  /**
   * Switches the engine generation for the next start(), on the same data-root and exec-root: an
   * upgrade (or downgrade) in place. The daemon must be stopped first.
   */
  async useGeneration(generation: EngineGeneration): Promise<void> {
    if (this.proc) throw new Error('stop the private engine before switching its generation');
    const tools = await ensureGenerationTools(generation);
    if (!tools.ok) throw new Error(`engine ${generation} not available: ${tools.reason}`);
    this.currentGeneration = generation;
  }

  /**
   * True when every generation in `generations` can start; otherwise skips the test loudly (false),
   * or throws under UPKEEP_REQUIRE_ENGINE=1. For a test that needs a second generation later
   * (an upgrade in place): ask for both before starting the first.
   */
  static async availableOrSkip(t: TestContext, generations: readonly EngineGeneration[]): Promise<boolean> {
    for (const generation of generations) {
      const tools = await ensureGenerationTools(generation);
      if (tools.ok) continue;
      const message = `PRIVATE DOCKER ENGINE (${generation}) NOT AVAILABLE, engine test skipped: ${tools.reason}`;
      if (process.env.UPKEEP_REQUIRE_ENGINE === '1') throw new Error(`${message} (UPKEEP_REQUIRE_ENGINE=1)`);
      process.stderr.write(`\n!!! ${message}\n\n`);
      t.skip(message);
      return false;
    }
    return true;
  }

  /** Starts dockerd (again) and waits until it answers /_ping; then reads its version. */
  async start(): Promise<void> {
    if (this.proc) throw new Error('private engine already running');
    // After a SIGKILL the old pidfiles stay behind and would stop the next daemon from starting.
    for (const stale of [join(this.dir, 'docker.pid'), join(this.dir, 'exec', 'containerd', 'containerd.pid')]) {
      rmSync(stale, { force: true });
    }
    const log = openSync(join(this.dir, 'dockerd.log'), 'a');
    // The daemons' temporary files stay in the engine's directory, removed with it, not in the
    // machine's /tmp: containerd's goroutine dump (containerd.PID.stacks.log), which dockerd asks
    // for with SIGUSR1 before it kills a containerd it found unresponsive.
    const daemonTmp = join(this.dir, 'tmp');
    mkdirSync(daemonTmp, { recursive: true });
    const binaries = engineBinaries(this.currentGeneration);
    const proc = spawn(
      binaries.dockerd,
      [
        '--data-root',
        this.dataRoot,
        '--exec-root',
        join(this.dir, 'exec'),
        '--pidfile',
        join(this.dir, 'docker.pid'),
        '-H',
        this.dockerHost,
        '--bridge=none',
        '--iptables=false',
        '--ip-masq=false',
        '--ip6tables=false',
        ...this.extraArgs,
      ],
      { stdio: ['ignore', log, log], detached: false, env: { ...process.env, PATH: binaries.path, TMPDIR: daemonTmp } },
    );
    closeSync(log);
    this.proc = proc;
    this.exitPromise = new Promise((resolve) => proc.once('exit', () => resolve()));
    liveEngines.add(this);
    await this.waitReady(30_000);
    this.serverInfo = await this.readServerInfo();
  }

  private async readServerInfo(): Promise<EngineServerInfo> {
    const v = JSON.parse(await this.docker('version', '--format', '{{json .Server}}')) as {
      Version: string;
      ApiVersion: string;
      MinAPIVersion: string;
      Components?: Array<{ Name: string; Version: string }>;
    };
    const containerd = v.Components?.find((c) => c.Name.toLowerCase() === 'containerd')?.Version ?? 'unknown';
    return { generation: this.currentGeneration, version: v.Version, apiVersion: v.ApiVersion, minApiVersion: v.MinAPIVersion, containerd };
  }

  /** One line for test output: "docker28: Docker 28.5.2, API 1.51 (min 1.24), containerd 2.1.9". */
  describeServer(): string {
    const s = this.server;
    return `${s.generation}: Docker ${s.version}, API ${s.apiVersion} (min ${s.minApiVersion}), containerd ${s.containerd}`;
  }

  /** Graceful stop (SIGTERM, as systemd stops docker.service); resolves when dockerd has exited. */
  async stop(): Promise<void> {
    await this.signalAndWait('SIGTERM', 60_000);
  }

  /** A daemon crash: SIGKILL, the containers' shims survive. */
  async crash(): Promise<void> {
    await this.signalAndWait('SIGKILL', 10_000);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private async signalAndWait(signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.exitPromise) return;
    proc.kill(signal);
    const exited = await exitedWithin(this.exitPromise, timeoutMs);
    // A daemon stuck in the kernel (a hung mount) does not even die of SIGKILL: give up after 10 s
    // with the log, rather than hang the test.
    if (!exited) {
      proc.kill('SIGKILL');
      if (!(await exitedWithin(this.exitPromise, 10_000))) {
        throw new Error(`private dockerd (pid ${proc.pid}) did not exit after ${signal} and SIGKILL; last log lines:\n${this.logTail(30)}`);
      }
    }
    this.proc = null;
    this.exitPromise = null;
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.proc === null || this.proc.exitCode !== null) break;
      if (await pingSocket(this.socketPath)) return;
      await sleep(50);
    }
    throw new Error(`private dockerd did not become ready in ${timeoutMs} ms; last log lines:\n${this.logTail(20)}`);
  }

  /**
   * Runs the docker CLI against this engine; resolves to stdout (trimmed). Bounded by
   * DOCKER_CLI_TIMEOUT_MS: a wedged daemon fails the test with the daemon's last log lines instead
   * of hanging it (and, in an after hook, which node:test never times out, the whole suite).
   */
  async docker(...args: string[]): Promise<string> {
    return this.dockerWithin(DOCKER_CLI_TIMEOUT_MS, ...args);
  }

  /** `docker(...)` with its own time bound. */
  async dockerWithin(timeoutMs: number, ...args: string[]): Promise<string> {
    try {
      const { stdout } = await execFileP(dockerCli(), ['-H', this.dockerHost, ...args], { maxBuffer: 64 << 20, timeout: timeoutMs, killSignal: 'SIGKILL' });
      return stdout.trim();
    } catch (err) {
      const e = err as { stderr?: string; message: string; killed?: boolean; signal?: string | null };
      if (e.killed || e.signal === 'SIGKILL') {
        throw new Error(`docker ${args.join(' ')}: no answer within ${timeoutMs} ms; the daemon's last log lines:\n${this.logTail(30)}`);
      }
      throw new Error(`docker ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
    }
  }

  /** The last `lines` lines of this engine's dockerd log (for failure messages). */
  logTail(lines: number): string {
    return safeRead(join(this.dir, 'dockerd.log')).split('\n').slice(-lines).join('\n');
  }

  /** `docker run -d` of the test image with --network none and --stop-timeout 1 unless given. */
  async run(name: string, opts: RunOptions = {}): Promise<string> {
    const flags = opts.flags ?? [];
    const network = flags.some((f) => f.startsWith('--network')) ? [] : ['--network', 'none'];
    const stopTimeout = flags.some((f) => f.startsWith('--stop-timeout')) ? [] : ['--stop-timeout', '1'];
    return this.docker('run', '-d', '--name', name, ...network, ...stopTimeout, ...flags, TEST_IMAGE, ...(opts.cmd ?? ['sleep', '1000000']));
  }

  /** Inspects one container with the CLI (independent of upkeep's own client). */
  async inspect(name: string): Promise<{ Id: string; State: { Status: string; Running: boolean; ExitCode: number }; RestartCount: number }> {
    return JSON.parse(await this.docker('inspect', '--type', 'container', name))[0];
  }

  async isRunning(name: string): Promise<boolean> {
    return (await this.inspect(name)).State.Running;
  }

  /** Removes every container (between scenarios). */
  async removeAllContainers(timeoutMs = DOCKER_CLI_TIMEOUT_MS): Promise<void> {
    const ids = (await this.dockerWithin(timeoutMs, 'ps', '-aq')).split('\n').filter((s) => s !== '');
    if (ids.length > 0) await this.dockerWithin(timeoutMs, 'rm', '-f', ...ids);
  }

  /**
   * Waits until no container is in "restarting" state and the set of running containers has not
   * changed for `quietMs` (restarts at daemon start happen asynchronously).
   */
  async settle(quietMs = 1500, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    let since = Date.now();
    while (Date.now() < deadline) {
      const now = await this.docker('ps', '-a', '--format', '{{.Names}}={{.State}}');
      if (now !== last || now.includes('=restarting')) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since >= quietMs) {
        return;
      }
      await sleep(200);
    }
    throw new Error(`containers did not settle within ${timeoutMs} ms`);
  }

  /** Builds a busybox rootfs and imports it as TEST_IMAGE. */
  async importTestImage(): Promise<void> {
    const rootfs = join(this.dir, 'rootfs');
    mkdirSync(join(rootfs, 'bin'), { recursive: true });
    for (const d of ['tmp', 'www', 'etc', 'data']) mkdirSync(join(rootfs, d), { recursive: true });
    copyFileSync(TOOLS.busybox, join(rootfs, 'bin', 'busybox'));
    const { stdout } = await execFileP(TOOLS.busybox, ['--list']);
    for (const applet of stdout.split('\n').filter((a) => a !== '' && a !== 'busybox')) {
      if (!existsSync(join(rootfs, 'bin', applet))) symlinkSync('busybox', join(rootfs, 'bin', applet));
    }
    writeFileSync(join(rootfs, 'www', 'index.html'), 'ok\n');
    writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');
    const tarPath = join(this.dir, 'rootfs.tar');
    await execFileP('tar', ['-C', rootfs, '-cf', tarPath, '.']);
    await this.docker('import', '--change', 'ENV PATH=/bin', tarPath, TEST_IMAGE);
    rmSync(rootfs, { recursive: true, force: true });
    rmSync(tarPath, { force: true });
  }

  /**
   * Stops the daemon, kills anything left of it, unmounts and removes its directory. Bounded
   * (about 45 s at most, even with a wedged daemon): it runs in after hooks, which node:test does
   * not time out.
   */
  async dispose(): Promise<void> {
    liveEngines.delete(this);
    try {
      if (this.proc) {
        await this.removeAllContainers(15_000).catch(() => undefined);
        await this.signalAndWait('SIGTERM', 20_000);
      }
    } finally {
      killProcessesMentioning(this.dir);
      unmountUnder(this.dir);
      rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
    }
  }
}

const liveEngines = new Set<PrivateEngine>();
process.once('exit', () => {
  for (const e of liveEngines) killProcessesMentioning(e.dir);
});

/** True when `exit` settles within `ms`. */
async function exitedWithin(exit: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const exited = await Promise.race([
    exit.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return exited;
}

function pingSocket(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/** Kills every process whose command line names `dir` (dockerd, its containerd, shims). */
function killProcessesMentioning(dir: string): void {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    const cmdline = safeRead(`/proc/${pid}/cmdline`).replaceAll('\0', ' ');
    if (cmdline.includes(dir)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

function unmountUnder(dir: string): void {
  const mounts = safeRead('/proc/self/mounts')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(dir))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      /* best effort */
    }
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
