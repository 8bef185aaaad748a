/**
 * Debian's prometheus-alertmanager on loopback for a test: its own port, data directory and config
 * (one receiver that sends nowhere; no cluster), behind basic auth (the exporter-toolkit web config,
 * a bcrypt hash made by Python's crypt, i.e. libxcrypt) so the channel's credentials are exercised.
 * `amtool(...)` runs Debian's amtool against it with the same credentials. Skips when not installed.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { freePort } from './ports.js';

export const AM_BIN = '/usr/bin/prometheus-alertmanager';
export const AMTOOL = '/usr/bin/amtool';

export interface RunningAlertmanager {
  url: string;
  user: string;
  password: string;
  /** amtool with the URL and credentials; returns stdout. */
  amtool(args: string[]): string;
  /** GET on the API (with the credentials), parsed JSON. */
  get(path: string): Promise<unknown>;
  stop(): Promise<void>;
}

/** A bcrypt hash of `password` (libxcrypt through Python's crypt module; cost 4 keeps tests fast). */
export function bcryptHash(password: string): string {
  return execFileSync(
    'python3',
    ['-W', 'ignore', '-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))', password],
    {
      encoding: 'utf8',
    },
  ).trim();
}

/**
 * Starts it; stopped after the test when `t` is a test's context, else (a suite's `before`) the
 * caller calls `stop()` in its `after`.
 */
export async function startAlertmanager(
  t: Pick<TestContext, 'skip'> & { after?: TestContext['after'] },
  opts: { resolveTimeout?: string } = {},
): Promise<RunningAlertmanager | null> {
  if (!existsSync(AM_BIN) || !existsSync(AMTOOL)) {
    const message = 'ALERTMANAGER NOT AVAILABLE, test skipped: apt-get install --no-install-recommends prometheus-alertmanager';
    // The convention of test/deploy/promtool.ts: CI (UPKEEP_REQUIRE_ENGINE=1) fails instead of skipping.
    if (process.env.UPKEEP_REQUIRE_ENGINE === '1') throw new Error(`${message} (UPKEEP_REQUIRE_ENGINE=1)`);
    process.stderr.write(`\n!!! ${message}\n\n`);
    t.skip(message);
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'upkeep-am-'));
  const user = 'upkeep';
  const password = 'am-test-password';
  writeFileSync(
    join(dir, 'am.yml'),
    `global:\n  resolve_timeout: ${opts.resolveTimeout ?? '5m'}\nroute:\n  receiver: 'null'\n  group_wait: 1s\nreceivers:\n  - name: 'null'\n`,
  );
  writeFileSync(join(dir, 'web.yml'), `basic_auth_users:\n  ${user}: ${bcryptHash(password)}\n`);
  writeFileSync(join(dir, 'http.yml'), `basic_auth:\n  username: ${user}\n  password: ${password}\n`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    AM_BIN,
    [
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      `--storage.path=${join(dir, 'data')}`,
      `--config.file=${join(dir, 'am.yml')}`,
      `--web.config.file=${join(dir, 'web.yml')}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const get = async (path: string): Promise<unknown> => {
    const res = await fetch(url + path, { headers: { authorization: auth } });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  if (typeof t.after === 'function') t.after(stop);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`alertmanager exited ${child.exitCode}: ${stderr}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`, { headers: { authorization: auth } });
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`alertmanager not ready after 15 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const amtool = (args: string[]) =>
    execFileSync(AMTOOL, [...args, `--alertmanager.url=${url}`, `--http.config.file=${join(dir, 'http.yml')}`], { encoding: 'utf8', timeout: 10_000 });
  return { url, user, password, amtool, get, stop };
}

/** Polls `fn` until it returns a value that is not undefined (every 50 ms, up to `ms`). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
