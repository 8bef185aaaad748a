/** `upkeep preflight` through the real executable, on saved plans (no apt run, no download). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { upkeep } from '../helpers/cli.js';

const PLAN = new URL('../fixtures/apt/incident-plan.txt', import.meta.url).pathname;
const NO_ENGINE = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

test('the incident plan: exit 3, docker restarts, reboot needed, containers not assessed without an engine', async () => {
  const r = await upkeep(['preflight', '--plan', PLAN, '--no-download'], NO_ENGINE);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout, /^46 packages to change/);
  assert.match(r.stdout, /^high\s+containerd\.io\s+1\.7\.27-1 -> 2\.1\.5-1\s+MAJOR; restarts containerd\.service/m);
  assert.match(r.stdout, /^high\s+docker-ce\s+.*MAJOR; restarts docker\.service; every container stops/m);
  assert.match(r.stdout, /^Reboot needed: linux-image-6\.8\.0-88-generic/m);
  assert.match(r.stdout, /^Containers: containers not assessed: no Docker socket/m);
  const j = await upkeep(['preflight', '--plan', PLAN, '--no-download', '--json'], NO_ENGINE);
  const report = JSON.parse(j.stdout);
  assert.equal(report.docker.restarts, true);
  assert.equal(report.reboot.needed, true);
  assert.equal(report.containers, null);
  assert.match(report.packages.find((p: { name: string }) => p.name === 'docker-ce').source, /^knowledge base: FACTS\.md/);
});

test('a missing plan file and an unreadable plan: exit 2 with what to do', async () => {
  const missing = await upkeep(['preflight', '--plan', '/nonexistent/plan.txt'], NO_ENGINE);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /hint: save one with: LC_ALL=C apt-get -s dist-upgrade > plan.txt/);
  const bad = await upkeep(['preflight', '--mode', 'full-upgrade'], NO_ENGINE);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--mode "full-upgrade": use dist-upgrade or upgrade/);
});

test('the apt hook never blocks apt: garbage on stdin is one line and exit 0', async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(new URL('../../bin/upkeep', import.meta.url).pathname, ['preflight', '--hook'], { input: 'not the apt protocol\n', env: { ...process.env, ...NO_ENGINE }, encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.match(r.stderr, /upkeep preflight/);
  const v3 = spawnSync(new URL('../../bin/upkeep', import.meta.url).pathname, ['preflight', '--hook'], {
    input: 'VERSION 3\nAPT::Architecture=amd64\n\ndocker-ce 5:28.3.2-1 amd64 same > 5:29.0.2-1 amd64 same /var/cache/apt/archives/docker-ce.deb\n',
    env: { ...process.env, ...NO_ENGINE },
    encoding: 'utf8',
  });
  assert.equal(v3.status, 0, v3.stderr);
  assert.match(v3.stderr, /docker-ce\s+5:28\.3\.2-1 -> 5:29\.0\.2-1\s+MAJOR; restarts docker\.service/);
});
