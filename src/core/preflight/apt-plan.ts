/**
 * What apt is about to do, read from the two places apt tells it:
 *  - `LC_ALL=C apt-get -s dist-upgrade` (or `upgrade`, `install ...`): lines
 *    `Inst NAME [OLD] (NEW ORIGIN[, ORIGIN] [ARCH])`, `Conf NAME (NEW ORIGIN [ARCH])`,
 *    `Remv NAME [OLD]` / `Purg NAME [OLD]`, in the order dpkg will run them. A trailing
 *    ` [...]` after an Inst/Remv/Conf line lists packages still broken at that step and is ignored;
 *  - the `DPkg::Pre-Install-Pkgs` hook's protocol, version 3 (apt.conf(5)): `VERSION 3`, the
 *    configuration as `key=value` lines (%-encoded; `key::=value` for list items), a blank line,
 *    then one line per dpkg action:
 *    `NAME OLDVER OLDARCH OLDMULTI DIR NEWVER NEWARCH NEWMULTI ACTION` with `-` for no version (and
 *    no arch), DIR one of `<` `>` `=`, and ACTION a .deb path (unpack), `**CONFIGURE**` or
 *    `**REMOVE**` (also for a purge). Version 2 is the same without the arch and multi-arch fields.
 *
 * Parsing never throws: a line that cannot be read is reported with its line number and skipped.
 * A caller must treat any problem as "the plan is not fully known" (preflight's verdict becomes
 * `unknown`), never as "that line did nothing": apt's own summary line (`N upgraded, N newly
 * installed, ...`) is checked against the lines read, and a text with no package line and no summary
 * line is a problem, not an empty upgrade.
 */
import { compareDebianVersions, parseDebianVersion } from './debian-version.js';

/**
 * What happens to one package. `configure`: apt only configures it (it was left unpacked, e.g. by
 * an interrupted upgrade); its postinst still runs.
 */
export type PlanAction = 'install' | 'upgrade' | 'downgrade' | 'reinstall' | 'remove' | 'configure';

/** One package of the plan. */
export interface PlannedPackage {
  /** Package name without an architecture qualifier. */
  name: string;
  /** Architecture (`amd64`, `all`), or null when the source does not say (a Remv line of a native package). */
  arch: string | null;
  /** Installed version, null for a new install (or unknown: a Conf line with no Inst line). */
  oldVersion: string | null;
  /** Version after the action, null for a removal. */
  newVersion: string | null;
  /** Where the new version comes from (`Debian:12.15/oldstable`); empty when the source does not say. */
  origins: string[];
  action: PlanAction;
  /** The .deb dpkg will unpack (hook protocol only), else null. */
  debPath: string | null;
  /** Line of the first line that named this package (1-based). */
  line: number;
}

/** A line that could not be read. */
export interface PlanProblem {
  line: number;
  text: string;
  message: string;
}

/** The packages of a plan, in the order apt first names them, and the lines that could not be read. */
export interface AptPlan {
  packages: PlannedPackage[];
  problems: PlanProblem[];
}

/** apt-get's last line: `N upgraded, N newly installed, [N reinstalled, ][N downgraded, ]N to remove and N not upgraded.` */
export interface AptSummaryLine {
  line: number;
  upgraded: number;
  newlyInstalled: number;
  reinstalled: number;
  downgraded: number;
  toRemove: number;
  notUpgraded: number;
}

/** The largest plan text preflight reads (a 2000-package plan is about 300 kB). */
export const MAX_PLAN_BYTES = 16 * 1024 * 1024;

/**
 * Decodes a plan's bytes as UTF-8 (apt-get with LC_ALL=C writes ASCII). A line that is not valid
 * UTF-8 is a problem and is blanked (line numbers stay), so that it is never half-read.
 */
export function decodePlanBytes(bytes: Uint8Array): { text: string; problems: PlanProblem[] } {
  const strict = new TextDecoder('utf-8', { fatal: true });
  const lenient = new TextDecoder('utf-8');
  try {
    return { text: strict.decode(bytes), problems: [] };
  } catch {
    /* find the lines below */
  }
  const lines: string[] = [];
  const problems: PlanProblem[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    const chunk = bytes.subarray(start, i);
    try {
      lines.push(strict.decode(chunk));
    } catch {
      const text = lenient.decode(chunk);
      problems.push({ line: lines.length + 1, text, message: 'not valid UTF-8 (apt-get writes ASCII with LC_ALL=C): the line was not read' });
      lines.push('');
    }
    start = i + 1;
  }
  return { text: lines.join('\n'), problems };
}

/** The hook's input: a plan plus apt's configuration and the protocol version. */
export interface PreInstallPkgs extends AptPlan {
  protocolVersion: 2 | 3;
  /** apt's configuration, decoded; a list option (`key::=value`) keeps every value in order. */
  config: Record<string, string[]>;
}

const INST = /^Inst (\S+)(?: \[([^\]\s]+)\])? \((\S+)(?: (.*?))? \[([^\]\s]+)\]\)(?: \[.*\])?\s*$/;
const CONF = /^Conf (\S+) \((\S+)(?: (.*?))? \[([^\]\s]+)\]\)(?: \[.*\])?\s*$/;
const REMV = /^(?:Remv|Purg) (\S+)(?: \[([^\]\s]+)\])?(?: \[.*\])?\s*$/;
const SUMMARY = /^(\d+) upgraded, (\d+) newly installed, (?:(\d+) reinstalled, )?(?:(\d+) downgraded, )?(\d+) to remove and (\d+) not upgraded\.\s*$/;

/**
 * Parses the output of `apt-get -s` (any command: upgrade, dist-upgrade, install, remove). The
 * summary line, when present, is checked against the lines read (a cut or edited plan is a problem).
 */
export function parseAptSimulation(text: string): AptPlan & { summary: AptSummaryLine | null } {
  const builder = new PlanBuilder();
  const lines = text.split('\n');
  let summary: AptSummaryLine | null = null;
  let packageLines = 0;
  let unpacks = 0;
  let removals = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const no = i + 1;
    const sm = SUMMARY.exec(raw);
    if (sm !== null) {
      const n = (k: number) => (sm[k] === undefined ? 0 : Number(sm[k]));
      summary = { line: no, upgraded: n(1), newlyInstalled: n(2), reinstalled: n(3), downgraded: n(4), toRemove: n(5), notUpgraded: n(6) };
      continue;
    }
    if (/^(Inst|Remv|Purg)(\s|$)/.test(raw)) {
      packageLines++;
      if (raw.startsWith('Inst')) unpacks++;
      else removals++;
    } else if (/^Conf(\s|$)/.test(raw)) packageLines++;
    if (raw.startsWith('E: ')) {
      builder.problem(no, raw, 'apt reported an error: the plan may be incomplete');
      continue;
    }
    const word = /^(Inst|Conf|Remv|Purg)(?:\s|$)/.exec(raw)?.[1];
    if (word === 'Inst') {
      const m = INST.exec(raw);
      if (m === null) builder.problem(no, raw, 'unreadable Inst line: expected "Inst NAME [OLD] (NEW ORIGINS [ARCH])"');
      else {
        builder.unpack(no, raw, {
          qualified: m[1]!,
          oldVersion: m[2] ?? null,
          newVersion: m[3]!,
          origins: splitOrigins(m[4]),
          arch: m[5]!,
          debPath: null,
        });
      }
    } else if (word === 'Conf') {
      const m = CONF.exec(raw);
      if (m === null) {
        const message = /^Conf \S+ broken/.test(raw)
          ? 'apt simulated a configure with broken dependencies: the real run would fail here'
          : 'unreadable Conf line: expected "Conf NAME (NEW ORIGINS [ARCH])"';
        builder.problem(no, raw, message);
      } else {
        builder.configure(no, raw, {
          qualified: m[1]!,
          oldVersion: null,
          newVersion: m[2]!,
          origins: splitOrigins(m[3]),
          arch: m[4]!,
          debPath: null,
        });
      }
    } else if (word === 'Remv' || word === 'Purg') {
      const m = REMV.exec(raw);
      if (m === null) builder.problem(no, raw, 'unreadable Remv/Purg line: expected "Remv NAME [OLD]"');
      else builder.remove(no, m[1]!, null, m[2] ?? null);
    }
  }
  if (summary !== null) {
    const expected = summary.upgraded + summary.newlyInstalled + summary.reinstalled + summary.downgraded;
    if (expected !== unpacks || summary.toRemove !== removals) {
      builder.problem(
        summary.line,
        lines[summary.line - 1]!,
        `apt's summary counts ${expected} to unpack and ${summary.toRemove} to remove, but the plan has ${unpacks} Inst and ${removals} Remv/Purg lines: it is incomplete or edited`,
      );
    }
  } else if (packageLines === 0 && !builder.hasProblems()) {
    builder.problem(
      1,
      lines[0] ?? '',
      text.trim() === ''
        ? 'the plan is empty: apt-get -s always ends with a summary line ("0 upgraded, 0 newly installed, ...")'
        : 'no package line and no apt summary line ("N upgraded, N newly installed, ..."): not the output of apt-get -s',
    );
  }
  return { ...builder.result(), summary };
}

/** Parses what apt writes to a `DPkg::Pre-Install-Pkgs` command configured for protocol version 3 (or 2). */
export function parsePreInstallPkgsV3(text: string): PreInstallPkgs {
  const builder = new PlanBuilder();
  const config: Record<string, string[]> = {};
  const lines = text.split('\n');
  const header = (lines[0] ?? '').trim();
  const protocolVersion = header === 'VERSION 2' ? 2 : 3;
  if (header !== 'VERSION 3' && header !== 'VERSION 2') {
    builder.problem(1, lines[0] ?? '', 'expected "VERSION 3" on the first line: set DPkg::Tools::Options::CMD::Version "3"');
    return { ...builder.result(), protocolVersion, config };
  }
  const fieldCount = protocolVersion === 3 ? 9 : 5;
  let inConfig = true;
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const no = i + 1;
    if (inConfig) {
      if (raw === '') inConfig = false;
      else readConfigLine(raw, no, config, builder);
      continue;
    }
    if (raw === '') continue;
    const fields = raw.split(' ');
    if (fields.length < fieldCount) {
      builder.problem(no, raw, `expected ${fieldCount} fields (protocol version ${protocolVersion}), found ${fields.length}`);
      continue;
    }
    const action = fields.slice(fieldCount - 1).join(' ');
    const [name, oldVer, oldArch, , dir, newVer, newArch] =
      protocolVersion === 3
        ? (fields as [string, string, string, string, string, string, string])
        : [fields[0]!, fields[1]!, '-', 'none', fields[2]!, fields[3]!, '-'];
    if (dir !== '<' && dir !== '>' && dir !== '=') {
      builder.problem(no, raw, `unknown direction "${dir}": expected <, > or =`);
      continue;
    }
    const oldVersion = oldVer === '-' ? null : oldVer;
    const newVersion = newVer === '-' ? null : newVer;
    const arch = newArch !== '-' ? newArch : oldArch !== '-' ? oldArch : null;
    if (action === '**REMOVE**') builder.remove(no, name, arch, oldVersion);
    else if (newVersion === null) builder.problem(no, raw, `"${action}" without a new version`);
    else {
      const pkg = { qualified: name, arch, oldVersion, newVersion, origins: [], debPath: action === '**CONFIGURE**' ? null : action };
      if (action === '**CONFIGURE**') builder.configure(no, raw, pkg);
      else builder.unpack(no, raw, pkg);
    }
  }
  return { ...builder.result(), protocolVersion, config };
}

interface PackageLine {
  /** Name, possibly `name:arch`. */
  qualified: string;
  arch: string | null;
  oldVersion: string | null;
  newVersion: string;
  origins: string[];
  debPath: string | null;
}

/** Collects packages by name and architecture, merging the unpack and configure steps of each. */
class PlanBuilder {
  private readonly byKey = new Map<string, PlannedPackage>();
  private readonly problems: PlanProblem[] = [];

  problem(line: number, text: string, message: string): void {
    this.problems.push({ line, text, message });
  }

  hasProblems(): boolean {
    return this.problems.length > 0;
  }

  unpack(line: number, text: string, p: PackageLine): void {
    const { name, arch } = splitQualified(p.qualified, p.arch);
    const action = actionFor(p.oldVersion, p.newVersion);
    if (action === null) {
      this.problem(line, text, 'unreadable version: dpkg would refuse it');
      return;
    }
    const existing = this.byKey.get(key(name, arch));
    if (existing !== undefined) {
      this.problem(line, text, `${name} is unpacked twice (first on line ${existing.line}); the first is kept`);
      return;
    }
    this.byKey.set(key(name, arch), {
      name,
      arch,
      oldVersion: p.oldVersion,
      newVersion: p.newVersion,
      origins: p.origins,
      action,
      debPath: p.debPath,
      line,
    });
  }

  configure(line: number, text: string, p: PackageLine): void {
    const { name, arch } = splitQualified(p.qualified, p.arch);
    const existing = this.byKey.get(key(name, arch));
    if (existing !== undefined) {
      if (existing.newVersion !== p.newVersion) {
        this.problem(line, text, `configures ${name} ${p.newVersion}, but line ${existing.line} unpacks ${existing.newVersion}`);
      }
      return;
    }
    if (parseDebianVersion(p.newVersion).ok === false) {
      this.problem(line, text, 'unreadable version: dpkg would refuse it');
      return;
    }
    const action: PlanAction = p.oldVersion === null ? 'configure' : (actionFor(p.oldVersion, p.newVersion) ?? 'configure');
    this.byKey.set(key(name, arch), { name, arch, oldVersion: p.oldVersion, newVersion: p.newVersion, origins: p.origins, action, debPath: null, line });
  }

  remove(line: number, qualified: string, archHint: string | null, oldVersion: string | null): void {
    const { name, arch } = splitQualified(qualified, archHint);
    if (!this.byKey.has(key(name, arch))) {
      this.byKey.set(key(name, arch), { name, arch, oldVersion, newVersion: null, origins: [], action: 'remove', debPath: null, line });
    }
  }

  result(): AptPlan {
    return { packages: [...this.byKey.values()], problems: this.problems };
  }
}

function key(name: string, arch: string | null): string {
  return arch === null || arch === 'all' ? name : `${name}:${arch}`;
}

/** `libc6:i386` -> name libc6, arch i386; an explicit arch wins over the qualifier. */
function splitQualified(qualified: string, arch: string | null): { name: string; arch: string | null } {
  const colon = qualified.indexOf(':');
  if (colon === -1) return { name: qualified, arch };
  return { name: qualified.slice(0, colon), arch: arch ?? qualified.slice(colon + 1) };
}

function splitOrigins(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
}

/** install / upgrade / downgrade / reinstall by dpkg's order, or null when a version is unreadable. */
function actionFor(oldVersion: string | null, newVersion: string): PlanAction | null {
  if (!parseDebianVersion(newVersion).ok) return null;
  if (oldVersion === null) return 'install';
  if (!parseDebianVersion(oldVersion).ok) return null;
  const c = compareDebianVersions(oldVersion, newVersion);
  return c < 0 ? 'upgrade' : c > 0 ? 'downgrade' : 'reinstall';
}

function readConfigLine(raw: string, line: number, config: Record<string, string[]>, builder: PlanBuilder): void {
  const eq = raw.indexOf('=');
  if (eq <= 0) {
    builder.problem(line, raw, 'configuration line without "key=value"');
    return;
  }
  let name = percentDecode(raw.slice(0, eq));
  if (name.endsWith('::')) name = name.slice(0, -2);
  (config[name] ??= []).push(percentDecode(raw.slice(eq + 1)));
}

/** apt's %XX encoding (of UTF-8 bytes); a sequence that is not valid UTF-8 is kept as it is. */
function percentDecode(s: string): string {
  return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}
