/**
 * `upkeep install` / `upkeep uninstall` through the real executable, always with --root on a
 * temporary directory (never this machine's /: no systemctl, no snapshot there). --bin is the real
 * bin/upkeep of this checkout, so that `systemd-analyze verify` on the installed unit can check
 * that ExecStart exists, as it does.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { BIN, upkeep } from '../helpers/cli.js';

const execFileP = promisify(execFile);
const REAL_BIN = await realpath(BIN);
const ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

/** A temporary root that already has /etc/apt/apt.conf.d with an unrelated file in it. */
async function tempRoot(): Promise<string> {
  const r = await mkdtemp(join(tmpdir(), 'upkeep-install-'));
  roots.push(r);
  await mkdir(join(r, 'etc/apt/apt.conf.d'), { recursive: true, mode: 0o755 });
  await writeFile(join(r, 'etc/apt/apt.conf.d/50unrelated'), 'APT::Keep "1";\n', { mode: 0o644 });
  return r;
}

const PRE_EXISTING = ['/etc', '/etc/apt', '/etc/apt/apt.conf.d', '/etc/apt/apt.conf.d/50unrelated'];

interface Entry {
  type: string;
  mode: string;
  content?: string;
  target?: string;
}

/** Every path under root: type, mode, content hash or link target; and mtimes separately. */
async function tree(root: string): Promise<{ entries: Record<string, Entry>; mtimes: Record<string, number> }> {
  const entries: Record<string, Entry> = {};
  const mtimes: Record<string, number> = {};
  async function walk(dir: string): Promise<void> {
    for (const name of (await readdir(join(root, dir))).sort()) {
      const rel = `${dir}/${name}`;
      const st = await lstat(join(root, rel));
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      mtimes[rel] = st.mtimeMs;
      if (st.isSymbolicLink()) entries[rel] = { type: 'symlink', mode, target: await readlink(join(root, rel)) };
      else if (st.isDirectory()) {
        entries[rel] = { type: 'dir', mode };
        await walk(rel);
      } else
        entries[rel] = {
          type: 'file',
          mode,
          content: createHash('sha256')
            .update(await readFile(join(root, rel)))
            .digest('hex'),
        };
    }
  }
  await walk('');
  return { entries, mtimes };
}

function install(root: string, ...more: string[]) {
  return upkeep(['install', '--root', root, '--bin', REAL_BIN, ...more]);
}

test('install into a temporary root: exactly these files, with their modes, the symlink, and a unit systemd-analyze accepts', async (t) => {
  const root = await tempRoot();
  const r = await install(root, '--yes');
  assert.equal(r.code, 0, r.stderr);
  const { entries } = await tree(root);
  const types = Object.fromEntries(Object.entries(entries).map(([p, e]) => [p, `${e.type} ${e.mode}`]));
  assert.deepEqual(types, {
    '/etc': 'dir 0755',
    '/etc/apt': 'dir 0755',
    '/etc/apt/apt.conf.d': 'dir 0755',
    '/etc/apt/apt.conf.d/50unrelated': 'file 0644',
    '/etc/apt/apt.conf.d/99upkeep': 'file 0644',
    '/etc/systemd': 'dir 0755',
    '/etc/systemd/system': 'dir 0755',
    '/etc/systemd/system/upkeep.service': 'file 0644',
    '/etc/upkeep': 'dir 0755',
    '/etc/upkeep/upkeep.yml': 'file 0600',
    '/usr': 'dir 0755',
    '/usr/local': 'dir 0755',
    '/usr/local/bin': 'dir 0755',
    '/usr/local/bin/upkeep': 'symlink 0777',
    '/var': 'dir 0755',
    '/var/lib': 'dir 0755',
    '/var/lib/upkeep': 'dir 0700',
    '/var/lib/upkeep/install-manifest.json': 'file 0600',
  });
  assert.equal(entries['/usr/local/bin/upkeep']?.target, REAL_BIN);
  const unit = await readFile(join(root, 'etc/systemd/system/upkeep.service'), 'utf8');
  assert.match(unit, new RegExp(`^ExecStart=${REAL_BIN} agent --config /etc/upkeep/upkeep.yml$`, 'm'));
  const { DEFAULT_CONFIG_FILE } = await import('../../src/core/config/default-file.js');
  assert.equal(await readFile(join(root, 'etc/upkeep/upkeep.yml'), 'utf8'), DEFAULT_CONFIG_FILE);
  const hook = await readFile(join(root, 'etc/apt/apt.conf.d/99upkeep'), 'utf8');
  assert.equal(hook.split(REAL_BIN).join('/usr/local/bin/upkeep'), await readFile(new URL('../../deploy/apt/99upkeep', import.meta.url), 'utf8'));
  const manifest = JSON.parse(await readFile(join(root, 'var/lib/upkeep/install-manifest.json'), 'utf8')) as {
    entries: Array<{ path: string; sha256?: string; mode?: string }>;
  };
  assert.deepEqual(
    manifest.entries.map((e) => e.path).sort(),
    Object.keys(entries)
      .filter((p) => !PRE_EXISTING.includes(p) && !p.endsWith('install-manifest.json'))
      .sort(),
  );
  assert.equal(manifest.entries.find((e) => e.path === '/etc/upkeep/upkeep.yml')?.sha256, entries['/etc/upkeep/upkeep.yml']?.content);
  assert.match(r.stdout, /^ {2}created {4}\S+\/etc\/systemd\/system\/upkeep\.service/m);
  assert.match(r.stdout, /^systemd: not touched \(--root \S+ is not \/\)/m);
  assert.match(r.stdout, /^no snapshot taken: --root \S+ is not \/$/m);
  if (ANALYZE) {
    // systemd-analyze verify checks that ExecStart's executable exists: it is the real bin/upkeep.
    const v = await execFileP(ANALYZE, ['verify', join(root, 'etc/systemd/system/upkeep.service')]);
    assert.equal(`${v.stdout}${v.stderr}`.trim(), '', 'no warning about the unit');
  } else t.diagnostic('systemd-analyze is not installed: the unit was not verified');
});

test('a second install: everything unchanged, no file touched (same mtimes)', async () => {
  const root = await tempRoot();
  assert.equal((await install(root, '--yes')).code, 0);
  const before = await tree(root);
  await new Promise((res) => setTimeout(res, 20));
  const r = await install(root, '--yes', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { paths: Array<{ path: string; status: string }> };
  assert.deepEqual([...new Set(out.paths.map((p) => p.status))], ['unchanged']);
  const afterTree = await tree(root);
  assert.deepEqual(afterTree.entries, before.entries);
  assert.deepEqual(afterTree.mtimes, before.mtimes);
  const text = await install(root, '--yes');
  assert.doesNotMatch(text.stdout, /^ {2}(created|updated|kept) /m);
});

test('install then uninstall leaves the tree exactly as before (the unrelated apt file included)', async () => {
  const root = await tempRoot();
  const before = await tree(root);
  assert.equal((await install(root, '--yes')).code, 0);
  const r = await upkeep(['uninstall', '--root', root, '--yes']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ {2}removed {4}\S+\/etc\/apt\/apt\.conf\.d\/99upkeep$/m);
  assert.doesNotMatch(r.stdout, /kept/);
  assert.deepEqual((await tree(root)).entries, before.entries);
});

test('a config the user edited survives install and uninstall; without --purge the state database stays', async () => {
  const root = await tempRoot();
  assert.equal((await install(root, '--yes')).code, 0);
  const config = join(root, 'etc/upkeep/upkeep.yml');
  await writeFile(config, 'services:\n  - name: web\n    heal: always\n');
  await writeFile(join(root, 'var/lib/upkeep/upkeep.db'), 'not really sqlite', { mode: 0o600 });
  const again = await install(root, '--yes');
  assert.match(again.stdout, /^ {2}kept {7}\S+\/etc\/upkeep\/upkeep\.yml {2}edited since upkeep wrote it: never overwritten$/m);
  const u = await upkeep(['uninstall', '--root', root, '--yes']);
  assert.equal(u.code, 0, u.stderr);
  assert.match(u.stdout, /^ {2}kept {7}\S+\/etc\/upkeep\/upkeep\.yml {2}edited since upkeep wrote it: kept \(--purge removes it\)$/m);
  assert.match(u.stdout, /^ {2}kept {7}\S+\/var\/lib\/upkeep {2}holds the state database: kept \(--purge removes it\)$/m);
  assert.equal(await readFile(config, 'utf8'), 'services:\n  - name: web\n    heal: always\n');
  assert.ok(existsSync(join(root, 'var/lib/upkeep/upkeep.db')));
  assert.ok(!existsSync(join(root, 'etc/systemd')), 'the unit and the directories install created for it are gone');
  assert.ok(!existsSync(join(root, 'var/lib/upkeep/install-manifest.json')));
});

test('--purge also removes the config (even edited) and the state directory', async () => {
  const root = await tempRoot();
  const before = await tree(root);
  assert.equal((await install(root, '--yes')).code, 0);
  await writeFile(join(root, 'etc/upkeep/upkeep.yml'), 'log_format: pretty\n');
  await writeFile(join(root, 'var/lib/upkeep/upkeep.db'), 'x', { mode: 0o600 });
  const r = await upkeep(['uninstall', '--root', root, '--purge', '--yes', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { paths: Array<{ path: string; status: string }> };
  assert.ok(
    out.paths.every((p) => p.status === 'removed'),
    r.stdout,
  );
  assert.deepEqual((await tree(root)).entries, before.entries);
});

test('--purge without an install: the config a user wrote by hand goes, and its directory once empty', async () => {
  const root = await tempRoot();
  await mkdir(join(root, 'etc/upkeep'), { recursive: true });
  await writeFile(join(root, 'etc/upkeep/upkeep.yml'), 'log_format: pretty\n');
  const r = await upkeep(['uninstall', '--root', root, '--purge', '--yes']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!(await readdir(join(root, 'etc'))).includes('upkeep'), 'no empty etc/upkeep left behind');
});

test('--dry-run writes nothing, for install and uninstall', async () => {
  const root = await tempRoot();
  const before = await tree(root);
  const r = await install(root, '--dry-run');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ {2}create {5}\S+\/etc\/upkeep\/upkeep\.yml/m);
  assert.match(r.stdout, /Dry run: nothing changed/);
  assert.deepEqual(await tree(root), before);
  assert.equal((await install(root, '--yes')).code, 0);
  const installed = await tree(root);
  const u = await upkeep(['uninstall', '--root', root, '--dry-run', '--purge']);
  assert.equal(u.code, 0, u.stderr);
  assert.match(u.stdout, /^ {2}remove {5}\S+\/var\/lib\/upkeep {2}--purge/m);
  assert.deepEqual(await tree(root), installed);
});

test('without --yes and not on a terminal: refused, nothing written', async () => {
  const root = await tempRoot();
  const before = await tree(root);
  const r = await install(root);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /install changes files: pass --yes to confirm \(or --dry-run to see the plan\)/);
  assert.deepEqual(await tree(root), before);
  assert.equal((await install(root, '--yes')).code, 0);
  const u = await upkeep(['uninstall', '--root', root]);
  assert.equal(u.code, 2);
  assert.match(u.stderr, /uninstall changes files: pass --yes/);
});

test('into / without being root: a clear error before anything is read or written', async () => {
  // As root, run it as nobody; the check comes first, and nobody could not write / anyway.
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const r = await execFileP(BIN, ['install', '--yes'], { env: { ...process.env, NO_COLOR: '1' }, ...asNobody }).then(
    (x) => ({ code: 0, stderr: x.stderr }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /install into \/ must run as root/);
  assert.match(r.stderr, /hint: .*--root DIR/);
});

test('a different --bin later: the unit, apt hook and symlink upkeep wrote are updated', async () => {
  const root = await tempRoot();
  assert.equal((await install(root, '--yes')).code, 0);
  const r = await upkeep(['install', '--root', root, '--bin', '/opt/upkeep/bin/upkeep', '--yes']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ {2}updated {4}\S+\/etc\/systemd\/system\/upkeep\.service/m);
  assert.match(r.stdout, /^ {2}updated {4}\S+\/usr\/local\/bin\/upkeep/m);
  assert.match(r.stdout, /^ {2}unchanged {2}\S+\/etc\/upkeep\/upkeep\.yml/m);
  assert.equal(await readlink(join(root, 'usr/local/bin/upkeep')), '/opt/upkeep/bin/upkeep');
  assert.match(await readFile(join(root, 'etc/apt/apt.conf.d/99upkeep'), 'utf8'), /"\/opt\/upkeep\/bin\/upkeep preflight --hook"/);
});

test('where the Debian package is installed: install does nothing and says so; uninstall points at apt', async () => {
  const root = await tempRoot();
  await mkdir(join(root, 'lib/systemd/system'), { recursive: true });
  await writeFile(join(root, 'lib/systemd/system/upkeep.service'), "# the package's unit\n");
  const { entries: before } = await tree(root);
  for (const args of [['--yes'], ['--dry-run']]) {
    const r = await install(root, ...args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Nothing to do: the Debian package upkeep is installed under /);
    assert.match(r.stdout, /\/lib\/systemd\/system\/upkeep\.service/);
  }
  const json = JSON.parse((await install(root, '--yes', '--json')).stdout) as { package: boolean; paths: unknown[] };
  assert.deepEqual([json.package, json.paths], [true, []]);
  assert.deepEqual((await tree(root)).entries, before, 'nothing written');
  const u = await upkeep(['uninstall', '--root', root, '--yes']);
  assert.equal(u.code, 0, u.stderr);
  assert.match(u.stdout, /the Debian package upkeep installed upkeep here.*apt-get remove upkeep/);
});

test('the first snapshot after a real install: through the snapshot command; an engine that does not answer is one sentence, not a failure', async (t) => {
  const { firstSnapshot } = await import('../../src/cli/commands/install.js');
  const { PrivateEngine } = await import('../engine/private-engine.js');
  const stateDir = await mkdtemp(join(tmpdir(), 'upkeep-install-state-'));
  roots.push(stateDir);
  const io = (env: Record<string, string>) => ({ stdout: { write: () => true }, stderr: { write: () => true }, env: { ...process.env, ...env } });
  const none = await firstSnapshot(io({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }), stateDir);
  assert.equal(none.taken, false);
  assert.match(none.message, /^no snapshot taken: .*\/nonexistent\/docker\.sock/);
  assert.deepEqual(await readdir(stateDir), []);

  const engine = await PrivateEngine.startOrSkip(t);
  if (engine === null) return;
  try {
    await engine.run('web', { flags: ['--restart', 'unless-stopped'] });
    const r = await firstSnapshot(io({ DOCKER_HOST: engine.dockerHost }), stateDir);
    assert.equal(r.taken, true, r.message);
    assert.match(r.message, /^snapshot \d+ taken: 1 desired containers \(web\)$/);
    assert.ok((await readdir(stateDir)).includes('upkeep.db'));
  } finally {
    await engine.dispose();
  }
});
