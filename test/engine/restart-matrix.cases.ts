/**
 * The acceptance matrix of the foundation: on a real (private) engine, for each policy and each
 * event, what upkeep predicted before the event must be what happened after it, wherever the
 * prediction is not "unknown"; and "unknown" may appear only where FACTS.md says the outcome
 * cannot be known (on-failure: the exit code a process gives on SIGTERM).
 *
 * Shared by restart-matrix.test.ts (bookworm's engine) and restart-matrix-docker28.test.ts (Docker
 * 28 + containerd 2): one file per generation, so the test runner runs them side by side.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EngineClient } from '../../src/adapters/docker/engine-client.js';
import { readHostState } from '../../src/adapters/docker/host-state.js';
import { parseDockerHost } from '../../src/core/docker-host.js';
import type { LifecycleEvent, Outcome, Prediction } from '../../src/core/model.js';
import { willComeBack } from '../../src/core/restart-semantics.js';
import { PrivateEngine, type EngineGeneration } from './private-engine.js';

/** The containers of one scenario: policy, and how the process reacts to SIGTERM. */
const CASES = [
  { key: 'no', flags: ['--restart', 'no'], cmd: undefined },
  { key: 'always', flags: ['--restart', 'always'], cmd: undefined },
  { key: 'unless-stopped', flags: ['--restart', 'unless-stopped'], cmd: undefined },
  // sleep as PID 1 ignores SIGTERM and is killed after the stop timeout: exit 137.
  { key: 'onfail-137', flags: ['--restart', 'on-failure:3'], cmd: undefined },
  // A shell that traps TERM and exits 0.
  { key: 'onfail-0', flags: ['--restart', 'on-failure:3'], cmd: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done'] },
] as const;

/** FACTS.md's table, as observed on a real engine: true = running afterwards. */
const FACTS_TABLE: Record<string, Record<(typeof CASES)[number]['key'], boolean>> = {
  'graceful daemon restart': { no: false, always: true, 'unless-stopped': true, 'onfail-137': true, 'onfail-0': false },
  'docker stop, then daemon restart': { no: false, always: true, 'unless-stopped': false, 'onfail-137': true, 'onfail-0': false },
  'daemon SIGKILL, then start': { no: false, always: true, 'unless-stopped': false, 'onfail-137': true, 'onfail-0': false },
};

/** What each generation's daemon reports (so a fallback to the other binaries cannot pass unnoticed). */
const EXPECTED_SERVER: Record<EngineGeneration, { version: RegExp; containerd: RegExp }> = {
  bookworm: { version: /^20\.10\./, containerd: /^1\./ },
  docker28: { version: /^28\./, containerd: /^(v)?2\./ },
};

interface Cell {
  container: string;
  predicted: Prediction;
  observed: Outcome;
}

/** The matrix on one engine generation: FACTS.md's table observed, and upkeep's predictions matching it. */
export function describeRestartMatrix(generation: EngineGeneration): void {
  let engine: PrivateEngine | null = null;
  let client: EngineClient;
  const matrix: Array<{ scenario: string; cells: Cell[] }> = [];

  describe(`restart semantics on a real engine (${generation})`, { timeout: 240_000 }, () => {
    before(async (t) => {
      engine = await PrivateEngine.startOrSkip(t as never, [], { engine: generation });
      if (engine) client = new EngineClient(parseDockerHost(engine.dockerHost));
    });

    after(async () => {
      if (matrix.length > 0) {
        const lines = matrix.flatMap(({ scenario, cells }) => [
          `${scenario}:`,
          ...cells.map((c) => `  ${c.container.padEnd(16)} predicted ${c.predicted.outcome.padEnd(8)} observed ${c.observed}`),
        ]);
        process.stdout.write(`# prediction vs observation on ${engine?.describeServer() ?? generation}\n${lines.map((l) => `# ${l}`).join('\n')}\n`);
      }
      await client?.close();
      await engine?.dispose();
    });

    test('the engine is the generation asked for', (t) => {
      if (!engine) return t.skip('no engine');
      const expected = EXPECTED_SERVER[generation];
      assert.match(engine.server.version, expected.version, engine.describeServer());
      assert.match(engine.server.containerd, expected.containerd, engine.describeServer());
    });

    async function startCases(prefix: string): Promise<string[]> {
      const e = engine!;
      await e.removeAllContainers();
      const names = CASES.map((c) => `${prefix}-${c.key}`);
      await Promise.all(CASES.map((c, i) => e.run(names[i]!, { flags: [...c.flags], cmd: c.cmd ? [...c.cmd] : undefined })));
      await e.settle(500);
      for (const n of names) assert.equal(await e.isRunning(n), true, `${n} should be running before the event`);
      return names;
    }

    async function predict(names: string[], event: LifecycleEvent): Promise<Map<string, Prediction>> {
      const state = await readHostState(client);
      assert.equal(state.flagsUnreadable, null, 'as root, config.v2.json must be readable');
      const out = new Map<string, Prediction>();
      for (const n of names) {
        const c = state.containers.find((x) => x.name === n);
        assert.ok(c, `container ${n} is listed`);
        out.set(n, willComeBack(c, state.daemon, event));
      }
      return out;
    }

    async function observe(names: string[]): Promise<Map<string, Outcome>> {
      await engine!.settle();
      const out = new Map<string, Outcome>();
      for (const n of names) out.set(n, (await engine!.isRunning(n)) ? 'back' : 'not-back');
      return out;
    }

    function check(scenario: string, names: string[], predicted: Map<string, Prediction>, observed: Map<string, Outcome>) {
      const cells: Cell[] = names.map((n) => ({ container: n, predicted: predicted.get(n)!, observed: observed.get(n)! }));
      matrix.push({ scenario, cells });
      CASES.forEach((c, i) => {
        const cell = cells[i]!;
        // The engine behaves as FACTS.md says (if this fails, FACTS.md needs a correction).
        assert.equal(
          cell.observed === 'back',
          FACTS_TABLE[scenario]![c.key],
          `${scenario}: ${cell.container} observed ${cell.observed}, FACTS.md says otherwise`,
        );
        if (cell.predicted.outcome === 'unknown') {
          assert.ok(
            c.key.startsWith('onfail'),
            `${scenario}: ${cell.container} predicted unknown, but only on-failure may be unknown (${cell.predicted.reason})`,
          );
        } else {
          assert.equal(
            cell.predicted.outcome,
            cell.observed,
            `${scenario}: ${cell.container}: predicted ${cell.predicted.outcome} (${cell.predicted.reason}), observed ${cell.observed}`,
          );
        }
      });
    }

    test('graceful daemon restart (apt restarting docker.service, a clean reboot)', async (t) => {
      if (!engine) return t.skip('no engine');
      const names = await startCases('gr');
      // A container that was created but never started: Docker does not start it at daemon start.
      await engine.docker('create', '--name', 'gr-never-started', '--network', 'none', '--restart', 'always', 'upkeep-test/busybox:latest', 'sleep', '1000');
      const predicted = await predict([...names, 'gr-never-started'], 'daemon-restart');
      const rebootPredicted = await predict(names, 'reboot');
      await engine.restart();
      const observed = await observe([...names, 'gr-never-started']);
      check('graceful daemon restart', names, predicted, observed);
      assert.equal(predicted.get('gr-never-started')!.outcome, 'not-back');
      assert.equal(observed.get('gr-never-started'), 'not-back');
      // A reboot is a graceful stop and a start at boot: the same predictions.
      for (const n of names) assert.deepEqual(rebootPredicted.get(n)!.outcome, predicted.get(n)!.outcome);
    });

    test('docker stop, then daemon restart', async (t) => {
      if (!engine) return t.skip('no engine');
      const names = await startCases('ms');
      const predicted = await predict(names, 'daemon-restart-after-manual-stop');
      await Promise.all(names.map((n) => engine!.docker('stop', n)));
      // Once stopped, the exit codes and the manually-stopped flags are facts: no unknown is allowed.
      const afterStop = await predict(names, 'daemon-restart');
      for (const [n, p] of afterStop) assert.notEqual(p.outcome, 'unknown', `${n}: ${p.reason}`);
      const state = await readHostState(client);
      for (const n of names) assert.equal(state.containers.find((c) => c.name === n)!.manuallyStopped, true, `${n} is flagged manually stopped`);
      await engine.restart();
      const observed = await observe(names);
      check('docker stop, then daemon restart', names, predicted, observed);
      check('docker stop, then daemon restart', names, afterStop, observed);
    });

    test('daemon SIGKILL (crash, OOM kill, power loss), then start', async (t) => {
      if (!engine) return t.skip('no engine');
      const names = await startCases('cr');
      const predicted = await predict(names, 'daemon-crash');
      await engine.crash();
      await engine.start();
      const observed = await observe(names);
      check('daemon SIGKILL, then start', names, predicted, observed);
      // After the crash the orphans were killed by the new daemon and flagged as manually stopped.
      const state = await readHostState(client);
      assert.equal(state.containers.find((c) => c.name === 'cr-unless-stopped')!.manuallyStopped, true);
    });
  });
}
