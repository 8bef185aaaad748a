import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fetchCandidateScripts, readInstalledScripts } from '../../../src/adapters/apt/maintainer-scripts.js';
import { runCommand } from '../../../src/adapters/apt/run-command.js';
import { analyseMaintainerScript } from '../../../src/core/preflight/maintainer-scripts.js';
import { hostLock } from '../../helpers/host-lock.js';

// Host-wide state (dpkg, apt, policy-rc.d): never alongside another such file (test/helpers/host-lock.ts).
before(() => hostLock.acquire());
after(() => hostLock.release());

const fixture = (path: string): Promise<string> => readFile(new URL(`../../fixtures/apt/scripts/${path}`, import.meta.url), 'utf8');
const effects = (kind: 'postinst' | 'prerm', text: string | null): string[] =>
  analyseMaintainerScript(kind, text ?? '').effects.map((e) => `${e.when} ${e.action} ${e.unit}`);

test('readInstalledScripts: docker.io and containerd as installed here (the fixtures are copies of them)', async () => {
  const docker = await readInstalledScripts('docker.io');
  assert.equal(docker.postinst, await fixture('installed/docker.io_20.10.24+dfsg1-1+deb12u1+b6.postinst'));
  assert.equal(docker.prerm, await fixture('installed/docker.io_20.10.24+dfsg1-1+deb12u1+b6.prerm'));
  assert.notEqual(docker.preinst, null);
  assert.deepEqual(effects('postinst', docker.postinst), ['always start docker.service', 'always start docker.socket']);
  const containerd = await readInstalledScripts('containerd');
  assert.equal(containerd.preinst, null, 'containerd ships no preinst');
  assert.deepEqual(effects('postinst', containerd.postinst), ['upgrade restart containerd.service', 'install start containerd.service']);
});

test('readInstalledScripts: multi-arch names (libc6:amd64.postinst), with or without the arch; unknown packages', async () => {
  const withoutArch = await readInstalledScripts('libc6');
  const withArch = await readInstalledScripts('libc6', { arch: 'amd64' });
  assert.equal(withoutArch.postinst, await readFile('/var/lib/dpkg/info/libc6:amd64.postinst', 'utf8'));
  assert.deepEqual(withArch, withoutArch);
  assert.deepEqual(await readInstalledScripts('libc6', { arch: 'i386' }), { preinst: null, postinst: null, prerm: null, postrm: null });
  assert.deepEqual(await readInstalledScripts('no-such-package-upkeep'), { preinst: null, postinst: null, prerm: null, postrm: null });
});

test('fetchCandidateScripts downloads with apt, extracts with dpkg-deb, then serves from its cache', { timeout: 180_000 }, async () => {
  const show = await runCommand('apt-cache', ['show', '--no-all-versions', 'cron']);
  const version = /^Version: (\S+)$/m.exec(show.stdout)?.[1];
  assert.ok(version !== undefined, 'apt knows no cron candidate');
  const cache = await mkdtemp(join(tmpdir(), 'upkeep-candidates-'));
  try {
    const first = await fetchCandidateScripts('cron', version, cache);
    assert.equal(first.cached, false);
    assert.equal(first.dir, join(cache, `cron_${version}`));
    if (version === '3.0pl1-162') assert.equal(first.scripts.postinst, await fixture('candidate/cron_3.0pl1-162.postinst'));
    assert.deepEqual(effects('postinst', first.scripts.postinst), ['upgrade restart cron.service', 'install start cron.service']);
    assert.deepEqual(effects('prerm', first.scripts.prerm), ['remove stop cron.service']);
    assert.deepEqual((await readdir(cache)).sort(), [`cron_${version}`], 'no download directory is left behind');

    const second = await fetchCandidateScripts('cron', version, cache);
    assert.equal(second.cached, true);
    assert.deepEqual(second.scripts, first.scripts);

    await assert.rejects(fetchCandidateScripts('cron', '0.0-no-such-version', cache), /could not download cron 0\.0-no-such-version/);
    await assert.rejects(fetchCandidateScripts('bad name; rm', '1', cache), /is not a Debian package name/);
    assert.deepEqual((await readdir(cache)).sort(), [`cron_${version}`]);
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
});
