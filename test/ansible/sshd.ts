/**
 * Debian's sshd for the Ansible tests: started on 127.0.0.1 and a free port with its own host key
 * and config (root by key only, no PAM), in the test's directory; stopped by the test.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { run } from './ansible-run.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** sshd on 127.0.0.1:port, root by key only; resolves once it accepts a login. */
export async function startSshd(dir: string): Promise<{ port: number; key: string; proc: ChildProcess; madeRunDir: boolean }> {
  const key = join(dir, 'client_key');
  const hostKey = join(dir, 'host_key');
  for (const k of [key, hostKey]) assert.equal((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', k])).code, 0);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${key}.pub`));
  chmodSync(join(dir, 'authorized_keys'), 0o600);
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `HostKey ${hostKey}`,
      'ListenAddress 127.0.0.1',
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      '',
    ].join('\n'),
  );
  // sshd's privilege separation directory; made here only when missing, and removed afterwards.
  const madeRunDir = !existsSync('/run/sshd');
  if (madeRunDir) mkdirSync('/run/sshd', { mode: 0o755 });
  const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config, '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await run('ssh', [
      '-i',
      key,
      '-p',
      String(port),
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      'root@127.0.0.1',
      'true',
    ]);
    if (r.code === 0) break;
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`sshd did not accept a login: ${r.stderr}\n${log}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  return { port, key, proc, madeRunDir };
}

/**
 * Stops sshd with its sessions and removes /run/sshd when it made it. The sessions first: Ansible's
 * client keeps its connection open for 60 s (ControlPersist), and the session processes hold sshd's
 * stderr pipe, which kept the test process alive for that long after its last test (50 s per file).
 */
export async function stopSshd(sshd: { proc: ChildProcess; madeRunDir: boolean }): Promise<void> {
  const exited = new Promise<void>((res) => (sshd.proc.exitCode !== null || sshd.proc.signalCode !== null ? res() : sshd.proc.once('exit', () => res())));
  if (sshd.proc.pid !== undefined) await run('pkill', ['-TERM', '-P', String(sshd.proc.pid)]);
  sshd.proc.kill('SIGTERM');
  await exited;
  sshd.proc.stderr?.destroy();
  if (sshd.madeRunDir) rmdirSync('/run/sshd');
}

/** The inventory line of a host reached through that sshd as root. */
export function sshHost(name: string, sshd: { port: number; key: string }): string {
  return `${name} ansible_host=127.0.0.1 ansible_port=${sshd.port} ansible_user=root ansible_ssh_private_key_file=${sshd.key} ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'`;
}
