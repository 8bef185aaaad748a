/**
 * Child process for the crash test: saves large snapshots in a loop and prints "committed ID" after
 * each commit ("saving" before each), until it is killed (SIGKILL) or has written `rounds` snapshots.
 * Usage: node --import tsx write-snapshots-forever.ts STATE_DIR CONTAINERS ROUNDS
 */
import { openStore } from '../../../src/adapters/store/sqlite-store.js';
import { desiredOf } from '../../core/recovery/fixtures.js';

const [stateDir, containersArg, roundsArg] = process.argv.slice(2);
if (stateDir === undefined) throw new Error('usage: write-snapshots-forever.ts STATE_DIR CONTAINERS ROUNDS');
const n = Number(containersArg ?? 400);
const rounds = Number(roundsArg ?? 1000);
const env = Array.from({ length: 24 }, (_, i) => `VAR_${i}=${'x'.repeat(100)}`);
const containers = Array.from({ length: n }, (_, i) => desiredOf({ name: `svc-${String(i).padStart(5, '0')}`, env }));
const store = openStore({ stateDir });
process.stdout.write('ready\n');
for (let round = 0; round < rounds; round++) {
  process.stdout.write('saving\n');
  const s = store.saveSnapshot({ host: { id: 'CRASH-ENGINE', name: 'crash-host' }, takenAt: new Date().toISOString(), note: `round ${round}`, containers });
  process.stdout.write(`committed ${s.id}\n`);
}
store.close();
