/**
 * The agent's recovery at the floor, on a private real engine (docs/recovery.md, "Who starts what"):
 *
 *  1. After a graceful daemon restart, a container Docker never starts (restart policy "no") is
 *     started by the agent at once: recovery.grace is 120 s here, and the container runs long
 *     before that (no blind grace), while the `always` container is left to Docker.
 *  2. A bind-mount source missing when the daemon comes back: the agent's start fails on it and
 *     waits for the path (a watch, with a bounded fallback); the directory is made while it waits,
 *     and the watch (not the fallback) ends the wait and starts it: the agent's log says so.
 *
 * The agent runs in this process (buildAgent, what `upkeep agent` runs) on a real SQLite store.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EngineClient } from '../../src/adapters/docker/engine-client.js';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import type { Store } from '../../src/adapters/store/store.js';
import { buildAgent } from '../../src/agent/agent.js';
import { createLog } from '../../src/agent/log.js';
import { defaultConfig, type UpkeepConfig } from '../../src/core/config/types.js';
import { parseDockerHost } from '../../src/core/docker-host.js';
import { PrivateEngine } from './private-engine.js';
import { until } from '../helpers/webhook.js';

const GRACE_MS = 120_000;

let engine: PrivateEngine | null = null;
let root = '';
let dataDir = '';
let store: Store;
let client: EngineClient;
let running: Promise<void> | undefined;
/** The agent's log lines (JSON), to see it waiting. */
let logText = '';
const stop = new AbortController();

async function state(name: string): Promise<{ Running: boolean; Error: string; StartedAt: string }> {
  const out = await engine!.docker('inspect', '--format', '{{json .State}}', name);
  return JSON.parse(out) as { Running: boolean; Error: string; StartedAt: string };
}

describe('upkeep agent: recovery at the floor on a real engine', { concurrency: false, timeout: 300_000 }, () => {
  before(async (t) => {
    engine = await PrivateEngine.startOrSkip(t as never);
    if (!engine) return;
    root = mkdtempSync(join(tmpdir(), 'upk-floor-'));
    dataDir = join(root, 'late-disk', 'data');
    mkdirSync(dataDir, { recursive: true });
    await engine.run('plain', { flags: ['--stop-timeout', '1'] });
    await engine.run('keeper', { flags: ['--restart', 'always', '--stop-timeout', '1'] });
    // Long syntax: a missing source fails the start (-v would create it).
    await engine.run('mounted', { flags: ['--stop-timeout', '1', '--mount', `type=bind,source=${dataDir},target=/data`] });

    store = openStore({ stateDir: join(root, 'state') });
    client = new EngineClient(parseDockerHost(engine.dockerHost));
    const config: UpkeepConfig = defaultConfig();
    config.listen = { host: '127.0.0.1', port: 0 };
    config.recovery = { ...config.recovery, graceMs: GRACE_MS, readyTimeoutMs: 60_000 };
    const agent = buildAgent({
      config,
      engine: client,
      store,
      log: createLog('json', {
        write: (line: string) => {
          logText += line;
          if (process.env.UPKEEP_TEST_LOG) process.stderr.write(line);
          return true;
        },
      }),
      version: 'test',
      notifiers: new Map(),
      readHostFacts: async () => ({ pendingUpgrades: 0, rebootRequired: false, why: 'test' }),
      timing: { debounceMs: 20 },
    });
    running = agent.run(stop.signal);
    await until('first snapshot', () => store.listSnapshots()[0] ?? null);
  });

  after(async () => {
    stop.abort();
    await running?.catch(() => undefined);
    store?.close();
    await client?.close();
    await engine?.dispose();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('a container Docker never starts is started at once after a daemon restart, without the grace wait', async (t) => {
    if (!engine) return t.skip('no engine');
    const lastEntry = store.timeline({}).at(-1)?.id ?? 0;
    await engine.restart();
    // Well inside recovery.grace (120 s): the agent did not wait it out.
    await until('plain running again', async () => (await state('plain')).Running, 30_000);
    await until('keeper running (Docker started it)', async () => (await state('keeper')).Running, 30_000);
    await until('mounted running again', async () => (await state('mounted')).Running, 30_000);
    const pass = await until(
      'the recovery pass recorded',
      () => store.timeline({ kind: 'recovery' }).find((e) => /came back/.test(e.detail.message)) ?? null,
      30_000,
    );
    const outcomes = (pass.detail as { outcomes?: Array<{ container: string }> }).outcomes ?? [];
    assert.deepEqual(outcomes.map((o) => o.container).sort(), ['mounted', 'plain'], 'keeper left to Docker');
    // While the daemon shut down, the agent started nothing (a start then races the shutdown and
    // can leave the container unstartable): no failed heal, and each stop put down to the shutdown.
    const since = store.timeline({}).filter((e) => e.id > lastEntry);
    assert.deepEqual(
      since.filter((e) => e.kind === 'heal-failed').map((e) => e.detail.message),
      [],
    );
    // A death the agent saw is put down to the shutdown; one whose event came after the event
    // stream closed is not seen at all (it happens: the daemon ends the stream while it stops the
    // last containers), which is no error. At least one of them is seen.
    const died = since.filter((e) => e.kind === 'container-died' && e.subject !== null && ['plain', 'mounted'].includes(e.subject));
    const all = since.map((e) => `${e.kind} ${e.subject}: ${e.detail.message}`).join('\n');
    assert.ok(died.length > 0, all);
    for (const e of died) assert.match(e.detail.message, /stopped by the Docker daemon's own shutdown/, all);
  });

  test('a missing bind-mount source: started when the watch sees the path appear, not on the fallback', async (t) => {
    if (!engine) return t.skip('no engine');
    await engine.stop();
    rmSync(join(root, 'late-disk'), { recursive: true, force: true });
    const from = logText.length;
    await engine.start();
    await until('plain running again', async () => (await state('plain')).Running, 30_000);
    const path = dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // The agent's start failed on the mount and it waits for the path: a watch, bounded by a fallback.
    const waiting = new RegExp(`mounted: start failed: .*waiting for its bind-mount source ${path} to appear`, 'g');
    await until('the agent waiting for the mount source (4 tries)', () => (logText.slice(from).match(waiting)?.length ?? 0) >= 4, 30_000);
    assert.equal((await state('mounted')).Running, false);
    // Made right after a retry line (within the 50 ms poll), so at the start of a 2 s fallback wait:
    // the watch, not the fallback bound, is what can end that wait.
    const tries = (): number => logText.slice(from).match(waiting)?.length ?? 0;
    const seen = tries();
    await until('the next retry', () => tries() > seen, 30_000);
    const beforeMkdir = logText.length;
    mkdirSync(dataDir, { recursive: true });
    await until('mounted running once its source exists', async () => (await state('mounted')).Running);
    // The start came from the watch: the wait it was in ended early, on the path appearing (the log
    // says so with the wait's length); a start from the fallback bound would not write this line.
    const woke = new RegExp(`mounted: its bind-mount source ${path} appeared \\(after (\\d+) ms of a (\\d+) ms wait\\): starting`);
    const m = woke.exec(logText.slice(beforeMkdir));
    assert.ok(m, `no wake-up from the watch in the log after the mkdir:\n${logText.slice(beforeMkdir)}`);
    assert.ok(Number(m[1]) < Number(m[2]));
  });
});
