/**
 * Whether a Jinja template could have produced a file (the audit's `unmanaged-project` rule). Pure,
 * and an approximation, since Ansible is not run: the template's literal text must appear in the file
 * in order, around its tags; an expression `{{ ... }}` stands for any text on one line (an
 * expression that only prints a string literal, as `{{ '{{' }}`, for exactly that string), a block
 * tag `{% ... %}` for any text, a comment `{# ... #}` for nothing. Trailing whitespace at the end of
 * the file is ignored. A template with no literal text at all produces nothing (it would match any
 * file).
 */

type Piece = { kind: 'text'; text: string } | { kind: 'line' } | { kind: 'any' };

const TAG = /\{\{([\s\S]*?)\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\}/g;

function pieces(template: string): Piece[] {
  const out: Piece[] = [];
  let at = 0;
  for (const m of template.matchAll(TAG)) {
    if (m.index > at) out.push({ kind: 'text', text: template.slice(at, m.index) });
    at = m.index + m[0].length;
    if (m[0].startsWith('{#')) continue;
    if (m[0].startsWith('{%')) {
      out.push({ kind: 'any' });
      continue;
    }
    const literal = /^\s*(?:'([^'\\]*)'|"([^"\\]*)")\s*$/.exec(m[1] ?? '');
    out.push(literal ? { kind: 'text', text: literal[1] ?? literal[2] ?? '' } : { kind: 'line' });
  }
  if (at < template.length) out.push({ kind: 'text', text: template.slice(at) });
  return out;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** True when `template` could render to `text` (see the file comment). */
export function templateProduces(template: string, text: string): boolean {
  const ps = pieces(template);
  if (!ps.some((p) => p.kind === 'text' && p.text.trim() !== '')) return false;
  const source = ps.map((p) => (p.kind === 'text' ? escape(p.text) : p.kind === 'line' ? '[^\\n]*?' : '[\\s\\S]*?')).join('');
  try {
    return new RegExp(`^${source.replace(/(?:\\s|\s)*$/, '')}\\s*$`).test(text);
  } catch {
    return false;
  }
}
