/**
 * `${ENV}` interpolation in the config file's string values (never in keys): `${NAME}`,
 * `${NAME:-default}` (the default when NAME is unset or empty, as in docker compose) and `$${` for a
 * literal `${`. Pure: the environment is an argument. Every string that took a variable's value is
 * recorded so output can mask it (it may be a secret that deliberately lives outside the file).
 */
import type { ConfigIssue, ConfigPath } from './issues.js';

export interface Interpolated {
  value: unknown;
  issues: ConfigIssue[];
  /** The final strings that contain a substituted value, and the substituted values themselves. */
  sensitive: Set<string>;
  /** Paths of the strings that had a `${...}` substituted. */
  paths: ConfigPath[];
}

const REF = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Interpolates one string; `unset` lists variables without a value and without a default. */
export function interpolateString(text: string, env: Record<string, string | undefined>): { value: string; substituted: string[]; problems: string[] } {
  const substituted: string[] = [];
  const problems: string[] = [];
  const value = text.replace(REF, (match, body: string | undefined) => {
    if (match === '$${') return '${';
    if (body === undefined) {
      problems.push('"${" without a closing "}" (write "$${" for a literal "${")');
      return match;
    }
    const sep = body.indexOf(':-');
    const name = sep === -1 ? body : body.slice(0, sep);
    if (!NAME.test(name)) {
      problems.push(`"\${${name}}" is not a variable reference; names are letters, digits and _ (write "$\${" for a literal "\${")`);
      return match;
    }
    const set = env[name];
    if (set !== undefined && (set !== '' || sep === -1)) {
      substituted.push(set);
      return set;
    }
    if (sep !== -1) {
      const fallback = body.slice(sep + 2);
      substituted.push(fallback);
      return fallback;
    }
    problems.push(`environment variable ${name} is not set (set it, or write \${${name}:-default})`);
    return '';
  });
  return { value, substituted, problems };
}

/** Interpolates every string scalar in a parsed YAML tree; keys are left alone. */
export function interpolateTree(root: unknown, env: Record<string, string | undefined>): Interpolated {
  const out: Interpolated = { value: undefined, issues: [], sensitive: new Set(), paths: [] };
  const walk = (v: unknown, path: ConfigPath): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('${')) return v;
      const r = interpolateString(v, env);
      for (const message of r.problems) out.issues.push({ path, message });
      if (r.substituted.length > 0) {
        out.paths.push(path);
        out.sensitive.add(r.value);
        for (const s of r.substituted) if (s !== '') out.sensitive.add(s);
      }
      return r.value;
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, [...path, k])]));
    }
    return v;
  };
  out.value = walk(root, []);
  return out;
}
