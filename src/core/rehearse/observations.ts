/**
 * What a rehearsal saw, read from the raw record (the recorders' log, apt's and dpkg's output, the
 * files the upgrade left), and the prediction beside it: each of preflight's (unit, action) lines
 * marked confirmed / wrong, each observed one preflight did not name marked missed. Pure.
 */
import type { PackageLine } from '../preflight/preflight-report.js';
import type { ServiceAction } from '../preflight/maintainer-scripts.js';

/** One call a recorder saw (policy-rc.d, systemctl, deb-systemd-invoke, invoke-rc.d, update-grub...). */
export interface RecordedCall {
  tool: string;
  /** The maintainer script's package and script name (dpkg's environment), or null outside one. */
  package: string | null;
  script: string | null;
  args: string;
}

/** A service action the upgrade asked for (and the rehearsal refused). */
export interface ServiceRequest {
  unit: string;
  /** As asked: `restart`, `try-restart`, `start`, `stop`, `reload`, `force-reload`... */
  action: string;
  package: string | null;
  script: string | null;
  /** policy-rc.d (asked by deb-systemd-invoke or invoke-rc.d) or systemctl (called directly). */
  via: 'policy-rc.d' | 'systemctl';
}

export interface ScriptFailure {
  package: string;
  /** `postinst`, `preinst`, `prerm`, `postrm`, or null when dpkg did not say which. */
  script: string | null;
  exitCode: number | null;
  /** dpkg's error line(s). */
  message: string;
  /** The output just before the failure (the script's own last lines among them). */
  lastLines: string[];
}

export interface ConffilePrompt {
  path: string;
  /** What the non-interactive policy (--force-confdef --force-confold) did. */
  answer: string;
  /** The diff between the file kept and the package's version (set aside as .dpkg-dist), when there is one. */
  diff: string | null;
}

/** The recorders' log: one tab-separated line per call. */
export function parseCalls(text: string): RecordedCall[] {
  const out: RecordedCall[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [tool, pkg, script, ...rest] = line.split('\t');
    if (tool === undefined || tool === '') continue;
    out.push({
      tool,
      package: pkg === undefined || pkg === '' ? null : pkg,
      script: script === undefined || script === '' ? null : script,
      args: rest.join('\t').trim(),
    });
  }
  return out;
}

const SYSTEMCTL_ACTIONS = new Set([
  'start',
  'stop',
  'restart',
  'try-restart',
  'reload',
  'reload-or-restart',
  'try-reload-or-restart',
  'condrestart',
  'force-reload',
  'kill',
]);

/** The service actions among the calls: what policy-rc.d was asked (and refused), and systemctl's direct verbs. */
export function serviceRequests(calls: readonly RecordedCall[]): ServiceRequest[] {
  const out: ServiceRequest[] = [];
  for (const c of calls) {
    const words = c.args.split(/\s+/).filter((w) => w !== '');
    if (c.tool === 'policy-rc.d') {
      // policy-rc.d [options] <initscript ID> <actions> [<runlevel>]
      const plain = words.filter((w) => !w.startsWith('-'));
      if (plain.length >= 2) out.push({ unit: plain[0]!, action: plain[1]!, package: c.package, script: c.script, via: 'policy-rc.d' });
    } else if (c.tool === 'systemctl') {
      const plain = words.filter((w) => !w.startsWith('-'));
      const verb = plain[0];
      if (verb !== undefined && SYSTEMCTL_ACTIONS.has(verb))
        for (const unit of plain.slice(1)) out.push({ unit, action: verb, package: c.package, script: c.script, via: 'systemctl' });
    }
  }
  return out;
}

const SCRIPT_NAMES: Record<string, string> = {
  'post-installation': 'postinst',
  'pre-installation': 'preinst',
  'pre-removal': 'prerm',
  'post-removal': 'postrm',
};

/** dpkg's "error processing package" blocks in apt's output. */
export function scriptFailures(output: readonly string[], keepLines = 10): ScriptFailure[] {
  const out: ScriptFailure[] = [];
  for (let i = 0; i < output.length; i++) {
    const m = /^dpkg: error processing (?:package|archive) (\S+?)(?::\S+)? \((--[a-z-]+)\):\s*$/.exec(output[i]!);
    if (m === null) continue;
    const name = m[1]!.replace(/^.*\//, '').replace(/_.*$/, '');
    const detail = output[i + 1] ?? '';
    const s = /(pre|post)-(installation|removal) script subprocess returned error exit status (\d+)/.exec(detail);
    // The lines before: back to the step that began this package (Setting up / Unpacking / Preparing).
    const before: string[] = [];
    for (let j = i - 1; j >= 0 && before.length < keepLines; j--) {
      const l = output[j]!;
      before.unshift(l);
      if (new RegExp(`^(Setting up|Unpacking|Preparing to unpack|Removing) .*\\b${name.replace(/[.+]/g, '\\$&')}\\b`).test(l)) break;
    }
    out.push({
      package: name,
      script: s === null ? null : SCRIPT_NAMES[`${s[1]}-${s[2]}`]!,
      exitCode: s === null ? null : Number(s[3]),
      message: `${output[i]!.trim()} ${detail.trim()}`.trim(),
      lastLines: before,
    });
  }
  return out;
}

/** "Processing triggers for man-db (2.11.2-2) ..." lines: the packages whose triggers ran. */
export function triggersRun(output: readonly string[]): string[] {
  const out: string[] = [];
  for (const l of output) {
    const m = /^Processing triggers for (\S+) \(([^)]*)\)/.exec(l);
    if (m !== null && !out.includes(m[1]!)) out.push(m[1]!);
  }
  return out;
}

/**
 * dpkg's conffile questions, answered by the policy: "Configuration file '/etc/x'" followed by
 * " ==> ..." lines (the last says what was done), with the diff the sandbox took.
 */
export function conffilePrompts(output: readonly string[], diffs: ReadonlyArray<{ path: string; diff: string }>): ConffilePrompt[] {
  const out: ConffilePrompt[] = [];
  for (let i = 0; i < output.length; i++) {
    const m = /^Configuration file '(.+)'\s*$/.exec(output[i]!);
    if (m === null) continue;
    const notes: string[] = [];
    for (let j = i + 1; j < output.length && /^\s*==>/.test(output[j]!); j++) notes.push(output[j]!.replace(/^\s*==>\s*/, '').trim());
    const path = m[1]!;
    const d = diffs.find((x) => x.path.replace(/\.(dpkg-dist|dpkg-new|ucf-dist|dpkg-old|ucf-old)$/, '') === path);
    out.push({ path, answer: notes.at(-1) ?? 'no answer printed', diff: d?.diff ?? null });
  }
  // Set aside without dpkg's message (ucf's own prompts): listed from the files.
  for (const d of diffs) {
    const path = d.path.replace(/\.(dpkg-dist|dpkg-new|ucf-dist|dpkg-old|ucf-old)$/, '');
    if (!out.some((p) => p.path === path)) out.push({ path, answer: `the other version was set aside as ${d.path}`, diff: d.diff });
  }
  return out;
}

/** The predicted (unit, action) pairs of preflight's package lines (their `actions`). */
export function predictedActions(packages: readonly PackageLine[]): Array<{ package: string; unit: string; action: ServiceAction; assumed: boolean }> {
  return packages.flatMap((p) => p.actions.map((a) => ({ package: p.name, unit: a.unit, action: a.action, assumed: a.assumed })));
}

/** An action as preflight names it (force-reload and condrestart are restarts of a kind). */
export function normalAction(action: string): ServiceAction | null {
  switch (action) {
    case 'restart':
    case 'reload-or-restart':
      return 'restart';
    case 'try-restart':
    case 'condrestart':
    case 'try-reload-or-restart':
    case 'force-reload':
      return 'try-restart';
    case 'start':
      return 'start';
    case 'stop':
      return 'stop';
    case 'reload':
      return 'reload';
    default:
      return null;
  }
}

const bare = (unit: string) => unit.replace(/\.service$/, '');

export interface ComparedLine {
  package: string;
  unit: string;
  predicted: string | null;
  observed: string | null;
  /** confirmed: both; missed: observed, not predicted; wrong: predicted, not observed (or another action). */
  mark: 'confirmed' | 'missed' | 'wrong';
}

/** preflight's prediction beside what was observed, per package and unit. */
export function compareWithPrediction(packages: readonly PackageLine[], observed: readonly ServiceRequest[]): ComparedLine[] {
  const predicted = predictedActions(packages);
  const out: ComparedLine[] = [];
  const used = new Set<number>();
  for (const p of predicted) {
    const i = observed.findIndex((o, k) => !used.has(k) && bare(o.unit) === bare(p.unit) && (o.package === null || o.package === p.package));
    if (i < 0) {
      out.push({ package: p.package, unit: p.unit, predicted: p.action, observed: null, mark: 'wrong' });
      continue;
    }
    used.add(i);
    const o = observed[i]!;
    const same = normalAction(o.action) === p.action || (p.action === 'try-restart' && normalAction(o.action) === 'restart');
    out.push({ package: p.package, unit: p.unit, predicted: p.action, observed: o.action, mark: same ? 'confirmed' : 'wrong' });
  }
  observed.forEach((o, k) => {
    if (!used.has(k)) out.push({ package: o.package ?? '(no package)', unit: o.unit, predicted: null, observed: o.action, mark: 'missed' });
  });
  return out;
}
