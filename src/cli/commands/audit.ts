/**
 * `upkeep audit`: restart policies in live containers, compose files and Ansible templates.
 * Thin: parse the options -> the audit use case (app/audit.ts: planAudit, applyAudit) -> render,
 * returning the exit code.
 */
import type { Command } from 'commander';
import { applyAudit, planAudit, type AuditReport, type AuditRequest } from '../../app/audit.js';
import { auditDeps } from '../deps/audit.js';
import { ALL_RULES } from '../../core/audit/rules/all-rules.js';
import { sarifReport } from '../../core/audit/sarif-report.js';
import { EXIT, UsageError } from '../../core/errors.js';
import { painter, printJson, type Io } from '../io.js';

export type { AuditReport, FileResult } from '../../app/audit.js';
export { parseTargetPolicy } from '../../core/audit/audit-config.js';

export interface AuditCliOptions {
  scan?: string[];
  fix?: boolean;
  fixDryRun?: boolean;
  applyLive?: boolean;
  restartPolicy?: string;
  format?: string;
  json?: boolean;
  live?: boolean;
  config?: string;
  stateDir?: string;
  managedBy?: string[];
}

function requestOf(paths: string[], opts: AuditCliOptions): AuditRequest {
  return {
    paths,
    scan: opts.scan ?? [],
    live: opts.live !== false,
    fixes: opts.fix === true || opts.fixDryRun === true,
    ...(opts.config === undefined ? {} : { configPath: opts.config }),
    ...(opts.restartPolicy === undefined ? {} : { restartPolicy: opts.restartPolicy }),
    ...(opts.managedBy === undefined ? {} : { managedBy: opts.managedBy }),
  };
}

/** Plans and applies the audit (app/audit.ts). */
async function runAudit(io: Io, paths: string[], opts: AuditCliOptions): Promise<AuditReport> {
  const deps = auditDeps({ env: io.env, ...(opts.stateDir === undefined ? {} : { stateDir: opts.stateDir }) });
  const plan = await planAudit(deps, requestOf(paths, opts));
  return applyAudit(deps, plan, { fix: opts.fix === true && opts.fixDryRun !== true, applyLive: opts.applyLive === true });
}

/** Runs `upkeep audit` and returns its exit code. */
export async function auditCommand(io: Io, paths: string[], opts: AuditCliOptions, version: string): Promise<number> {
  const format = opts.json ? 'json' : (opts.format ?? 'text');
  if (!['text', 'json', 'sarif'].includes(format)) throw new UsageError(`--format "${format}": use text, json or sarif`);
  const report = await runAudit(io, paths, opts);
  if (format === 'json') printJson(io, report);
  else if (format === 'sarif')
    printJson(
      io,
      sarifReport(
        report.files.flatMap((r) => r.findings),
        ALL_RULES,
        { name: 'upkeep', version },
      ),
    );
  else io.stdout.write(renderAuditText(io, report, opts));
  return report.summary.errors + report.summary.warnings > 0 ? EXIT.findings : EXIT.ok;
}

export function renderAuditText(io: Io, report: AuditReport, opts: AuditCliOptions): string {
  const paint = painter(io);
  const sev = (s: string) => (s === 'error' ? paint('red', s.padEnd(7)) : s === 'warning' ? paint('yellow', s.padEnd(7)) : s.padEnd(7));
  const out: string[] = [];
  for (const r of report.files) {
    if (r.findings.length === 0 && r.fixed.length === 0 && !r.diff) continue;
    out.push(paint('bold', r.path));
    for (const f of r.findings) {
      out.push(
        `  ${`${f.line}:${f.column}`.padEnd(7)} ${sev(f.severity)} ${f.ruleId}  ${f.message}${f.suggestion && !f.fixable ? `\n          ${f.suggestion}` : ''}`,
      );
    }
    for (const f of r.fixed) out.push(`  ${`${f.line}:${f.column}`.padEnd(7)} ${opts.fixDryRun ? 'would fix' : 'fixed  '} ${f.ruleId}  ${f.message}`);
    if (r.written === 'in-place') out.push('          written in place (same inode): the file has several hard links, which a rename would break; not atomic');
    if (opts.fixDryRun && r.diff) out.push(r.diff.trimEnd());
  }
  if (report.live.audited) {
    if (report.live.findings.length) out.push(paint('bold', 'live containers'));
    const width = Math.max(0, ...report.live.findings.map((f) => f.subject.length));
    for (const f of report.live.findings) out.push(`  ${f.subject.padEnd(width)}  ${sev(f.severity)} ${f.ruleId}  ${f.message}`);
    for (const a of report.live.applied) out.push(`  ${a.container}: restart policy ${a.from} -> ${a.to} (applied live, no recreate)`);
  } else {
    out.push(`live containers: not audited (${report.live.reason})`);
  }
  for (const n of report.notes) out.push(`note: ${n}`);
  const s = report.summary;
  const tail: string[] = [
    `${s.errors} error${s.errors === 1 ? '' : 's'}, ${s.warnings} warning${s.warnings === 1 ? '' : 's'} in ${s.files} file${s.files === 1 ? '' : 's'} and the live containers`,
  ];
  if (s.fixed > 0) tail.push(`${s.fixed} ${opts.fixDryRun ? 'would be fixed (dry run: nothing written)' : 'fixed'}`);
  else if (s.fixable > 0) tail.push(`${s.fixable} fixable with --fix (see them first with --fix-dry-run)`);
  const liveApplicable = report.live.findings.filter((f) => f.applicable).length - report.live.applied.length;
  if (liveApplicable > 0 && !opts.applyLive) tail.push(`${liveApplicable} live container(s) fixable with --apply-live`);
  out.push(tail.join('; '));
  return out.join('\n') + '\n';
}

export function registerAudit(program: Command, io: Io, setExit: (code: number) => void, version: string): void {
  program
    .command('audit')
    .description('Audit restart policies in live containers, compose files and Ansible templates; --fix corrects files safely')
    .argument('[files...]', 'compose files or Jinja templates (*.yml.j2)')
    .option('--scan <dir...>', 'find compose*.y(a)ml, docker-compose*.y(a)ml and *.y(a)ml.j2 below these directories')
    .option('--fix', 'write the fixes (byte-preserving, verified, atomic)')
    .option('--fix-dry-run', 'print the fixes as a unified diff; change nothing')
    .option('--apply-live', 'also update the restart policy of the running containers concerned (Engine API, no recreate)')
    .option('--restart-policy <policy>', 'the policy fixes write: always (default), unless-stopped, on-failure:N')
    .option('--format <format>', 'text, json or sarif', 'text')
    .option('--json', 'same as --format json')
    .option('--no-live', 'do not ask the Docker engine (files only)')
    .option('--config <file>', 'audit config (default ./.upkeep.yml): audit.severities, audit.restartPolicy')
    .option('--state-dir <dir>', 'where the state database lives (for the desired state)')
    .option('--managed-by <dir...>', 'the Ansible repository (roles) that deploys this host: report running compose projects no template there produces')
    .addHelpText(
      'after',
      `
Rules: docs/rules/<id>.md. Disable one line with "# upkeep-disable-next-line restart-policy".
Services labelled upkeep.role=job (or x-upkeep: {role: job}) are jobs: never given "always".
Exit codes: 0 no errors or warnings (infos only), 1 findings, 2 could not run.`,
    )
    .action(async (files: string[], opts: AuditCliOptions) => setExit(await auditCommand(io, files, opts, version)));
}
