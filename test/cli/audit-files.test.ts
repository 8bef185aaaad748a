/**
 * `upkeep audit` and the files it is given (issue "Trust", B): it reads only regular UTF-8 files
 * it may read, writes only the bytes it means to change, and reports every file it skips, with why.
 * Runs the CLI's main() in-process with --no-live (no engine needed).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../../src/cli/main.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function audit(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { ...process.env, NO_COLOR: '1', DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
  };
  const code = await main(['audit', '--no-live', ...args], io);
  return { code, stdout, stderr };
}

async function auditJson(args: string[]): Promise<{
  code: number;
  report: {
    files: Array<{ path: string; findings: Array<{ ruleId: string; message: string; severity: string }>; fixed: unknown[]; written: string | null }>;
    summary: { errors: number; files: number };
  };
}> {
  const r = await audit(['--json', ...args]);
  assert.equal(r.stderr, '', r.stderr);
  return { code: r.code, report: JSON.parse(r.stdout) };
}

const NEEDS_FIX = 'services:\n  web:\n    image: nginx\n    ports: ["80:80"]\n';
const FIXED = 'services:\n  web:\n    restart: always\n    image: nginx\n    ports: ["80:80"]\n';

describe('audit and the files it reads and writes', { timeout: 60_000 }, () => {
  let dir: string;
  let n = 0;
  const fresh = (): string => {
    const d = join(dir, `case-${++n}`);
    mkdirSync(d);
    return d;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'upk-audit-files-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('B1: a file that is not valid UTF-8 (Latin-1) is refused with a finding and never written', async () => {
    const d = fresh();
    const file = join(d, 'compose.yml');
    const bytes = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from(' (Latin-1)\n'), Buffer.from(NEEDS_FIX)]);
    writeFileSync(file, bytes);
    const { code, report } = await auditJson(['--fix', file]);
    assert.equal(code, 1);
    assert.ok(readFileSync(file).equals(bytes), 'the file was rewritten');
    const f = report.files.find((x) => x.path === file)!;
    assert.deepEqual(
      f.findings.map((x) => x.ruleId),
      ['file-skipped'],
    );
    assert.match(f.findings[0]!.message, /not valid UTF-8 \(first bad byte at offset 5\)/);
  });

  test('B1: in a valid UTF-8 file, every byte outside the fix is kept (BOM, multi-byte characters, CRLF)', async () => {
    const d = fresh();
    const file = join(d, 'compose.yml');
    const text = '\ufeff# Zürich ✓ 🐳\r\nservices:\r\n  web:\r\n    image: nginx # ü\r\n    restart: "no"\r\n    ports: ["80:80"]\r\n';
    writeFileSync(file, text, 'utf8');
    const { code } = await auditJson(['--fix', file]);
    assert.equal(code, 0);
    assert.ok(readFileSync(file).equals(Buffer.from(text.replace('restart: "no"', 'restart: "always"'), 'utf8')));
  });

  test('B2: --scan does not follow a file symlink out of the scanned directory', async () => {
    const d = fresh();
    const outside = join(d, 'outside.yml');
    writeFileSync(outside, NEEDS_FIX);
    const root = join(d, 'repo');
    mkdirSync(root);
    symlinkSync(outside, join(root, 'compose.yml'));
    writeFileSync(join(root, 'docker-compose.yml'), NEEDS_FIX);
    const { code, report } = await auditJson(['--fix', '--scan', root]);
    assert.equal(code, 1);
    assert.equal(readFileSync(outside, 'utf8'), NEEDS_FIX, 'the target outside the scanned directory was rewritten');
    assert.equal(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), FIXED);
    const link = report.files.find((x) => x.path === join(root, 'compose.yml'))!;
    assert.deepEqual(
      link.findings.map((x) => x.ruleId),
      ['file-skipped'],
    );
    assert.match(link.findings[0]!.message, /leads outside the scanned directories \(.*outside\.yml\)/);
  });

  test('B2: a symlink that stays inside the scanned directory is fixed (its target, once)', async () => {
    const d = fresh();
    writeFileSync(join(d, 'real.yml'), NEEDS_FIX);
    symlinkSync('real.yml', join(d, 'compose.yml'));
    const { code, report } = await auditJson(['--fix', '--scan', d]);
    assert.equal(code, 0);
    assert.equal(readFileSync(join(d, 'real.yml'), 'utf8'), FIXED);
    assert.equal(report.files.length, 1);
  });

  test('B3: a FIFO named on the command line or reached through --scan is skipped, never opened for a blocking read', async () => {
    const d = fresh();
    const fifo = join(d, 'compose.yml');
    execFileSync('mkfifo', [fifo]);
    const named = await auditJson([fifo]);
    assert.equal(named.code, 1);
    assert.match(named.report.files[0]!.findings[0]!.message, /a FIFO \(named pipe\), not a regular file/);
    const root = join(d, 'repo');
    mkdirSync(root);
    symlinkSync(fifo, join(root, 'docker-compose.yml'));
    execFileSync('mkfifo', [join(root, 'compose.yaml')]);
    const scanned = await auditJson(['--scan', root]);
    assert.equal(scanned.code, 1);
    assert.deepEqual(
      scanned.report.files.map((f) => [f.path.slice(root.length + 1), f.findings[0]!.ruleId]),
      [
        ['compose.yaml', 'file-skipped'],
        ['docker-compose.yml', 'file-skipped'],
      ],
    );
  });

  test('B3: a symlink to /dev/zero (scanned or named) is never read; a file over 10 MiB is refused unread', async () => {
    const d = fresh();
    symlinkSync('/dev/zero', join(d, 'compose.yml'));
    const scanned = await auditJson(['--fix', '--scan', d]);
    assert.equal(scanned.code, 1);
    assert.match(scanned.report.files[0]!.findings[0]!.message, /outside the scanned directories \(\/dev\/zero\)/);
    const named = await auditJson([join(d, 'compose.yml')]);
    assert.match(named.report.files[0]!.findings[0]!.message, /a character device, not a regular file/);
    const big = join(d, 'docker-compose.yml');
    writeFileSync(big, `services: {}\n${'#'.repeat(10 * 1024 * 1024)}\n`);
    const large = await auditJson([big]);
    assert.equal(large.code, 1);
    assert.match(large.report.files[0]!.findings[0]!.message, /larger than the audit's limit of 10 MiB/);
  });

  test('B4: a binary file is reported as skipped (exit 1), not "0 files"; the other files are still fixed', async () => {
    const d = fresh();
    writeFileSync(join(d, 'compose.yml'), Buffer.from([0x73, 0x65, 0x00, 0x01, 0x02]));
    writeFileSync(join(d, 'docker-compose.yml'), NEEDS_FIX);
    const r = await audit(['--fix', '--scan', d]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /compose\.yml\n\s+1:1\s+error\s+file-skipped\s+skipped: it is binary \(a NUL byte at offset 2\)/);
    assert.match(r.stdout, /in 2 files/);
    assert.equal(readFileSync(join(d, 'docker-compose.yml'), 'utf8'), FIXED);
  });

  test('B6: --fix keeps setuid/setgid and the mode bits exactly', async () => {
    const d = fresh();
    const file = join(d, 'compose.yml');
    writeFileSync(file, NEEDS_FIX);
    chmodSync(file, 0o6754);
    const { code } = await auditJson(['--fix', file]);
    assert.equal(code, 0);
    assert.equal(readFileSync(file, 'utf8'), FIXED);
    assert.equal((statSync(file).mode & 0o7777).toString(8), '6754');
  });

  test('B6: a file with several hard links is written in place (same inode, every link fixed), and the output says so', async () => {
    const d = fresh();
    const file = join(d, 'compose.yml');
    writeFileSync(file, NEEDS_FIX);
    chmodSync(file, 0o640);
    linkSync(file, join(d, 'other-name.yml'));
    const inode = statSync(file).ino;
    const r = await audit(['--fix', file]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /written in place \(same inode\): the file has several hard links/);
    assert.equal(statSync(file).ino, inode);
    assert.equal(statSync(file).nlink, 2);
    assert.equal(readFileSync(join(d, 'other-name.yml'), 'utf8'), FIXED);
    assert.equal(statSync(file).mode & 0o7777, 0o640);
  });
});
