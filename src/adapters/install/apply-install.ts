/**
 * Applies an install or uninstall plan under a root: new files are written to a temporary file,
 * fsynced, given their exact mode and linked into place (never over something that appeared
 * meanwhile); updates go through writeFileAtomic; the manifest is written last, so an interrupted
 * install never lists a file it did not write. Into `/` (a real install) it also verifies the unit
 * with systemd-analyze before writing anything and enables it through systemctl when systemd runs.
 */
import { existsSync } from 'node:fs';
import { chmod, link, mkdir, mkdtemp, rename, rm, rmdir, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { UpkeepError } from '../../core/errors.js';
import type { InstallAction, InstallActionKind, InstallPlan, UninstallActionKind, UninstallPlan } from '../../core/install/plan.js';
import { hostPath } from '../../core/install/report.js';
import { UNIT_NAME, UNIT_PATH } from '../../core/install/unit-file.js';
import { runCommand, type CommandResult } from '../apt/run-command.js';
import { syncDirectory, tempPathFor, writeFileAtomic, writeTempFile } from '../files/atomic-write.js';

/** What a real install asks of the running system (tests pass fakes). */
export interface SystemOps {
  /** Whether systemd is the running init (sd_booted(): /run/systemd/system exists). */
  systemdRunning(): boolean;
  /** `systemd-analyze verify` on the unit text; null when systemd-analyze is not installed. */
  verifyUnit(text: string): Promise<{ ok: boolean; output: string } | null>;
  systemctl(args: string[]): Promise<CommandResult>;
}

/** The running system's systemd. */
export function realSystemOps(): SystemOps {
  return {
    systemdRunning: () => existsSync('/run/systemd/system'),
    verifyUnit: verifyUnitText,
    systemctl: (args) => runCommand('systemctl', args, { timeoutMs: 120_000 }),
  };
}

/**
 * Runs `systemd-analyze verify` on a copy of the unit in a temporary directory. Fails on a non-zero
 * exit and on any warning about the unit file itself (an unknown key only warns, exit 0).
 */
export async function verifyUnitText(text: string, analyze = 'systemd-analyze'): Promise<{ ok: boolean; output: string } | null> {
  const dir = await mkdtemp(join(tmpdir(), 'upkeep-verify-'));
  try {
    const file = join(dir, UNIT_NAME);
    await writeFile(file, text, { mode: 0o644 });
    const r = await runCommand(analyze, ['verify', file], { timeoutMs: 60_000 });
    if (r.code === null && /ENOENT/.test(r.failure ?? '')) return null;
    const output = `${r.stdout}${r.stderr}`.trim();
    const aboutOurs = output.split('\n').some((l) => l.startsWith(`${file}:`) || l.startsWith(`${UNIT_NAME}:`));
    return { ok: r.code === 0 && !aboutOurs, output };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function code(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

/** Creates a new file with exactly this content and mode; fails if the path exists by then. */
export async function writeNewFile(path: string, content: string, mode: number): Promise<void> {
  const tmp = await writeTempFile(path, content, mode);
  try {
    await link(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    if (code(err) === 'EEXIST') throw new UpkeepError(`${path} appeared while upkeep was installing: not overwritten`, { hint: 'run upkeep install again' });
    throw err;
  }
  await unlink(tmp);
  await syncDirectory(dirname(path));
}

/** Replaces an existing file atomically, with this mode. */
async function replaceFile(path: string, content: string, mode: number): Promise<void> {
  await chmod(path, mode);
  await writeFileAtomic(path, content);
}

async function placeSymlink(path: string, target: string): Promise<void> {
  const tmp = tempPathFor(path);
  await symlink(target, tmp);
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

async function applyAction(root: string, a: InstallAction): Promise<void> {
  const at = hostPath(root, a.path);
  if (a.kind === 'dir') {
    if (a.action === 'create') await mkdir(at, { mode: a.mode });
    await chmod(at, a.mode);
  } else if (a.kind === 'symlink') await placeSymlink(at, a.target);
  else if (a.action === 'create') await writeNewFile(at, a.content, a.mode);
  else await replaceFile(at, a.content, a.mode);
}

export interface SystemdStep {
  command: string;
  ok: boolean;
  output: string;
}

/** What a real install or uninstall did with systemd. */
export interface SystemdOutcome {
  /** Whether everything asked of systemctl succeeded (true when nothing was asked). */
  ok: boolean;
  steps: SystemdStep[];
  /** One sentence for people. */
  message: string;
}

export interface InstallApplied {
  statuses: Array<{ path: string; action: InstallActionKind }>;
  /** Unit verification and systemctl; null with --root other than /. */
  systemd: SystemdOutcome | null;
}

async function step(system: SystemOps, args: string[], steps: SystemdStep[]): Promise<boolean> {
  const r = await system.systemctl(args);
  const ok = r.code === 0;
  steps.push({ command: `systemctl ${args.join(' ')}`, ok, output: `${r.stdout}${r.stderr}`.trim() || (r.failure ?? '') });
  return ok;
}

const ENABLE_HINT = `systemctl daemon-reload && systemctl enable --now ${UNIT_NAME}`;

/**
 * Applies the install plan under `root`. `system` is given only for a real install into `/`: then
 * the unit is verified first (a failure refuses the install, nothing written) and enabled after.
 */
export async function applyInstall(plan: InstallPlan, root: string, system: SystemOps | null): Promise<InstallApplied> {
  if (plan.conflicts.length)
    throw new UpkeepError(`cannot install: ${plan.conflicts.join('; ')}`, { hint: 'move these out of the way and run upkeep install again' });
  const unit = plan.actions.find((a) => a.path === UNIT_PATH);
  const writesUnit = unit !== undefined && (unit.action === 'create' || unit.action === 'update');
  let verifyNote: string | null = null;
  if (system !== null && writesUnit && unit.kind === 'file') {
    const v = await system.verifyUnit(unit.content);
    if (v === null) verifyNote = 'systemd-analyze is not installed: the unit was not verified';
    else if (!v.ok)
      throw new UpkeepError(`the unit file does not pass systemd-analyze verify; nothing was installed:\n${v.output}`, {
        hint: 'this is a bug in upkeep (or --bin points at something systemd cannot run); please report it with the lines above',
      });
  }
  for (const a of plan.actions) if (a.action === 'create' || a.action === 'update') await applyAction(root, a);
  const manifestAt = hostPath(root, plan.manifest.path);
  if (plan.manifest.action === 'create') await writeNewFile(manifestAt, plan.manifest.text, 0o600);
  else if (plan.manifest.action === 'update') await replaceFile(manifestAt, plan.manifest.text, 0o600);
  const statuses = plan.actions.map((a) => ({ path: a.path, action: a.action }));
  if (system === null) return { statuses, systemd: null };
  const steps: SystemdStep[] = [];
  const prefix = verifyNote ? `${verifyNote}; ` : '';
  if (!system.systemdRunning()) {
    return {
      statuses,
      systemd: {
        ok: true,
        steps,
        message: `${prefix}systemd is not running here (no /run/systemd/system): ${UNIT_NAME} could not be enabled; once it runs: ${ENABLE_HINT}`,
      },
    };
  }
  let ok = await step(system, ['daemon-reload'], steps);
  if (ok) ok = await step(system, ['enable', '--now', UNIT_NAME], steps);
  // enable --now leaves a running agent on its old unit or binary: restart it when they changed.
  if (ok && (unit?.action === 'update' || plan.actions.some((a) => a.kind === 'symlink' && a.action === 'update')))
    ok = await step(system, ['try-restart', UNIT_NAME], steps);
  const failed = steps.find((s) => !s.ok);
  const message = failed ? `${prefix}${failed.command} failed: ${failed.output}` : `${prefix}${UNIT_NAME} enabled and started`;
  return { statuses, systemd: { ok, steps, message } };
}

export interface UninstallApplied {
  statuses: Array<{ path: string; action: UninstallActionKind; reason: string | null }>;
  systemd: SystemdOutcome | null;
}

/** Applies the uninstall plan under `root`; with `system` (root `/`) stops and disables the agent first. */
export async function applyUninstall(plan: UninstallPlan, root: string, system: SystemOps | null): Promise<UninstallApplied> {
  let systemd: SystemdOutcome | null = null;
  const unitGoes = plan.actions.some((a) => a.path === UNIT_PATH && a.action === 'remove');
  const steps: SystemdStep[] = [];
  if (system !== null && existsSync(hostPath(root, UNIT_PATH))) {
    if (!system.systemdRunning()) systemd = { ok: true, steps, message: `systemd is not running here: ${UNIT_NAME} was not stopped or disabled` };
    else {
      const ok = await step(system, ['disable', '--now', UNIT_NAME], steps);
      if (!ok)
        throw new UpkeepError(`systemctl disable --now ${UNIT_NAME} failed; nothing was removed: ${steps[0]?.output ?? ''}`, {
          hint: `stop it by hand (systemctl disable --now ${UNIT_NAME}) and run upkeep uninstall again`,
        });
    }
  }
  const statuses: UninstallApplied['statuses'] = [];
  for (const a of plan.actions) {
    const at = hostPath(root, a.path);
    let action = a.action;
    let reason = a.reason;
    if (a.action === 'remove') {
      try {
        if (a.kind === 'dir' && a.recursive) await rm(at, { recursive: true, force: true });
        else if (a.kind === 'dir') await rmdir(at);
        else await unlink(at);
      } catch (err) {
        if (code(err) === 'ENOENT') action = 'absent';
        else if (code(err) === 'ENOTEMPTY' || code(err) === 'EEXIST') {
          action = 'keep';
          reason = 'not empty any more: kept';
        } else throw err;
      }
    }
    statuses.push({ path: a.path, action, reason });
  }
  if (system !== null && steps.length > 0) {
    if (unitGoes) await step(system, ['daemon-reload'], steps);
    const failed = steps.find((s) => !s.ok);
    systemd = { ok: failed === undefined, steps, message: failed ? `${failed.command} failed: ${failed.output}` : `${UNIT_NAME} stopped and disabled` };
  }
  return { statuses, systemd };
}
