import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { simulateUpgrade } from '../../../src/adapters/apt/simulate-upgrade.js';
import { parseAptSimulation } from '../../../src/core/preflight/apt-plan.js';
import { hostLock } from '../../helpers/host-lock.js';

// Host-wide state (dpkg, apt, policy-rc.d): never alongside another such file (test/helpers/host-lock.ts).
before(() => hostLock.acquire());
after(() => hostLock.release());

/** apt's own summary line, to check the parser read every package apt counted. */
function summary(text: string): { upgraded: number; installed: number; removed: number } {
  const m = /^(\d+) upgraded, (\d+) newly installed, (\d+) to remove/m.exec(text);
  assert.ok(m !== null, 'apt printed no summary line');
  return { upgraded: Number(m[1]), installed: Number(m[2]), removed: Number(m[3]) };
}

for (const mode of ['dist-upgrade', 'upgrade'] as const) {
  test(`simulateUpgrade('${mode}') on this machine: the parser accounts for every package apt counts`, { timeout: 120_000 }, async () => {
    const text = await simulateUpgrade(mode);
    const plan = parseAptSimulation(text);
    const counts = summary(text);
    assert.deepEqual(plan.problems, []);
    assert.equal(plan.packages.filter((p) => p.action === 'upgrade' || p.action === 'downgrade').length, counts.upgraded);
    assert.equal(plan.packages.filter((p) => p.action === 'install').length, counts.installed);
    assert.equal(plan.packages.filter((p) => p.action === 'remove').length, counts.removed);
    if (mode === 'upgrade') assert.equal(counts.removed, 0, 'apt upgrade never removes');
  });
}
