/**
 * Makes a command's `--json` output comparable between runs: every value that changes from one run
 * to the next (times, durations, container ids, temp paths, random ports, the engine's identity)
 * becomes a placeholder; everything else, including key order and array order, is kept.
 *
 * Pure: the run-specific values (paths, ports, engine id, ...) come in as `NormaliseContext`.
 */

export interface NormaliseContext {
  /**
   * Literal text to replace wherever it occurs inside a string, e.g. a temp dir -> "<root>".
   * Longer literals are replaced first (a path below another path keeps its own placeholder).
   */
  literals?: ReadonlyArray<readonly [text: string, placeholder: string]>;
  /**
   * Values that are replaced only when a whole string equals them (a short host name such as "vm"
   * must not be replaced inside other words), e.g. ["vm", "<hostname>"].
   */
  exact?: ReadonlyArray<readonly [text: string, placeholder: string]>;
  /**
   * Random TCP ports by name: a whole number token inside a string -> "<port:NAME>". JSON numbers
   * are left alone (a port can equal a configured value such as 30000 ms).
   */
  ports?: Readonly<Record<string, number>>;
  /** Keys whose value (any type) is replaced by the placeholder, e.g. { durationMs: 0, pid: '<pid>' }. */
  keys?: Readonly<Record<string, unknown>>;
}

/** ISO-8601 date-times; the zero time of Docker ("0001-01-01T00:00:00Z", never started) is kept. */
const ISO_TIME = /\b(?!0001-01-01T00:00:00Z)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g;
const FULL_ID = /\b[0-9a-f]{64}\b/g;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The 64-hex ids found anywhere in `value` (their 12-character short forms are replaced too). */
function collectIds(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') {
    for (const m of value.match(FULL_ID) ?? []) into.add(m);
  } else if (Array.isArray(value)) {
    for (const v of value) collectIds(v, into);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      collectIds(k, into);
      collectIds(v, into);
    }
  }
}

/**
 * Returns a normalised deep copy of `value` (parsed JSON). In strings (and object keys): exact
 * values, literals, full and short container ids (short = the first 12 characters of a full id
 * seen anywhere in `value`), ISO times, ports. Values under `ctx.keys` are replaced whole (a null stays null: "not measured" differs from
 * "measured"). Object keys are kept in their order; arrays are never reordered.
 */
export function normaliseJson(value: unknown, ctx: NormaliseContext = {}): unknown {
  const ids = new Set<string>();
  collectIds(value, ids);
  const literals = [...(ctx.literals ?? [])].filter(([text]) => text !== '').sort((a, b) => b[0].length - a[0].length);
  const exact = new Map(ctx.exact ?? []);
  const portByNumber = new Map(Object.entries(ctx.ports ?? {}).map(([name, port]) => [port, `<port:${name}>`]));
  const portRe = portByNumber.size > 0 ? new RegExp(`(?<![0-9])(${[...portByNumber.keys()].join('|')})(?![0-9])`, 'g') : null;
  const shortIds = [...ids].map((id) => id.slice(0, 12));
  const shortRe = shortIds.length > 0 ? new RegExp(`\\b(?:${shortIds.map(escapeRegExp).join('|')})\\b`, 'g') : null;
  const keys = ctx.keys ?? {};

  const str = (s: string): string => {
    const whole = exact.get(s);
    if (whole !== undefined) return whole;
    let out = s;
    for (const [text, placeholder] of literals) out = out.split(text).join(placeholder);
    out = out.replace(FULL_ID, '<id>');
    if (shortRe) out = out.replace(shortRe, '<id>');
    out = out.replace(ISO_TIME, '<time>');
    if (portRe) out = out.replace(portRe, (m) => portByNumber.get(Number(m)) ?? m);
    return out;
  };

  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return str(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, child] of Object.entries(v)) out[str(k)] = Object.hasOwn(keys, k) && child !== null ? keys[k] : walk(child);
      return out;
    }
    return v;
  };
  return walk(value);
}
