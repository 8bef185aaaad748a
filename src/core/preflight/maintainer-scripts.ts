/**
 * What a package's maintainer scripts do to services, read from their text (never run).
 *
 * dpkg calls, for an upgrade from OLD to NEW (Debian Policy 6.6):
 *   old prerm `upgrade NEW`, new preinst `upgrade OLD`, (unpack), old postrm `upgrade NEW`,
 *   new postinst `configure OLD`;
 * for an install: preinst `install`, postinst `configure` (no $2); for a removal: prerm `remove`,
 * postrm `remove` (and `purge`); and postinst `triggered TRIGGERS` when a trigger fires.
 *
 * Recognised, wherever they are (debhelper blocks, hand-written code, shell functions that wrap them):
 *   deb-systemd-invoke ACTION UNIT...      (dh_installsystemd: restart, try-restart, start, stop)
 *   systemctl ACTION UNIT... | daemon-reexec
 *   invoke-rc.d [options] NAME ACTION       (with --skip-systemd-native: nothing on a systemd host)
 *   service NAME ACTION
 * The conditions around a command decide when it runs: `[ "$1" = configure ]`, `case "$1" in`,
 * `[ -n "$2" ]` (an upgrade: postinst gets the old version as $2), `dpkg --compare-versions "$2" lt X`
 * (kept as a version guard), and variables such as debhelper's `_dh_action`, which is `restart`
 * when `$2` is set and `start` when it is not. Checks of the machine (is-active, file tests) are
 * kept verbatim as runtime conditions; the always-true ones on a systemd host
 * (`[ -d /run/systemd/system ]`, `[ -z "${DPKG_ROOT:-}" ]`) are dropped.
 */
import { compareDebianVersions, parseDebianVersion } from './debian-version.js';
import { parseShellScript, type ShellNode, type SimpleCommand, type Word } from './shell-script.js';

export type ScriptKind = 'preinst' | 'postinst' | 'prerm' | 'postrm';

/**
 * What happens to the unit. `force-reload` and `reload-or-restart` are reported as `reload` with
 * their `verb`: systemd restarts a unit without ExecReload= instead.
 */
export type ServiceAction = 'restart' | 'try-restart' | 'start' | 'stop' | 'reload' | 'reexec';

/**
 * When the script does it: during an `upgrade` of the package, a first `install`, a `remove`,
 * `always` (any of these), or only when one of its dpkg `triggered` fires.
 */
export type EffectWhen = 'upgrade' | 'install' | 'always' | 'remove' | 'triggered';

/** Relations of `dpkg --compare-versions` (the `-nl` ones treat an empty version as the newest). */
export type DpkgRelation = 'lt' | 'le' | 'eq' | 'ne' | 'ge' | 'gt' | 'lt-nl' | 'le-nl' | 'ge-nl' | 'gt-nl';

/**
 * `dpkg --compare-versions "$2" RELATION VERSION`: in preinst and postinst $2 is the old version,
 * in prerm and postrm the new one.
 */
export interface VersionGuard {
  relation: DpkgRelation;
  version: string;
}

/** One thing the script does to one unit. */
export interface ServiceEffect {
  /** Systemd unit name: `docker.service`; `init.scope` (PID 1) for daemon-reexec. */
  unit: string;
  action: ServiceAction;
  /** The verb as written (`force-reload`, `condrestart`, `restart`). */
  verb: string;
  when: EffectWhen;
  /** The effect happens only when every guard holds (see {@link guardHolds}). */
  versionGuards: VersionGuard[];
  /** Machine checks the script makes first, verbatim (`! _systemctl -q is-active binfmt-support.service`). */
  runtimeConditions: string[];
  /** The debhelper command whose block holds the line (`dh_installsystemd/13.11.4`), or null when hand-written. */
  generatedBy: string | null;
  /** The line that names the unit (or the action, when the unit comes from a variable). */
  evidence: { line: number; text: string };
  /**
   * Set when the script names no unit (it is computed at run time, e.g. a loop over the package's
   * files) and the unit was taken from the unit files the package ships (see {@link effectsOfUpgrade}).
   */
  unitFrom?: 'shipped-units';
}

/** A service action on a unit the script computes at run time (`deb-systemd-invoke restart "$unit"`). */
export type UnresolvedEffect = Omit<ServiceEffect, 'unit' | 'unitFrom'>;

/** A service command the analyser saw and did not turn into an effect, and why. */
export interface ScriptNote {
  line: number;
  text: string;
  reason: string;
}

/** A `# Automatically added by dh_...` ... `# End automatically added section` block. */
export interface DebhelperBlock {
  generatedBy: string;
  startLine: number;
  endLine: number;
}

/** Everything read from one script. */
export interface ScriptAnalysis {
  kind: ScriptKind;
  effects: ServiceEffect[];
  /**
   * Actions whose unit is computed at run time (also listed in `notes`): effectsOfUpgrade can map
   * them to the units the package ships.
   */
  unresolved: UnresolvedEffect[];
  /** Commands that touch services in ways not modelled: a unit from a computed list, user units, sysvinit-only calls. */
  notes: ScriptNote[];
  debhelperBlocks: DebhelperBlock[];
  /** Shell the parser could not follow (the commands there are not analysed). */
  problems: Array<{ line: number; message: string }>;
}

/** Reads one maintainer script. Never throws. */
export function analyseMaintainerScript(kind: ScriptKind, text: string): ScriptAnalysis {
  const lines = text.split('\n');
  const debhelperBlocks = findDebhelperBlocks(lines);
  const script = parseShellScript(text);
  const analyser = new Analyser(kind, lines, debhelperBlocks);
  analyser.collectFunctions(script.body);
  analyser.run(script.body, EMPTY_CONTEXT);
  return { kind, effects: analyser.effects, unresolved: analyser.unresolved, notes: analyser.notes, debhelperBlocks, problems: script.problems };
}

/** Does `dpkg --compare-versions VALUE RELATION VERSION` succeed? VALUE '' is "no version". */
export function guardHolds(guard: VersionGuard, value: string): boolean {
  const noneIsNewest = guard.relation.endsWith('-nl');
  let c: number;
  if (value === '') c = noneIsNewest ? 1 : -1;
  else if (!parseDebianVersion(value).ok || !parseDebianVersion(guard.version).ok) return false;
  else c = compareDebianVersions(value, guard.version);
  switch (guard.relation.replace('-nl', '')) {
    case 'lt':
      return c < 0;
    case 'le':
      return c <= 0;
    case 'eq':
      return c === 0;
    case 'ne':
      return c !== 0;
    case 'ge':
      return c >= 0;
    default:
      return c > 0;
  }
}

/** The scripts that run during an upgrade: the old package's prerm and postrm, the new one's preinst and postinst. */
export interface UpgradeScripts {
  oldPrerm: ScriptAnalysis | null;
  newPreinst: ScriptAnalysis | null;
  oldPostrm: ScriptAnalysis | null;
  newPostinst: ScriptAnalysis | null;
}

/**
 * The effects an upgrade from `oldVersion` to `newVersion` has, in the order dpkg runs the scripts:
 * those for `upgrade` or `always`, with version guards evaluated ($2 is the new version in prerm
 * and postrm, the old one in preinst and postinst). Runtime conditions are kept for the caller.
 * With `shippedUnits` (the units the package ships, from its file list), an action on a unit the
 * script computes at run time becomes one effect per shipped unit, marked `unitFrom`.
 */
export function effectsOfUpgrade(
  scripts: UpgradeScripts,
  oldVersion: string,
  newVersion: string,
  opts: { shippedUnits?: readonly string[] } = {},
): ServiceEffect[] {
  const out: ServiceEffect[] = [];
  for (const [analysis, arg2] of upgradeSteps(scripts, oldVersion, newVersion)) {
    for (const e of analysis?.effects ?? []) if (runsOnUpgrade(e, arg2)) out.push(e);
    for (const u of analysis?.unresolved ?? []) {
      if (!runsOnUpgrade(u, arg2)) continue;
      for (const unit of opts.shippedUnits ?? []) {
        if (!out.some((e) => e.unit === unit && e.action === u.action)) out.push({ ...u, unit, unitFrom: 'shipped-units' });
      }
    }
  }
  return out;
}

/** Whether an upgrade runs an action on a unit the scripts compute at run time (the shipped units can name it). */
export function hasUnresolvedUpgradeEffects(scripts: UpgradeScripts, oldVersion: string, newVersion: string): boolean {
  return upgradeSteps(scripts, oldVersion, newVersion).some(([analysis, arg2]) => (analysis?.unresolved ?? []).some((u) => runsOnUpgrade(u, arg2)));
}

/** The scripts in the order dpkg runs them for an upgrade, each with its $2. */
function upgradeSteps(scripts: UpgradeScripts, oldVersion: string, newVersion: string): Array<[ScriptAnalysis | null, string]> {
  return [
    [scripts.oldPrerm, newVersion],
    [scripts.newPreinst, oldVersion],
    [scripts.oldPostrm, newVersion],
    [scripts.newPostinst, oldVersion],
  ];
}

function runsOnUpgrade(e: UnresolvedEffect, arg2: string): boolean {
  return (e.when === 'upgrade' || e.when === 'always') && e.versionGuards.every((g) => guardHolds(g, arg2));
}

// ---------------------------------------------------------------------------------------------

/** What must hold for a command to run. */
type Atom =
  | { kind: 'arg1'; patterns: string[]; negated: boolean }
  | { kind: 'arg2'; set: boolean }
  | { kind: 'guard'; guard: VersionGuard }
  | { kind: 'runtime'; text: string }
  /** A test whose outcome is known on a running systemd host (only `false` is ever kept). */
  | { kind: 'constant'; value: boolean };

interface Context {
  atoms: Atom[];
  /** Inside a shell function: its own $1/$2 are not the script's, and "$@" is the call's words. */
  callArgs: Alternatives[] | null;
  depth: number;
}

const EMPTY_CONTEXT: Context = { atoms: [], callArgs: null, depth: 0 };

/** One possible value of a word, under the conditions that give it. */
interface ExpandedWord {
  /** Literal text, or null when it cannot be known (a computed value). */
  value: string | null;
  atoms: Atom[];
  /** Line the value was written on. */
  line: number;
}

/** The possible values of one word (several for a variable assigned in different branches). */
type Alternatives = ExpandedWord[];

const ARG1_VALUES: Record<ScriptKind, string[]> = {
  postinst: ['configure', 'abort-upgrade', 'abort-remove', 'abort-deconfigure', 'triggered'],
  prerm: ['remove', 'upgrade', 'deconfigure', 'failed-upgrade'],
  preinst: ['install', 'upgrade', 'abort-upgrade'],
  postrm: ['remove', 'purge', 'upgrade', 'disappear', 'failed-upgrade', 'abort-install', 'abort-upgrade'],
};

const VERBS: Record<string, ServiceAction> = {
  restart: 'restart',
  'try-restart': 'try-restart',
  condrestart: 'try-restart',
  start: 'start',
  stop: 'stop',
  reload: 'reload',
  'force-reload': 'reload',
  'reload-or-restart': 'reload',
  'try-reload-or-restart': 'reload',
  'daemon-reexec': 'reexec',
};

const RELATIONS: Record<string, DpkgRelation> = {
  lt: 'lt',
  le: 'le',
  eq: 'eq',
  ne: 'ne',
  ge: 'ge',
  gt: 'gt',
  'lt-nl': 'lt-nl',
  'le-nl': 'le-nl',
  'ge-nl': 'ge-nl',
  'gt-nl': 'gt-nl',
  '<<': 'lt',
  '<=': 'le',
  '=': 'eq',
  '>=': 'ge',
  '>>': 'gt',
};

const NEGATED: Record<DpkgRelation, DpkgRelation> = {
  lt: 'ge',
  le: 'gt',
  eq: 'ne',
  ne: 'eq',
  ge: 'lt',
  gt: 'le',
  'lt-nl': 'ge-nl',
  'le-nl': 'gt-nl',
  'ge-nl': 'lt-nl',
  'gt-nl': 'le-nl',
};

/** Tests that always pass on a running systemd host (DPKG_ROOT is only set when dpkg works on another root). */
const ALWAYS_TRUE_TESTS = [
  /^\[ -d \/run\/systemd\/system \]$/,
  /^\[ -z "?\$\{?DPKG_ROOT(:?-)?\}?"? \]$/,
  /^\[ -x "?\/usr\/bin\/deb-systemd-(helper|invoke)"? \]$/,
];

/** Tests that always fail on a running systemd host. */
const ALWAYS_FALSE_TESTS = [/^\[ -n "?\$\{?DPKG_ROOT(:?-)?\}?"? \]$/];

function findDebhelperBlocks(lines: string[]): DebhelperBlock[] {
  const blocks: DebhelperBlock[] = [];
  let open: { generatedBy: string; startLine: number } | null = null;
  lines.forEach((l, i) => {
    const start = /^# Automatically added by (\S+)/.exec(l);
    if (start !== null) open = { generatedBy: start[1]!, startLine: i + 1 };
    else if (/^# End automatically added section/.test(l) && open !== null) {
      blocks.push({ ...open, endLine: i + 1 });
      open = null;
    }
  });
  return blocks;
}

/** Removes one level of quoting; null when the word still needs expanding. */
function literal(word: Word): string | null {
  let out = '';
  for (let i = 0; i < word.length; i++) {
    const c = word[i]!;
    if (c === "'") {
      const end = word.indexOf("'", i + 1);
      out += word.slice(i + 1, end === -1 ? word.length : end);
      i = end === -1 ? word.length : end;
    } else if (c === '"') continue;
    else if (c === '\\') out += word[++i] ?? '';
    else if (c === '$' || c === '`') return null;
    else out += c;
  }
  return out;
}

/** `$NAME`, `${NAME}`, `"$NAME"`, `$1`, `"$@"` -> NAME / 1 / @; null for anything else. */
function variableName(word: Word): string | null {
  const m = /^"?\$(?:\{([A-Za-z_][A-Za-z0-9_]*|[0-9@*])\}|([A-Za-z_][A-Za-z0-9_]*|[0-9@*]))"?$/.exec(word);
  return m === null ? null : (m[1] ?? m[2] ?? null);
}

function negate(atom: Atom): Atom {
  switch (atom.kind) {
    case 'arg1':
      return { ...atom, negated: !atom.negated };
    case 'arg2':
      return { kind: 'arg2', set: !atom.set };
    case 'guard':
      return { kind: 'guard', guard: { relation: NEGATED[atom.guard.relation], version: atom.guard.version } };
    case 'runtime':
      return { kind: 'runtime', text: atom.text.startsWith('! ') ? atom.text.slice(2) : `! ${atom.text}` };
    case 'constant':
      return { kind: 'constant', value: !atom.value };
  }
}

const NEVER: Atom = { kind: 'constant', value: false };

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** A condition: what holds when it succeeds, and what holds when it fails. */
interface Condition {
  whenTrue: Atom[];
  whenFalse: Atom[];
}

class Analyser {
  readonly effects: ServiceEffect[] = [];
  readonly unresolved: UnresolvedEffect[] = [];
  readonly notes: ScriptNote[] = [];
  private readonly functions = new Map<string, ShellNode[]>();
  private readonly variables = new Map<string, Alternatives>();
  /** Names that hold the script's $1 (`action="$1"`) and $2 (`preversion=$2`). */
  private readonly arg1Aliases = new Set<string>(['1']);
  private readonly arg2Aliases = new Set<string>(['2']);

  constructor(
    private readonly kind: ScriptKind,
    private readonly lines: string[],
    private readonly blocks: DebhelperBlock[],
  ) {}

  collectFunctions(nodes: ShellNode[]): void {
    for (const n of nodes) if (n.type === 'function') this.functions.set(n.name, n.body);
  }

  run(nodes: ShellNode[], ctx: Context): void {
    let atoms = ctx.atoms;
    for (const node of nodes) {
      this.node(node, { ...ctx, atoms });
      // `if COND; then ...; exit; fi` (or `return` in a function): what follows runs only when COND failed.
      if (node.type === 'if' && node.branches.length === 1 && node.elseBody === null && endsWithExit(node.branches[0]!.body, ctx.callArgs !== null)) {
        const c = this.condition(node.branches[0]!.condition, { ...ctx, atoms }, false);
        atoms = [...atoms, ...c.whenFalse];
      }
    }
  }

  private node(node: ShellNode, ctx: Context): void {
    switch (node.type) {
      case 'simple':
        this.simple(node, ctx);
        return;
      case 'function':
        return;
      case 'group':
        this.run(node.body, ctx);
        return;
      case 'pipeline':
        for (const c of node.commands) this.node(c, ctx);
        return;
      case 'and-or': {
        this.node(node.first, ctx);
        let prior: ShellNode[] = [node.first];
        for (const { op, node: next } of node.rest) {
          const c = this.condition(prior, ctx, false);
          this.node(next, { ...ctx, atoms: [...ctx.atoms, ...(op === '&&' ? c.whenTrue : c.whenFalse)] });
          prior = [...prior, next];
        }
        return;
      }
      case 'if': {
        let atoms = ctx.atoms;
        for (const branch of node.branches) {
          const c = this.condition(branch.condition, { ...ctx, atoms }, true);
          this.run(branch.body, { ...ctx, atoms: [...atoms, ...c.whenTrue] });
          atoms = [...atoms, ...c.whenFalse];
        }
        if (node.elseBody !== null) this.run(node.elseBody, { ...ctx, atoms });
        return;
      }
      case 'case': {
        const subject = variableName(node.subject);
        const onArg1 = subject !== null && ctx.callArgs === null && this.arg1Aliases.has(subject);
        let atoms = ctx.atoms;
        for (const item of node.items) {
          const patterns = item.patterns.map((p) => literal(p) ?? p);
          const match: Atom = onArg1 ? { kind: 'arg1', patterns, negated: false } : { kind: 'runtime', text: `${node.subject} matches ${patterns.join('|')}` };
          this.run(item.body, { ...ctx, atoms: [...atoms, match] });
          // Later items run only if this one did not match; that matters for `*)` after `configure)`.
          if (onArg1) atoms = [...atoms, negate(match)];
        }
        return;
      }
      case 'for': {
        const values = node.words?.every((w) => literal(w) !== null) ? node.words.map((w) => literal(w)!) : null;
        this.variables.set(
          node.variable,
          values === null ? [{ value: null, atoms: ctx.atoms, line: node.line }] : values.map((v) => ({ value: v, atoms: ctx.atoms, line: node.line })),
        );
        this.run(node.body, ctx);
        return;
      }
      case 'while':
        this.run(node.condition, ctx);
        this.run(node.body, ctx);
        return;
    }
  }

  /**
   * Reads a condition (the commands of an `if`, or what precedes `&&`/`||`), also running its
   * commands as commands when `runCommands` (an `if` condition may itself restart something).
   */
  private condition(nodes: ShellNode[], ctx: Context, runCommands: boolean): Condition {
    if (runCommands) for (const n of nodes) this.node(n, ctx);
    const last = nodes[nodes.length - 1];
    if (last === undefined) return { whenTrue: [], whenFalse: [] };
    const atoms = this.conditionAtoms(last, ctx);
    if (atoms === null) return { whenTrue: [], whenFalse: [] };
    if (atoms.length === 0) return { whenTrue: [], whenFalse: [NEVER] };
    return { whenTrue: atoms, whenFalse: atoms.length === 1 ? [negate(atoms[0]!)] : [{ kind: 'runtime', text: `! (${this.text(last)})` }] };
  }

  /** The atoms that hold when `node` succeeds: a conjunction; [] for always true; null for "not a test". */
  private conditionAtoms(node: ShellNode, ctx: Context): Atom[] | null {
    if (node.type === 'pipeline' && node.commands.length === 1) {
      const inner = this.conditionAtoms(node.commands[0]!, ctx);
      if (inner === null || !node.negated) return inner;
      if (inner.length === 0) return [NEVER];
      return inner.length === 1 ? [negate(inner[0]!)] : [{ kind: 'runtime', text: this.text(node) }];
    }
    if (node.type === 'and-or') {
      const parts = [node.first, ...node.rest.map((r) => r.node)].map((n) => this.conditionAtoms(n, ctx) ?? [{ kind: 'runtime' as const, text: this.text(n) }]);
      if (node.rest.every((r) => r.op === '&&')) return parts.flat();
      if (node.rest.every((r) => r.op === '||')) {
        const single = parts.every((p) => p.length === 1 && p[0]!.kind === 'arg1' && !p[0]!.negated);
        if (single) return [{ kind: 'arg1', patterns: parts.flatMap((p) => (p[0] as Extract<Atom, { kind: 'arg1' }>).patterns), negated: false }];
      }
      return [{ kind: 'runtime', text: this.text(node) }];
    }
    if (node.type !== 'simple' || node.words.length === 0) return null;
    return this.testAtoms(node, ctx);
  }

  private testAtoms(cmd: SimpleCommand, ctx: Context): Atom[] {
    const text = this.text(cmd);
    const [first, ...args] = cmd.words;
    if (ALWAYS_TRUE_TESTS.some((r) => r.test(text)) || first === 'true' || first === ':') return [];
    if (ALWAYS_FALSE_TESTS.some((r) => r.test(text)) || first === 'false') return [NEVER];
    const inFunction = ctx.callArgs !== null;
    const isArg1 = (w: Word): boolean => !inFunction && this.arg1Aliases.has(variableName(w) ?? '');
    const isArg2 = (w: Word): boolean => !inFunction && this.arg2Aliases.has(variableName(w) ?? '');
    if (first === '[' || first === 'test') {
      const t = first === '[' ? args.slice(0, -1) : args;
      const [a, op, b] = t;
      if (t.length === 3 && (op === '=' || op === '==' || op === '!=') && (isArg1(a!) || isArg1(b!))) {
        const value = literal(isArg1(a!) ? b! : a!);
        if (value !== null) return [{ kind: 'arg1', patterns: [value.replace(/[*?[]/g, '\\$&')], negated: op === '!=' }];
      }
      if (t.length === 2 && (a === '-n' || a === '-z') && isArg2(op!)) return [{ kind: 'arg2', set: a === '-n' }];
      if (t.length === 1 && isArg2(a!)) return [{ kind: 'arg2', set: true }];
      if (/^\[ -x "?\/etc\/init\.d\/[^"\s]+"? \]$/.test(text)) return [];
    }
    const base = first!.replace(/^.*\//, '');
    if (base === 'dpkg' && args[0] === '--compare-versions' && args.length === 4 && isArg2(args[1]!)) {
      const relation = RELATIONS[args[2]!];
      const version = literal(args[3]!);
      if (relation !== undefined && version !== null) return [{ kind: 'guard', guard: { relation, version } }];
    }
    return [{ kind: 'runtime', text }];
  }

  private simple(cmd: SimpleCommand, ctx: Context): void {
    if (cmd.words.length === 0) {
      for (const a of cmd.assignments) this.assign(a.name, a.value, cmd.line, ctx);
      return;
    }
    const words = cmd.words.flatMap((w) => this.expand(w, cmd.line, ctx));
    const command = words[0]?.[0]?.value;
    if (command === undefined || command === null) return;
    const fn = this.functions.get(command);
    if (fn !== undefined) {
      if (ctx.depth < 8) this.run(fn, { atoms: ctx.atoms, callArgs: words.slice(1), depth: ctx.depth + 1 });
      return;
    }
    this.serviceCommand(command.replace(/^.*\//, ''), words.slice(1), cmd, ctx);
  }

  private assign(name: string, value: Word, line: number, ctx: Context): void {
    const v = variableName(value);
    for (const aliases of [this.arg1Aliases, this.arg2Aliases]) {
      if (v !== null && aliases.has(v) && ctx.callArgs === null) aliases.add(name);
      else aliases.delete(name);
    }
    const lit = literal(value);
    const known = this.variables.get(name) ?? [];
    this.variables.set(name, [...known.filter((k) => !sameAtoms(k.atoms, ctx.atoms)), { value: lit, atoms: ctx.atoms, line }]);
  }

  /**
   * The words a word becomes: one word for a literal or a variable (with one alternative per
   * assignment), none for `${DPKG_ROOT:+...}` (empty on a live system), the call's words for "$@".
   */
  private expand(word: Word, line: number, ctx: Context): Alternatives[] {
    const lit = literal(word);
    if (lit !== null) return [[{ value: lit, atoms: [], line }]];
    if (/^\$\{DPKG_ROOT:\+/.test(word)) return [];
    const unknown: Alternatives[] = [[{ value: null, atoms: [], line }]];
    const name = variableName(word);
    if (name === '@' || name === '*') return ctx.callArgs ?? unknown;
    if (name !== null && /^[0-9]$/.test(name) && ctx.callArgs !== null) {
      const arg = ctx.callArgs[Number(name) - 1];
      return arg === undefined ? [] : [arg];
    }
    const assigned = name === null ? undefined : this.variables.get(name);
    return assigned === undefined ? unknown : [assigned];
  }

  private serviceCommand(tool: string, args: Alternatives[], cmd: SimpleCommand, ctx: Context): void {
    const isOption = (a: Alternatives): boolean => a[0]?.value?.startsWith('-') === true;
    const operands = args.filter((a) => !isOption(a));
    const has = (flag: string): boolean => args.some((a) => isOption(a) && a[0]!.value === flag);
    switch (tool) {
      case 'deb-systemd-invoke':
      case 'systemctl': {
        if (has('--user') || has('--global')) {
          this.note(cmd, 'acts on user units, not system services');
          return;
        }
        const [verbWord, ...units] = operands;
        if (verbWord === undefined) return;
        for (const verb of verbWord) {
          let action = verb.value === null ? undefined : VERBS[verb.value];
          if (tool === 'systemctl' && (verb.value === 'enable' || verb.value === 'disable') && has('--now')) {
            action = verb.value === 'enable' ? 'start' : 'stop';
          }
          if (verb.value === null) this.note(cmd, `the action comes from a value computed at run time (${this.text(cmd)})`);
          if (action === undefined) continue;
          if (action === 'reexec') {
            this.emit('init.scope', action, verb.value!, [verb], ctx, cmd);
            continue;
          }
          this.emitUnits(units, action, verb, ctx, cmd);
        }
        return;
      }
      case 'invoke-rc.d':
      case 'service': {
        if (has('--skip-systemd-native')) {
          this.note(cmd, 'invoke-rc.d --skip-systemd-native does nothing for a service with a native systemd unit');
          return;
        }
        const [name, verbWord] = operands;
        if (name === undefined || verbWord === undefined) return;
        for (const verb of verbWord) {
          const action = verb.value === null ? undefined : VERBS[verb.value];
          if (action === undefined || action === 'reexec') continue;
          this.emitUnits([name], action, verb, ctx, cmd);
        }
        return;
      }
    }
  }

  private emitUnits(units: Alternatives[], action: ServiceAction, verb: ExpandedWord, ctx: Context, cmd: SimpleCommand): void {
    for (const u of units.flat()) {
      if (u.value === null) {
        this.note(cmd, `the unit comes from a value computed at run time, so it cannot be named (${this.text(cmd)})`);
        const e = this.effectOf('?', action, verb.value!, [verb, u], ctx, cmd);
        if (e !== null) {
          const { unit: _unit, ...unresolved } = e;
          if (!this.unresolved.some((x) => JSON.stringify(x) === JSON.stringify(unresolved))) this.unresolved.push(unresolved);
        }
        continue;
      }
      const unit = /\.[a-z]+$/.test(u.value) ? u.value : `${u.value}.service`;
      this.emit(unit, action, verb.value!, [verb, u], ctx, cmd);
    }
  }

  private emit(unit: string, action: ServiceAction, verb: string, from: ExpandedWord[], ctx: Context, cmd: SimpleCommand): void {
    const effect = this.effectOf(unit, action, verb, from, ctx, cmd);
    if (effect !== null && !this.effects.some((e) => JSON.stringify(e) === JSON.stringify(effect))) this.effects.push(effect);
  }

  /** The effect of one command on one unit, or null when it never runs in a normal upgrade, install or removal. */
  private effectOf(unit: string, action: ServiceAction, verb: string, from: ExpandedWord[], ctx: Context, cmd: SimpleCommand): ServiceEffect | null {
    const atoms = [...ctx.atoms, ...from.flatMap((f) => f.atoms)];
    const when = this.when(atoms);
    if (when === null) return null;
    const evidenceLine = from[from.length - 1]!.line;
    const effect: ServiceEffect = {
      unit,
      action,
      verb,
      when,
      versionGuards: atoms.flatMap((a) => (a.kind === 'guard' ? [a.guard] : [])),
      runtimeConditions: [...new Set(atoms.flatMap((a) => (a.kind === 'runtime' ? [a.text] : [])))],
      generatedBy: this.blocks.find((b) => b.startLine <= cmd.line && cmd.line <= b.endLine)?.generatedBy ?? null,
      evidence: { line: evidenceLine, text: (this.lines[evidenceLine - 1] ?? '').trim() },
    };
    return effect;
  }

  /** Maps the conditions on $1 and $2 to when the command runs; null when it never runs in a normal upgrade, install or removal. */
  private when(atoms: Atom[]): EffectWhen | null {
    let values = ARG1_VALUES[this.kind];
    let arg2: boolean | null = null;
    for (const a of atoms) {
      if (a.kind === 'arg1') {
        const res = a.patterns.map(globToRegExp);
        values = values.filter((v) => res.some((r) => r.test(v)) !== a.negated);
      } else if (a.kind === 'arg2') {
        if (arg2 !== null && arg2 !== a.set) return null;
        arg2 = a.set;
      } else if (a.kind === 'guard' && guardRequiresVersion(a.guard)) {
        if (arg2 === false) return null;
        arg2 = true;
      } else if (a.kind === 'constant' && !a.value) return null;
    }
    const has = (v: string): boolean => values.includes(v);
    switch (this.kind) {
      case 'postinst':
        if (has('configure')) return arg2 === null ? 'always' : arg2 ? 'upgrade' : 'install';
        return has('triggered') ? 'triggered' : null;
      case 'preinst':
        if (has('install') && has('upgrade')) return 'always';
        return has('upgrade') ? 'upgrade' : has('install') ? 'install' : null;
      case 'prerm':
      case 'postrm':
        if ((has('remove') || has('purge')) && has('upgrade')) return 'always';
        return has('upgrade') || has('failed-upgrade') ? 'upgrade' : has('remove') || has('purge') ? 'remove' : null;
    }
  }

  private note(cmd: SimpleCommand, reason: string): void {
    const text = (this.lines[cmd.line - 1] ?? '').trim();
    if (!this.notes.some((n) => n.line === cmd.line && n.reason === reason)) this.notes.push({ line: cmd.line, text, reason });
  }

  private text(node: ShellNode): string {
    switch (node.type) {
      case 'simple':
        return [...node.assignments.map((a) => `${a.name}=${a.value}`), ...node.words].join(' ');
      case 'pipeline':
        return `${node.negated ? '! ' : ''}${node.commands.map((c) => this.text(c)).join(' | ')}`;
      case 'and-or':
        return [this.text(node.first), ...node.rest.map((r) => `${r.op} ${this.text(r.node)}`)].join(' ');
      default:
        return (this.lines[node.line - 1] ?? '').trim();
    }
  }
}

/** Whether the guard fails for an empty $2 (so it implies an upgrade in postinst). */
function guardRequiresVersion(guard: VersionGuard): boolean {
  return !guardHolds(guard, '');
}

function endsWithExit(body: ShellNode[], inFunction: boolean): boolean {
  const last = body[body.length - 1];
  return last?.type === 'simple' && (last.words[0] === 'exit' || (inFunction && last.words[0] === 'return'));
}

function sameAtoms(a: Atom[], b: Atom[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
