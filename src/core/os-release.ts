/**
 * os-release(5): `KEY=value` lines, the value optionally in double or single quotes with
 * backslash escapes in double quotes. The host line of the status page shows PRETTY_NAME.
 */

/** PRETTY_NAME of an os-release text, or null when it has none (or an empty one). */
export function prettyNameOf(text: string): string | null {
  for (const line of text.split('\n')) {
    // Split at the first '=' (no regex over the value: a long value of spaces cannot make it backtrack).
    const eq = line.indexOf('=');
    if (eq < 0 || line.slice(0, eq).trim() !== 'PRETTY_NAME') continue;
    let v = line.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    else if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) v = v.slice(1, -1);
    // eslint-disable-next-line no-control-regex -- a control character is not shown
    v = v.replace(/[\x00-\x1f\x7f]/g, '').trim();
    return v === '' ? null : v.slice(0, 200);
  }
  return null;
}
