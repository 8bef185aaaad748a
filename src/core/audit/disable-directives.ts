/**
 * Inline disable comments (model: ESLint):
 *   # upkeep-disable-next-line restart-policy      the next line, for that rule (or a list: a, b)
 *   image: x  # upkeep-disable-line               this line, for every rule
 *   {# upkeep-disable-next-line restart-policy #}  the same as a Jinja comment, in templates
 * Text after ` -- ` is a reason for people and is ignored.
 */
import { positionAt, type YamlSource } from './yaml-source.js';

export interface DisableDirective {
  /** The line the directive silences. */
  line: number;
  /** The rules it silences; null for all. */
  ruleIds: string[] | null;
}

const DIRECTIVE = /^upkeep-disable-(next-line|line)\b(.*)$/;

/** Every disable directive of the file's comments. */
export function disableDirectives(source: YamlSource): DisableDirective[] {
  const out: DisableDirective[] = [];
  for (const comment of source.comments) {
    const m = DIRECTIVE.exec(comment.body);
    if (m === null) continue;
    const rules =
      (m[2] ?? '')
        .split(/\s--\s|\s--$/)[0]
        ?.split(/[\s,]+/)
        .filter((r) => r !== '') ?? [];
    const line = m[1] === 'line' ? positionAt(source, comment.range[0]).line : positionAt(source, comment.range[1]).line + 1;
    out.push({ line, ruleIds: rules.length === 0 ? null : rules });
  }
  return out;
}

/** True when a directive silences `ruleId` on `line`. */
export function isDisabled(directives: readonly DisableDirective[], ruleId: string, line: number): boolean {
  return directives.some((d) => d.line === line && (d.ruleIds === null || d.ruleIds.includes(ruleId)));
}
