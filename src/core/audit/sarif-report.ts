/**
 * Findings as a SARIF 2.1.0 log (OASIS), the format GitHub code scanning reads. One run, one tool
 * component with every rule; one result per finding with its file region.
 */
import type { Finding } from './finding.js';
import type { AuditRule, Severity } from './rule.js';

export interface SarifTool {
  name: string;
  version: string;
  /** Absolute URL of the project; rule docs links are made from it when `docsBaseUri` is given. */
  informationUri?: string;
  /** Absolute URL that rule docs paths (`docs/rules/<id>.md`) are relative to, ending in `/`. */
  docsBaseUri?: string;
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

/** The SARIF log of `findings` (paths as the caller gave them, relative to the repository root). */
export function sarifReport(findings: readonly Finding[], rules: readonly AuditRule[], tool: SarifTool): Record<string, unknown> {
  const index = new Map(rules.map((r, i) => [r.meta.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: tool.name,
            version: tool.version,
            ...(tool.informationUri === undefined ? {} : { informationUri: tool.informationUri }),
            rules: rules.map((r) => ({
              id: r.meta.id,
              shortDescription: { text: r.meta.docs.description },
              ...(tool.docsBaseUri === undefined ? {} : { helpUri: new URL(r.meta.docs.url, tool.docsBaseUri).href }),
              defaultConfiguration: { level: LEVEL[r.meta.defaultSeverity] },
            })),
          },
        },
        results: findings.map((f) => ({
          ruleId: f.ruleId,
          ...(index.has(f.ruleId) ? { ruleIndex: index.get(f.ruleId) } : {}),
          level: LEVEL[f.severity],
          message: { text: f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.path.split('/').map(encodeURIComponent).join('/') },
                region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn },
              },
            },
          ],
        })),
      },
    ],
  };
}
