/**
 * The rollback plan against REAL apt and dpkg: a package named `containerd.io` (an engine package,
 * so the plan treats it as one whose old version must stay reinstallable; not a kernel-like name,
 * which would make tests that read this host's kernels without the host lock see a reboot needed;
 * skipped where a real containerd.io is installed) and a plain one, both at 1.0 (with
 * an epoch and a tilde) installed with dpkg; a local file repository, seen only through this
 * test's apt options, holds 2.0 of both and 1.0 of the plain one only. The plan keeps a copy of
 * the kernel-like package rebuilt from the dpkg database (a .deb in the fake apt cache whose
 * name lies about its version is not taken); the copy has the same control fields, files,
 * conffiles and scripts as the original; after the upgrade to 2.0 the plan's own command puts
 * 1.0 of both back. With a file of the package gone, `upkeep preflight` warns that no rollback is
 * possible (text and --json). As root; both packages are purged in `finally`.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { upkeep } from '../../helpers/cli.js';
import { hostLock } from '../../helpers/host-lock.js';
import { localRollbackFacts } from '../../../src/adapters/apt/rollback-facts.js';
import { localPackageCopier } from '../../../src/adapters/apt/keep-package-copy.js';
import { prepareRollback } from '../../../src/app/rollback-plan.js';
import { rollbackCommand } from '../../../src/core/upgrade/rollback.js';
import { buildTestDeb } from '../../helpers/deb.js';

before(() => hostLock.acquire());
after(() => hostLock.release());

const ROOT = process.getuid?.() === 0;
/** A containerd.io that is not this test's fixture (a Docker CE host): never touched. */
const REAL_ENGINE_PACKAGE =
  spawnSync('dpkg-query', ['-W', '-f', '${Maintainer}', 'containerd.io'], { encoding: 'utf8' })
    .stdout.trim()
    .replace(/^(upkeep tests <tests@upkeep\.invalid>)?$/, '') !== '';
const HAVE_TOOLS = ['dpkg-deb', 'apt-get', 'apt-cache', 'dpkg-scanpackages'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
const KPKG = 'containerd.io';
const PLAIN = 'upkeep-rbtest-plain';
const V1 = '1:1.0~rc1-1';
const V2 = '1:2.0-1';

function buildDeb(dir: string, name: string, version: string, marker: string, fileName?: string): string {
  return buildTestDeb(dir, {
    name,
    version,
    depends: 'dpkg',
    description: 'upkeep rollback test package\n two lines of description',
    postinst: `#!/bin/sh\nset -e\necho "${name} ${marker} configured" > /dev/null\nexit 0\n`,
    conffiles: [`/etc/${name}.conf`],
    files: {
      [`etc/${name}.conf`]: `setting=${marker}\n`,
      [`usr/share/${name}/version`]: `${marker}\n`,
      [`usr/bin/${name}-tool`]: { text: `#!/bin/sh\necho ${marker}\n`, mode: 0o4755 },
      // Under /lib, which is a link to usr/lib on a merged-/usr system: the copy must keep it a directory.
      [`lib/${name}/module`]: `${marker}\n`,
    },
    links: { [`usr/share/${name}/current`]: 'version' },
    ...(fileName !== undefined ? { fileName } : {}),
  });
}

/** `dpkg-deb -f` fields as a map. */
function fields(deb: string): Map<string, string> {
  const text = execFileSync('dpkg-deb', ['-f', deb], { encoding: 'utf8' });
  const m = new Map<string, string>();
  let last = '';
  for (const line of text.split('\n')) {
    if (/^\s/.test(line)) m.set(last, `${m.get(last)}\n${line}`);
    else if (line.includes(':')) {
      last = line.slice(0, line.indexOf(':'));
      m.set(last, line.slice(line.indexOf(':') + 1).trim());
    }
  }
  return m;
}

/** `dpkg-deb -c` without dates: mode, owner, size, path (and link target). */
function contents(deb: string): string[] {
  return execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [mode, owner, size, , , ...rest] = l.split(/\s+/);
      return `${mode} ${owner} ${mode!.startsWith('d') ? '-' : size} ${rest.join(' ')}`;
    })
    .sort();
}

function controlMember(deb: string, member: string): string {
  return execFileSync('dpkg-deb', ['-I', deb, member], { encoding: 'utf8' });
}

const installed = (pkg: string) => execFileSync('dpkg-query', ['-W', '-f', '${Version} ${db:Status-Abbrev}', pkg], { encoding: 'utf8' }).trim();

test(
  'a kept copy rebuilt from the dpkg database equals the original, and the generated command rolls back to it',
  {
    skip: !ROOT
      ? 'needs root'
      : REAL_ENGINE_PACKAGE
        ? 'a real containerd.io is installed here'
        : !HAVE_TOOLS
          ? 'needs dpkg-deb, apt-get, apt-cache, dpkg-scanpackages'
          : false,
    timeout: 120_000,
  },
  async () => {
    const tmp = mkdtempSync('/tmp/upkeep-rollback-e2e-');
    try {
      const v1 = join(tmp, 'v1');
      const repo = join(tmp, 'repo');
      const archives = join(tmp, 'archives');
      for (const d of [v1, repo, archives]) mkdirSync(d);
      const k1 = buildDeb(v1, KPKG, V1, 'one');
      const p1 = buildDeb(v1, PLAIN, V1, 'one');
      buildDeb(repo, KPKG, V2, 'two');
      buildDeb(repo, PLAIN, V2, 'two');
      copyFileSync(p1, join(repo, `${PLAIN}_1.0_all.deb`));
      // apt's cache (a private one): a .deb named as the old version that holds another version.
      buildDeb(archives, KPKG, '1:0.9-1', 'liar', `${KPKG}_${V1.replace(':', '%3a')}_all.deb`);
      writeFileSync(join(repo, 'Packages'), execFileSync('dpkg-scanpackages', ['-m', '.', '/dev/null'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] }));
      writeFileSync(join(tmp, 'sources.list'), `deb [trusted=yes] file:${repo} ./\n`);
      for (const d of ['lists/partial', 'cache/archives/partial']) mkdirSync(join(tmp, d), { recursive: true });
      const aptOptions = [
        `Dir::Etc::SourceList=${join(tmp, 'sources.list')}`,
        'Dir::Etc::SourceParts=/dev/null',
        `Dir::State::Lists=${join(tmp, 'lists')}`,
        `Dir::Cache=${join(tmp, 'cache')}`,
        'APT::Install-Recommends=false',
      ];
      const aptArgs = aptOptions.flatMap((o) => ['-o', o]);
      const env = { ...process.env, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' };
      execFileSync('dpkg', ['-i', k1, p1], { stdio: 'pipe' });
      execFileSync('apt-get', [...aptArgs, 'update', '-q'], { stdio: 'pipe', env });
      assert.equal(installed(KPKG), `${V1} ii`);

      const state = join(tmp, 'state');
      mkdirSync(state, { mode: 0o700 });
      const plan = await prepareRollback(
        {
          facts: localRollbackFacts({ aptOptions, archives }),
          copier: localPackageCopier(),
          dir: join(state, 'rollback'),
          capBytes: 512 * 1024 * 1024,
          now: () => Date.parse('2026-11-30T10:00:00Z'),
        },
        [
          { name: KPKG, from: V1, to: V2 },
          { name: PLAIN, from: V1, to: V2 },
        ],
      );
      const byName = new Map(plan.packages.map((p) => [p.name, p]));
      const copyPath = join(state, 'rollback', `${KPKG}_1%3a1.0~rc1-1_all.deb`);
      assert.deepEqual(byName.get(KPKG)?.source.kind, 'copy', JSON.stringify(plan, null, 2));
      assert.equal(byName.get(KPKG)?.critical, true);
      assert.equal((byName.get(KPKG)?.source as { path: string }).path, copyPath);
      assert.equal(byName.get(PLAIN)?.source.kind, 'repository', JSON.stringify(plan, null, 2));
      assert.equal(plan.recordedAt, '2026-11-30T10:00:00.000Z');

      // The copy: owner-only, in an owner-only directory, no temp files left, the same package.
      assert.equal(statSync(copyPath).mode & 0o777, 0o600);
      assert.equal(statSync(join(state, 'rollback')).mode & 0o777, 0o700);
      assert.deepEqual(
        execFileSync('ls', ['-A', join(state, 'rollback')], { encoding: 'utf8' })
          .trim()
          .split('\n'),
        [`${KPKG}_1%3a1.0~rc1-1_all.deb`],
      );
      const orig = fields(k1);
      const copy = fields(copyPath);
      for (const f of ['Package', 'Version', 'Architecture', 'Maintainer', 'Depends', 'Description']) assert.equal(copy.get(f), orig.get(f), f);
      assert.equal(copy.get('Status'), undefined);
      assert.deepEqual(contents(copyPath), contents(k1));
      assert.equal(controlMember(copyPath, 'postinst'), controlMember(k1, 'postinst'));
      assert.equal(controlMember(copyPath, 'conffiles'), controlMember(k1, 'conffiles'));

      // Upgrade to 2.0 through apt, then the plan's own command (with the test's apt options).
      execFileSync('apt-get', [...aptArgs, '-y', '-q', 'install', KPKG, PLAIN], { stdio: 'pipe', env });
      assert.equal(installed(KPKG), `${V2} ii`);
      assert.equal(installed(PLAIN), `${V2} ii`);
      const command = rollbackCommand(plan);
      assert.equal(command, `apt-get install --allow-downgrades ${copyPath} ${PLAIN}=${V1}`);
      const words = command!.split(' ');
      assert.deepEqual(words.slice(0, 3), ['apt-get', 'install', '--allow-downgrades']);
      execFileSync('apt-get', [...aptArgs, '-y', '-q', ...words.slice(1)], { stdio: 'pipe', env });
      assert.equal(installed(KPKG), `${V1} ii`);
      assert.equal(installed(PLAIN), `${V1} ii`);
      assert.equal(readFileSync(`/usr/share/${KPKG}/version`, 'utf8'), 'one\n');
      assert.equal(readFileSync(`/lib/${KPKG}/module`, 'utf8'), 'one\n');
      assert.equal(statSync(`/usr/bin/${KPKG}-tool`).mode & 0o7777, 0o4755);

      // A file of the installed package gone: no copy can be made, and 1.0 is in no repository:
      // upkeep preflight (APT_CONFIG: the same private apt view) warns, in text and in --json.
      rmSync(`/usr/share/${KPKG}/version`);
      const aptConf = join(tmp, 'apt.conf');
      writeFileSync(aptConf, aptOptions.map((o) => `${o.slice(0, o.indexOf('='))} "${o.slice(o.indexOf('=') + 1)}";`).join('\n') + '\n');
      const planFile = join(tmp, 'plan.txt');
      writeFileSync(planFile, execFileSync('apt-get', [...aptArgs, '-s', 'install', KPKG, PLAIN], { env, encoding: 'utf8' }));
      const cliEnv = { APT_CONFIG: aptConf, DOCKER_HOST: 'unix:///nonexistent/docker.sock', UPKEEP_STATE_DIR: state };
      const json = await upkeep(['preflight', '--plan', planFile, '--no-download', '--json'], cliEnv);
      const out = JSON.parse(json.stdout) as { rollback: { warnings: string[]; command: string | null; packages: Array<{ name: string; via: string }> } };
      assert.equal(out.rollback.warnings.length, 1, json.stdout);
      assert.match(
        out.rollback.warnings[0]!,
        new RegExp(
          `^${KPKG} 1:1\\.0~rc1-1 -> 1:2\\.0-1: no rollback possible: in no configured repository, not in apt's cache, and no copy can be made: 1 file\\(s\\) of its list are gone`,
        ),
      );
      assert.deepEqual(
        out.rollback.packages.map((p) => [p.name, p.via]),
        [
          [KPKG, 'none'],
          [PLAIN, 'repository'],
        ],
      );
      assert.equal(out.rollback.command, `apt-get install --allow-downgrades ${PLAIN}=${V1}`);
      const text = await upkeep(['preflight', '--plan', planFile, '--no-download'], cliEnv);
      assert.match(text.stdout, /Rollback impossible \(no repository, no cached \.deb, and no copy can be kept\):\n {2}containerd\.io /);
    } finally {
      spawnSync('dpkg', ['--purge', KPKG, PLAIN], { stdio: 'pipe' });
      rmSync(tmp, { recursive: true, force: true });
    }
    assert.equal(existsSync(`/usr/share/${KPKG}`), false, 'purged');
  },
);
