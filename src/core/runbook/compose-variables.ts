/**
 * The variables a compose file interpolates (`${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR:+alt}`, `$VAR`; `$$` is a literal dollar), and the names a `.env` file
 * sets. Only names come out of here, never a value or a default: a compose file and a `.env` can
 * hold secrets. Pure.
 *
 * A file is hostile input (its path comes from a container label): variables are taken from it only
 * when it parses as YAML and is a compose file (a top-level mapping with `services`), so that a
 * label naming some other file (a password file with `$6$salt$...`) yields nothing from its text.
 */
import { isMap, isScalar, parseDocument, visit } from 'yaml';

/** How one variable is referenced in a compose file. */
export interface VariableUse {
  name: string;
  /** Some reference gives a default (`${VAR:-x}` or `${VAR-x}`). */
  hasDefault: boolean;
  /** Some reference fails when it is not set (`${VAR:?msg}` or `${VAR?msg}`). */
  required: boolean;
  /** Every reference is `${VAR:+alt}`/`${VAR+alt}`: only used when set. */
  onlyWhenSet: boolean;
}

export type ComposeVariables = { ok: true; variables: VariableUse[] } | { ok: false; why: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

interface Ref {
  name: string;
  op: '' | '-' | '?' | '+';
}

/** The references in one interpolated string (nested ones in defaults included). */
export function variableRefs(text: string): Ref[] {
  const out: Ref[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '$') {
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      i += 2;
      continue;
    }
    if (next === '{') {
      let depth = 1;
      let j = i + 2;
      while (j < text.length && depth > 0) {
        if (text[j] === '{') depth++;
        else if (text[j] === '}') depth--;
        if (depth > 0) j++;
      }
      if (depth > 0) break; // unterminated: compose rejects the file; nothing more to take
      const inner = text.slice(i + 2, j);
      const name = NAME.exec(inner)?.[0];
      if (name !== undefined) {
        const rest = inner.slice(name.length);
        const op = /^:?([-?+])/.exec(rest);
        out.push({ name, op: op === null ? '' : (op[1] as Ref['op']) });
        if (op !== null) out.push(...variableRefs(rest.slice(op[0].length)));
      }
      i = j + 1;
      continue;
    }
    const name = NAME.exec(text.slice(i + 1))?.[0];
    if (name !== undefined) {
      out.push({ name, op: '' });
      i += 1 + name.length;
    } else i++;
  }
  return out;
}

/** The variables a compose file's text interpolates, sorted by name, or why none are taken from it. */
export function composeVariables(text: string): ComposeVariables {
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    return { ok: false, why: `not valid YAML${line === undefined ? '' : ` (line ${line})`}: ${e.code}` };
  }
  if (!isMap(doc.contents) || !doc.contents.has('services')) {
    return { ok: false, why: 'not a compose file (no top-level "services:" mapping): no variables taken from it' };
  }
  const refs: Ref[] = [];
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === 'string') refs.push(...variableRefs(node.value));
    },
  });
  const byName = new Map<string, Ref[]>();
  for (const r of refs) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  const variables = [...byName.entries()]
    .map(([name, rs]) => ({
      name,
      hasDefault: rs.some((r) => r.op === '-'),
      required: rs.some((r) => r.op === '?'),
      onlyWhenSet: rs.every((r) => r.op === '+'),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { ok: true, variables };
}

/** The names a `.env` file sets (`NAME=...`, `export NAME=...`); values are never looked at. */
export function envFileNames(text: string): string[] {
  const names = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=/.exec(line);
    if (m) names.add(m[1]!);
  }
  return [...names].sort();
}
