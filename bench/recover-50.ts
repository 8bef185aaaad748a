/**
 * Benchmark: 50 stopped containers brought back by upkeep's recovery executor, against the floor:
 * starting all 50 at once through the raw Engine API. Same private engine, same containers,
 * alternating rounds; each round ends when every container is running (inspect says so).
 * Run: node --import tsx bench/recover-50.ts   (as root; starts its own private dockerd)
 */
import { EngineClient } from '../src/adapters/docker/engine-client.js';
import { readHostState } from '../src/adapters/docker/host-state.js';
import { EngineRecoveryEffects } from '../src/adapters/docker/recovery-effects.js';
import { parseDockerHost } from '../src/core/docker-host.js';
import { buildSnapshot } from '../src/core/recovery/desired-state.js';
import { executeRecovery } from '../src/core/recovery/executor.js';
import { PrivateEngine } from '../test/engine/private-engine.js';

const N = 50;
const ROUNDS = Number(process.env.ROUNDS ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const fakeT = { skip() {} } as never;
const engine = await PrivateEngine.startOrSkip(fakeT);
if (!engine) throw new Error('no private engine (run as root)');
const client = new EngineClient(parseDockerHost(engine.dockerHost));
try {
  const names = Array.from({ length: N }, (_, i) => `bench-${String(i).padStart(2, '0')}`);
  for (const n of names) await engine.run(n, { flags: ['--restart', 'no'] });
  const state = await readHostState(client);
  const { snapshot } = buildSnapshot(
    state.containers.map((facts) => ({ facts, inspect: state.inspects.get(facts.id)! })),
    { host: state.host, takenAt: new Date().toISOString() },
  );
  const ids = state.containers.map((c) => c.id);
  const stopAll = async () => {
    await Promise.all(ids.map((id) => client.stopContainer(id, 0)));
  };
  const allRunning = async () => {
    const listed = await client.listContainers({ all: true });
    return listed.filter((c) => c.State === 'running').length === N;
  };

  const floor: number[] = [];
  const upkeep8: number[] = [];
  const upkeep50: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await stopAll();
    let t0 = performance.now();
    await Promise.all(ids.map((id) => client.startContainer(id)));
    if (!(await allRunning())) throw new Error('floor: not all running');
    floor.push(performance.now() - t0);

    for (const [concurrency, out] of [
      [8, upkeep8],
      [50, upkeep50],
    ] as const) {
      await stopAll();
      t0 = performance.now();
      const result = await executeRecovery(snapshot.containers, new EngineRecoveryEffects(client), { concurrency, engineWaitMs: 10_000 });
      if (result.remaining.length !== 0 || !(await allRunning())) throw new Error(`upkeep (${concurrency}): not all running`);
      out.push(performance.now() - t0);
    }
  }
  const f = median(floor);
  const u8 = median(upkeep8);
  const u50 = median(upkeep50);
  const line = (label: string, xs: number[]) =>
    `${label.padEnd(34)} median ${(median(xs) / 1000).toFixed(2)} s  (runs: ${xs.map((x) => (x / 1000).toFixed(2)).join(', ')})`;
  console.log(`recover ${N} stopped containers, ${ROUNDS} alternating rounds, private dockerd ${state.daemon.serverVersion}`);
  console.log(line('floor: raw API, all 50 at once', floor));
  console.log(line('upkeep executor, concurrency 8', upkeep8));
  console.log(line('upkeep executor, concurrency 50', upkeep50));
  console.log(`ratio to floor: concurrency 8 ${(u8 / f).toFixed(2)}x, concurrency 50 ${(u50 / f).toFixed(2)}x (target: within 1.3x)`);
} finally {
  await client.close();
  await engine.dispose();
}
