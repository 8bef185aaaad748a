/**
 * The rollback plan as a user meets it, with real apt and dpkg: `upkeep upgrade --yes` (a stub
 * engine with no containers; apt shown only a private file repository through APT_CONFIG) keeps a
 * copy of an engine package (a fixture named containerd.io) whose old version no repository has, before apt upgrades it;
 * `upkeep report` and `upkeep runbook` print the rollback command; that command, run as printed
 * (with the same APT_CONFIG), puts the old versions back. As root; the packages are purged in
 * `finally`.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { upkeep } from '../helpers/cli.js';
import { hostLock } from '../helpers/host-lock.js';
import { stubEngine } from '../helpers/stub-engine.js';
import { buildTestDeb } from '../helpers/deb.js';

before(() => hostLock.acquire());
after(() => hostLock.release());

const ROOT = process.getuid?.() === 0;
const HAVE_TOOLS = ['dpkg-deb', 'apt-get', 'apt-cache', 'dpkg-scanpackages'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
/** An engine package name (the plan keeps a copy of such); not a kernel-like one, which would make tests reading this host's kernels without the host lock see a reboot needed. */
const KPKG = 'containerd.io';
/** A containerd.io that is not this test's fixture (a Docker CE host): never touched. */
const REAL_ENGINE_PACKAGE =
  spawnSync('dpkg-query', ['-W', '-f', '${Maintainer}', KPKG], { encoding: 'utf8' })
    .stdout.trim()
    .replace(/^(upkeep tests <tests@upkeep\.invalid>)?$/, '') !== '';
const PLAIN = 'upkeep-rbcli-plain';

function buildDeb(dir: string, name: string, version: string, marker: string): string {
  return buildTestDeb(dir, { name, version, files: { [`usr/share/${name}/marker`]: `${marker}\n` }, description: 'upkeep rollback CLI test package' });
}

const installed = (pkg: string) => execFileSync('dpkg-query', ['-W', '-f', '${Version} ${db:Status-Abbrev}', pkg], { encoding: 'utf8' }).trim();

test(
  'upkeep upgrade keeps a copy before apt; report and runbook print the rollback command; it puts the old versions back',
  {
    skip: !ROOT
      ? 'needs root'
      : REAL_ENGINE_PACKAGE
        ? 'a real containerd.io is installed here'
        : !HAVE_TOOLS
          ? 'needs dpkg-deb, apt-get, apt-cache, dpkg-scanpackages'
          : false,
    timeout: 180_000,
  },
  async () => {
    const tmp = mkdtempSync('/tmp/upkeep-rollback-cli-');
    let server: Server | null = null;
    try {
      const v1 = join(tmp, 'v1');
      const repo = join(tmp, 'repo');
      mkdirSync(v1);
      mkdirSync(repo);
      const k1 = buildDeb(v1, KPKG, '1.0', 'one');
      const p1 = buildDeb(v1, PLAIN, '1.0', 'one');
      buildDeb(repo, KPKG, '2.0', 'two');
      buildDeb(repo, PLAIN, '2.0', 'two');
      copyFileSync(p1, join(repo, `${PLAIN}_1.0_all.deb`));
      writeFileSync(join(repo, 'Packages'), execFileSync('dpkg-scanpackages', ['-m', '.', '/dev/null'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] }));
      writeFileSync(join(tmp, 'sources.list'), `deb [trusted=yes] file:${repo} ./\n`);
      for (const d of ['lists/partial', 'cache/archives/partial']) mkdirSync(join(tmp, d), { recursive: true });
      const aptConf = join(tmp, 'apt.conf');
      writeFileSync(
        aptConf,
        `Dir::Etc::SourceList "${join(tmp, 'sources.list')}";\nDir::Etc::SourceParts "/dev/null";\nDir::State::Lists "${join(tmp, 'lists')}";\nDir::Cache "${join(tmp, 'cache')}";\nAPT::Install-Recommends "false";\n`,
      );
      const aptEnv = { ...process.env, APT_CONFIG: aptConf, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' };
      execFileSync('dpkg', ['-i', k1, p1], { stdio: 'pipe' });
      execFileSync('apt-get', ['update', '-q'], { stdio: 'pipe', env: aptEnv });

      const socket = join(tmp, 'docker.sock');
      server = await stubEngine(socket, join(tmp, 'docker-root'));
      const state = join(tmp, 'state');
      const env = { DOCKER_HOST: `unix://${socket}`, APT_CONFIG: aptConf };

      const run = await upkeep(['upgrade', '--yes', '--state-dir', state], env);
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      assert.match(
        `${run.stdout}\n${run.stderr}`,
        new RegExp(`rollback plan: 2 installed version\\(s\\) recorded; 1 in a repository, 0 in apt's cache, 1 kept`),
      );
      assert.equal(installed(KPKG), '2.0 ii');
      assert.equal(installed(PLAIN), '2.0 ii');
      const copy = join(state, 'rollback', `${KPKG}_1.0_all.deb`);
      assert.equal(statSync(copy).mode & 0o777, 0o600);

      const command = `apt-get install --allow-downgrades ${copy} ${PLAIN}=1.0`;
      const report = await upkeep(['report', '--state-dir', state], env);
      assert.equal(report.code, 0, report.stderr);
      assert.ok(report.stdout.includes(`## Rollback`) && report.stdout.includes(`\`\`\`sh\n${command}\n\`\`\``), report.stdout);
      const json = await upkeep(['report', '--state-dir', state, '--format', 'json'], env);
      assert.equal((JSON.parse(json.stdout) as { rollback: { command: string } }).rollback.command, command);
      const runbook = await upkeep(['runbook', '--state-dir', state], env);
      assert.equal(runbook.code, 0, runbook.stderr);
      assert.ok(runbook.stdout.includes(`\`\`\`sh\n${command}\n\`\`\``), runbook.stdout);

      // The command as printed (the test's apt view through APT_CONFIG): 1.0 of both again.
      execFileSync('sh', ['-c', `${command} -y -q`], { stdio: 'pipe', env: aptEnv });
      assert.equal(installed(KPKG), '1.0 ii');
      assert.equal(installed(PLAIN), '1.0 ii');
    } finally {
      server?.close();
      spawnSync('dpkg', ['--purge', KPKG, PLAIN], { stdio: 'pipe' });
      rmSync(tmp, { recursive: true, force: true });
    }
    assert.equal(existsSync(`/usr/share/${KPKG}`), false, 'purged');
  },
);
