/**
 * scripts/engine-28.sh without the network: the cache directory it prints is the one the
 * private-engine harness reads; with the engine already unpacked it does nothing and says so; an
 * unreachable mirror (a closed port on loopback) ends in exit 2 with apt's error, leaves nothing
 * in the cache and does not touch the host's apt lists. (The real fetch from the Debian mirror is
 * what .ci/run does before the tests.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DOCKER28_VERSION, docker28Dir } from '../engine/private-engine.js';

const SCRIPT = new URL('../../scripts/engine-28.sh', import.meta.url).pathname;

let cache: string;
before(() => {
  cache = mkdtempSync(join(tmpdir(), 'upk-engine28-cache-'));
});
after(() => rmSync(cache, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string; ms: number } {
  const started = Date.now();
  const clean = { ...process.env };
  delete clean.UPKEEP_ENGINE28_DIR;
  const r = spawnSync('bash', [SCRIPT, ...args], { env: { ...clean, UPKEEP_ENGINE_CACHE: cache, ...env }, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

/** A stand-in unpacked tree: executables that print the versions the script checks. */
function fakeEngine(dir: string, dockerdVersion: string): void {
  const root = join(dir, 'root');
  const tools: Record<string, string> = {
    'usr/sbin/dockerd': `echo "Docker version ${dockerdVersion}, build fake"`,
    'usr/sbin/docker-proxy': 'exit 0',
    'usr/bin/containerd': 'echo "containerd github.com/containerd/containerd/v2 2.1.9+fake"',
    'usr/bin/containerd-shim-runc-v2': 'exit 0',
    'usr/libexec/docker/cli-plugins/docker-compose': 'echo "Docker Compose version 2.40.3-fake"',
  };
  for (const [path, body] of Object.entries(tools)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), `#!/bin/sh\n${body}\n`);
    chmodSync(join(root, path), 0o755);
  }
  writeFileSync(join(dir, '.complete'), '');
}

async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Names and mtimes of the host's apt lists: the script must not change them. */
function hostAptLists(): string {
  const dir = '/var/lib/apt/lists';
  if (!existsSync(dir)) return '';
  return readdirSync(dir)
    .map((n) => `${n} ${statSync(join(dir, n)).mtimeMs}`)
    .join('\n');
}

describe('scripts/engine-28.sh', () => {
  it('prints the cache directory the harness reads', () => {
    const r = run(['--print-dir']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), join(cache, `docker-${DOCKER28_VERSION}`));
    const saved = { cache: process.env.UPKEEP_ENGINE_CACHE, dir: process.env.UPKEEP_ENGINE28_DIR };
    try {
      process.env.UPKEEP_ENGINE_CACHE = cache;
      delete process.env.UPKEEP_ENGINE28_DIR;
      assert.equal(docker28Dir(), r.stdout.trim());
    } finally {
      if (saved.cache === undefined) delete process.env.UPKEEP_ENGINE_CACHE;
      else process.env.UPKEEP_ENGINE_CACHE = saved.cache;
      if (saved.dir !== undefined) process.env.UPKEEP_ENGINE28_DIR = saved.dir;
    }
  });

  it('does nothing, and says so, when the engine is already unpacked and runs', () => {
    const dest = join(cache, `docker-${DOCKER28_VERSION}`);
    fakeEngine(dest, `${DOCKER28_VERSION}+dfsg4`);
    // A mirror that cannot answer: the script must not need it.
    const r = run([], { UPKEEP_DEBIAN_MIRROR: 'http://127.0.0.1:1/debian' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /already there, nothing to do/);
    assert.match(r.stdout, new RegExp(`Docker version ${DOCKER28_VERSION.replaceAll('.', '\\.')}`));
    rmSync(dest, { recursive: true, force: true });
  });

  it('fails with exit 2 and apt’s error when the mirror is unreachable, leaving nothing behind', async () => {
    const dest = join(cache, `docker-${DOCKER28_VERSION}`);
    // An unpacked tree that does not verify (another version) is fetched again.
    fakeEngine(dest, '27.0.0');
    const lists = hostAptLists();
    const mirror = `http://127.0.0.1:${await closedLoopbackPort()}/debian`;
    const r = run([], { UPKEEP_DEBIAN_MIRROR: mirror });
    assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /does not verify/);
    assert.match(r.stderr, new RegExp(`could not read sid's package index from ${mirror.replaceAll('.', '\\.')} \\(is the mirror reachable`));
    assert.match(r.stderr, /Failed to fetch|Could not connect/);
    assert.deepEqual(
      readdirSync(cache).filter((n) => !n.endsWith('.lock')),
      [`docker-${DOCKER28_VERSION}`],
      'no temporary directory left behind; the old tree is kept',
    );
    assert.equal(hostAptLists(), lists, "the host's apt lists are untouched");
    rmSync(dest, { recursive: true, force: true });
  });
});
