/**
 * Where two JavaScript values (two parses of a YAML document) differ: the paths of every leaf that
 * was changed, added or removed. The fixer compares a file before and after a fix with it.
 */
import type { JsPath } from './node-occurrences.js';

const MAX_DEPTH = 100;

/** Paths where `a` and `b` differ, at most `limit` of them. Values nested beyond 100 levels count as different. */
export function jsDifferences(a: unknown, b: unknown, limit = 100): JsPath[] {
  const out: JsPath[] = [];
  const visit = (x: unknown, y: unknown, path: JsPath): void => {
    if (out.length >= limit || Object.is(x, y)) return;
    if (path.length > MAX_DEPTH || !isContainer(x) || !isContainer(y) || Array.isArray(x) !== Array.isArray(y)) {
      out.push(path);
      return;
    }
    if (Array.isArray(x) && Array.isArray(y)) {
      for (let i = 0; i < Math.max(x.length, y.length); i++) {
        if (i >= x.length || i >= y.length) out.push([...path, i]);
        else visit(x[i], y[i], [...path, i]);
      }
      return;
    }
    const xo = x as Record<string, unknown>;
    const yo = y as Record<string, unknown>;
    const keys = new Set([...Object.keys(xo), ...Object.keys(yo)]);
    for (const key of keys) {
      if (!Object.hasOwn(xo, key) || !Object.hasOwn(yo, key)) out.push([...path, key]);
      else visit(xo[key], yo[key], [...path, key]);
    }
  };
  visit(a, b, []);
  return out;
}

/** A stable string for a path, for sets and messages: `services.silo.restart`, `ports[0]`. */
export function formatJsPath(path: JsPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z0-9_-]+$/.test(p) ? (i === 0 ? p : `.${p}`) : `[${JSON.stringify(p)}]`)).join('');
}

function isContainer(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}
