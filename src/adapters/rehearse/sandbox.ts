/**
 * The rehearsal's sandbox: `unshare --mount --pid --uts --ipc --fork --kill-child` runs sandbox-script.ts's
 * shell script, which builds the throwaway view (an overlay of the root and of the other
 * filesystems packages write to, upper layers on a size-limited tmpfs or a scratch directory, its
 * own /proc (its kernel settings, /proc/sys, read-only), /run, /tmp, a /dev of a few character
 * devices), runs the real apt-get in it with
 * `upkeep upgrade`'s options and conffile policy (core/upgrade/routine.ts), and collects what the
 * upgrade left. The network namespace is the host's (apt reaches its mirror).
 *
 * No mount is ever made in the host's namespace. The script's standard input is a pipe from this
 * process: when it closes (this process died, even by SIGKILL), everything in the rehearsal is
 * killed and its work directory removed.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { APT_ENV, aptUpgradeArgs, parseAptStatusLine } from '../../core/upgrade/routine.js';
import { UpkeepError } from '../../core/errors.js';
import type { RehearsalRaw, RehearsalSandbox } from '../../ports/rehearsal.js';
import { SANDBOX_SCRIPT, wrapperScripts } from './sandbox-script.js';

const STATUS_FD = 3;
/** PATH inside the view: the recorders first (sandbox-script.ts puts them in /run/upkeep-rehearse/bin). */
const VIEW_PATH = '/run/upkeep-rehearse/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** apt and dpkg output kept (the last lines: a dist-upgrade prints tens of thousands). */
const MAX_OUTPUT_LINES = 50_000;

/** The most upkeep reads of one result file (calls.log is the largest: one line per recorded call). */
export const MAX_RESULT_BYTES = 16 * 1024 * 1024;

function incomplete(name: string, why: string): UpkeepError {
  return new UpkeepError(`the rehearsal's record is incomplete: ${name} ${why}`, {
    hint: 'nothing is reported from an incomplete record: run the rehearsal again; upkeep preflight predicts without a view',
  });
}

/**
 * One file of what the rehearsal left, `name` relative to `dir`: null when it does not exist (the
 * step that writes it did not run, or had nothing to say); its text otherwise. Read as hostile
 * input: calls.log is written by processes in the view, which could make it a link, a FIFO or
 * huge; the other files are the script's own, read the same way. A link is not followed, only a
 * regular file is read, without blocking, at most MAX_RESULT_BYTES; anything else is an error, never
 * "absent" (the report would otherwise say less happened than did).
 */
function readResult(dir: string, name: string): string | null {
  const path = join(dir, name);
  // Looked at before it is opened: a device node is never opened.
  let before;
  try {
    before = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw incomplete(name, `cannot be read: ${(err as Error).message}`);
  }
  if (before.isSymbolicLink()) throw incomplete(name, 'is a symbolic link (not followed)');
  if (!before.isFile()) throw incomplete(name, 'is not a regular file');
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (err) {
    throw incomplete(name, `cannot be opened: ${(err as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.dev !== before.dev || st.ino !== before.ino) throw incomplete(name, 'changed while read');
    const buf = Buffer.alloc(Math.min(st.size, MAX_RESULT_BYTES) + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
      if (length === buf.length) break;
    }
    if (length > MAX_RESULT_BYTES) throw incomplete(name, `is larger than the ${MAX_RESULT_BYTES} bytes upkeep reads`);
    if (length !== st.size) throw incomplete(name, 'changed while read');
    return buf.toString('utf8', 0, length);
  } catch (err) {
    if (err instanceof UpkeepError) throw err;
    throw incomplete(name, `cannot be read: ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** The names in `dir` (a directory, not a link to one), or none when it does not exist. */
function resultNames(dir: string, name: string): string[] {
  let st;
  try {
    st = lstatSync(join(dir, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw incomplete(`${name}/`, `cannot be read: ${(err as Error).message}`);
  }
  if (!st.isDirectory()) throw incomplete(`${name}/`, 'is not a directory');
  return readdirSync(join(dir, name)).sort();
}

export interface SandboxOptions {
  /** Where work directories are made (default /tmp). */
  tmpDir?: string;
  unshare?: string;
  env?: NodeJS.ProcessEnv;
}

export function rehearsalSandbox(opts: SandboxOptions = {}): RehearsalSandbox {
  const tmpDir = opts.tmpDir ?? '/tmp';
  return {
    mountinfo: () => readFile('/proc/self/mountinfo', 'utf8'),
    hostRunsSystemd: async () => existsSync('/run/systemd/system'),
    async run(req, onStatus) {
      const began = Date.now();
      const work = mkdtempSync(join(tmpDir, 'upkeep-rehearse-'));
      const results = join(work, 'results');
      mkdirSync(join(results, 'bin'), { recursive: true });
      for (const [name, text] of Object.entries(wrapperScripts())) {
        writeFileSync(join(results, 'bin', name), text);
        chmodSync(join(results, 'bin', name), 0o755);
      }
      let scratch: string | null = null;
      if (req.scratchDir !== null) scratch = mkdtempSync(join(req.scratchDir, 'upkeep-rehearse-'));
      const aptArgs = aptUpgradeArgs(req.mode, {
        // APT::Get::Download=false is --no-download.
        // apt runs dpkg with DPkg::Path as PATH: the recorders come first there too.
        extraOptions: [...req.aptOptions, ...(req.noDownload ? ['APT::Get::Download=false'] : []), `DPkg::Path=${VIEW_PATH}`],
        statusFd: STATUS_FD,
      });
      const args = [
        '--mount',
        '--pid',
        // Its own host name and System V IPC: a script's `hostname` or shared memory stays inside.
        '--uts',
        '--ipc',
        '--fork',
        '--kill-child',
        'sh',
        '-c',
        SANDBOX_SCRIPT,
        'upkeep-rehearse',
        work,
        String(req.sizeBytes),
        scratch ?? '-',
        req.keepDir ?? '-',
        existsSync('/run/systemd/system') ? '1' : '0',
        req.overlays.length === 0 ? '-' : req.overlays.join(':'),
        '--',
        'apt-get',
        ...aptArgs,
      ];
      const env = { ...(opts.env ?? process.env), ...APT_ENV, LANG: 'C', LANGUAGE: '' };
      const output: string[] = [];
      let failure: string | null = null;
      try {
        await new Promise<void>((resolve) => {
          // A process group of its own: Ctrl-C on the terminal reaches upkeep only. Were unshare
          // to get it, it would die and take the namespace down before the script cleaned up;
          // instead upkeep dies, its end of the pipe closes, and the script ends the rehearsal.
          const child = spawn(opts.unshare ?? 'unshare', args, { env, stdio: ['pipe', 'pipe', 'pipe', 'pipe'], detached: true });
          const streams: Promise<void>[] = [];
          const lines = (stream: Readable | null | undefined, each: (line: string) => void) => {
            if (!stream) return;
            const rl = createInterface({ input: stream, crlfDelay: Infinity });
            rl.on('line', each);
            streams.push(new Promise((done) => rl.once('close', () => done())));
          };
          const keep = (line: string) => {
            output.push(line);
            if (output.length > MAX_OUTPUT_LINES) output.shift();
          };
          lines(child.stdout, keep);
          lines(child.stderr, keep);
          lines(child.stdio[STATUS_FD] as Readable | null, (line) => {
            const s = parseAptStatusLine(line);
            if (s !== null) onStatus(s);
          });
          child.once('error', (err) => {
            failure = `could not run unshare: ${err.message}`;
          });
          child.once('close', (code, signal) => {
            if (signal !== null) failure = `the rehearsal was killed by ${signal}`;
            else if (code !== 0 && failure === null) failure = `the view could not be built (exit ${code}): ${output.slice(-5).join(' | ')}`;
            void Promise.all(streams).then(() => resolve());
          });
        });
        // out/: the script's own files, outside the view (reachable only by leaving it); results/: the view's
        // /run/upkeep-rehearse, where the recorders append calls.log (sandbox-script.ts).
        const out = join(work, 'out');
        const exitText = readResult(out, 'exit');
        const started = Number(readResult(out, 'started') ?? 'NaN');
        const ended = Number(readResult(out, 'ended') ?? 'NaN');
        const conffiles: RehearsalRaw['conffiles'] = [];
        for (const f of resultNames(out, 'conffiles').filter((n) => n.endsWith('.path'))) {
          const path = (readResult(out, `conffiles/${f}`) ?? '').trim();
          conffiles.push({ path, diff: readResult(out, `conffiles/${f.replace(/\.path$/, '.diff')}`) ?? '' });
        }
        // The reboot flag's files the script did not read (sandbox-script.ts): "NAME<TAB>why" lines.
        const unread = (readResult(out, 'unread') ?? '')
          .split('\n')
          .filter((l) => l.includes('\t'))
          .map((l) => `/run/${l.slice(0, l.indexOf('\t'))} in the view ${l.slice(l.indexOf('\t') + 1)}`);
        return {
          aptExit: exitText === null ? null : Number(exitText.trim()),
          failure: exitText === null ? (failure ?? 'apt-get did not run in the view') : failure,
          output,
          calls: readResult(results, 'calls.log') ?? '',
          conffiles,
          bootFiles: (readResult(out, 'boot/files') ?? '')
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => l.replace(/^\.\//, '')),
          rebootRequired: readResult(out, 'reboot-required'),
          rebootRequiredPkgs: readResult(out, 'reboot-required.pkgs'),
          rebootUnknownWhy: unread.length === 0 ? null : unread.join('; '),
          upperBytes: (readResult(out, 'upper-bytes') ?? '')
            .split('\n')
            .filter((l) => /^\d+$/.test(l))
            .reduce((a, b) => a + Number(b), 0),
          seconds: Number.isFinite(started) && Number.isFinite(ended) ? ended - started : (Date.now() - began) / 1000,
        };
      } finally {
        // The namespace is gone with its mounts (unshare has exited): only files are left.
        rmSync(work, { recursive: true, force: true });
        if (scratch !== null) rmSync(scratch, { recursive: true, force: true });
      }
    },
  };
}
