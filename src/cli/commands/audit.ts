/**
 * `upkeep audit`: restart policies in live containers, compose files and Ansible templates.
 * read (engine, files) -> audit (pure rules) -> render, or apply: `--fix` rewrites files
 * (byte-preserving, verified, atomic), `--fix-dry-run` prints the diff, `--apply-live` updates the
 * restart policy of running containers through the Engine API (no recreate).
 */
import { readFileSync, realpathSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { readHostState, type HostState } from '../../adapters/docker/host-state.js';
import { discoverComposeFiles } from '../../adapters/files/compose-discovery.js';
import { writeFileAtomic } from '../../adapters/files/atomic-write.js';
import { openStore } from '../../adapters/store/sqlite-store.js';
import { isUnitEnabled } from '../../adapters/systemd/unit-state.js';
import { auditFile, fixFile, type AuditOptions, type FileAudit } from '../../core/audit/audit-file.js';
import type { Finding } from '../../core/audit/finding.js';
import { ALL_RULES } from '../../core/audit/rules/all-rules.js';
import type { Severity } from '../../core/audit/rule.js';
import { sarifReport } from '../../core/audit/sarif-report.js';
import { unifiedDiff } from '../../core/audit/unified-diff.js';
import { formatRestartPolicy, toRestartPolicy } from '../../core/container-facts.js';
import { DockerUnavailableError, EXIT, UsageError } from '../../core/errors.js';
import { auditLive } from '../../core/live-audit/rules.js';
import type { LiveFinding } from '../../core/live-audit/live-finding.js';
import type { ContainerFacts, RestartPolicy } from '../../core/model.js';
import { engineFromEnv } from '../engine.js';
import { painter, printJson, type Io } from '../io.js';
import { stateDirFor } from '../state.js';

// The order of String#localeCompare (no arguments), set up once.
const collator = new Intl.Collator();

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
}

export interface FileResult {
  path: string;
  findings: Finding[];
  /** Findings whose fix was written (or would be, with --fix-dry-run). */
  fixed: Finding[];
  diff: string | null;
  isCompose: boolean;
}

export interface AuditReport {
  files: FileResult[];
  live: { audited: boolean; reason: string | null; findings: LiveFinding[]; applied: Array<{ container: string; from: string; to: string }> };
  summary: { errors: number; warnings: number; infos: number; fixable: number; fixed: number; files: number };
}

/** Parses --restart-policy: always | unless-stopped | on-failure[:N]. */
export function parseTargetPolicy(value: string): RestartPolicy {
  const m = /^(always|unless-stopped|on-failure)(?::(\d+))?$/.exec(value.trim());
  if (!m || (m[2] !== undefined && m[1] !== 'on-failure')) {
    throw new UsageError(`--restart-policy "${value}" is not a policy upkeep writes`, { hint: 'use always (the default), unless-stopped, or on-failure:N' });
  }
  return toRestartPolicy({ Name: m[1]!, MaximumRetryCount: m[2] === undefined ? 0 : Number(m[2]) });
}

/** The per-project config: `audit: { severities: { rule-id: error|warning|info|off }, restartPolicy: always }`. */
async function loadAuditConfig(path: string | undefined): Promise<{ severities: Record<string, Severity | 'off'>; restartPolicy: string | null; path: string | null }> {
  const candidate = path ?? (await stat('.upkeep.yml').then(() => '.upkeep.yml').catch(() => null));
  if (candidate === null) return { severities: {}, restartPolicy: null, path: null };
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(candidate, 'utf8'));
  } catch (err) {
    throw new UsageError(`${candidate}: ${(err as Error).message}`, { hint: 'fix the YAML of the audit config' });
  }
  const audit = (doc as { audit?: { severities?: unknown; restartPolicy?: unknown } } | null)?.audit ?? {};
  const severities: Record<string, Severity | 'off'> = {};
  const known = new Set(ALL_RULES.map((r) => r.meta.id));
  for (const [id, level] of Object.entries((audit.severities ?? {}) as Record<string, unknown>)) {
    if (!known.has(id)) throw new UsageError(`${candidate}: audit.severities: unknown rule "${id}"`, { hint: `known rules: ${[...known].join(', ')}` });
    if (level !== 'error' && level !== 'warning' && level !== 'info' && level !== 'off') {
      throw new UsageError(`${candidate}: audit.severities.${id}: "${String(level)}" is not error, warning, info or off`);
    }
    severities[id] = level;
  }
  return { severities, restartPolicy: typeof audit.restartPolicy === 'string' ? audit.restartPolicy : null, path: candidate };
}

/** Config files named by the running containers' compose labels, absolute, that exist. */
function configFilesOf(c: ContainerFacts): string[] {
  if (!c.compose) return [];
  return c.compose.configFiles
    .map((f) => (isAbsolute(f) ? f : c.compose!.workingDir ? join(c.compose!.workingDir, f) : null))
    .filter((f): f is string => f !== null);
}

/** A path as the report shows it: absolute as given, else relative to the working directory. */
function displayPath(shown: string): string {
  return isAbsolute(shown) ? shown : relative(process.cwd(), resolve(shown)) || shown;
}

/** The file's real path (symlinks resolved), or its absolute path when it has none. */
function canonical(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return resolve(path);
  }
}

/** The file's text, or the error that reading it gave. Small files, read synchronously: cheaper than many promises. */
function readText(path: string): string | Error {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    return err as Error;
  }
}

/**
 * Reads, audits and applies what was asked. After `--apply-live` changed containers, everything is
 * read and audited again (level-based), so the report shows the state that results. `host`: the
 * engine's state when the caller has just read it (`upkeep check`), so that it is not read twice.
 */
export async function runAudit(io: Io, paths: string[], opts: AuditCliOptions, host?: HostState): Promise<AuditReport> {
  const first = await auditOnce(io, paths, opts, host);
  if (first.live.applied.length === 0) return first;
  const again = await auditOnce(io, paths, { ...opts, applyLive: false, fix: false, fixDryRun: false });
  return {
    ...again,
    files: again.files.map((f) => ({ ...f, fixed: first.files.find((x) => x.path === f.path)?.fixed ?? [], diff: first.files.find((x) => x.path === f.path)?.diff ?? null })),
    live: { ...again.live, applied: first.live.applied },
    summary: { ...again.summary, fixed: first.summary.fixed },
  };
}

interface LiveRead {
  host: HostState | null;
  /** Why the live containers were not audited, when they were not. */
  reason: string | null;
}

/** Reads the engine; an unreachable engine is only a reason when files were named (else it is the error). */
async function readLive(io: Io, filesNamed: boolean): Promise<LiveRead> {
  const engine = engineFromEnv(io);
  try {
    return { host: await readHostState(engine), reason: null };
  } catch (err) {
    if (!(err instanceof DockerUnavailableError) || !filesNamed) throw err;
    return { host: null, reason: err.message };
  } finally {
    await engine.close();
  }
}

/** A file's audit made before the live containers were known, with the `live` it assumed. */
interface EarlyAudit {
  assumed: 'none' | 'unknown';
  audit: FileAudit;
}

const YIELD_EVERY_MS = 8;

async function auditOnce(io: Io, paths: string[], opts: AuditCliOptions, given?: HostState): Promise<AuditReport> {
  const config = await loadAuditConfig(opts.config);
  const targetPolicy = parseTargetPolicy(opts.restartPolicy ?? config.restartPolicy ?? 'always');
  const auditOptions: AuditOptions = { targetPolicy, severities: config.severities };

  // Read: the engine (optional when files were named) while the files are read and audited, since
  // the engine answers from another process; the desired state and systemd once the engine did.
  const filesNamed = paths.length > 0 || (opts.scan ?? []).length > 0;
  let known: LiveRead | null = opts.live === false ? { host: null, reason: '--no-live' } : given === undefined ? null : { host: given, reason: null };
  const liveRead = known === null ? readLive(io, filesNamed) : Promise.resolve(known);
  liveRead.then(
    (r) => (known = r),
    () => undefined, // awaited (and thrown) below
  );
  const bootEnabled = opts.live === false ? null : isUnitEnabled('docker.service');

  const files = new Map<string, string>();
  try {
    for (const p of paths) {
      const st = await stat(p).catch(() => null);
      if (st === null) throw new UsageError(`${p}: no such file`, { hint: 'name compose files or templates, or use --scan DIR' });
      if (st.isDirectory()) throw new UsageError(`${p} is a directory`, { hint: `use --scan ${p}` });
      files.set(canonical(p), p);
    }
    for (const dir of opts.scan ?? []) {
      const st = await stat(dir).catch(() => null);
      if (st === null || !st.isDirectory()) throw new UsageError(`--scan ${dir}: not a directory`);
      for (const f of (await discoverComposeFiles(dir)).files) {
        const canon = canonical(f);
        if (!files.has(canon)) files.set(canon, f);
      }
    }
  } catch (err) {
    await liveRead; // an engine that cannot be read at all is the error to report, as it always was
    throw err;
  }

  // Audit the files while the engine answers. Until its containers are known, a file is audited
  // as named by none of them; it is audited again below if that was not so.
  const texts = new Map<string, string | Error>();
  const early = new Map<string, EarlyAudit>();
  let lastYield = performance.now();
  for (const [canon, shown] of [...files.entries()].sort((a, b) => collator.compare(a[1], b[1]))) {
    const text = readText(canon);
    texts.set(canon, text);
    if (text instanceof Error) continue;
    const assumed = known === null || known.host !== null ? 'none' : 'unknown';
    early.set(canon, { assumed, audit: auditFile({ path: displayPath(shown), text }, auditOptions, assumed === 'none' ? [] : null) });
    if (known === null && performance.now() - lastYield > YIELD_EVERY_MS) {
      await new Promise((r) => setImmediate(r));
      lastYield = performance.now();
    }
  }

  const { host, reason: liveReason } = await liveRead;
  const liveByFile = new Map<string, ContainerFacts[]>();
  const isFile = new Map<string, boolean>();
  for (const c of host?.containers ?? []) {
    for (const f of configFilesOf(c)) {
      const canon = canonical(f);
      if (!isFile.has(canon)) isFile.set(canon, await stat(canon).then((s) => s.isFile()).catch(() => false));
      if (!isFile.get(canon)) continue;
      if (!files.has(canon)) files.set(canon, f);
      liveByFile.set(canon, [...(liveByFile.get(canon) ?? []), c]);
    }
  }

  // Audit and (optionally) fix each file; one bad file never stops the others.
  const results: FileResult[] = [];
  const ordered = [...files.entries()].sort((a, b) => collator.compare(a[1], b[1]));
  for (const [canon, shown] of ordered) {
    const display = displayPath(shown);
    const text = texts.get(canon) ?? readText(canon);
    if (text instanceof Error) {
      results.push({ path: display, findings: [unreadable(display, text)], fixed: [], diff: null, isCompose: false });
      continue;
    }
    const source = { path: display, text };
    const live = liveByFile.get(canon) ?? (host ? [] : null);
    const made = early.get(canon);
    const reusable = made !== undefined && !liveByFile.has(canon) && made.assumed === (host ? 'none' : 'unknown');
    const audit = reusable ? made.audit : auditFile(source, auditOptions, live);
    if (!audit.isCompose && audit.findings.length === 0) continue;
    let fixed: Finding[] = [];
    let diff: string | null = null;
    let findings = audit.findings;
    if ((opts.fix || opts.fixDryRun) && audit.fixes.length > 0) {
      const outcome = fixFile(source, auditOptions, live);
      fixed = outcome.applied;
      if (outcome.output !== text) {
        diff = unifiedDiff(display, text, outcome.output);
        if (opts.fix && !opts.fixDryRun) await writeFileAtomic(canon, outcome.output);
      }
      // Written fixes are no longer findings; a dry run leaves them all standing.
      const appliedKeys = new Set(opts.fixDryRun ? [] : fixed.map(key));
      findings = [...findings.filter((f) => !appliedKeys.has(key(f))), ...outcome.refused];
    }
    results.push({ path: display, findings, fixed, diff, isCompose: audit.isCompose });
  }

  // The live audit, and --apply-live.
  const liveFindings: LiveFinding[] = [];
  const applied: AuditReport['live']['applied'] = [];
  if (host) {
    let desired: Set<string> | null = null;
    try {
      const store = openStore({ stateDir: stateDirFor(io, opts), create: false });
      try {
        desired = new Set(store.latestSnapshot(host.host.id)?.containers.map((c) => c.name) ?? []);
      } finally {
        store.close();
      }
    } catch {
      desired = null;
    }
    liveFindings.push(
      ...auditLive({ daemon: host.daemon, containers: host.containers, desired, dockerEnabledAtBoot: await bootEnabled, targetPolicy }),
    );
    if (opts.applyLive) {
      const engine = engineFromEnv(io);
      try {
        for (const f of liveFindings.filter((x) => x.applicable)) {
          const c = host.containers.find((x) => x.name === f.subject);
          if (!c) continue;
          await engine.updateRestartPolicy(c.id, targetPolicy);
          applied.push({ container: c.name, from: formatRestartPolicy(c.restartPolicy), to: formatRestartPolicy(targetPolicy) });
        }
      } finally {
        await engine.close();
      }
    }
  }
  const appliedNames = new Set(applied.map((a) => a.container));
  const remainingLive = liveFindings.filter((f) => !(f.applicable && appliedNames.has(f.subject)));
  const all = [...results.flatMap((r) => r.findings.map((f) => f.severity)), ...remainingLive.map((f) => f.severity)];
  return {
    files: results,
    live: { audited: host !== null, reason: liveReason, findings: liveFindings, applied },
    summary: {
      errors: all.filter((s) => s === 'error').length,
      warnings: all.filter((s) => s === 'warning').length,
      infos: all.filter((s) => s === 'info').length,
      fixable: results.reduce((n, r) => n + r.findings.filter((f) => f.fixable).length, 0),
      fixed: results.reduce((n, r) => n + r.fixed.length, 0),
      files: results.length,
    },
  };
}

function key(f: Finding): string {
  return `${f.ruleId}:${f.line}:${f.column}`;
}

function unreadable(path: string, err: unknown): Finding {
  return {
    ruleId: 'invalid-yaml', severity: 'error', message: `cannot read the file: ${(err as Error).message}`, path,
    line: 1, column: 1, endLine: 1, endColumn: 1, fixable: false, suggestion: null, docsUrl: 'docs/rules/invalid-yaml.md',
  };
}

export function renderAuditText(io: Io, report: AuditReport, opts: AuditCliOptions): string {
  const paint = painter(io);
  const sev = (s: string) => (s === 'error' ? paint('red', s.padEnd(7)) : s === 'warning' ? paint('yellow', s.padEnd(7)) : s.padEnd(7));
  const out: string[] = [];
  for (const r of report.files) {
    if (r.findings.length === 0 && r.fixed.length === 0 && !r.diff) continue;
    out.push(paint('bold', r.path));
    for (const f of r.findings) {
      out.push(`  ${`${f.line}:${f.column}`.padEnd(7)} ${sev(f.severity)} ${f.ruleId}  ${f.message}${f.suggestion && !f.fixable ? `\n          ${f.suggestion}` : ''}`);
    }
    for (const f of r.fixed) out.push(`  ${`${f.line}:${f.column}`.padEnd(7)} ${opts.fixDryRun ? 'would fix' : 'fixed  '} ${f.ruleId}  ${f.message}`);
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
  const s = report.summary;
  const tail: string[] = [`${s.errors} error${s.errors === 1 ? '' : 's'}, ${s.warnings} warning${s.warnings === 1 ? '' : 's'} in ${s.files} file${s.files === 1 ? '' : 's'} and the live containers`];
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
    .addHelpText(
      'after',
      `
Rules: docs/rules/<id>.md. Disable one line with "# upkeep-disable-next-line restart-policy".
Services labelled upkeep.role=job (or x-upkeep: {role: job}) are jobs: never given "always".
Exit codes: 0 no error-level findings, 1 findings, 2 could not run.`,
    )
    .action(async (files: string[], opts: AuditCliOptions) => {
      const format = opts.json ? 'json' : (opts.format ?? 'text');
      if (!['text', 'json', 'sarif'].includes(format)) throw new UsageError(`--format "${format}": use text, json or sarif`);
      const report = await runAudit(io, files, opts);
      if (format === 'json') printJson(io, report);
      else if (format === 'sarif') printJson(io, sarifReport(report.files.flatMap((r) => r.findings), ALL_RULES, { name: 'upkeep', version }));
      else io.stdout.write(renderAuditText(io, report, opts));
      setExit(report.summary.errors > 0 ? EXIT.findings : EXIT.ok);
    });
}
