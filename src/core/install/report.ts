/**
 * Text and JSON for `upkeep install` and `upkeep uninstall`: one line per path with what was (or,
 * in a plan, would be) done: created / unchanged / updated / kept / removed.
 */
import { modeString } from './manifest.js';
import type { InstallAction, InstallActionKind, InstallPlan, UninstallActionKind, UninstallPlan } from './plan.js';

/** A target-system path as it is found under `root`. */
export function hostPath(root: string, path: string): string {
  return root === '/' ? path : `${root.replace(/\/+$/, '')}${path}`;
}

const INSTALL_DONE: Record<InstallActionKind, string> = { create: 'created', update: 'updated', unchanged: 'unchanged', keep: 'kept' };
const UNINSTALL_DONE: Record<UninstallActionKind, string> = { remove: 'removed', keep: 'kept', absent: 'absent' };

export function installStatus(action: InstallActionKind, done: boolean): string {
  return done ? INSTALL_DONE[action] : action;
}

export function uninstallStatus(action: UninstallActionKind, done: boolean): string {
  return done ? UNINSTALL_DONE[action] : action;
}

/** Parent directories that exist and are not upkeep's are not worth a line. */
function shown(a: InstallAction): boolean {
  return !(a.kind === 'dir' && a.policy === 'parent' && a.action === 'unchanged');
}

function line(status: string, path: string, note: string | null): string {
  return `  ${status.padEnd(10)} ${path}${note ? `  ${note}` : ''}`;
}

/** One line per path (the plan, or with `done` what was done). */
export function installLines(plan: InstallPlan, root: string, done: boolean): string[] {
  const lines = plan.actions.filter(shown).map((a) => line(installStatus(a.action, done), hostPath(root, a.path), a.reason ?? a.purpose));
  lines.push(line(installStatus(plan.manifest.action, done), hostPath(root, plan.manifest.path), 'what install wrote, for uninstall'));
  return lines;
}

export function uninstallLines(plan: UninstallPlan, root: string, done: boolean): string[] {
  return plan.actions.map((a) => line(uninstallStatus(a.action, done), hostPath(root, a.path), a.reason));
}

export interface InstallPathJson {
  path: string;
  at: string;
  kind: 'file' | 'symlink' | 'dir';
  status: string;
  reason: string | null;
  mode: string | null;
  target: string | null;
}

export function installPathsJson(plan: InstallPlan, root: string, done: boolean): InstallPathJson[] {
  const out: InstallPathJson[] = plan.actions.map((a) => ({
    path: a.path,
    at: hostPath(root, a.path),
    kind: a.kind,
    status: installStatus(a.action, done),
    reason: a.reason,
    mode: a.kind === 'symlink' ? null : modeString(a.mode),
    target: a.kind === 'symlink' ? a.target : null,
  }));
  out.push({
    path: plan.manifest.path,
    at: hostPath(root, plan.manifest.path),
    kind: 'file',
    status: installStatus(plan.manifest.action, done),
    reason: null,
    mode: '0600',
    target: null,
  });
  return out;
}

export function uninstallPathsJson(
  plan: UninstallPlan,
  root: string,
  done: boolean,
): Array<{ path: string; at: string; kind: string; status: string; reason: string | null }> {
  return plan.actions.map((a) => ({ path: a.path, at: hostPath(root, a.path), kind: a.kind, status: uninstallStatus(a.action, done), reason: a.reason }));
}
