/**
 * How a script of the repository runs compose: the `docker compose` / `docker-compose` command lines
 * of a shell script, a Makefile, a systemd unit or an Ansible task file that show a service is a
 * one-off job:
 *
 * - `docker compose [OPTIONS] run [OPTIONS] SERVICE ...` (with or without `--rm`): SERVICE is a job;
 * - `docker compose [OPTIONS] up --abort-on-container-exit [SERVICE...]`: the services named (all of
 *   the file's when none is) run to completion;
 * - `docker compose [OPTIONS] up --exit-code-from SERVICE`: SERVICE runs to completion.
 *
 * Pure: text in, invocations out. The shell is read the simple way: `\` line continuations, quotes,
 * comments, `&&` / `||` / `;` / `|` between commands, `NAME=value` assignments, `sudo` / `env` /
 * `exec` / `nohup` / `time` before the command, `cd DIR` before it (remembered for the rest of a
 * script; per line in a Makefile, a unit or an Ansible task). Variables are not expanded: a value with
 * `$` in it is unknown (`null`).
 */

import { isAbsolute, join, resolve } from 'node:path/posix';

export type ScriptKind = 'shell' | 'makefile' | 'systemd' | 'ansible';

export interface ComposeInvocation {
  /** 1-based line where the command starts. */
  line: number;
  /** The command as it reads, from `docker` to the service (e.g. `docker compose -f ../compose.yml run --rm worker`). */
  text: string;
  /** The `-f` / `--file` values as written (empty when none); null when one is not known (a variable). */
  files: string[] | null;
  /** `--project-directory` as written, or null. */
  projectDirectory: string | null;
  /** The directory of the last `cd DIR` before it, as written; null when none or not known (see cwdKnown). */
  cwd: string | null;
  /** False after a `cd` to a directory that is not known (`cd "$DIR"`, `cd ~`). */
  cwdKnown: boolean;
  subcommand: 'run' | 'up';
  /** The services it runs to completion; 'all' for `up --abort-on-container-exit` without a service list. */
  services: string[] | 'all';
}

const SHELLS = /^#!\s*(\/usr)?\/bin\/(env\s+)?(ba|da|z|k|a)?sh\b/;

/** What kind of script a file is, by its name and (for a name without a dot) its first line; null when it is none. */
export function scriptKindOf(name: string, firstLine: string | null): ScriptKind | null {
  if (/\.(sh|bash)$/i.test(name)) return 'shell';
  if (/^(GNU)?makefile$/i.test(name)) return 'makefile';
  if (/\.service$/i.test(name)) return 'systemd';
  if (/\.ya?ml$/i.test(name)) return 'ansible';
  if (!name.includes('.') && firstLine !== null && SHELLS.test(firstLine)) return 'shell';
  return null;
}

/** Every compose invocation of `text` that shows a job, in order. */
export function parseComposeInvocations(text: string, kind: ScriptKind): ComposeInvocation[] {
  const out: ComposeInvocation[] = [];
  let cwd: string | null = null;
  let cwdKnown = true;
  for (const logical of commandLines(text, kind)) {
    if (kind !== 'shell') [cwd, cwdKnown] = [null, true];
    for (const words of simpleCommands(logical.text)) {
      const cd = cdTarget(words);
      if (cd !== undefined) {
        [cwd, cwdKnown] = [cd, cd !== null];
        continue;
      }
      const inv = invocationOf(words);
      if (inv !== null) out.push({ ...inv, line: logical.line, cwd, cwdKnown });
    }
  }
  return out;
}

interface LogicalLine {
  line: number;
  text: string;
}

/** The command lines of the file, continuations joined, with the line each starts on. */
function commandLines(text: string, kind: ScriptKind): LogicalLine[] {
  const lines = text.split(/\r?\n/);
  const raw: LogicalLine[] = [];
  if (kind === 'ansible') {
    raw.push(...ansibleCommands(lines));
  } else {
    lines.forEach((l, i) => {
      let t = l;
      if (kind === 'makefile') {
        if (!/^\t/.test(t)) return; // only recipe lines run commands
        t = t.replace(/^\t[@+-]*/, '');
      } else if (kind === 'systemd') {
        const m = /^\s*Exec(Start|StartPre|StartPost|Stop|StopPost|Reload|Condition)\s*=\s*[-@:+!]*(.*)$/.exec(t);
        if (m === null) {
          // a continuation of the previous Exec line
          if (raw.length > 0 && /\\\s*$/.test(raw[raw.length - 1]!.text)) raw.push({ line: i + 1, text: t });
          else raw.push({ line: i + 1, text: '' });
          return;
        }
        t = m[2]!;
      }
      raw.push({ line: i + 1, text: t });
    });
  }
  const joined: LogicalLine[] = [];
  let open: LogicalLine | null = null;
  for (const l of raw) {
    const continues = /(^|[^\\])(\\\\)*\\\s*$/.test(l.text);
    const body = continues ? l.text.replace(/\\\s*$/, ' ') : l.text;
    if (open === null) open = { line: l.line, text: body };
    else open.text += body;
    if (!continues) {
      joined.push(open);
      open = null;
    }
  }
  if (open !== null) joined.push(open);
  return joined;
}

const ANSIBLE_KEY = /^(\s*)(-\s+)?(ansible\.builtin\.|ansible\.legacy\.)?(shell|command|cmd|ansible\.builtin\.shell|ansible\.builtin\.command)\s*:\s*(.*)$/;

/** The command strings of Ansible `shell:` / `command:` / `cmd:` keys (plain, quoted or block scalars). */
function ansibleCommands(lines: readonly string[]): LogicalLine[] {
  const out: LogicalLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = ANSIBLE_KEY.exec(lines[i]!);
    if (m === null) continue;
    const indent = m[1]!.length + (m[2]?.length ?? 0);
    const value = m[5]!.trim();
    if (/^[|>][-+\d]*\s*(#.*)?$/.test(value)) {
      const folded = value.startsWith('>');
      let j = i + 1;
      let block: LogicalLine | null = null;
      for (; j < lines.length; j++) {
        const l = lines[j]!;
        if (l.trim() === '') continue;
        if (l.length - l.trimStart().length <= indent) break;
        if (folded) {
          block ??= { line: j + 1, text: '' };
          block.text += ` ${l.trim()}`;
        } else out.push({ line: j + 1, text: l.trim() });
      }
      if (block !== null) out.push(block);
      i = j - 1;
    } else if (value !== '' && !value.startsWith('{') && !value.startsWith('#')) {
      out.push({ line: i + 1, text: unquoteYaml(value) });
    }
  }
  return out;
}

function unquoteYaml(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(["\\])/g, '$1');
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1).replace(/''/g, "'");
  return v.replace(/\s+#.*$/, '');
}

/** A word of a command; `known` is false when it holds a variable or a command substitution. */
interface Word {
  text: string;
  known: boolean;
}

/** Splits a command line into simple commands (words), at `&&`, `||`, `;`, `|`, `&`, `(`, `)`; drops comments. */
function simpleCommands(line: string): Word[][] {
  const commands: Word[][] = [];
  let words: Word[] = [];
  let cur = '';
  let inWord = false;
  let known = true;
  const endWord = (): void => {
    if (inWord) words.push({ text: cur, known });
    cur = '';
    inWord = false;
    known = true;
  };
  const endCommand = (): void => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      const stop = end < 0 ? line.length : end;
      cur += line.slice(i + 1, stop);
      inWord = true;
      i = stop;
    } else if (ch === '"') {
      inWord = true;
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) cur += line[++i];
        else {
          if (line[i] === '$' || line[i] === '`') known = false;
          cur += line[i];
        }
      }
    } else if (ch === '#' && !inWord) {
      break;
    } else if (/\s/.test(ch)) {
      endWord();
    } else if (ch === ';' || ch === '|' || ch === '&' || ch === '(' || ch === ')') {
      endCommand();
    } else {
      if (ch === '$' || ch === '`') known = false;
      cur += ch;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
const SUDO_WITH_VALUE = new Set(['-u', '-g', '-h', '-p', '-C', '-D', '-r', '-t', '-U', '-T', '--user', '--group', '--host', '--prompt', '--chdir']);

/** The words from the program on: leading assignments and `sudo` / `env` / `exec` / ... wrappers dropped. */
function program(words: readonly Word[]): Word[] {
  let i = 0;
  for (;;) {
    while (i < words.length && ASSIGNMENT.test(words[i]!.text)) i++;
    const w = words[i]?.text;
    if (w === 'sudo' || w === 'doas') {
      i++;
      while (i < words.length && words[i]!.text.startsWith('-')) i += SUDO_WITH_VALUE.has(words[i]!.text) ? 2 : 1;
    } else if (w === 'env' || w === 'exec' || w === 'nohup' || w === 'time' || w === 'command' || w === 'nice') {
      i++;
      while (i < words.length && words[i]!.text.startsWith('-')) i++;
    } else break;
  }
  return words.slice(i);
}

/** The directory of a `cd DIR` command (null when not known), or undefined when it is not one. */
function cdTarget(words: readonly Word[]): string | null | undefined {
  const w = program(words);
  if (w[0]?.text !== 'cd' && w[0]?.text !== 'pushd') return undefined;
  const dir = w.slice(1).find((x) => !x.text.startsWith('-'));
  if (dir === undefined) return null;
  const own = SCRIPT_DIR.exec(dir.text); // cd "$(dirname "$0")/..": relative to the script's directory
  if (own !== null) return own[2]!.includes('$') || own[2]!.includes('`') ? null : `.${own[2]}`;
  return dir.known && !dir.text.startsWith('~') ? dir.text : null;
}

const SCRIPT_DIR = /^\$\(dirname (\$0|\$\{0\}|\$\{BASH_SOURCE\[0\]\}|\$BASH_SOURCE)\)((\/.*)?)$/;

const DOCKER_WITH_VALUE = new Set(['-c', '--context', '-H', '--host', '--config', '-l', '--log-level', '--tlscacert', '--tlscert', '--tlskey']);
const COMPOSE_WITH_VALUE = new Set([
  '-f',
  '--file',
  '-p',
  '--project-name',
  '--project-directory',
  '--env-file',
  '--profile',
  '--ansi',
  '--parallel',
  '--progress',
  '-H',
  '--host',
  '-c',
  '--context',
  '--log-level',
]);
const RUN_WITH_VALUE = new Set([
  '-e',
  '--env',
  '--env-from-file',
  '--entrypoint',
  '-l',
  '--label',
  '--name',
  '-p',
  '--publish',
  '-u',
  '--user',
  '-v',
  '--volume',
  '-w',
  '--workdir',
  '--cap-add',
  '--cap-drop',
  '--pull',
]);
const UP_WITH_VALUE = new Set(['--exit-code-from', '--scale', '-t', '--timeout', '--pull', '--attach', '--no-attach', '--wait-timeout']);

type Parsed = Omit<ComposeInvocation, 'line' | 'cwd' | 'cwdKnown'>;

/** The invocation of one simple command, or null when it is not a compose `run` / `up` to completion. */
function invocationOf(all: readonly Word[]): Parsed | null {
  const words = program(all);
  const base = (w: Word | undefined): string => (w === undefined ? '' : w.text.slice(w.text.lastIndexOf('/') + 1));
  let i: number;
  if (base(words[0]) === 'docker-compose') i = 1;
  else if (base(words[0]) === 'docker') {
    i = skipOptions(words, 1, DOCKER_WITH_VALUE).next;
    if (words[i]?.text !== 'compose') return null;
    i++;
  } else return null;
  const start = words[0]!;
  const global = skipOptions(words, i, COMPOSE_WITH_VALUE);
  const files: string[] | null = [];
  let filesKnown = true;
  let projectDirectory: string | null = null;
  for (const [name, value] of global.options) {
    if (name === '-f' || name === '--file') {
      if (value === null || !value.known) filesKnown = false;
      else files.push(value.text);
    } else if (name === '--project-directory' && value?.known) projectDirectory = value.text;
  }
  i = global.next;
  const sub = words[i]?.text;
  if (sub !== 'run' && sub !== 'up') return null;
  const rest = skipOptions(words, i + 1, sub === 'run' ? RUN_WITH_VALUE : UP_WITH_VALUE);
  const operands = words.slice(rest.next);
  let services: string[] | 'all';
  let end: number;
  if (sub === 'run') {
    const service = operands[0];
    if (service === undefined || !service.known) return null;
    services = [service.text];
    end = rest.next + 1;
  } else {
    const exitFrom = rest.options.find(([n]) => n === '--exit-code-from')?.[1];
    const abort = rest.options.some(([n]) => n === '--abort-on-container-exit');
    if (exitFrom != null) {
      if (!exitFrom.known) return null;
      services = [exitFrom.text];
    } else if (abort) {
      const named = operands.filter((w) => w.known).map((w) => w.text);
      services = named.length > 0 ? named : 'all';
    } else return null;
    end = words.length;
  }
  const text = [start.text, ...words.slice(1, end).map((w) => quoteForDisplay(w.text))].join(' ');
  return { text, files: filesKnown ? files : null, projectDirectory, subcommand: sub, services };
}

/** Skips the options from `i` on: returns where the operands start and the options seen (name, value). */
function skipOptions(words: readonly Word[], i: number, withValue: ReadonlySet<string>): { next: number; options: Array<[string, Word | null]> } {
  const options: Array<[string, Word | null]> = [];
  while (i < words.length) {
    const w = words[i]!;
    if (w.text === '--') return { next: i + 1, options };
    if (!w.text.startsWith('-') || w.text === '-') break;
    const eq = w.text.indexOf('=');
    if (w.text.startsWith('--') && eq > 0) {
      options.push([w.text.slice(0, eq), { text: w.text.slice(eq + 1), known: w.known }]);
      i++;
    } else if (withValue.has(w.text)) {
      options.push([w.text, words[i + 1] ?? null]);
      i += 2;
    } else if (!w.text.startsWith('--') && w.text.length > 2 && withValue.has(w.text.slice(0, 2))) {
      options.push([w.text.slice(0, 2), { text: w.text.slice(2), known: w.known }]); // -fcompose.yml
      i++;
    } else {
      options.push([w.text, null]);
      i++;
    }
  }
  return { next: i, options };
}

function quoteForDisplay(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A script of the scanned repository and what it runs. */
export interface ScriptRuns {
  /** As shown in messages (e.g. `scripts/nightly.sh`). */
  display: string;
  /** The absolute directory of the script (relative `-f` paths and `cd` are resolved from it). */
  dir: string;
  invocations: readonly ComposeInvocation[];
}

/** A scanned compose file: its absolute (real) path and the names of its services. */
export interface ScannedCompose {
  path: string;
  services: readonly string[];
}

/** The file names docker compose looks for in a directory when no `-f` is given, in its order. */
export const DEFAULT_COMPOSE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

/**
 * Which services of which scanned compose file the scripts run as jobs: compose file path -> service
 * name -> the evidence, as a clause for messages (`` `scripts/nightly.sh:12` runs it with `docker compose run --rm worker` ``).
 * A command is associated with a compose file, in this order:
 * 1. its `-f` / `--file` paths, resolved from the `cd DIR` before it, else from the script's directory;
 * 2. without `-f`: the default compose file (DEFAULT_COMPOSE_NAMES) of `--project-directory`, else of
 *    the `cd DIR` before it, else of the script's directory;
 * 3. when neither names a scanned compose file (a variable, a file outside the scan): the one scanned
 *    compose file that has a service of that name, if exactly one has.
 * The first evidence for a service (by script, then line) is kept.
 */
export function jobRunsByFile(scripts: readonly ScriptRuns[], composeFiles: readonly ScannedCompose[]): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  const byPath = new Map(composeFiles.map((c) => [c.path, c]));
  const note = (file: ScannedCompose, service: string, clause: string): void => {
    if (!file.services.includes(service)) return;
    const m = out.get(file.path) ?? new Map<string, string>();
    if (!m.has(service)) m.set(service, clause);
    out.set(file.path, m);
  };
  for (const script of scripts) {
    for (const inv of script.invocations) {
      const clause = `\`${script.display}:${inv.line}\` runs it with \`${inv.text}\``;
      const targets = namedComposeFiles(inv, script.dir)
        .map((p) => byPath.get(p))
        .filter((c): c is ScannedCompose => c !== undefined)
        .slice(0, inv.files?.length === 0 ? 1 : undefined); // without -f, compose reads the first default name only
      if (targets.length > 0) {
        for (const t of targets) for (const s of inv.services === 'all' ? t.services : inv.services) note(t, s, clause);
        continue;
      }
      if (inv.services === 'all') continue;
      for (const s of inv.services) {
        const having = composeFiles.filter((c) => c.services.includes(s));
        if (having.length === 1) note(having[0]!, s, clause);
      }
    }
  }
  return out;
}

/** The absolute compose file paths a command names (rules 1 and 2 of jobRunsByFile); empty when not known. */
function namedComposeFiles(inv: ComposeInvocation, scriptDir: string): string[] {
  if (inv.files === null) return [];
  const base = !inv.cwdKnown ? null : inv.cwd === null ? scriptDir : resolve(scriptDir, inv.cwd);
  const at = (p: string): string | null => (isAbsolute(p) ? p : base === null ? null : resolve(base, p));
  const named = inv.files.length > 0 ? inv.files.map(at) : [at(inv.projectDirectory ?? '.')];
  if (named.some((p) => p === null)) return []; // relative to a directory that is not known
  const paths = named as string[];
  return inv.files.length > 0 ? paths : DEFAULT_COMPOSE_NAMES.map((n) => join(paths[0]!, n));
}
