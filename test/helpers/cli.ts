/** Runs the real executable, bin/upkeep, as a user would. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
export const BIN = new URL('../../bin/upkeep', import.meta.url).pathname;

/** Runs bin/upkeep; resolves to { code, stdout, stderr } whatever the exit code. */
export async function upkeep(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await execFileP(BIN, args, { env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 64 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
