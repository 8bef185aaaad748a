/**
 * `upkeep upgrade`'s package upgrade: apt-get with the stated conffile policy and environment
 * (core/upgrade/routine.ts APT_ENV, aptUpgradeArgs), progress read from `APT::Status-Fd` on file
 * descriptor 3, apt's and dpkg's own output appended to a log file. Extra `-o` options (and
 * APT_CONFIG in the environment) reach every apt-get run here, the simulation included: the plan
 * assessed is the plan run.
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { UpkeepError } from '../../core/errors.js';
import { APT_ENV, aptUpgradeArgs, parseAptStatusLine } from '../../core/upgrade/routine.js';
import type { AptRunResult, PackageUpgrader } from '../../ports/package-upgrade.js';
import { dpkgLocation } from './dpkg-location.js';
import { describeFailure, runCommand } from './run-command.js';

const STATUS_FD = 3;
const TAIL_LINES = 20;

export interface AptUpgraderOptions {
  /** `-o` options for every apt-get run (`Dir::Etc::SourceList=...`). */
  extraOptions: readonly string[];
  /** The environment apt-get runs in (APT_CONFIG passes through); APT_ENV is added. */
  env: NodeJS.ProcessEnv;
  /** Where apt's and dpkg's output is appended (null: kept only in memory, the last lines). */
  logFile: string | null;
  /** The apt-get and dpkg programs (tests may name others). */
  aptGet?: string;
  dpkg?: string;
}

export function aptUpgrader(opts: AptUpgraderOptions): PackageUpgrader {
  const aptGet = opts.aptGet ?? 'apt-get';
  const env = { ...opts.env, ...APT_ENV, LANG: 'C', LANGUAGE: '' };
  return {
    async simulate(mode) {
      const args = aptUpgradeArgs(mode, { extraOptions: opts.extraOptions, simulate: true });
      const r = await runCommand(aptGet, args, { env });
      if (r.code !== 0)
        throw new UpkeepError(`could not simulate the upgrade: ${describeFailure(aptGet, args, r)}`, {
          hint: `run \`apt-get ${args.join(' ')}\` yourself to see why`,
        });
      return r.stdout;
    },
    async run(mode, runOpts) {
      const tail: string[] = [];
      const log = (line: string) => {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        if (opts.logFile !== null) {
          try {
            appendFileSync(opts.logFile, `${line}\n`, { mode: 0o600 });
          } catch {
            /* the log is a convenience: the run goes on */
          }
        }
      };
      if (runOpts.repairDpkg) {
        // apt's DPkg::Options first, as apt passes them (a package root's --root among them).
        const dpkgArgs = [...(await dpkgLocation()).dpkgOptions, '--force-confdef', '--force-confold', '--configure', '-a'];
        log(`$ dpkg ${dpkgArgs.join(' ')}`);
        const r = await spawnLogged(opts.dpkg ?? 'dpkg', dpkgArgs, env, log, null);
        if (r.code !== 0) return { ...r, tail: [...tail], logFile: opts.logFile };
      }
      const args = aptUpgradeArgs(mode, { extraOptions: opts.extraOptions, statusFd: STATUS_FD });
      log(`$ ${aptGet} ${args.join(' ')}`);
      const r = await spawnLogged(aptGet, args, env, log, (line) => {
        const s = parseAptStatusLine(line);
        if (s !== null) runOpts.onStatus(s);
      });
      return { ...r, tail: [...tail], logFile: opts.logFile };
    },
  };
}

/** Runs `file args`, every stdout/stderr line to `log`, fd 3 lines to `onStatus` (when given). */
function spawnLogged(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  onStatus: ((line: string) => void) | null,
): Promise<Pick<AptRunResult, 'code' | 'failure'>> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe', onStatus === null ? 'ignore' : 'pipe'] });
    const streams: Promise<void>[] = [];
    const lines = (stream: Readable | null | undefined, each: (line: string) => void) => {
      if (!stream) return;
      const rl = createInterface({ input: stream, crlfDelay: Infinity });
      rl.on('line', each);
      streams.push(new Promise((done) => rl.once('close', () => done())));
    };
    lines(child.stdout, log);
    lines(child.stderr, log);
    if (onStatus !== null) lines(child.stdio[STATUS_FD] as Readable | null, onStatus);
    let failure: string | null = null;
    child.once('error', (err) => {
      failure = err.message;
    });
    child.once('close', (code, signal) => {
      void Promise.all(streams).then(() =>
        resolve({ code: typeof code === 'number' ? code : null, failure: failure ?? (signal !== null ? `killed by ${signal}` : null) }),
      );
    });
  });
}
