/**
 * The host of the 2025-11-20 incident, rebuilt on a private engine with busybox:
 *  - compose project "srsilo": silo and lapisOpen (depends_on silo: service_healthy), both
 *    `unless-stopped`, HTTP services on loopback ports (network_mode host);
 *  - compose project "v-pipe-scout": redis, streamlit and worker with no restart policy, streamlit
 *    and worker depending on redis being healthy;
 *  - a k3d-like node container, standalone, `unless-stopped`;
 *  - a batch job that ran and exited 0 (`upkeep.role=job`);
 *  - a scratch container, running; the test stops it on purpose after the snapshot and forgets it.
 * Every HTTP service answers on 127.0.0.1 only; nothing leaves the machine.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TEST_IMAGE, type PrivateEngine } from './private-engine.js';
import { freePort } from '../helpers/ports.js';

const execFileP = promisify(execFile);

export interface IncidentHost {
  /** Every container that should run, by name, with the loopback port it serves on (or null). */
  desired: Record<string, number | null>;
  job: string;
  stoppedOnPurpose: string;
  projects: { srsilo: { dir: string; file: string }; vpipe: { dir: string; file: string } };
  /** Directory bind-mounted into silo (removing it makes silo's start fail). */
  siloDataDir: string;
}

function httpService(port: number): string {
  return `["httpd", "-f", "-p", "127.0.0.1:${port}", "-h", "/www"]`;
}

function healthcheck(port: number): string {
  return `    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${port}/"]
      interval: 1s
      timeout: 1s
      retries: 3`;
}

/** Runs docker-compose (v1, Debian bookworm) or `docker compose` against the private engine. */
export async function compose(engine: PrivateEngine, dir: string, file: string, project: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileP('docker-compose', ['-f', file, '-p', project, ...args], {
    cwd: dir,
    env: { ...process.env, DOCKER_HOST: engine.dockerHost, COMPOSE_INTERACTIVE_NO_CLI: '1' },
    maxBuffer: 16 << 20,
  });
  return stdout;
}

export async function buildIncidentHost(engine: PrivateEngine, root: string): Promise<IncidentHost> {
  const [silo, lapis, redis, streamlit, k3d] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const srsiloDir = join(root, 'srsilo');
  const vpipeDir = join(root, 'v-pipe-scout');
  const siloDataDir = join(root, 'silo-data');
  for (const d of [srsiloDir, vpipeDir, siloDataDir]) mkdirSync(d, { recursive: true });

  const srsiloFile = join(srsiloDir, 'docker-compose.yml');
  writeFileSync(
    srsiloFile,
    `services:
  silo:
    image: ${TEST_IMAGE}
    command: ${httpService(silo)}
    network_mode: host
    restart: unless-stopped
    stop_grace_period: 1s
    volumes:
      # Long syntax: a Mounts bind, whose missing source fails the start (short syntax would create it).
      - type: bind
        source: ${siloDataDir}
        target: /data
${healthcheck(silo)}
  lapisOpen:
    image: ${TEST_IMAGE}
    command: ${httpService(lapis)}
    network_mode: host
    restart: unless-stopped
    stop_grace_period: 1s
    depends_on:
      silo:
        condition: service_healthy
`,
  );
  const vpipeFile = join(vpipeDir, 'docker-compose.yml');
  writeFileSync(
    vpipeFile,
    `services:
  redis:
    image: ${TEST_IMAGE}
    command: ${httpService(redis)}
    network_mode: host
    stop_grace_period: 1s
${healthcheck(redis)}
  streamlit:
    image: ${TEST_IMAGE}
    command: ${httpService(streamlit)}
    network_mode: host
    stop_grace_period: 1s
    depends_on:
      redis:
        condition: service_healthy
  worker:
    image: ${TEST_IMAGE}
    command: ["sleep", "1000000"]
    network_mode: none
    stop_grace_period: 1s
    depends_on:
      redis:
        condition: service_healthy
`,
  );
  await compose(engine, srsiloDir, srsiloFile, 'srsilo', 'up', '-d');
  await compose(engine, vpipeDir, vpipeFile, 'v-pipe-scout', 'up', '-d');
  await engine.run('k3d-loculus-server-0', {
    flags: ['--restart', 'unless-stopped', '--network', 'host'],
    cmd: ['httpd', '-f', '-p', `127.0.0.1:${k3d}`, '-h', '/www'],
  });
  await engine.run('nightly-import', { flags: ['--label', 'upkeep.role=job'], cmd: ['true'] });
  await engine.run('scratch-debug', { flags: ['--restart', 'no'] });

  return {
    desired: {
      srsilo_silo_1: silo,
      srsilo_lapisOpen_1: lapis,
      'v-pipe-scout_redis_1': redis,
      'v-pipe-scout_streamlit_1': streamlit,
      'v-pipe-scout_worker_1': null,
      'k3d-loculus-server-0': k3d,
    },
    job: 'nightly-import',
    stoppedOnPurpose: 'scratch-debug',
    projects: { srsilo: { dir: srsiloDir, file: srsiloFile }, vpipe: { dir: vpipeDir, file: vpipeFile } },
    siloDataDir,
  };
}

/** True when an HTTP GET on the loopback port answers 200. */
/** True when the port answers 200 within `withinMs` (tries every 250 ms: a loaded CI machine is slow). */
export async function answersHttp(port: number, withinMs = 5_000): Promise<boolean> {
  const end = Date.now() + withinMs;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
      await res.text();
      if (res.status === 200) return true;
    } catch {
      /* not (yet) */
    }
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}
