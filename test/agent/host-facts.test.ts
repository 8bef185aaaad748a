/**
 * The host-facts actor stopping while apt's simulation runs: the agent used to wait for
 * `apt-get -s dist-upgrade` to finish (seconds; systemd's stop waited with it). Now the actor's
 * signal kills it. apt-get is a STAND-IN here (a script first on PATH that writes its pid and
 * sleeps), so that the simulation is still running when the test stops the actor; the process,
 * the kill and the reaping are real.
 */
import { deepStrictEqual, throws } from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { HostFactsWatcher, type HostFacts } from '../../src/agent/host-facts.js';
import { SILENT } from '../../src/agent/log.js';

test('stopping the host-facts actor kills a running apt-get simulation and publishes nothing', { timeout: 20_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'upkeep-facts-'));
  const pathBefore = process.env.PATH;
  try {
    const pidFile = join(dir, 'apt-get.pid');
    writeFileSync(join(dir, 'apt-get'), `#!/bin/sh\necho $$ > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile} && exec sleep 600\n`);
    chmodSync(join(dir, 'apt-get'), 0o755);
    process.env.PATH = `${dir}:${pathBefore ?? ''}`;
    const published: HostFacts[] = [];
    const actor = new HostFactsWatcher({ log: SILENT, onFacts: (f) => published.push(f) });
    const ac = new AbortController();
    const running = actor.run(ac.signal);
    while (!existsSync(pidFile)) await delay(10);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    ac.abort();
    await running;
    throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'the simulation is killed, not left running');
    deepStrictEqual(published, [], 'an aborted read publishes nothing (no "pending upgrades unknown" on the way out)');
  } finally {
    process.env.PATH = pathBefore;
    rmSync(dir, { recursive: true, force: true });
  }
});
