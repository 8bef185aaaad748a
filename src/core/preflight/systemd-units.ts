/**
 * Systemd unit files, and which units a restart or stop reaches through their dependencies.
 *
 * Syntax (systemd.syntax(7)): `[Section]` headers, `Key=Value` lines, `#` and `;` comments, a
 * trailing backslash continues a line. A key may repeat: list settings (After=, Wants=, ...)
 * accumulate, and an empty assignment (`After=`) empties the list so far. Drop-ins
 * (`NAME.d/*.conf`) are read after the unit file, in the order given (systemd sorts them by file
 * name across directories), and follow the same rules: they append to lists, and a later value of a
 * single setting (Restart=) wins. The reader of the files decides which unit file is in force
 * (/etc over /run over /lib).
 *
 * Propagation (systemd.unit(5)): when a unit is restarted, systemd try-restarts the units that have
 * `Requires=`, `BindsTo=` or `PartOf=` on it; when it is stopped, it stops them. `Wants=`
 * propagates nothing, so a containerd restart does not restart a docker.service that only has
 * `Wants=containerd.service`.
 */

/** One `Key=Value` assignment, where it was written. */
export interface UnitSetting {
  section: string;
  key: string;
  value: string;
  /** Which file (as named by the caller) and line. */
  file: string;
  line: number;
}

/** A line of a unit file that could not be read. */
export interface UnitProblem {
  file: string;
  line: number;
  text: string;
  message: string;
}

/** A unit with its file and drop-ins applied. */
export interface UnitDefinition {
  name: string;
  /** Values of each setting after resets, keyed `Section.Key` (`Unit.After`, `Service.Restart`). */
  settings: Record<string, string[]>;
  /** Unit names from `[Unit]` dependency settings. */
  requires: string[];
  requisite: string[];
  wants: string[];
  bindsTo: string[];
  partOf: string[];
  after: string[];
  before: string[];
  problems: UnitProblem[];
}

/** A unit's text, and the drop-ins that apply to it in the order systemd reads them. */
export interface UnitSource {
  name: string;
  /** The unit file, or null when only drop-ins exist. */
  main: { file: string; text: string } | null;
  dropIns: Array<{ file: string; text: string }>;
}

/** The dependencies that carry a restart or a stop to the unit that declares them. */
export type PropagatingDependency = 'Requires' | 'BindsTo' | 'PartOf';

/** A unit that is restarted or stopped, and why. */
export interface UnitChange {
  unit: string;
  action: 'restart' | 'try-restart' | 'stop';
  /** null for a unit changed directly (by a maintainer script); else the unit it depends on, and how. */
  cause: { unit: string; dependency: PropagatingDependency } | null;
}

/** Reads the assignments of one file; never throws. */
export function parseUnitFile(text: string, file: string): { settings: UnitSetting[]; problems: UnitProblem[] } {
  const settings: UnitSetting[] = [];
  const problems: UnitProblem[] = [];
  const lines = text.split('\n');
  let section: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = lines[i]!.replace(/\r$/, '').trim();
      if (next.startsWith('#') || next.startsWith(';')) continue;
      line = `${line.slice(0, -1)} ${next}`;
    }
    if (line.endsWith('\\')) line = line.slice(0, -1);
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header !== null) {
      section = header[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) {
      problems.push({ file, line: start + 1, text: lines[start]!, message: 'expected "Key=Value" or "[Section]"' });
      continue;
    }
    if (section === null) {
      problems.push({ file, line: start + 1, text: lines[start]!, message: 'assignment outside of any [Section]' });
      continue;
    }
    settings.push({ section, key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim(), file, line: start + 1 });
  }
  return { settings, problems };
}

/** Applies a unit file and its drop-ins in order. */
export function resolveUnit(source: UnitSource): UnitDefinition {
  const files = [...(source.main === null ? [] : [source.main]), ...source.dropIns];
  const settings: Record<string, string[]> = {};
  const problems: UnitProblem[] = [];
  for (const f of files) {
    const parsed = parseUnitFile(f.text, f.file);
    problems.push(...parsed.problems);
    for (const s of parsed.settings) {
      const key = `${s.section}.${s.key}`;
      settings[key] = s.value === '' ? [] : [...(settings[key] ?? []), s.value];
    }
  }
  const names = (key: string): string[] => [...new Set((settings[`Unit.${key}`] ?? []).flatMap((v) => v.split(/\s+/)).filter((v) => v !== ''))];
  return {
    name: source.name,
    settings,
    requires: names('Requires'),
    requisite: names('Requisite'),
    wants: names('Wants'),
    bindsTo: names('BindsTo'),
    partOf: names('PartOf'),
    after: names('After'),
    before: names('Before'),
    problems,
  };
}

/** The last value of a single-valued setting (`Service.Restart`), or null when unset. */
export function lastSetting(unit: UnitDefinition, key: string): string | null {
  const values = unit.settings[key];
  return values === undefined || values.length === 0 ? null : values[values.length - 1]!;
}

/**
 * Everything that is restarted or stopped when `changes` happen, transitively: the changes
 * themselves first, then each unit reached through Requires=, BindsTo= or PartOf= (once, by its
 * first cause). A restart reaches dependents as a try-restart (they restart only if running); a stop
 * as a stop. Starts, reloads and re-executions reach no one and are not accepted here.
 */
export function propagateRestarts(
  changes: ReadonlyArray<{ unit: string; action: 'restart' | 'try-restart' | 'stop' }>,
  units: ReadonlyMap<string, UnitDefinition>,
): UnitChange[] {
  const dependents = new Map<string, Array<{ unit: string; dependency: PropagatingDependency }>>();
  const add = (on: string, unit: string, dependency: PropagatingDependency): void => {
    const list = dependents.get(on) ?? [];
    if (!list.some((d) => d.unit === unit)) list.push({ unit, dependency });
    dependents.set(on, list);
  };
  for (const u of units.values()) {
    for (const on of u.bindsTo) add(on, u.name, 'BindsTo');
    for (const on of u.requires) add(on, u.name, 'Requires');
    for (const on of u.partOf) add(on, u.name, 'PartOf');
  }

  const result: UnitChange[] = [];
  const seen = new Set<string>();
  const queue: UnitChange[] = [];
  for (const c of changes) {
    if (seen.has(c.unit)) continue;
    seen.add(c.unit);
    queue.push({ unit: c.unit, action: c.action, cause: null });
  }
  while (queue.length > 0) {
    const change = queue.shift()!;
    result.push(change);
    for (const d of dependents.get(change.unit) ?? []) {
      if (seen.has(d.unit)) continue;
      seen.add(d.unit);
      queue.push({ unit: d.unit, action: change.action === 'stop' ? 'stop' : 'try-restart', cause: { unit: change.unit, dependency: d.dependency } });
    }
  }
  return result;
}
