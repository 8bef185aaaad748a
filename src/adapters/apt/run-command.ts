/**
 * Runs one apt/dpkg tool with the C locale (so its output is the English, stable text the parsers
 * in src/core/preflight read) and no shell. Never throws for a non-zero exit: the caller decides
 * what an exit code means; a tool that cannot be started at all (ENOENT) is reported as code null.
 */
import { execFile } from 'node:child_process';

/** What a finished command left behind. */
export interface CommandResult {
  /** Exit code, or null when the command could not be started or was killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why it could not run (e.g. "spawn apt-get ENOENT"), when code is null. */
  failure: string | null;
}

/** Options for {@link runCommand}. */
export interface RunOptions {
  cwd?: string;
  /** Kill it after this long (default 120 s: apt-get download of a large package may take a while). */
  timeoutMs?: number;
  /** The environment (default: this process's); LC_ALL=C is always set. */
  env?: NodeJS.ProcessEnv;
  /** Aborting it kills the command (SIGTERM); the result then has code null and failure "aborted". */
  signal?: AbortSignal;
}

/** Runs `file args...` with LC_ALL=C and returns its output and exit code. */
export function runCommand(file: string, args: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      {
        cwd: opts.cwd,
        env: { ...(opts.env ?? process.env), LC_ALL: 'C', LANG: 'C', LANGUAGE: '' },
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        timeout: opts.timeoutMs ?? 120_000,
        ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      },
      (err, stdout, stderr) => {
        if (err === null) {
          resolve({ code: 0, stdout, stderr, failure: null });
          return;
        }
        if (opts.signal?.aborted === true) {
          // execFile answers the abort at once, with the command only signalled (SIGTERM): wait until
          // it is gone, and SIGKILL it after 5 s should it not go (stuck in I/O, ignoring TERM).
          const done = () => resolve({ code: null, stdout, stderr, failure: 'aborted' });
          if (child.exitCode !== null || child.signalCode !== null) done();
          else {
            const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
            child.once('exit', () => {
              clearTimeout(kill);
              done();
            });
          }
          return;
        }
        const code = typeof err.code === 'number' ? err.code : null;
        resolve({ code, stdout, stderr, failure: code === null ? err.message : null });
      },
    );
  });
}

/** A one-line description of a failed command, for error messages: "apt-get -s upgrade: exit 100: E: ...". */
export function describeFailure(file: string, args: readonly string[], r: CommandResult): string {
  const what = [file, ...args].join(' ');
  const why = r.failure ?? `exit ${r.code}`;
  const detail = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .slice(-1)[0];
  return detail === undefined ? `${what}: ${why}` : `${what}: ${why}: ${detail}`;
}
