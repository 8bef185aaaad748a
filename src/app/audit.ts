/**
 * The audit as a use case (`upkeep audit`, and the audit part of `upkeep check`):
 * read -> plan -> apply, returning data; it never prints and never exits.
 *
 * - `planAudit` reads the config, the files (named, found by `--scan`, named by the running
 *   containers' compose labels) and the engine through `AuditDeps`, runs the file rules and the
 *   live rules, and plans the fixes. Nothing is written.
 * - `applyAudit` writes the planned file fixes (each file on its own: one that cannot be written is
 *   a finding, the others are still written), updates live restart policies, records each change
 *   in the timeline, and, after a live change, reads and audits everything again (level-based), so
 *   the result shows the state that results.
 * - `auditHostState` is the read-only audit of an engine state the caller has read already
 *   (`upkeep check` reads the engine once).
 *
 * Which files may be opened (docs/limits.md): regular files only, at most `maxFileBytes`; a file
 * named on the command line as named (symlinks resolved); a file found by `--scan` only when its
 * real path is inside a scanned directory or a compose project's working directory; a file named by
 * compose labels only when its real path is inside that project's working directory. Everything
 * else is a `file-skipped` finding with the reason, never opened.
 */
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { AuditFileRead, DiscoveryProblem, FileIdentity, WriteMethod } from '../ports/audit-files.js';
import { NO_AUDIT_CONFIG, parseAuditConfig, parseTargetPolicy, type AuditConfig } from '../core/audit/audit-config.js';
import { auditFile, fixFile, parseForAudit, type AuditOptions } from '../core/audit/audit-file.js';
import { jobRunsByFile, parseComposeInvocations, scriptKindOf, type ScriptRuns } from '../core/audit/compose-invocations.js';
import type { ComposeFile } from '../core/audit/compose-document.js';
import type { Finding } from '../core/audit/finding.js';
import { ALL_RULES } from '../core/audit/rules/all-rules.js';
import { fileSkippedFinding } from '../core/audit/rules/file-skipped.js';
import { unifiedDiff } from '../core/audit/unified-diff.js';
import { isJinjaTemplatePath } from '../core/audit/yaml-source.js';
import { formatRestartPolicy } from '../core/container-facts.js';
import { DockerUnavailableError, UsageError } from '../core/errors.js';
import type { LiveContext, LiveFinding } from '../core/live-audit/live-finding.js';
import { auditLive } from '../core/live-audit/rules.js';
import type { ContainerFacts, DaemonFacts, RestartPolicy } from '../core/model.js';
import type { HostIdentity } from '../core/recovery/desired-state.js';
import { TIMELINE_KINDS } from '../core/timeline.js';
import type { TimelineRepository } from '../ports/timeline.js';
import { loadDesiredState, type DesiredStateSource } from './desired-state.js';
import { compareText } from '../core/text-order.js';

/** The engine's state as the audit needs it (HostState from adapters/docker/host-state.ts fits). */
export interface AuditHostState {
  daemon: DaemonFacts;
  host: HostIdentity;
  containers: readonly ContainerFacts[];
}

/** The store as the audit uses it: the desired state, and the timeline to record changes in. */
export type AuditStore = DesiredStateSource & Pick<TimelineRepository, 'appendTimeline'> & { close(): void };

/** The file system as the audit uses it (adapters/files). */
export interface AuditFileSystem {
  /** The text of a small config file, or null when there is no such file. */
  readConfig(path: string): Promise<string | null>;
  /** What `path` is, following symlinks; null when it does not exist. */
  kind(path: string): Promise<'file' | 'directory' | 'other' | null>;
  discover(dir: string): Promise<{ files: string[]; problems: DiscoveryProblem[] }>;
  /** Files under `dir` that may run compose: shell scripts, Makefiles, systemd units, Ansible YAML (see compose-invocations.ts). */
  discoverScripts(dir: string): Promise<{ files: string[]; problems: DiscoveryProblem[] }>;
  realpath(path: string): Promise<{ ok: true; real: string } | { ok: false; reason: string }>;
  read(realPath: string, opts: { maxBytes?: number }): Promise<AuditFileRead>;
  /** Writes `content` if the file is still `identity` holding `original`; see atomic-write.ts. */
  write(realPath: string, original: Uint8Array, identity: FileIdentity, content: Uint8Array): Promise<WriteMethod>;
}

/** Everything the audit reads and changes, injected. */
export interface AuditDeps {
  /** Relative paths are shown relative to it. */
  cwd: string;
  /** Reads the engine; throws DockerUnavailableError when it cannot be reached. */
  readHost(): Promise<AuditHostState>;
  /** `systemctl is-enabled docker`: true/false, or null when systemd cannot be asked. */
  dockerEnabledAtBoot(): Promise<boolean | null>;
  /** The state database, or null when there is none (the reason in `why`). */
  openStore(): { store: AuditStore } | { store: null; why: string };
  updateRestartPolicy(containerId: string, policy: RestartPolicy): Promise<void>;
  files: AuditFileSystem;
}

export interface AuditRequest {
  /** Files named on the command line. */
  paths: readonly string[];
  /** Directories to search (`--scan`). */
  scan: readonly string[];
  /** False: do not ask the engine (`--no-live`). */
  live: boolean;
  /** `--config FILE`; default ./.upkeep.yml when it exists. */
  configPath?: string;
  /** `--restart-policy`; default the config's, else always. */
  restartPolicy?: string;
  /** Plan the fixes (for `--fix` and `--fix-dry-run`). */
  fixes: boolean;
  /** Files larger than this are not read (default 10 MiB). */
  maxFileBytes?: number;
  /** `--managed-by DIR`: the Ansible repository whose templates deploy the compose projects (rule unmanaged-project). */
  managedBy?: readonly string[];
}

/** One file of the plan. */
export interface PlannedFile {
  /** As shown: absolute as given, else relative to the working directory. */
  path: string;
  /** The real path (what is read and written), or null when the file was not read. */
  real: string | null;
  isCompose: boolean;
  findings: Finding[];
  /** The fixes, when planned and some would change the file. */
  fix: PlannedFileFix | null;
}

export interface PlannedFileFix {
  output: string;
  applied: Finding[];
  refused: Finding[];
  diff: string;
  original: Uint8Array;
  identity: FileIdentity;
}

export interface AuditPlan {
  request: AuditRequest;
  targetPolicy: RestartPolicy;
  files: PlannedFile[];
  live: {
    host: AuditHostState | null;
    /** Why the live containers were not audited, when they were not. */
    reason: string | null;
    findings: LiveFinding[];
  };
  /** Things the user should know that are not findings (e.g. no desired state). */
  notes: string[];
}

/** A file as the report shows it (the JSON shape of `upkeep audit --format json`). */
export interface FileResult {
  path: string;
  findings: Finding[];
  /** Findings whose fix was written (or would be, with --fix-dry-run). */
  fixed: Finding[];
  diff: string | null;
  isCompose: boolean;
  /** How the fixes were written: 'replaced' (atomic rename) or 'in-place' (hard links kept); null when nothing was. */
  written: WriteMethod | null;
}

export interface AuditReport {
  files: FileResult[];
  live: { audited: boolean; reason: string | null; findings: LiveFinding[]; applied: Array<{ container: string; from: string; to: string }> };
  notes: string[];
  summary: { errors: number; warnings: number; infos: number; fixable: number; fixed: number; files: number };
}

export interface ApplyOptions {
  /** Write the planned file fixes (`--fix`); without it they are only shown (`--fix-dry-run`). */
  fix: boolean;
  /** Update the restart policy of the live containers concerned (`--apply-live`). */
  applyLive: boolean;
}

const YIELD_EVERY_MS = 8;

/** Reads and audits everything `request` names; plans the fixes when asked. Writes nothing. */
export async function planAudit(deps: AuditDeps, request: AuditRequest, given?: AuditHostState): Promise<AuditPlan> {
  const config = await loadConfig(deps, request.configPath);
  const targetPolicy = parseTargetPolicy(request.restartPolicy ?? config.restartPolicy ?? 'always');
  const options: AuditOptions = { targetPolicy, severities: config.severities };
  const filesNamed = request.paths.length > 0 || request.scan.length > 0;

  // The engine is asked while the files are read and parsed (it answers from another process).
  let hostRead: { host: AuditHostState | null; reason: string | null } | null = !request.live
    ? { host: null, reason: '--no-live' }
    : given !== undefined
      ? { host: given, reason: null }
      : null;
  const hostPromise = hostRead !== null ? Promise.resolve(hostRead) : readLive(deps, filesNamed);
  hostPromise.then(
    (r) => (hostRead = r),
    () => undefined,
  ); // awaited (and thrown) below
  const bootPromise = request.live ? deps.dockerEnabledAtBoot() : Promise.resolve(null);

  const candidates = new Candidates(deps.cwd);
  const skipped: PlannedFile[] = [];
  const scanRoots: string[] = [];
  const scripts: Array<{ real: string; display: string }> = [];
  try {
    const at = (p: string): string => resolve(deps.cwd, p);
    for (const p of request.paths) {
      const kind = await deps.files.kind(at(p));
      if (kind === null) throw new UsageError(`${p}: no such file`, { hint: 'name compose files or templates, or use --scan DIR' });
      if (kind === 'directory') throw new UsageError(`${p} is a directory`, { hint: `use --scan ${p}` });
      const real = await deps.files.realpath(at(p));
      if (!real.ok) skipped.push(skippedFile(candidates.display(p), real.reason, config));
      else candidates.add(real.real, p, 'named', null);
    }
    for (const dir of request.scan) {
      if ((await deps.files.kind(at(dir))) !== 'directory') throw new UsageError(`--scan ${dir}: not a directory`);
      const root = await deps.files.realpath(at(dir));
      if (!root.ok) throw new UsageError(`--scan ${dir}: ${root.reason}`);
      scanRoots.push(root.real);
      const found = await deps.files.discover(at(dir));
      const asGiven = (p: string): string => join(dir, relative(at(dir), p)); // shown under the name the directory was given
      for (const problem of found.problems)
        skipped.push(skippedFile(candidates.display(asGiven(problem.dir)), `directory not searched: ${problem.reason}`, config));
      for (const found1 of found.files) {
        const f = asGiven(found1);
        const real = await deps.files.realpath(at(f));
        if (!real.ok) skipped.push(skippedFile(candidates.display(f), real.reason, config));
        else candidates.add(real.real, f, 'scanned', null);
      }
      for (const s of (await deps.files.discoverScripts(at(dir))).files) {
        const f = asGiven(s);
        const real = await deps.files.realpath(at(f));
        if (real.ok && !scripts.some((x) => x.real === real.real)) scripts.push({ real: real.real, display: candidates.display(f) });
      }
    }
  } catch (err) {
    await hostPromise; // an engine that cannot be read at all is the error to report, as it always was
    throw err;
  }

  // Read and parse what may be read now; what only a project's working directory would allow waits for the engine.
  const parsed = new Map<string, ParsedFile>();
  let lastYield = performance.now();
  for (const c of candidates.sorted()) {
    if (c.origin === 'scanned' && !scanRoots.some((root) => isInsideDir(c.real, root))) continue;
    parsed.set(c.real, await readAndParse(deps, c, request, options));
    if (hostRead === null && performance.now() - lastYield > YIELD_EVERY_MS) {
      await new Promise((r) => setImmediate(r));
      lastYield = performance.now();
    }
  }

  const jobRuns = await readJobRuns(deps, request, scripts, scanRoots, parsed);

  const { host, reason } = await hostPromise;
  const liveByFile = new Map<string, ContainerFacts[]>();
  const workingDirs: string[] = [];
  for (const c of host?.containers ?? []) {
    if (c.compose === null) continue;
    const wd = c.compose.workingDir === null ? null : await deps.files.realpath(c.compose.workingDir);
    const workingDir = wd !== null && wd.ok && wd.real !== '/' ? wd.real : null;
    if (workingDir !== null && !workingDirs.includes(workingDir)) workingDirs.push(workingDir);
    for (const f of configFilesOf(c)) {
      const real = await deps.files.realpath(f);
      if (!real.ok) continue; // a project whose files are gone: nothing to audit
      const refusal = labelFileRefusal(real.real, f, workingDir, c);
      if (refusal !== null) {
        if (!candidates.has(real.real)) candidates.add(real.real, f, 'label', refusal);
        continue;
      }
      if (!candidates.has(real.real)) candidates.add(real.real, f, 'label', null);
      liveByFile.set(real.real, [...(liveByFile.get(real.real) ?? []), c]);
    }
  }

  // Audit each file; one bad file never stops the others.
  const files: PlannedFile[] = [...skipped];
  const liveTexts = new Map<string, { path: string; text: string }>();
  for (const c of candidates.sorted()) {
    if (c.refusal !== null) {
      files.push(skippedFile(c.display, c.refusal, config));
      continue;
    }
    let p = parsed.get(c.real);
    if (p === undefined) {
      if (c.origin === 'scanned' && !workingDirs.some((root) => isInsideDir(c.real, root))) {
        const where = c.real === resolve(deps.cwd, c.given) ? '' : ` (${c.real})`;
        files.push(
          skippedFile(
            c.display,
            `it leads outside the scanned directories${where}: only files inside them (or inside a compose project's working directory) are read`,
            config,
          ),
        );
        continue;
      }
      p = await readAndParse(deps, c, request, options);
    }
    if (!p.ok) {
      files.push(skippedFile(c.display, p.reason, config));
      continue;
    }
    const live = liveByFile.get(c.real) ?? (host ? [] : null);
    if (liveByFile.has(c.real)) liveTexts.set(c.real, { path: c.display, text: p.read.text });
    const source = { path: c.display, text: p.read.text };
    const runs = jobRuns.get(c.real);
    const fileOptions = runs === undefined ? options : { ...options, jobRuns: runs };
    const audit = auditFile(source, fileOptions, live, p.parsed);
    if (!audit.isCompose && audit.findings.length === 0) continue;
    let fix: PlannedFileFix | null = null;
    if (request.fixes && audit.fixes.length > 0) {
      const outcome = fixFile(source, fileOptions, live, p.parsed);
      if (outcome.output !== source.text || outcome.refused.length > 0) {
        fix = {
          output: outcome.output,
          applied: outcome.applied,
          refused: outcome.refused,
          diff: outcome.output === source.text ? '' : unifiedDiff(c.display, source.text, outcome.output),
          original: p.read.bytes,
          identity: p.read.identity,
        };
      }
    }
    files.push({ path: c.display, real: c.real, isCompose: audit.isCompose, findings: audit.findings, fix });
  }
  files.sort((a, b) => compareText(a.path, b.path));

  const notes: string[] = [];
  const liveFindings: LiveFinding[] = [];
  if (host !== null) {
    const desired = readDesiredNames(deps, host, notes);
    const managed = request.managedBy?.length ? await readManaged(deps, request, request.managedBy, liveByFile, liveTexts) : null;
    liveFindings.push(
      ...auditLive({ daemon: host.daemon, containers: host.containers, desired, dockerEnabledAtBoot: await bootPromise, targetPolicy, managed }),
    );
  }
  return { request, targetPolicy, files, live: { host, reason, findings: liveFindings }, notes };
}

/** Applies what `plan` planned and was asked for; returns the report of the result. */
export async function applyAudit(deps: AuditDeps, plan: AuditPlan, opts: ApplyOptions): Promise<AuditReport> {
  const notes = [...plan.notes];
  const written = new Map<string, { method: WriteMethod } | { error: string }>();
  const timeline: Array<{ kind: string; subject: string; message: string; data: unknown }> = [];
  if (opts.fix) {
    for (const f of plan.files) {
      if (f.fix === null || f.real === null || f.fix.applied.length === 0) continue;
      try {
        const method = await deps.files.write(f.real, f.fix.original, f.fix.identity, Buffer.from(f.fix.output, 'utf8'));
        written.set(f.path, { method });
        for (const a of f.fix.applied) {
          timeline.push({
            kind: TIMELINE_KINDS.fixApplied,
            subject: f.real,
            message: `upkeep audit --fix: ${a.ruleId} fixed at ${f.real}:${a.line}`,
            data: { rule: a.ruleId, line: a.line },
          });
        }
      } catch (err) {
        written.set(f.path, { error: (err as Error).message });
      }
    }
  }

  const applied: AuditReport['live']['applied'] = [];
  const host = plan.live.host;
  if (opts.applyLive && host !== null) {
    for (const finding of plan.live.findings.filter((x) => x.applicable)) {
      const c = host.containers.find((x) => x.name === finding.subject);
      if (!c) continue;
      const from = formatRestartPolicy(c.restartPolicy);
      const to = formatRestartPolicy(plan.targetPolicy);
      try {
        await deps.updateRestartPolicy(c.id, plan.targetPolicy);
      } catch (err) {
        notes.push(`${c.name}: the restart policy could not be updated: ${(err as Error).message}`);
        continue;
      }
      applied.push({ container: c.name, from, to });
      timeline.push({
        kind: TIMELINE_KINDS.livePolicyChanged,
        subject: c.name,
        message: `upkeep audit --apply-live: restart policy of ${c.name} ${from} -> ${to}`,
        data: { from, to },
      });
    }
  }
  recordTimeline(deps, timeline, notes);

  const first = reportOf(plan, opts, written, applied, notes);
  if (applied.length === 0) return first;
  // Level-based: read and audit everything again, so that the report shows what resulted.
  const again = reportOf(await planAudit(deps, { ...plan.request, fixes: false }), { fix: false, applyLive: false }, new Map(), [], notes);
  return {
    ...again,
    files: again.files.map((f) => {
      const was = first.files.find((x) => x.path === f.path);
      return { ...f, fixed: was?.fixed ?? [], diff: was?.diff ?? null, written: was?.written ?? null };
    }),
    live: { ...again.live, applied },
    summary: { ...again.summary, fixed: first.summary.fixed },
  };
}

/**
 * The audit of an engine state the caller has read already (`upkeep check`): the live containers
 * and the compose files their labels name; nothing is written. The report has the shape of
 * `upkeep audit --format json`.
 */
export async function auditHostState(deps: AuditDeps, host: AuditHostState, request: Partial<AuditRequest> = {}): Promise<AuditReport> {
  const plan = await planAudit(deps, { paths: [], scan: [], live: true, fixes: false, ...request }, host);
  return reportOf(plan, { fix: false, applyLive: false }, new Map(), [], plan.notes);
}

/** The report of a plan: with `fix`, what `written` says was written; without it, the planned fixes as a dry run. */
function reportOf(
  plan: AuditPlan,
  opts: ApplyOptions,
  written: ReadonlyMap<string, { method: WriteMethod } | { error: string }>,
  applied: AuditReport['live']['applied'],
  notes: string[],
): AuditReport {
  const files: FileResult[] = plan.files.map((f) => {
    const base: FileResult = { path: f.path, findings: f.findings, fixed: [], diff: null, isCompose: f.isCompose, written: null };
    if (f.fix === null) return base;
    const diff = f.fix.diff === '' ? null : f.fix.diff;
    if (!opts.fix) return { ...base, fixed: f.fix.applied, diff, findings: [...f.findings, ...f.fix.refused] };
    const outcome = written.get(f.path);
    if (outcome === undefined || 'error' in outcome) {
      const cannot = outcome === undefined ? [] : [fileSkippedFinding(f.path, `the fixes were not written: ${outcome.error}`)];
      return { ...base, findings: [...f.findings, ...f.fix.refused, ...cannot] };
    }
    const appliedKeys = new Set(f.fix.applied.map(key));
    return {
      ...base,
      fixed: f.fix.applied,
      diff,
      written: outcome.method,
      findings: [...f.findings.filter((x) => !appliedKeys.has(key(x))), ...f.fix.refused],
    };
  });
  const appliedNames = new Set(applied.map((a) => a.container));
  const remainingLive = plan.live.findings.filter((f) => !(f.applicable && appliedNames.has(f.subject)));
  const all = [...files.flatMap((r) => r.findings.map((f) => f.severity)), ...remainingLive.map((f) => f.severity)];
  return {
    files,
    live: { audited: plan.live.host !== null, reason: plan.live.reason, findings: plan.live.findings, applied },
    notes,
    summary: {
      errors: all.filter((s) => s === 'error').length,
      warnings: all.filter((s) => s === 'warning').length,
      infos: all.filter((s) => s === 'info').length,
      fixable: files.reduce((n, r) => n + r.findings.filter((f) => f.fixable).length, 0),
      fixed: files.reduce((n, r) => n + r.fixed.length, 0),
      files: files.length,
    },
  };
}

interface Candidate {
  real: string;
  /** The path as found (before symlinks were resolved). */
  given: string;
  display: string;
  origin: 'named' | 'scanned' | 'label';
  /** Why it must not be opened, when so. */
  refusal: string | null;
}

/** The files to audit, by real path (a file named twice is audited once, under the first name). */
class Candidates {
  private byReal = new Map<string, Candidate>();
  constructor(private readonly cwd: string) {}
  display(given: string): string {
    return isAbsolute(given) ? given : relative(this.cwd, resolve(this.cwd, given)) || given;
  }
  has(real: string): boolean {
    return this.byReal.has(real);
  }
  add(real: string, given: string, origin: Candidate['origin'], refusal: string | null): void {
    if (!this.byReal.has(real)) this.byReal.set(real, { real, given, display: this.display(given), origin, refusal });
  }
  sorted(): Candidate[] {
    return [...this.byReal.values()].sort((a, b) => compareText(a.display, b.display));
  }
}

type ParsedFile = { ok: true; read: Extract<AuditFileRead, { ok: true }>; parsed: ComposeFile } | { ok: false; reason: string };

async function readAndParse(deps: AuditDeps, c: Candidate, request: AuditRequest, options: AuditOptions): Promise<ParsedFile> {
  const read = await deps.files.read(c.real, request.maxFileBytes === undefined ? {} : { maxBytes: request.maxFileBytes });
  if (!read.ok) return { ok: false, reason: c.real === resolve(deps.cwd, c.given) ? read.reason : `${read.reason} (${c.real})` };
  return { ok: true, read, parsed: parseForAudit({ path: c.display, text: read.text }, options) };
}

/**
 * How the scripts under the scanned directories run the scanned compose files (compose-invocations.ts):
 * compose file real path -> service -> evidence. Scripts are read like compose files (the same reader
 * and size limit, regular files only, real path inside a scanned directory); one that cannot be read,
 * or is not a script, is left out silently: it is not audited, only read for evidence.
 */
async function readJobRuns(
  deps: AuditDeps,
  request: AuditRequest,
  scripts: ReadonlyArray<{ real: string; display: string }>,
  scanRoots: readonly string[],
  parsed: ReadonlyMap<string, ParsedFile>,
): Promise<Map<string, Map<string, string>>> {
  if (scripts.length === 0) return new Map();
  const runs: ScriptRuns[] = [];
  for (const s of scripts) {
    if (parsed.has(s.real) || !scanRoots.some((root) => isInsideDir(s.real, root))) continue;
    const name = basename(s.real);
    if (scriptKindOf(name, null) === null && scriptKindOf(name, '#!/bin/sh') === null) continue;
    const read = await deps.files.read(s.real, request.maxFileBytes === undefined ? {} : { maxBytes: request.maxFileBytes });
    if (!read.ok) continue;
    const kind = scriptKindOf(name, read.text.split('\n', 1)[0] ?? '');
    if (kind === null) continue;
    const invocations = parseComposeInvocations(read.text, kind);
    if (invocations.length > 0) runs.push({ display: s.display, dir: dirname(s.real), invocations });
  }
  const composeFiles = [...parsed]
    .filter((e): e is [string, Extract<ParsedFile, { ok: true }>] => e[1].ok)
    .map(([path, p]) => ({ path, services: p.parsed.documents.flatMap((d) => d.services.filter((x) => !x.nameIsJinja).map((x) => x.name)) }))
    .filter((c) => c.services.length > 0);
  return jobRunsByFile(runs, composeFiles);
}

/** Why a file named by `c`'s compose labels must not be opened, or null when it may be. */
function labelFileRefusal(real: string, given: string, workingDir: string | null, c: ContainerFacts): string | null {
  const named = `named by the compose labels of container ${c.name}`;
  if (workingDir === null) return `${named}, whose project has no usable working directory (label com.docker.compose.project.working_dir): not opened`;
  if (!isInsideDir(real, workingDir))
    return `${named}, but ${real === given ? 'it is' : `it leads to ${real}, which is`} outside the project's working directory ${workingDir}: not opened`;
  if (!/\.ya?ml$/i.test(real) && !isJinjaTemplatePath(real)) return `${named}, but it is not named *.yml or *.yaml: not opened`;
  return null;
}

/** True when `real` is `dir` or below it (both real paths). */
function isInsideDir(real: string, dir: string): boolean {
  const rel = relative(dir, real);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
}

function skippedFile(path: string, reason: string, config: AuditConfig): PlannedFile {
  const severity = config.severities['file-skipped'];
  const findings = severity === 'off' ? [] : [fileSkippedFinding(path, reason, severity)];
  return { path, real: null, isCompose: false, findings, fix: null };
}

/** Config files named by a container's compose labels, absolute. */
function configFilesOf(c: ContainerFacts): string[] {
  if (!c.compose) return [];
  return c.compose.configFiles
    .map((f) => (isAbsolute(f) ? f : c.compose!.workingDir ? join(c.compose!.workingDir, f) : null))
    .filter((f): f is string => f !== null);
}

async function loadConfig(deps: AuditDeps, path: string | undefined): Promise<AuditConfig> {
  const candidate = path ?? '.upkeep.yml';
  const text = await deps.files.readConfig(resolve(deps.cwd, candidate));
  if (text === null) {
    if (path !== undefined) throw new UsageError(`--config ${path}: no such file`);
    return NO_AUDIT_CONFIG;
  }
  return parseAuditConfig(
    text,
    candidate,
    ALL_RULES.map((r) => r.meta.id),
  );
}

/** Reads the engine; an unreachable engine is only a reason when files were named (else it is the error). */
async function readLive(deps: AuditDeps, filesNamed: boolean): Promise<{ host: AuditHostState | null; reason: string | null }> {
  try {
    return { host: await deps.readHost(), reason: null };
  } catch (err) {
    if (!(err instanceof DockerUnavailableError) || !filesNamed) throw err;
    return { host: null, reason: err.message };
  }
}

/** The names of the desired state (app/desired-state.ts), or null with a note saying why there is none. */
function readDesiredNames(deps: AuditDeps, host: AuditHostState, notes: string[]): Set<string> | null {
  const opened = deps.openStore();
  if (opened.store === null) {
    notes.push(`desired-manually-stopped not checked: ${opened.why}`);
    return null;
  }
  try {
    const r = loadDesiredState(opened.store, host.host);
    if (!r.ok) {
      notes.push(`desired-manually-stopped not checked: ${r.problem.error.message}${r.problem.error.hint ? ` (${r.problem.error.hint})` : ''}`);
      return null;
    }
    return new Set(r.state.containers.map((c) => c.name));
  } finally {
    opened.store.close();
  }
}

function recordTimeline(deps: AuditDeps, entries: ReadonlyArray<{ kind: string; subject: string; message: string; data: unknown }>, notes: string[]): void {
  if (entries.length === 0) return;
  const opened = deps.openStore();
  if (opened.store === null) {
    notes.push(`not recorded in the timeline: ${opened.why}`);
    return;
  }
  try {
    for (const e of entries) opened.store.appendTimeline(e);
  } catch (err) {
    notes.push(`not recorded in the timeline: ${(err as Error).message}`);
  } finally {
    opened.store.close();
  }
}

function key(f: Finding): string {
  return `${f.ruleId}:${f.line}:${f.column}`;
}

/**
 * For --managed-by: the *.j2 templates under those directories, and each running compose project's
 * compose files (the ones read above, inside its working directory).
 */
async function readManaged(
  deps: AuditDeps,
  request: AuditRequest,
  dirs: readonly string[],
  liveByFile: ReadonlyMap<string, readonly ContainerFacts[]>,
  liveTexts: ReadonlyMap<string, { path: string; text: string }>,
): Promise<NonNullable<LiveContext['managed']>> {
  const templates: Array<{ path: string; text: string }> = [];
  for (const dir of dirs) {
    const at = resolve(deps.cwd, dir);
    if ((await deps.files.kind(at)) !== 'directory') throw new UsageError(`--managed-by ${dir}: not a directory`);
    for (const f of (await deps.files.discover(at)).files) {
      if (!/\.j2$/i.test(f)) continue;
      const real = await deps.files.realpath(f);
      if (!real.ok) continue;
      const read = await deps.files.read(real.real, request.maxFileBytes === undefined ? {} : { maxBytes: request.maxFileBytes });
      if (read.ok) templates.push({ path: f, text: read.text });
    }
  }
  const projects = new Map<string, Array<{ path: string; text: string }>>();
  for (const [real, containers] of liveByFile) {
    const text = liveTexts.get(real);
    for (const c of containers) {
      if (c.compose === null || c.compose.oneOff || c.state !== 'running') continue;
      const list = projects.get(c.compose.project) ?? [];
      if (text !== undefined && !list.some((x) => x.path === text.path)) list.push(text);
      projects.set(c.compose.project, list);
    }
  }
  return { dirs: [...dirs], templates, projects };
}
