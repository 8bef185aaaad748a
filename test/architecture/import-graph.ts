/**
 * The import graph of src/ and the layer rules it must obey (STYLE.md, "Shape of upkeep").
 * Imports are read from the TypeScript syntax tree, not with a regular expression: static
 * `import` / `export ... from`, `import x = require()`, `import('...')` with a string literal (as
 * a call or as a type), and `require('...')`. Each import is resolved to a file under the repository,
 * a Node built-in or an npm package, and each rule looks at one import at a time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { posix } from 'node:path';
import ts from 'typescript';

/** Node built-ins src/core may import: hashing and path arithmetic on strings, no I/O. */
export const CORE_ALLOWED_BUILTINS: ReadonlySet<string> = new Set(['node:crypto', 'node:path/posix']);
/** npm packages src/core may import: pure libraries (parsing, validation), no I/O. */
export const CORE_ALLOWED_PACKAGES: ReadonlySet<string> = new Set(['yaml', 'zod']);

export type Layer = 'core' | 'ports' | 'app' | 'adapters' | 'agent' | 'cli' | 'cli/commands' | 'src' | 'test' | 'other';
export const LAYERS: readonly Layer[] = ['core', 'ports', 'app', 'adapters', 'agent', 'cli', 'cli/commands'];

export type Target = { kind: 'file'; path: string } | { kind: 'builtin'; name: string } | { kind: 'package'; name: string };

export interface ImportEdge {
  /** Repository-relative, with forward slashes. */
  file: string;
  /** 1-based line of the module specifier. */
  line: number;
  specifier: string;
  syntax: 'import' | 'export' | 'import-equals' | 'dynamic-import' | 'import-type' | 'require';
  /** Erased at runtime: `import type`, `export type`, `import type x = require()`, `import('x').T`. */
  typeOnly: boolean;
  target: Target;
}

export interface Violation {
  file: string;
  line: number;
  rule: string;
  message: string;
}

export interface SourceText {
  path: string;
  text: string;
}

/** Every `.ts` file under `dir` (repository-relative to `root`), sorted. */
export function listTsFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(posix.join(root, rel), { withFileTypes: true })) {
      const child = posix.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile() && entry.name.endsWith('.ts')) out.push(child);
    }
  };
  walk(dir);
  return out.sort();
}

export function readSources(root: string, dir: string): SourceText[] {
  return listTsFiles(root, dir).map((path) => ({ path, text: readFileSync(posix.join(root, path), 'utf8') }));
}

/** The imports of one file, in source order. */
export function parseImports(source: SourceText): ImportEdge[] {
  const sf = ts.createSourceFile(source.path, source.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const edges: ImportEdge[] = [];
  const add = (literal: ts.Node, syntax: ImportEdge['syntax'], typeOnly: boolean): void => {
    if (!ts.isStringLiteralLike(literal)) return;
    const line = sf.getLineAndCharacterOfPosition(literal.getStart(sf)).line + 1;
    edges.push({ file: source.path, line, specifier: literal.text, syntax, typeOnly, target: resolve(source.path, literal.text) });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(node.moduleSpecifier, 'import', node.importClause?.isTypeOnly ?? false);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      add(node.moduleSpecifier, 'export', node.isTypeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, 'import-equals', node.isTypeOnly);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, 'import-type', true);
    } else if (ts.isCallExpression(node) && node.arguments.length >= 1) {
      const first = node.arguments[0] as ts.Expression;
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) add(first, 'dynamic-import', false);
      else if (ts.isIdentifier(node.expression) && node.expression.text === 'require') add(first, 'require', false);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edges;
}

const BUILTINS = new Set(builtinModules);

/** Resolves a specifier as Node's ESM loader would for this repository (`.js` names the `.ts` source). */
export function resolve(fromFile: string, specifier: string): Target {
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const joined = posix.normalize(posix.join(posix.dirname(fromFile), specifier));
    return { kind: 'file', path: joined.replace(/\.(m|c)?js$/, '.$1ts') };
  }
  if (specifier.startsWith('node:')) return { kind: 'builtin', name: specifier };
  if (BUILTINS.has(specifier)) return { kind: 'builtin', name: `node:${specifier}` };
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
  return { kind: 'package', name };
}

/** The layer a repository-relative path belongs to. */
export function layerOf(path: string): Layer {
  const m = /^src\/([^/]+)\//.exec(path);
  if (m === null) return path.startsWith('src/') ? 'src' : path.startsWith('test/') ? 'test' : 'other';
  const top = m[1] as string;
  if (top === 'cli' && path.startsWith('src/cli/commands/')) return 'cli/commands';
  return (LAYERS as readonly string[]).includes(top) ? (top as Layer) : 'src';
}

/** The layer of an import's target, or `node:*` / `npm` for what is outside the repository. */
export function targetLayer(t: Target): Layer | 'node:*' | 'npm' {
  if (t.kind === 'builtin') return 'node:*';
  if (t.kind === 'package') return 'npm';
  return layerOf(t.path);
}

function describeTarget(e: ImportEdge): string {
  const where = e.target.kind === 'file' && e.target.path !== e.specifier ? ` (${e.target.path})` : '';
  return `${e.typeOnly ? 'type import' : 'import'} '${e.specifier}'${where}`;
}

const inDir = (path: string, dir: string): boolean => path.startsWith(`${dir}/`);
const targetIn = (e: ImportEdge, ...dirs: string[]): boolean => e.target.kind === 'file' && dirs.some((d) => inDir((e.target as { path: string }).path, d));

interface Rule {
  id: string;
  /** What the rule says, for the failure message. */
  says: string;
  check(e: ImportEdge): string | null;
}

export const RULES: readonly Rule[] = [
  {
    id: 'core-is-pure',
    says: `src/core imports only src/core, ${[...CORE_ALLOWED_BUILTINS, ...CORE_ALLOWED_PACKAGES].join(', ')}`,
    check(e) {
      if (!inDir(e.file, 'src/core')) return null;
      const t = e.target;
      if (t.kind === 'file') return inDir(t.path, 'src/core') ? null : 'outside src/core';
      if (t.kind === 'builtin') return CORE_ALLOWED_BUILTINS.has(t.name) ? null : `Node built-in ${t.name} (I/O or process state)`;
      return CORE_ALLOWED_PACKAGES.has(t.name) ? null : `npm package ${t.name} is not on the pure allow-list`;
    },
  },
  {
    id: 'ports-are-types',
    says: 'src/ports imports only types (`import type`), and only from src/core and src/ports',
    check(e) {
      if (!inDir(e.file, 'src/ports')) return null;
      if (!targetIn(e, 'src/core', 'src/ports')) return 'outside src/core and src/ports';
      return e.typeOnly ? null : 'a value import (use `import type`)';
    },
  },
  {
    id: 'app-gets-adapters-injected',
    says: 'src/app imports core and ports, never src/adapters, src/cli or src/agent',
    check: (e) => (inDir(e.file, 'src/app') && targetIn(e, 'src/adapters', 'src/cli', 'src/agent') ? 'a layer above or beside the use cases' : null),
  },
  {
    id: 'adapters-below-app',
    says: 'src/adapters never imports src/agent, src/cli or src/app',
    check: (e) => (inDir(e.file, 'src/adapters') && targetIn(e, 'src/agent', 'src/cli', 'src/app') ? 'a layer that uses the adapters' : null),
  },
  {
    id: 'commands-are-independent',
    says: 'a file in src/cli/commands never imports another file in src/cli/commands',
    check: (e) => (inDir(e.file, 'src/cli/commands') && targetIn(e, 'src/cli/commands') ? 'another command' : null),
  },
  {
    id: 'no-test-code-in-src',
    says: 'src never imports node:test or anything under test/',
    check(e) {
      if (!inDir(e.file, 'src')) return null;
      const t = e.target;
      if (t.kind === 'builtin' && (t.name === 'node:test' || t.name.startsWith('node:test/'))) return 'the test runner';
      return targetIn(e, 'test') ? 'test code' : null;
    },
  },
];

/** Every broken rule, one entry per import, in file and line order. */
export function checkLayers(edges: readonly ImportEdge[], rules: readonly Rule[] = RULES): Violation[] {
  const out: Violation[] = [];
  for (const e of edges) {
    for (const rule of rules) {
      const why = rule.check(e);
      if (why !== null) out.push({ file: e.file, line: e.line, rule: rule.id, message: `${describeTarget(e)}: ${why}; ${rule.says}` });
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.rule.localeCompare(b.rule));
}

export function formatViolation(v: Violation): string {
  return `${v.file}:${v.line} ${v.rule}: ${v.message}`;
}

/**
 * Who imports whom: for each source layer, the number of distinct (file, target) imports into
 * each layer, counting a module imported twice by one file once.
 */
export function layerMatrix(edges: readonly ImportEdge[]): Map<string, Map<string, number>> {
  const seen = new Set<string>();
  const matrix = new Map<string, Map<string, number>>();
  for (const e of edges) {
    const key = `${e.file}\0${JSON.stringify(e.target)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const from = layerOf(e.file);
    const to = targetLayer(e.target);
    const row = matrix.get(from) ?? new Map<string, number>();
    row.set(to, (row.get(to) ?? 0) + 1);
    matrix.set(from, row);
  }
  return matrix;
}
