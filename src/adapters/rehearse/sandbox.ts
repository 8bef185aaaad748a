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
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { APT_ENV, aptUpgradeArgs, parseAptStatusLine } from '../../core/upgrade/routine.js';
import type { RehearsalRaw, RehearsalSandbox } from '../../ports/rehearsal.js';
import { SANDBOX_SCRIPT, wrapperScripts } from './sandbox-script.js';

const STATUS_FD = 3;
/** PATH inside the view: the recorders first (sandbox-script.ts puts them in /run/upkeep-rehearse/bin). */
const VIEW_PATH = '/run/upkeep-rehearse/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** apt and dpkg output kept (the last lines: a dist-upgrade prints tens of thousands). */
const MAX_OUTPUT_LINES = 50_000;

function readOr(path: string, fallback: string | null): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
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
        const exitText = readOr(join(results, 'exit'), null);
        const started = Number(readOr(join(results, 'started'), 'NaN'));
        const ended = Number(readOr(join(results, 'ended'), 'NaN'));
        const conffiles: RehearsalRaw['conffiles'] = [];
        const cdir = join(results, 'conffiles');
        if (existsSync(cdir))
          for (const f of readdirSync(cdir)
            .filter((n) => n.endsWith('.path'))
            .sort()) {
            const path = readFileSync(join(cdir, f), 'utf8').trim();
            conffiles.push({ path, diff: readOr(join(cdir, f.replace(/\.path$/, '.diff')), '') ?? '' });
          }
        return {
          aptExit: exitText === null ? null : Number(exitText.trim()),
          failure: exitText === null ? (failure ?? 'apt-get did not run in the view') : failure,
          output,
          calls: readOr(join(results, 'calls.log'), '') ?? '',
          conffiles,
          bootFiles: (readOr(join(results, 'boot', 'files'), '') ?? '')
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => l.replace(/^\.\//, '')),
          rebootRequired: readOr(join(results, 'reboot-required'), null),
          rebootRequiredPkgs: readOr(join(results, 'reboot-required.pkgs'), null),
          upperBytes: (readOr(join(results, 'upper-bytes'), '') ?? '')
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
