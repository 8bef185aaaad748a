/**
 * Daemons still running a replaced binary or library after the upgrade, as needrestart would say
 * afterwards, but with what their restart will do to the containers: "dockerd still runs the
 * replaced /usr/sbin/dockerd: a restart is pending; it will stop every container, and these will
 * not come back: ...". Pure: the processes come in as read from /proc (adapters/proc).
 */
import type { ContainerFacts, DaemonFacts } from '../model.js';
import { willComeBack } from '../restart-semantics.js';

/** The daemons that matter to the containers, by their /proc/PID/comm. */
export const WATCHED_DAEMONS = ['dockerd', 'containerd'] as const;

/** One process as /proc shows it: its executable (readlink exe, " (deleted)" when replaced) and its mapped files that were deleted. */
export interface ProcessImage {
  pid: number;
  name: string;
  /** `readlink /proc/PID/exe`, or null when it could not be read. */
  exe: string | null;
  /** Mapped files marked "(deleted)" in /proc/PID/maps (libraries replaced by the upgrade). */
  deletedMappings: readonly string[];
}

export interface ReplacedBinary {
  pid: number;
  name: string;
  /** The replaced executable, or null when only libraries were. */
  exe: string | null;
  libraries: string[];
}

const DELETED = / \(deleted\)$/;

export function replacedBinaries(processes: readonly ProcessImage[]): ReplacedBinary[] {
  return processes.flatMap((p) => {
    const exe = p.exe !== null && DELETED.test(p.exe) ? p.exe.replace(DELETED, '') : null;
    const libraries = [...new Set(p.deletedMappings.map((m) => m.replace(DELETED, '')).filter((m) => m !== exe && /\.so(\.|$)/.test(m)))].sort();
    return exe === null && libraries.length === 0 ? [] : [{ pid: p.pid, name: p.name, exe, libraries }];
  });
}

/** One line per daemon with a replaced binary, saying what its pending restart will do to the running containers. */
export function pendingRestartLines(replaced: readonly ReplacedBinary[], containers: readonly ContainerFacts[], daemon: DaemonFacts): string[] {
  return replaced.map((r) => {
    const what =
      r.exe !== null ? `the replaced ${r.exe}` : `replaced libraries (${r.libraries.slice(0, 3).join(', ')}${r.libraries.length > 3 ? ', ...' : ''})`;
    const head = `${r.name} (pid ${r.pid}) still runs ${what}: a restart is pending`;
    if (r.name !== 'dockerd') return `${head} (a containerd restart keeps the containers running: their shims survive it)`;
    const running = containers.filter((c) => c.state === 'running');
    const notBack = running.filter((c) => willComeBack(c, daemon, 'daemon-restart').outcome !== 'back').map((c) => c.name);
    if (running.length === 0) return `${head}; no container runs now`;
    if (daemon.liveRestore) return `${head}; live-restore keeps the containers running across it (documented as safe only across patch upgrades)`;
    return `${head}, and it will stop every container${notBack.length ? `; these will not come back by themselves: ${notBack.join(', ')}` : '; all of them come back by themselves'}`;
  });
}
