/**
 * `upkeep preflight`'s text for people, from the assessment (app/assess-upgrade.ts): the package
 * table, docker, reboot, containers, desired containers already down, what could not be read, and
 * what to do first. Pure; fitted to a width (text-wrap.ts).
 */
import { cachedSimulationLine, type AptSimulationInfo } from './apt-simulation-cache.js';
import { cachedEvidenceLine, type EvidenceCacheInfo } from './evidence-cache.js';
import type { PreflightReport } from './preflight-report.js';
import { formatBytes, type SpaceCheck } from './disk-space.js';
import { renderFittedTable, wrapParagraph } from './text-wrap.js';

/** What the text shows: the report and the notes around it. */
export interface PreflightTextView {
  planSource: string;
  /** Where apt's simulation came from (a cached one is said in one line). */
  aptSimulation?: AptSimulationInfo | null;
  /** How much evidence came from the evidence cache (said in one line when any did). */
  evidenceCache?: EvidenceCacheInfo | null;
  report: PreflightReport;
  containersNote: string | null;
  desiredNote: string | null;
  downloadNote: string | null;
  timelineNote: string | null;
  /** The rollback check of the engine and kernel packages (absent or null: not checked). */
  rollback?: { warnings: string[] } | null;
}

/** Colours a piece of text (identity when colour is off). */
export type Paint = (style: 'red' | 'yellow' | 'bold', text: string) => string;

/**
 * The report for people. `width`: the terminal's columns (Infinity: no wrapping); the table's
 * EFFECT and SOURCE cells wrap inside their columns, long lines wrap with an indent; nothing is cut.
 */
export function renderPreflightText(a: PreflightTextView, opts: { paint?: Paint; width?: number } = {}): string {
  const paint: Paint = opts.paint ?? ((_s, t) => t);
  const width = opts.width ?? Infinity;
  const report: PreflightReport = a.report;
  const out: string[] = [`${report.summary.packages} packages to change (${a.planSource})`];
  const cached = cachedSimulationLine(a.aptSimulation);
  if (cached !== null) out.push(cached);
  const cachedEvidence = cachedEvidenceLine(a.evidenceCache);
  if (cachedEvidence !== null) out.push(cachedEvidence);
  if (a.downloadNote !== null) out.push(`Downloads: ${a.downloadNote}`);
  const shown = report.packages.filter((p) => p.risk !== 'low');
  if (shown.length) out.push(packageTable(shown, width, paint));
  const low = report.packages.length - shown.length;
  if (low) out.push(`(${low} more with no service restart known)`);
  if (report.docker.why) out.push(`Docker: ${report.docker.why}`);
  out.push('(sources in full: --json)');
  if (report.reboot.needed) out.push(`Reboot needed: ${report.reboot.why.join('; ')}`);
  if (report.space != null) out.push(...spaceLines(report.space, paint));
  const incomplete = report.unknownReasons.length > 0;
  if (report.containers === null) out.push(`Containers: ${a.containersNote ?? 'not assessed'}`);
  else {
    const notBack = report.containers.filter((c) => c.runningAtEnd !== 'yes');
    out.push(
      `Containers: ${report.summary.containersStop} of ${report.containers.length} running stop during the maintenance; ` +
        (notBack.length
          ? `afterwards ${notBack.length} are NOT (or maybe not) running:`
          : incomplete
            ? 'none is known not to come back, but the prediction is incomplete (below).'
            : 'all come back.'),
    );
    for (const c of notBack) {
      const p = c.afterReboot ?? c.afterUpgrade;
      out.push(
        `  ${paint(c.runningAtEnd === 'no' ? 'red' : 'yellow', c.name)} (${c.policy}): ${c.runningAtEnd === 'no' ? 'not back' : 'unknown'}: ${p.reason}`,
      );
    }
  }
  for (const k of report.clusters ?? []) {
    if (k.runningAtEnd === 'yes') continue;
    const word = k.runningAtEnd === 'no' ? 'NOT BACK' : 'UNKNOWN';
    out.push(
      `  ${paint(k.runningAtEnd === 'no' ? 'red' : 'yellow', `k3d cluster ${k.name}`)}: ${word} after the maintenance (node${k.notBack.length === 1 ? '' : 's'} ${k.notBack.join(', ')} of ${k.nodes.length}; \`upkeep recover\` starts them in order)`,
    );
  }
  if (report.alreadyDown !== null && report.alreadyDown.length > 0) {
    const n = report.alreadyDown.length;
    out.push(
      `Already down before the upgrade: ${n} desired container${n === 1 ? '' : 's'} (snapshot of ${report.desiredStateTakenAt}) ${n === 1 ? 'is' : 'are'} not running now:`,
    );
    for (const c of report.alreadyDown) {
      const end = c.runningAtEnd === 'yes' ? 'back after the maintenance' : c.runningAtEnd === 'no' ? 'stays down' : 'unknown';
      out.push(`  ${paint(c.runningAtEnd === 'yes' ? 'yellow' : 'red', c.name)} (${c.policy ?? 'removed'}): ${c.reason}; ${end}: ${c.afterMaintenance.reason}`);
    }
  }
  if (report.stoppedOnPurpose !== null && report.stoppedOnPurpose.length > 0) {
    out.push(`Stopped on purpose (not desired, not counted): ${report.stoppedOnPurpose.map((s) => `${s.name} (since ${s.at}: ${s.reason})`).join('; ')}`);
  }
  if (a.desiredNote !== null) out.push(`Desired state: ${a.desiredNote}`);
  if (incomplete) {
    out.push(`${paint('bold', 'Not understood')} (what these would do is not in the prediction):`);
    for (const r of report.unknownReasons) out.push(`  ${r}`);
  }
  if (a.rollback != null && a.rollback.warnings.length > 0) {
    out.push(`${paint('yellow', 'Rollback impossible')} (no repository, no cached .deb, and no copy can be kept):`);
    for (const w of a.rollback.warnings) out.push(`  ${w}`);
  }
  if (report.advice.length) out.push(`Do first: ${report.advice.join('; ')}`);
  if (report.verdict === 'unknown') out.push(paint('bold', `Could not predict (exit 4): upkeep cannot say this upgrade is safe.`));
  if (a.timelineNote !== null) out.push(`Timeline: ${a.timelineNote}`);
  return out.map((l) => (l.includes('\n') ? l : wrapParagraph(l, width, l.startsWith('  ') ? 2 : 4))).join('\n') + '\n';
}

/** "Disk space: ..." and one line per filesystem, short ones first with their needs and what to do. */
function spaceLines(space: SpaceCheck, paint: Paint): string[] {
  const out = [
    `Disk space: ${space.verdict === 'ok' ? 'enough' : space.verdict === 'short' ? paint('red', 'NOT ENOUGH') : 'not known everywhere'} (sizes per package from apt; margin ${space.margin})`,
  ];
  for (const f of space.filesystems) {
    const name = `${f.mountPoint ?? '?'}${f.fsType === null ? '' : ` (${f.fsType})`}`;
    const holds = f.paths.filter((p) => p !== f.mountPoint);
    const where = holds.length > 0 ? ` holding ${holds.join(', ')}` : '';
    const why = f.verdict === 'ok' ? `ok: ${f.why}` : f.why;
    const lead = /^(ok|SHORT|not known)/.exec(why)![1]!;
    const rest = why.slice(lead.length);
    out.push(`  ${name}${where}: ${f.verdict === 'ok' ? lead : paint(f.verdict === 'short' ? 'red' : 'yellow', lead)}${rest}`);
    if (f.verdict === 'short') {
      for (const n of f.needs) if (n.bytes !== 0) out.push(`    ${n.bytes === null ? '?' : formatBytes(n.bytes)}: ${n.what}`);
      out.push(`    to free space: ${f.advice.join('; ')}`);
    }
  }
  return out;
}

/**
 * The package table: one line per package when it fits in `width`; otherwise each package's line
 * holds RISK, PACKAGE and FROM -> TO, and its effects and source follow underneath, wrapped and
 * indented (the effects are the long column: up to 450 characters on the incident plan).
 */
function packageTable(shown: readonly PreflightReport['packages'][number][], width: number, paint: Paint): string {
  const style = (cell: string, _row: number, col: number) => (col === 0 && cell.startsWith('high') ? paint('red', cell) : cell);
  const versions = (p: PreflightReport['packages'][number]) => `${p.from ?? '(new)'} -> ${p.to ?? '(removed)'}`;
  const rows = shown.map((p) => [p.risk, p.name, versions(p), p.effects.join('; '), p.source.split(':')[0]!]);
  const full = renderFittedTable(['RISK', 'PACKAGE', 'FROM -> TO', 'EFFECT', 'SOURCE'], rows, Infinity, { style });
  if (!Number.isFinite(width) || full.split('\n').every((l) => l.length <= width)) return full;
  const heads = renderFittedTable(
    ['RISK', 'PACKAGE', 'FROM -> TO'],
    rows.map((r) => r.slice(0, 3)),
    width,
    {
      weights: [0, 1, 1],
      minWidths: [undefined, 12, Math.min(width, Math.max(...shown.map((p) => Math.max(`${p.from ?? '(new)'} ->`.length, (p.to ?? '(removed)').length))))],
      style,
    },
  ).split('\n');
  // renderFittedTable may wrap a head over several lines: group them back by package.
  const indent = '      ';
  const title = `${heads[0]!}  (effects and source under each)`;
  const out: string[] = [title.length <= width ? title : heads[0]!];
  let k = 1;
  rows.forEach((r) => {
    const headLines: string[] = [heads[k++]!];
    while (k < heads.length && heads[k]!.startsWith(' ')) headLines.push(heads[k++]!);
    out.push(...headLines);
    out.push(wrapParagraph(`${indent}${r[3]}`, width, 0));
    out.push(wrapParagraph(`${indent}source: ${r[4]}`, width, 0));
  });
  return out.join('\n');
}
