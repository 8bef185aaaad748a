/**
 * A small parser for the POSIX sh that Debian maintainer scripts are written in: enough structure
 * (if/elif/else, case, loops, functions, `&&`/`||`, pipelines, assignments) to know under which
 * conditions a command runs, with the line of every command. It does not expand or run anything.
 *
 * Unsupported syntax does not throw: the parser skips to the next line and records a problem, so
 * one odd construct costs at most the commands on that line.
 */

/** A word as written, quotes included (`'docker.service'`, `"$2"`, `$_dh_action`). */
export type Word = string;

/** A command with its arguments, after its leading `NAME=value` assignments. */
export interface SimpleCommand {
  type: 'simple';
  assignments: Array<{ name: string; value: Word }>;
  words: Word[];
  line: number;
}

/** `if COND; then ...; elif COND; then ...; else ...; fi`. */
export interface IfClause {
  type: 'if';
  branches: Array<{ condition: ShellNode[]; body: ShellNode[] }>;
  elseBody: ShellNode[] | null;
  line: number;
}

/** `case WORD in PATTERN|PATTERN) ... ;; esac`. */
export interface CaseClause {
  type: 'case';
  subject: Word;
  items: Array<{ patterns: Word[]; body: ShellNode[] }>;
  line: number;
}

/** `for NAME in WORDS; do ...; done` (words null: `for NAME; do`, over "$@"). */
export interface ForLoop {
  type: 'for';
  variable: string;
  words: Word[] | null;
  body: ShellNode[];
  line: number;
}

/** `while COND; do ...; done` and `until`. */
export interface WhileLoop {
  type: 'while';
  condition: ShellNode[];
  body: ShellNode[];
  line: number;
}

/** `{ ...; }` or `( ... )`. */
export interface Group {
  type: 'group';
  body: ShellNode[];
  line: number;
}

/** `NAME() { ... }`. */
export interface FunctionDefinition {
  type: 'function';
  name: string;
  body: ShellNode[];
  line: number;
}

/** `A && B || C`: `rest` runs depending on the status of what came before. */
export interface AndOr {
  type: 'and-or';
  first: ShellNode;
  rest: Array<{ op: '&&' | '||'; node: ShellNode }>;
  line: number;
}

/** `! A | B`: only `negated` matters for conditions; every command of it runs. */
export interface Pipeline {
  type: 'pipeline';
  negated: boolean;
  commands: ShellNode[];
  line: number;
}

export type ShellNode = SimpleCommand | IfClause | CaseClause | ForLoop | WhileLoop | Group | FunctionDefinition | AndOr | Pipeline;

/** A piece of the script the parser could not follow. */
export interface ShellProblem {
  line: number;
  message: string;
}

/** The parsed script: its top-level commands and what was skipped. */
export interface ShellScript {
  body: ShellNode[];
  problems: ShellProblem[];
}

interface Token {
  kind: 'word' | 'op' | 'newline' | 'eof';
  text: string;
  line: number;
}

const OPERATORS = ['&&', '||', ';;', '<<-', '<<', '>>', '>&', '<&', '>|', ';', '&', '|', '(', ')', '<', '>'];
const REDIRECTIONS = new Set(['<<-', '<<', '>>', '>&', '<&', '>|', '<', '>']);

/** Parses a shell script; never throws. */
export function parseShellScript(text: string): ShellScript {
  const problems: ShellProblem[] = [];
  const tokens = tokenize(text, problems);
  const parser = new Parser(tokens, problems);
  return { body: parser.parseProgram(), problems };
}

/** Splits the script into words, operators and newlines, dropping comments and here-document bodies. */
function tokenize(text: string, problems: ShellProblem[]): Token[] {
  const tokens: Token[] = [];
  const pendingHeredocs: Array<{ delimiter: string; stripTabs: boolean }> = [];
  const scan = new QuoteScanner(text);
  let line = 1;
  let i = 0;
  let word = '';
  let wordLine = 1;

  const flush = (): void => {
    if (word !== '') tokens.push({ kind: 'word', text: word, line: wordLine });
    word = '';
  };
  /** Appends text[i, end) to the current word. */
  const take = (end: number): void => {
    if (word === '') wordLine = line;
    if (end > text.length) {
      problems.push({ line, message: 'unterminated quote or substitution' });
      end = text.length;
    }
    word += text.slice(i, end);
    line += countNewlines(text, i, end);
    i = end;
  };

  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\' && text[i + 1] === '\n') {
      i += 2;
      line++;
      continue;
    }
    if (c === '\n') {
      flush();
      tokens.push({ kind: 'newline', text: '\n', line });
      i++;
      line++;
      for (const h of pendingHeredocs.splice(0)) {
        while (i < text.length) {
          const end = text.indexOf('\n', i);
          const bodyLine = text.slice(i, end === -1 ? text.length : end);
          i = end === -1 ? text.length : end + 1;
          line++;
          if ((h.stripTabs ? bodyLine.replace(/^\t+/, '') : bodyLine) === h.delimiter) break;
        }
      }
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      flush();
      i++;
      continue;
    }
    if (c === '#' && word === '') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === "'") take(scan.single(i));
    else if (c === '"') take(scan.double(i));
    else if (c === '`') take(scan.backtick(i));
    else if (c === '$' && text[i + 1] === '(') take(scan.paren(i + 1));
    else if (c === '$' && text[i + 1] === '{') take(scan.brace(i + 1));
    else if (c === '\\') take(i + 2);
    else {
      const op = OPERATORS.find((o) => text.startsWith(o, i));
      if (op === undefined) {
        take(i + 1);
        continue;
      }
      if (REDIRECTIONS.has(op) && /^\d+$/.test(word)) word = '';
      flush();
      tokens.push({ kind: 'op', text: op, line });
      i += op.length;
      if (op === '<<' || op === '<<-') {
        const m = /^[ \t]*(['"]?)([A-Za-z0-9_.-]+)\1/.exec(text.slice(i));
        if (m !== null) pendingHeredocs.push({ delimiter: m[2]!, stripTabs: op === '<<-' });
      }
    }
  }
  flush();
  tokens.push({ kind: 'eof', text: '', line });
  return tokens;
}

/** Finds where a quoted string or a substitution ends (the index after it; past the end if it never does). */
class QuoteScanner {
  constructor(private readonly text: string) {}

  /** `'...'` starting at i. */
  single(i: number): number {
    const end = this.text.indexOf("'", i + 1);
    return end === -1 ? this.text.length + 1 : end + 1;
  }

  /** `"..."` starting at i, with escapes and substitutions inside. */
  double(i: number): number {
    let k = i + 1;
    while (k < this.text.length) {
      const c = this.text[k]!;
      if (c === '"') return k + 1;
      if (c === '\\') k += 2;
      else if (c === '$' && this.text[k + 1] === '(') k = this.paren(k + 1);
      else if (c === '`') k = this.backtick(k);
      else k++;
    }
    return this.text.length + 1;
  }

  /** `` `...` `` starting at i. */
  backtick(i: number): number {
    let k = i + 1;
    while (k < this.text.length) {
      if (this.text[k] === '\\') k += 2;
      else if (this.text[k] === '`') return k + 1;
      else k++;
    }
    return this.text.length + 1;
  }

  /** `(...)` starting at the `(` at i, nested and quoted parts included. */
  paren(i: number): number {
    return this.balanced(i, '(', ')');
  }

  /** `{...}` starting at the `{` at i. */
  brace(i: number): number {
    return this.balanced(i, '{', '}');
  }

  private balanced(i: number, open: string, close: string): number {
    let depth = 0;
    let k = i;
    while (k < this.text.length) {
      const c = this.text[k]!;
      if (c === '\\') k += 2;
      else if (c === "'") k = this.single(k);
      else if (c === '"') k = this.double(k);
      else if (c === '`') k = this.backtick(k);
      else {
        if (c === open) depth++;
        else if (c === close && --depth === 0) return k + 1;
        k++;
      }
    }
    return this.text.length + 1;
  }
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let k = from; k < Math.min(to, text.length); k++) if (text.charCodeAt(k) === 10) n++;
  return n;
}

class Parser {
  private pos = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly problems: ShellProblem[],
  ) {}

  parseProgram(): ShellNode[] {
    const body: ShellNode[] = [];
    while (this.peek().kind !== 'eof') {
      body.push(...this.parseList(new Set()));
      const t = this.peek();
      if (t.kind !== 'eof') {
        this.problems.push({ line: t.line, message: `unexpected "${t.text}"` });
        this.skipLine();
      }
    }
    return body;
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    const t = this.tokens[this.pos]!;
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  private isWord(text: string): boolean {
    const t = this.peek();
    return t.kind === 'word' && t.text === text;
  }

  private isOp(text: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.text === text;
  }

  private skipNewlines(): void {
    while (this.peek().kind === 'newline') this.next();
  }

  private skipLine(): void {
    while (this.peek().kind !== 'newline' && this.peek().kind !== 'eof') this.next();
  }

  private expectWord(text: string, construct: string, line: number): void {
    this.skipNewlines();
    if (this.isWord(text)) this.next();
    else this.problems.push({ line, message: `${construct} without "${text}"` });
  }

  /** Commands until a terminating keyword in command position, `)`, `;;` or the end. */
  private parseList(terminators: ReadonlySet<string>): ShellNode[] {
    const nodes: ShellNode[] = [];
    for (;;) {
      this.skipSeparators();
      const t = this.peek();
      if (t.kind === 'eof') break;
      if (t.kind === 'op' && (t.text === ')' || t.text === ';;')) break;
      if (t.kind === 'word' && terminators.has(t.text)) break;
      const before = this.pos;
      const node = this.parseAndOr(terminators);
      if (node !== null) nodes.push(node);
      if (this.pos === before) {
        this.problems.push({ line: t.line, message: `unexpected "${t.text}"` });
        this.skipLine();
      }
    }
    return nodes;
  }

  private skipSeparators(): void {
    while (this.peek().kind === 'newline' || this.isOp(';') || this.isOp('&')) this.next();
  }

  private parseAndOr(terminators: ReadonlySet<string>): ShellNode | null {
    const line = this.peek().line;
    const first = this.parsePipeline(terminators);
    if (first === null) return null;
    const rest: AndOr['rest'] = [];
    while (this.isOp('&&') || this.isOp('||')) {
      const op = this.next().text as '&&' | '||';
      this.skipNewlines();
      const node = this.parsePipeline(terminators);
      if (node === null) break;
      rest.push({ op, node });
    }
    return rest.length === 0 ? first : { type: 'and-or', first, rest, line };
  }

  private parsePipeline(terminators: ReadonlySet<string>): ShellNode | null {
    const line = this.peek().line;
    let negated = false;
    if (this.isWord('!')) {
      this.next();
      negated = true;
    }
    const commands: ShellNode[] = [];
    for (;;) {
      const command = this.parseCommand(terminators);
      if (command === null) break;
      commands.push(command);
      if (!this.isOp('|')) break;
      this.next();
      this.skipNewlines();
    }
    if (commands.length === 0) return null;
    return !negated && commands.length === 1 ? commands[0]! : { type: 'pipeline', negated, commands, line };
  }

  private parseCommand(terminators: ReadonlySet<string>): ShellNode | null {
    const t = this.peek();
    if (t.kind === 'op' && t.text === '(') {
      this.next();
      const body = this.parseList(new Set());
      if (this.isOp(')')) this.next();
      else this.problems.push({ line: t.line, message: 'subshell without ")"' });
      this.skipRedirections();
      return { type: 'group', body, line: t.line };
    }
    if (t.kind === 'op' && REDIRECTIONS.has(t.text)) return this.parseSimple();
    if (t.kind !== 'word' || terminators.has(t.text)) return null;
    switch (t.text) {
      case 'if':
        return this.parseIf();
      case 'case':
        return this.parseCase();
      case 'for':
        return this.parseFor();
      case 'while':
      case 'until':
        return this.parseWhile();
      case '{': {
        this.next();
        const body = this.parseList(new Set(['}']));
        this.expectWord('}', '"{" group', t.line);
        this.skipRedirections();
        return { type: 'group', body, line: t.line };
      }
      default: {
        const after = this.tokens[this.pos + 1];
        const close = this.tokens[this.pos + 2];
        if (after?.kind === 'op' && after.text === '(' && close?.kind === 'op' && close.text === ')' && /^[A-Za-z_][\w-]*$/.test(t.text)) {
          this.pos += 3;
          this.skipNewlines();
          const body = this.parseCommand(new Set());
          return { type: 'function', name: t.text, body: body === null ? [] : [body], line: t.line };
        }
        return this.parseSimple();
      }
    }
  }

  private skipRedirections(): void {
    while (this.peek().kind === 'op' && REDIRECTIONS.has(this.peek().text)) {
      this.next();
      if (this.peek().kind === 'word') this.next();
    }
  }

  private parseSimple(): SimpleCommand {
    const line = this.peek().line;
    const assignments: SimpleCommand['assignments'] = [];
    const words: Word[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && REDIRECTIONS.has(t.text)) {
        this.next();
        if (this.peek().kind === 'word') this.next();
        continue;
      }
      if (t.kind !== 'word') break;
      this.next();
      const m = words.length === 0 ? /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(t.text) : null;
      if (m !== null) assignments.push({ name: m[1]!, value: m[2]! });
      else words.push(t.text);
    }
    return { type: 'simple', assignments, words, line };
  }

  private parseIf(): IfClause {
    const line = this.next().line;
    const branches: IfClause['branches'] = [];
    let elseBody: ShellNode[] | null = null;
    for (;;) {
      const condition = this.parseList(new Set(['then']));
      this.expectWord('then', '"if"', line);
      const body = this.parseList(new Set(['elif', 'else', 'fi']));
      branches.push({ condition, body });
      if (this.isWord('elif')) {
        this.next();
        continue;
      }
      if (this.isWord('else')) {
        this.next();
        elseBody = this.parseList(new Set(['fi']));
      }
      break;
    }
    this.expectWord('fi', '"if"', line);
    this.skipRedirections();
    return { type: 'if', branches, elseBody, line };
  }

  private parseCase(): CaseClause {
    const line = this.next().line;
    const subject = this.peek().kind === 'word' ? this.next().text : '';
    this.expectWord('in', '"case"', line);
    const items: CaseClause['items'] = [];
    for (;;) {
      this.skipNewlines();
      if (this.isWord('esac') || this.peek().kind === 'eof') break;
      if (this.isOp('(')) this.next();
      const patterns: Word[] = [];
      while (this.peek().kind === 'word') {
        patterns.push(this.next().text);
        if (this.isOp('|')) this.next();
        else break;
      }
      if (!this.isOp(')')) {
        this.problems.push({ line: this.peek().line, message: 'case pattern without ")"' });
        this.skipLine();
        continue;
      }
      this.next();
      const body = this.parseList(new Set(['esac']));
      items.push({ patterns, body });
      if (this.isOp(';;')) this.next();
    }
    this.expectWord('esac', '"case"', line);
    this.skipRedirections();
    return { type: 'case', subject, items, line };
  }

  private parseFor(): ForLoop {
    const line = this.next().line;
    const variable = this.peek().kind === 'word' ? this.next().text : '';
    let words: Word[] | null = null;
    this.skipNewlines();
    if (this.isWord('in')) {
      this.next();
      words = [];
      while (this.peek().kind === 'word') words.push(this.next().text);
    }
    this.skipSeparators();
    this.expectWord('do', '"for"', line);
    const body = this.parseList(new Set(['done']));
    this.expectWord('done', '"for"', line);
    this.skipRedirections();
    return { type: 'for', variable, words, body, line };
  }

  private parseWhile(): WhileLoop {
    const line = this.next().line;
    const condition = this.parseList(new Set(['do']));
    this.expectWord('do', '"while"', line);
    const body = this.parseList(new Set(['done']));
    this.expectWord('done', '"while"', line);
    this.skipRedirections();
    return { type: 'while', condition, body, line };
  }
}
