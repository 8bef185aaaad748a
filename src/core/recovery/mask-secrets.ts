/**
 * Environment values can be secrets (passwords, tokens). The store keeps them, because a
 * re-created container needs them; nothing that prints a snapshot may show them. Every renderer
 * (text or JSON) passes what it prints through maskSecrets.
 */

/** What is printed in place of a value. */
export const MASK = '***';

/** "KEY=value" -> "KEY=***"; an entry without "=" (pass-through from the caller's env) is kept. */
export function maskEnvEntry(entry: string): string {
  const eq = entry.indexOf('=');
  return eq === -1 ? entry : `${entry.slice(0, eq)}=${MASK}`;
}

/** Every entry of an Env list masked. */
export function maskEnv(env: readonly string[]): string[] {
  return env.map(maskEnvEntry);
}

/**
 * A deep copy of `value` in which every environment list is masked: any property named `Env` or
 * `env` that holds strings ("KEY=value"). Works on a Snapshot, a DesiredContainer, a create
 * configuration, a plan, or anything holding them; the input is not changed.
 */
export function maskSecrets<T>(value: T): T {
  return maskDeep(value) as T;
}

function maskDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskDeep);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if ((key === 'Env' || key === 'env') && Array.isArray(v) && v.every((e) => typeof e === 'string')) {
      out[key] = maskEnv(v as string[]);
    } else {
      out[key] = maskDeep(v);
    }
  }
  return out;
}

/** A variable name that usually holds a secret. */
export const SECRET_NAME = /pass(word|wd)?|pwd|secret|token|api[_-]?key|private[_-]?key|credential|auth|session|cookie|signature|dsn/i;

/**
 * Log lines that leave the host (crash-loop alerts forward the last few): the values of the
 * container's own environment variables whose names look secret are replaced wherever they appear,
 * and so is the value in any `NAME=value` or `NAME: value` whose name looks secret.
 */
export function maskLogLines(lines: readonly string[], env: readonly string[] = []): string[] {
  const secretValues = env
    .map((e) => {
      const eq = e.indexOf('=');
      return eq === -1 ? null : { name: e.slice(0, eq), value: e.slice(eq + 1) };
    })
    .filter((v): v is { name: string; value: string } => v !== null && v.value.length >= 4 && SECRET_NAME.test(v.name))
    .map((v) => v.value)
    .sort((a, b) => b.length - a.length);
  return lines.map((line) => {
    let out = line;
    for (const v of secretValues) out = out.split(v).join(MASK);
    return out.replace(/([A-Za-z_][A-Za-z0-9_.-]*)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&]+)/g, (whole, name: string, sep: string, value: string) =>
      SECRET_NAME.test(name) && value !== MASK ? `${name}${sep}${MASK}` : whole,
    );
  });
}
