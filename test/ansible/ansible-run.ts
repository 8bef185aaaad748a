/**
 * Runs Debian's ansible-playbook and ansible-lint for the tests of the collection (ansible/) and of
 * `upkeep export ansible`: the collection resolvable as upkeep.ops through a temporary
 * ANSIBLE_COLLECTIONS_PATH (ansible_collections/upkeep/ops linked to the checkout's ansible/), and
 * Ansible's own temporary files in the test's directory.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
export const ROOT = new URL('../../', import.meta.url).pathname;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(cmd: string, args: readonly string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
  try {
    const r = await execFileP(cmd, args, { cwd: opts.cwd, env: { ...process.env, NO_COLOR: '1', ...opts.env }, maxBuffer: 64 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : 127, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}

/** The first of these commands missing on this machine, or null. */
export async function missingTool(tools: readonly string[]): Promise<string | null> {
  for (const tool of tools) if ((await run('sh', ['-c', `command -v ${tool}`])).code !== 0) return tool;
  return null;
}

/** A temporary directory holding ansible_collections/upkeep/ops -> ansible/, and Ansible's environment for it. */
export class AnsibleHome {
  readonly dir = mkdtempSync(join(tmpdir(), 'upkeep-ansible-'));
  readonly env: Record<string, string>;

  constructor() {
    mkdirSync(join(this.dir, 'collections/ansible_collections/upkeep'), { recursive: true });
    symlinkSync(join(ROOT, 'ansible'), join(this.dir, 'collections/ansible_collections/upkeep/ops'));
    this.env = {
      ANSIBLE_COLLECTIONS_PATH: join(this.dir, 'collections'),
      ANSIBLE_LOCAL_TEMP: join(this.dir, 'tmp'),
      ANSIBLE_HOME: join(this.dir, 'home'),
      ANSIBLE_RETRY_FILES_ENABLED: 'false',
      ANSIBLE_PIPELINING: 'true',
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_FORCE_COLOR: '0',
      ANSIBLE_HOST_KEY_CHECKING: 'false',
      ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
      ANSIBLE_DEPRECATION_WARNINGS: 'false',
    };
  }

  playbook(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
    return run('ansible-playbook', args, { cwd: this.dir, env: { ...this.env, ...env } });
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The PLAY RECAP's counts per host: `{ host: { ok, changed, failed, ... } }`. */
export function recap(stdout: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  const at = stdout.lastIndexOf('PLAY RECAP');
  if (at < 0) return out;
  for (const line of stdout.slice(at).split('\n').slice(1)) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const counts: Record<string, number> = {};
    for (const [, k, v] of m[2]!.matchAll(/(\w+)=(\d+)/g)) counts[k!] = Number(v);
    out[m[1]!] = counts;
  }
  return out;
}
